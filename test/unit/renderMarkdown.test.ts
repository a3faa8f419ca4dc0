import * as assert from 'node:assert/strict';
import createDOMPurify from 'dompurify';
import { renderCode, renderMarkdown } from '../../src/webview/renderMarkdown';
import { ALLOWED_ATTR, ALLOWED_TAGS } from '../../src/webview/sanitizeHtml';
import { HOSTILE_PAYLOADS } from '../support/hostilePayloads';

// jsdom is loaded untyped on purpose: its types pull the DOM lib into the whole
// Node program, where engine code could then use browser globals unnoticed.
interface MiniElement {
  tagName: string;
  attributes: ArrayLike<{ name: string; value: string }>;
  textContent: string | null;
  innerHTML: string;
  querySelectorAll(sel: string): ArrayLike<MiniElement>;
}
interface MiniWindow {
  document: { createElement(tag: string): MiniElement };
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { JSDOM } = require('jsdom') as { JSDOM: new (html: string) => { window: MiniWindow } };

describe('renderMarkdown', () => {
  let win: MiniWindow;
  let purify: ReturnType<typeof createDOMPurify>;

  before(() => {
    win = new JSDOM('<!doctype html><html><body></body></html>').window;
    purify = createDOMPurify(win as unknown as Parameters<typeof createDOMPurify>[0]);
  });
  after(() => win.close());

  /** Parses sanitized output into a detached element (jsdom runs no scripts). */
  function parse(html: string): MiniElement {
    const div = win.document.createElement('div');
    div.innerHTML = html;
    return div;
  }

  /** Every element and attribute in `html` is on the allow-list, and every link is http(s). */
  function assertInert(html: string): MiniElement {
    const root = parse(html);
    const all = Array.from(root.querySelectorAll('*'));
    for (const el of all) {
      const tag = el.tagName.toLowerCase();
      assert.ok(ALLOWED_TAGS.includes(tag), `tag <${tag}> survived`);
      for (const a of Array.from(el.attributes)) {
        assert.ok(ALLOWED_ATTR.includes(a.name), `attribute ${a.name} on <${tag}> survived`);
        if (a.name === 'href') assert.match(a.value, /^https?:\/\//i, `href ${a.value} survived`);
        if (a.name === 'class') assert.match(a.value, /^((hljs(-[a-z_]+)?|[a-z_]+_|language-[a-z0-9+#_-]+)\s?)+$/, `class ${a.value} survived`);
      }
    }
    return root;
  }

  describe('hostile payloads', () => {
    assert.ok(HOSTILE_PAYLOADS.length >= 30, 'the suite needs at least 30 payloads');
    for (const p of HOSTILE_PAYLOADS) {
      it(`renders ${p.name} inert`, () => {
        const t0 = Date.now();
        const html = renderMarkdown(p.text, purify);
        // A hostile message must not stall the panel: one render stays well under a frame budget x10.
        assert.ok(Date.now() - t0 < 1_000, `rendering ${p.name} took ${Date.now() - t0} ms`);
        const root = assertInert(html);
        if (p.visible !== undefined) assert.ok((root.textContent ?? '').includes(p.visible), `"${p.visible}" is no longer visible`);
      });
    }
  });

  it('keeps every combining mark and every character of a 64 KiB line as text', () => {
    const long = HOSTILE_PAYLOADS.find((p) => p.name === 'long-line-64k')!;
    assert.equal(parse(renderMarkdown(long.text, purify)).textContent?.trim(), long.text);
    const marks = HOSTILE_PAYLOADS.find((p) => p.name === 'combining-10k')!;
    assert.equal(parse(renderMarkdown(marks.text, purify)).textContent?.trim(), marks.text);
  });

  it('shows bidi overrides as visible tags, so "file\u202Etxt.exe" cannot pose as "fileexe.txt"', () => {
    const html = renderMarkdown('file\u202Etxt.exe\u202C and \u2067isolate\u2069', purify);
    assert.equal(parse(html).textContent?.trim(), 'file[U+202E]txt.exe[U+202C] and [U+2067]isolate[U+2069]');
  });

  it('keeps zero-width characters as text', () => {
    const html = renderMarkdown('a\u200Bb', purify);
    assert.equal(parse(html).textContent?.trim(), 'a\u200Bb');
  });

  it('shows raw HTML as text instead of dropping it', () => {
    const root = parse(renderMarkdown('<b>hi</b>', purify));
    assert.equal(root.textContent?.trim(), '<b>hi</b>');
    assert.equal(root.querySelectorAll('b').length, 0);
  });

  it('renders the subset: bold, italics, inline code, code blocks, links, emoji', () => {
    const html = renderMarkdown('**b** _i_ `c` [l](https://example.com/x?a=1&b=2) :tada:\n```ts\nconst x = 1;\n```', purify);
    const root = parse(html);
    assert.equal(root.querySelectorAll('strong')[0].textContent, 'b');
    assert.equal(root.querySelectorAll('em')[0].textContent, 'i');
    assert.equal(root.querySelectorAll('p code')[0].textContent, 'c');
    const a = root.querySelectorAll('a')[0];
    assert.equal(a.textContent, 'l');
    assert.ok(Array.from(a.attributes).some((x) => x.name === 'href' && x.value === 'https://example.com/x?a=1&b=2'));
    assert.ok((root.textContent ?? '').includes('🎉'));
    const code = root.querySelectorAll('pre code')[0];
    assert.equal(code.textContent, 'const x = 1;\n');
    assert.ok(code.querySelectorAll('span.hljs-keyword').length > 0, 'fenced code is highlighted');
  });

  it('linkifies bare http(s) URLs and nothing else', () => {
    const root = parse(renderMarkdown('see https://example.com, ftp://example.net and mailto:a@example.org', purify));
    const hrefs = Array.from(root.querySelectorAll('a')).map((a) => Array.from(a.attributes).find((x) => x.name === 'href')?.value);
    assert.deepEqual(hrefs, ['https://example.com']);
  });

  it('leaves headings, lists, quotes, tables and images as plain text', () => {
    const root = parse(renderMarkdown('# h\n\n- a\n\n> q\n\n|a|b|\n|-|-|\n\n![i](https://x.example/i.png)', purify));
    assert.equal(root.querySelectorAll('h1,ul,li,blockquote,table,img').length, 0);
    assert.ok((root.textContent ?? '').includes('# h'));
  });

  it('renders plain text the same with or without the parser fast path', () => {
    // The fast path skips markdown-it for text with no markup characters; the result must not differ.
    for (const t of ['hello world', 'ze\u200Bro width', 'file\u202Etxt.exe', '# not a heading', '1. not a list', 'a    b', "it's \"quoted\""]) {
      const fast = parse(renderMarkdown(t, purify)).textContent?.trim();
      const slow = parse(renderMarkdown(`${t}*`, purify)).textContent?.trim().replace(/\*$/, '');
      assert.equal(fast, slow, t);
    }
  });

  it('turns newlines into line breaks', () => {
    assert.equal(parse(renderMarkdown('a\nb', purify)).querySelectorAll('br').length, 1);
  });

  it('highlights snippets into spans only, and escapes hostile code', () => {
    const html = renderCode('<script>alert(1)</script>\nconst a = "x";', 'typescript', purify);
    const root = assertInert(html);
    assert.equal(root.textContent, '<script>alert(1)</script>\nconst a = "x";');
    assert.ok(root.querySelectorAll('span').length > 0);
    assert.equal(parse(renderCode('<img src=x onerror=1>', 'no-such-lang', purify)).textContent, '<img src=x onerror=1>');
  });
});
