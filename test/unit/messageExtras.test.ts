import * as assert from 'node:assert/strict';
import type { ChatMessage } from '../../src/engine/protocol';
import { renderActions, renderQuote, renderReactions } from '../../src/webview/messageExtras';
import { HOSTILE_PAYLOADS } from '../support/hostilePayloads';

// jsdom untyped, as in renderMarkdown.test.ts: its types would pull the DOM lib into the Node program.
interface MiniElement {
  tagName: string;
  attributes: ArrayLike<{ name: string; value: string }>;
  textContent: string | null;
  title: string;
  querySelectorAll(sel: string): ArrayLike<MiniElement>;
  getAttribute(name: string): string | null;
}
interface MiniWindow {
  document: unknown;
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { JSDOM } = require('jsdom') as { JSDOM: new (html: string) => { window: MiniWindow } };

/** Elements and attributes these renderers make themselves; anything else came from a payload. */
const TAGS = new Set(['BUTTON', 'SPAN', 'BDI', 'DIV', 'SVG', 'PATH', 'svg', 'path']);
const ATTRS = new Set(['class', 'type', 'data-seq', 'data-emoji', 'aria-pressed', 'aria-label', 'title', 'dir', 'role', 'viewBox', 'width', 'height', 'aria-hidden', 'focusable', 'd']);

function assertInert(node: MiniElement, what: string): void {
  for (const e of [node, ...Array.from(node.querySelectorAll('*'))]) {
    assert.ok(TAGS.has(e.tagName), `${what}: unexpected <${e.tagName}>`);
    for (const a of Array.from(e.attributes)) assert.ok(ATTRS.has(a.name), `${what}: unexpected attribute ${a.name} on <${e.tagName}>`);
  }
}

describe('Panel: reply quotes and reactions render hostile text inert', () => {
  let win: MiniWindow;
  const g = globalThis as { document?: unknown };
  before(() => {
    win = new JSDOM('<!doctype html><html><body></body></html>').window;
    g.document = win.document;
  });
  after(() => {
    delete g.document;
    win.close();
  });

  const msg = (over: Partial<ChatMessage>): ChatMessage => ({ type: 'message', id: 'x', seq: 2, room: 'general', sender: 'bob', text: 'hi', ts: '2026-01-01T00:00:00.000Z', ...over });

  for (const p of HOSTILE_PAYLOADS) {
    it(`quote and reactions: ${p.name}`, () => {
      const quote = renderQuote(msg({ replyTo: 1, reply: { seq: 1, sender: p.text.slice(0, 32), excerpt: p.text.slice(0, 140) } })) as unknown as MiniElement;
      assertInert(quote, 'quote');
      assert.ok((quote.textContent ?? '').includes(p.text.slice(0, 140).replace(/\s+/g, ' ').slice(0, 20)), 'the quote shows the text as text');
      const bar = renderReactions(msg({ reactions: [{ emoji: p.text.slice(0, 32), count: 3, people: [p.text.slice(0, 32), 'carol'] }] }), 'carol') as unknown as MiniElement;
      assertInert(bar, 'reactions');
      const button = bar.querySelectorAll('.reaction')[0];
      assert.equal(button.getAttribute('aria-pressed'), 'true', 'carol reacted: her toggle is pressed');
      assert.ok(button.title.startsWith(p.text.slice(0, 32)), 'the tooltip names who reacted, as text');
    });
  }

  it('a quote of a deleted message says so; the reactions tooltip counts who it does not name', () => {
    const quote = renderQuote(msg({ replyTo: 1, reply: { seq: 1, sender: 'alice', deleted: true } })) as unknown as MiniElement;
    assert.equal(quote.textContent, 'message deleted');
    assert.equal(renderQuote(msg({})), undefined);
    const bar = renderReactions(msg({ reactions: [{ emoji: '👍', count: 23, people: Array.from({ length: 20 }, (_, i) => `p${i}`) }] }), 'alice') as unknown as MiniElement;
    const b = bar.querySelectorAll('.reaction')[0];
    assert.match(b.title, /and 3 more reacted with 👍$/);
    assert.equal(b.getAttribute('aria-pressed'), 'false');
    assert.equal(renderReactions(msg({ deleted: true, reactions: [{ emoji: '👍', count: 1, people: ['x'] }] }), null), undefined, 'a deleted message shows no reactions');
  });

  it('offers edit and delete only on your own messages, and only Copy Link on a deleted one', () => {
    const names = (n: unknown) => Array.from((n as MiniElement).querySelectorAll('button')).map((b) => b.getAttribute('aria-label'));
    assert.deepEqual(names(renderActions(msg({}), false)), ['Reply', 'Add reaction', 'Copy Link to Message']);
    assert.deepEqual(names(renderActions(msg({}), true)), ['Reply', 'Add reaction', 'Edit message', 'Delete message', 'Copy Link to Message']);
    assert.deepEqual(names(renderActions(msg({ deleted: true, text: '' }), true)), ['Copy Link to Message']);
  });
});
