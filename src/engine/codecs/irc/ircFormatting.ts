import MarkdownIt from 'markdown-it';

/**
 * IRC formatting codes (modern.ircdocs.horse/formatting) and the panel's
 * Markdown subset, both ways.
 *
 * IRC → chat: bold, italics, monospace and strikethrough become `**`, `*`,
 * backticks and `~~`; underline, reverse, colours and the rest are stripped,
 * since the panel has nothing for them. Plain IRC text is passed as it is:
 * it is Markdown source like anything a panel user types, so an IRC user's
 * own `*stars*` render in the panel as they would for anyone.
 *
 * chat → IRC: bold and italics become \x02 and \x1d. Inline code, `~~`,
 * links and code blocks stay as their Markdown source, which IRC people read
 * fluently; monospace (\x11) and strikethrough (\x1e) codes show as garbage in
 * several common clients. The parsing is markdown-it's, configured like the
 * panel's renderer, so both sides agree on what is bold.
 */

/** Which formatting is on at a point in IRC text. */
export interface IrcStyle {
  bold: boolean;
  italic: boolean;
  underline: boolean;
  strike: boolean;
  mono: boolean;
  reverse: boolean;
  /** The last colour code (\x03NN,NN or \x04RRGGBB), or '' when colours are off. */
  color: string;
}

/** Formatting off. */
export const PLAIN: Readonly<IrcStyle> = { bold: false, italic: false, underline: false, strike: false, mono: false, reverse: false, color: '' };

/** The formatting codes. */
export const IRC = {
  bold: '\x02',
  color: '\x03',
  hexColor: '\x04',
  reset: '\x0f',
  mono: '\x11',
  reverse: '\x16',
  italic: '\x1d',
  strike: '\x1e',
  underline: '\x1f',
} as const;

