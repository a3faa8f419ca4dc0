import * as assert from 'node:assert/strict';
import createDOMPurify from 'dompurify';
import fc from 'fast-check';
import { IRC, PLAIN, applyCode, ircToMarkdown, ircTokens, markdownToIrc, stripIrcFormatting, type IrcStyle } from '../../src/engine/codecs/irc/ircFormatting';
import { splitIrcText } from '../../src/engine/codecs/irc/splitIrcText';
import { renderMarkdown } from '../../src/webview/renderMarkdown';
import { FUZZ } from '../support/ircFuzz';

// jsdom untyped on purpose, as in renderMarkdown.test.ts: its types would pull the DOM lib into the Node program.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { JSDOM } = require('jsdom') as { JSDOM: new (html: string) => { window: { close(): void } } };

const { bold: B, italic: I, underline: U, strike: S, mono: M, color: C, reset: R, reverse: V } = IRC;

describe('IRC formatting → panel Markdown', () => {
  let win: { close(): void };
  let purify: ReturnType<typeof createDOMPurify>;
  before(() => {
    win = new JSDOM('<!doctype html><html><body></body></html>').window;
    purify = createDOMPurify(win as unknown as Parameters<typeof createDOMPurify>[0]);
  });
  after(() => win.close());

  /** What the panel itself shows for IRC text: its real renderer, not a look-alike. */
  const panel = (irc: string): string => renderMarkdown(ircToMarkdown(irc), purify);

  it('maps bold, italics, monospace and strikethrough, and the panel renders them', () => {
    assert.equal(ircToMarkdown(`a ${B}bold${B} b`), 'a **bold** b');
    assert.equal(ircToMarkdown(`${I}it${I}`), '*it*');
    assert.equal(ircToMarkdown(`${M}x = 1${M}`), '`x = 1`');
    assert.equal(ircToMarkdown(`${S}gone${S}`), '~~gone~~');
    assert.match(panel(`say ${B}hi${B} now`), /say <strong>hi<\/strong> now/);
    assert.match(panel(`${I}soft${I}`), /<em>soft<\/em>/);
    assert.match(panel(`${M}code${M}`), /<code>code<\/code>/);
    assert.match(panel(`${B}${I}both${R}`), /<(strong|em)><(em|strong)>both<\/(em|strong)><\/(strong|em)>/);
  });

  it('keeps markers against the words, so bold with spaces inside still renders', () => {
    assert.equal(ircToMarkdown(`x${B} spaced ${B}y`), 'x **spaced** y');
    assert.match(panel(`x${B} spaced ${B}y`), /<strong>spaced<\/strong>/);
    assert.equal(ircToMarkdown(`${B}   ${B}`), '   ', 'bold spaces are just spaces');
  });

  it('escapes Markdown inside formatted runs, so they show as typed', () => {
    assert.equal(ircToMarkdown(`${B}2*3*4${B}`), '**2\\*3\\*4**');
    assert.match(panel(`${B}2*3*4${B}`), /<strong>2\*3\*4<\/strong>/);
    assert.equal(ircToMarkdown(`${M}a \`b\` c${M}`), '``a `b` c``');
    assert.match(panel(`${M}\`x${M}`), /<code>`x<\/code>/);
  });

  it('strips colours, underline, reverse and reset, and does not let a colour change split a bold run', () => {
    assert.equal(ircToMarkdown(`${C}04,12red on blue${C} ${U}under${U} ${V}rev${V}${R}`), 'red on blue under rev');
    assert.equal(ircToMarkdown(`${B}a${C}04b${C}c${B}`), '**abc**');
    assert.equal(stripIrcFormatting(`${C}4,5x ${C}12y ${C},z ${C}99,99w \x04FF00FFh`), 'x y ,z w h', 'a comma without a digit stays text');
  });

  it('drops every other control character, so nothing but text reaches the chat', () => {
    assert.equal(ircToMarkdown('a\x01b\x07c\x1bd\x7fe\x9bf\tg'), 'abcdef g');
    // Every C0 and C1 control and Latin-1, with some wider characters: cheaper to generate than fast-check's 'binary' unit.
    const unit = fc.oneof(fc.integer({ min: 0, max: 0xff }).map((n) => String.fromCharCode(n)), fc.constantFrom('é', '🎉', '\u2028', '\ufeff'));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 200, size: 'large' }), (s) => {
        const out = ircToMarkdown(s);
        return !/[\x00-\x1f\x7f-\x9f]/.test(out); // eslint-disable-line no-control-regex
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
  });

  it('shows the text an IRC user typed, formatting aside', () => {
    // Text with neither formatting codes nor Markdown punctuation passes unchanged.
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 100, size: 'medium' }).filter((s) => !/[\x00-\x1f\x7f-\x9f]/.test(s)), (s) => ircToMarkdown(s) === s), // eslint-disable-line no-control-regex
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
  });
});

describe('panel Markdown → IRC formatting', () => {
  it('turns bold and italics into IRC codes, as the panel parses them', () => {
    assert.equal(markdownToIrc('a **b** *c* __d__ _e_'), `a ${B}b${B} ${I}c${I} ${B}d${B} ${I}e${I}`);
    assert.equal(markdownToIrc('snake_case_name and a * b * c'), 'snake_case_name and a * b * c', 'no emphasis where the panel shows none');
    assert.equal(markdownToIrc('2*3*4'), `2${I}3${I}4`, 'and emphasis where it does (the panel shows 2<em>3</em>4)');
    assert.equal(markdownToIrc('\\*not italic\\*'), '*not italic*', 'an escape shows the character');
  });

  it('keeps inline code, strikethrough and code blocks as their source, which IRC users read', () => {
    assert.equal(markdownToIrc('run `npm **test**` now'), 'run `npm **test**` now');
    assert.equal(markdownToIrc('``a ` b``'), '``a ` b``');
    assert.equal(markdownToIrc('~~old~~'), '~~old~~');
    const code = 'before **b**\n```ts\nconst x = a ** 2; // **not bold**\n\tindented\n```\nafter *i*';
    assert.equal(markdownToIrc(code), `before ${B}b${B}\n\`\`\`ts\nconst x = a ** 2; // **not bold**\n\tindented\n\`\`\`\nafter ${I}i${I}`);
  });

  it('writes links as their text and address', () => {
    assert.equal(markdownToIrc('see [the docs](https://example.com/docs) or <https://example.com>'), 'see the docs (https://example.com/docs) or https://example.com');
  });

  it('keeps leading indentation and the line structure', () => {
    assert.equal(markdownToIrc('  - item **one**\n\n    two'), `  - item ${B}one${B}\n\n    two`);
  });

  it('round-trips bold and italics: IRC → Markdown → IRC', () => {
    const word = fc.stringMatching(/^[a-z]{1,8}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('', B, I), word), { minLength: 1, maxLength: 6 }), (parts) => {
        const irc = parts.map(([code, w]) => (code ? `${code}${w}${code}` : w)).join(' ');
        return markdownToIrc(ircToMarkdown(irc)) === irc;
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
  });

  it('never throws, and adds no control character but bold and italics', () => {
    const md = fc.string({ unit: fc.constantFrom('*', '_', '`', '~', '[', ']', '(', ')', '<', '>', '\\', '&', '#', ' ', '\n', 'a', 'é', '🎉', ':', '/'), maxLength: 80, size: 'medium' });
    fc.assert(
      fc.property(md, (s) => {
        const out = markdownToIrc(s);
        return !/[\x00-\x01\x03-\x09\x0b-\x1c\x1e-\x1f]/.test(out) && out.split('\n').length === s.split('\n').length; // eslint-disable-line no-control-regex
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
  });
});

/** Each visible character with the style it is shown in; a message starts plain. */
function styled(pieces: readonly string[]): string[] {
  const out: string[] = [];
  for (const piece of pieces) {
    let style: IrcStyle = { ...PLAIN };
    for (const t of ircTokens(piece)) {
      if (t.code !== undefined) style = applyCode(style, t.code);
      else for (const ch of t.text ?? '') out.push(`${ch}|${style.bold}${style.italic}${style.underline}${style.strike}${style.mono}${style.reverse}${style.color}`);
    }
  }
  return out;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

describe('splitting long IRC text', () => {
  const ircText = fc.string({
    unit: fc.oneof(
      { weight: 8, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
      { weight: 3, arbitrary: fc.constant(' ') },
      { weight: 2, arbitrary: fc.constantFrom(B, I, U, S, M, V, R, `${C}04`, `${C}4,12`, `${C}`, '\x04FF8800', '\x04', `${C}3`) },
      { weight: 1, arbitrary: fc.constantFrom('👍🏽', '👨‍👩‍👧', 'é', 'e\u0301', '中', ',', '5') },
    ),
    maxLength: 400,
    size: 'large', // fast-check's default size keeps strings under ten units: too short to split
  });
  const budget = fc.integer({ min: 48, max: 300 });

  it('keeps every piece within the byte budget and never cuts a character', () => {
    fc.assert(
      fc.property(ircText, budget, fc.boolean(), (text, max, carry) => {
        const pieces = splitIrcText(text, max, carry);
        if (Buffer.byteLength(text) <= max) return assert.deepEqual(pieces, [text], 'what fits is left alone');
        for (const piece of pieces) {
          assert.ok(Buffer.byteLength(piece) <= max, `${Buffer.byteLength(piece)} > ${max}`);
          assert.equal(Buffer.from(piece, 'utf8').toString('utf8'), piece, 'whole UTF-8 characters');
          assert.ok(stripIrcFormatting(piece).length > 0, 'a piece holds text, not only codes');
        }
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
  });

  /** Counterexamples fuzzing found once, checked on every run: a no-op colour run between "," and a digit. */
  const SPLIT_EXAMPLES: [string, number][] = [['\u000304,\u0003045👍🏽 𐀀👍🏽\u00034,12\u0002ࠀࠀ𐀀𐀀', 48]];

  it('loses no text, and with carry every character keeps its formatting in its own message', () => {
    fc.assert(
      fc.property(ircText, budget, (text, max) => {
        const pieces = splitIrcText(text, max, true);
        assert.equal(pieces.map(stripIrcFormatting).join(''), stripIrcFormatting(text));
        assert.deepEqual(styled(pieces), styled([text]));
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed, examples: SPLIT_EXAMPLES },
    );
  });

  it('without carry (multiline-concat) the pieces join back to the same text and formatting', () => {
    fc.assert(
      fc.property(ircText, budget, (text, max) => {
        const joined = splitIrcText(text, max, false).join('');
        assert.deepEqual(styled([joined]), styled([text]));
        if (!/[\x02-\x04\x0f\x11\x16\x1d-\x1f]/.test(text)) assert.equal(joined, text); // eslint-disable-line no-control-regex
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed, examples: SPLIT_EXAMPLES },
    );
  });

  it('does not split a grapheme that fits, and prefers to break after a space', () => {
    const family = '👨‍👩‍👧'; // 18 bytes, one grapheme
    const pieces = splitIrcText(family.repeat(20), 50, false);
    for (const p of pieces) for (const { segment } of graphemes.segment(p)) assert.equal(segment, family);
    const words = splitIrcText('alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu', 48, false);
    for (const p of words.slice(0, -1)) assert.ok(p.endsWith(' '), `"${p}" ends after a word`);
    assert.equal(words.join(''), 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu');
  });

  it('reopens formatting in the next message, and never lets a carried colour swallow a digit', () => {
    const pieces = splitIrcText(`${B}${'a'.repeat(60)}${B} plain`, 48, true);
    assert.ok(pieces[1].startsWith(B), 'bold goes on in the second message');
    // The cut falls right before a digit or a comma: the carried colour code must not read it as its own.
    for (const text of [`${C}4${'a'.repeat(46)}5 tail`, `${C}04${'a'.repeat(45)},5 tail`, `\x04FF8800${'a'.repeat(41)}AB tail`]) {
      const pieces = splitIrcText(text, 48, true);
      assert.equal(pieces.length, 2);
      assert.equal(pieces.map(stripIrcFormatting).join(''), stripIrcFormatting(text));
      assert.deepEqual(styled(pieces), styled([text]));
    }
  });

  it('carries the style a run of several codes ends in (cases fuzzing found)', () => {
    const text = `${C}4,12${'a'.repeat(40)}${C}3${B}xyz`; // the run "\x033\x02" ends the first piece
    const pieces = splitIrcText(text, 48, true);
    assert.deepEqual(pieces.map(stripIrcFormatting), ['a'.repeat(40), 'xyz']);
    assert.deepEqual(styled(pieces), styled([text]));
    // A reset then a foreground drops the background; written shorter, "\x033" alone would keep it.
    const reset = `${C}4,12${B}${'a'.repeat(50)}${B}${C}${C}3${'b'.repeat(10)}`;
    assert.deepEqual(styled(splitIrcText(reset, 48, true)), styled([reset]));
    assert.deepEqual(styled([splitIrcText(reset, 48, false).join('')]), styled([reset]));
  });

  it('gives a run of codes no way to crowd out the text', () => {
    const pieces = splitIrcText(`${B.repeat(600)}x`, 48, true);
    assert.deepEqual(pieces.map(stripIrcFormatting), ['x']);
    assert.ok(Buffer.byteLength(pieces[0]) <= 48);
  });
});