// A colour code takes up to two digits, then ',' and up to two more only when a digit follows the comma.
// eslint-disable-next-line no-control-regex
const CODE = /\x03(?:\d{1,2}(?:,\d{1,2})?)?|\x04(?:[0-9A-Fa-f]{6}(?:,[0-9A-Fa-f]{6})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g;
// Control characters other than formatting codes: C0 (tab aside: it becomes a space), DEL and C1.
// One IRC line never holds CR or LF, but one that got here anyway goes too.
// eslint-disable-next-line no-control-regex
const OTHER_CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;
// Any formatting code or other control character (C0, DEL, C1).
// eslint-disable-next-line no-control-regex
const ANY_CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/** The style after one formatting code. */
export function applyCode(style: IrcStyle, code: string): IrcStyle {
  switch (code[0]) {
    case IRC.bold: return { ...style, bold: !style.bold };
    case IRC.italic: return { ...style, italic: !style.italic };
    case IRC.underline: return { ...style, underline: !style.underline };
    case IRC.strike: return { ...style, strike: !style.strike };
    case IRC.mono: return { ...style, mono: !style.mono };
    case IRC.reverse: return { ...style, reverse: !style.reverse };
    case IRC.color: {
      if (code.length === 1) return { ...style, color: '' };
      // A foreground alone keeps the background already set (\x03NN,BB then \x03MM is MM on BB).
      const bg = code.includes(',') ? '' : (/^\x03\d{1,2}(,\d{1,2})$/.exec(style.color)?.[1] ?? ''); // eslint-disable-line no-control-regex
      return { ...style, color: code + bg };
    }
    case IRC.hexColor: {
      if (code.length === 1) return { ...style, color: '' };
      const bg = code.includes(',') ? '' : (/^\x04[0-9A-Fa-f]{6}(,[0-9A-Fa-f]{6})$/.exec(style.color)?.[1] ?? ''); // eslint-disable-line no-control-regex
      return { ...style, color: code + bg };
    }
    default: return { ...PLAIN }; // reset
  }
}

/** Splits IRC text into its formatting codes and the text between them, in order. */
export function ircTokens(text: string): { code?: string; text?: string }[] {
  const out: { code?: string; text?: string }[] = [];
  let last = 0;
  for (const m of text.matchAll(CODE)) {
    if (m.index > last) out.push({ text: text.slice(last, m.index) });
    out.push({ code: m[0] });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/** The codes that turn a style back on from plain text (used to carry formatting over a line split). */
export function codesFor(style: IrcStyle): string {
  return styleChange(PLAIN, style);
}

/**
 * The fewest codes that turn style `a` into style `b`. The colour goes first,
 * and a colour code is never left last: followed by text that starts with a
 * digit or a comma it would swallow it, so a no-op pair (\x02\x02) closes it.
 */
export function styleChange(a: IrcStyle, b: IrcStyle): string {
  let s = '';
  if (a.color !== b.color) {
    // A foreground alone keeps the old background, so dropping a background takes a reset first.
    s = b.color === '' ? IRC.color : a.color.includes(',') && !b.color.includes(',') ? IRC.color + b.color : b.color;
  }
  if (a.bold !== b.bold) s += IRC.bold;
  if (a.italic !== b.italic) s += IRC.italic;
  if (a.underline !== b.underline) s += IRC.underline;
  if (a.strike !== b.strike) s += IRC.strike;
  if (a.mono !== b.mono) s += IRC.mono;
  if (a.reverse !== b.reverse) s += IRC.reverse;
  // eslint-disable-next-line no-control-regex
  return /[\x03\x04][0-9A-Fa-f,]*$/.test(s) ? s + IRC.bold + IRC.bold : s;
}

/** Removes every formatting code and other control character (a tab becomes a space). */
export function stripIrcFormatting(text: string): string {
  // Every formatting code is a control character: text without one is already plain (the common case, checked per line sent).
  if (!ANY_CONTROL.test(text)) return text;
  return dropControls(text.replace(CODE, ''));
}

function dropControls(text: string): string {
  return text.replace(/\t/g, ' ').replace(OTHER_CONTROLS, '');
}

/** IRC text as panel Markdown: see the module comment. Never throws; the result holds no control characters. */
export function ircToMarkdown(text: string): string {
  // Most lines hold no formatting code and no control character: they pass as they are, without tokenizing.
  if (!ANY_CONTROL.test(text)) return text;
  let style: IrcStyle = { ...PLAIN };
  const runs: { text: string; style: IrcStyle }[] = [];
  for (const t of ircTokens(text)) {
    if (t.code !== undefined) {
      style = applyCode(style, t.code);
      continue;
    }
    const clean = dropControls(t.text ?? '');
    if (clean === '') continue;
    const prev = runs[runs.length - 1];
    // Colour or underline changes inside bold text must not break the bold in two.
    if (prev && sameMarkdown(prev.style, style)) prev.text += clean;
    else runs.push({ text: clean, style });
  }
  return runs.map((r) => markdownRun(r.text, r.style)).join('');
}

function sameMarkdown(a: IrcStyle, b: IrcStyle): boolean {
  return a.bold === b.bold && a.italic === b.italic && a.strike === b.strike && a.mono === b.mono;
}

/** Markdown for one run: markers hug the words (emphasis must not start or end with a space). */
function markdownRun(text: string, style: IrcStyle): string {
  if (!style.bold && !style.italic && !style.strike && !style.mono) return text;
  const [, lead, core, trail] = /^(\s*)([\s\S]*?)(\s*)$/.exec(text) as RegExpExecArray;
  if (core === '') return text;
  let inner = style.mono ? codeSpan(core) : core.replace(/[\\*_`~[\]<&]/g, (c) => `\\${c}`);
  if (style.strike) inner = `~~${inner}~~`;
  if (style.italic) inner = `*${inner}*`;
  if (style.bold) inner = `**${inner}**`;
  return lead + inner + trail;
}

/** A code span around text that may itself hold backticks: a longer fence, and a space where a backtick touches it. */
function codeSpan(code: string): string {
  const longest = Math.max(0, ...(code.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = code.startsWith('`') || code.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${code}${pad}${fence}`;
}

// The panel's renderer (src/webview/renderMarkdown.ts) uses the 'zero' preset with these rules.
const md = new MarkdownIt('zero', { html: false });
md.enable(['fence', 'emphasis', 'backticks', 'link', 'autolink', 'escape', 'entity']);

type InlineToken = ReturnType<typeof md.parseInline>[number];
// Characters that can start Markdown in the subset; a line without any is left alone.
const MARKUP = /[*_`\\&<[]/;

/**
 * Panel Markdown as IRC text, line by line (the result keeps the input's
 * newlines). Lines inside a fenced code block are left exactly as they are.
 */
export function markdownToIrc(text: string): string {
  // Without a character that can start Markdown, no line changes (a ~~~ fence only keeps its lines as they are): skip the split.
  if (!MARKUP.test(text)) return text;
  const lines = text.split('\n');
  const raw = new Set<number>();
  if (/^ {0,3}(```|~~~)/m.test(text)) {
    for (const token of md.parse(text, {})) {
      if (token.type === 'fence' && token.map) for (let i = token.map[0]; i < token.map[1]; i++) raw.add(i);
    }
  }
  return lines.map((line, i) => (raw.has(i) || !MARKUP.test(line) ? line : inlineToIrc(md.parseInline(line, {})[0]?.children ?? []))).join('\n');
}

function inlineToIrc(tokens: InlineToken[]): string {
  let out = '';
  const links: { href: string; start: number }[] = [];
  for (const t of tokens) {
    switch (t.type) {
      case 'strong_open':
      case 'strong_close':
        out += IRC.bold;
        break;
      case 'em_open':
      case 'em_close':
        out += IRC.italic;
        break;
      case 'code_inline':
        out += reCode(t.markup, t.content);
        break;
      case 'link_open':
        links.push({ href: String(t.attrGet('href') ?? ''), start: out.length });
        break;
      case 'link_close': {
        const link = links.pop();
        const label = link ? stripIrcFormatting(out.slice(link.start)) : '';
        if (link && link.href !== label && link.href !== `mailto:${label}`) out += ` (${link.href})`;
        break;
      }
      default:
        out += t.content;
    }
  }
  return out;
}

/** An inline code span written back as Markdown: markdown-it drops one padding space, so put it back where a backtick needs it. */
function reCode(fence: string, content: string): string {
  const pad = content.startsWith('`') || content.endsWith('`') || (content.startsWith(' ') && content.endsWith(' ') && content.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${content}${pad}${fence}`;
}
