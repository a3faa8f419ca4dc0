import { PLAIN, applyCode, codesFor, ircTokens, styleChange, type IrcStyle } from './ircFormatting';

/**
 * Splits one line of IRC text into pieces of at most `maxBytes` bytes of
 * UTF-8, for a message that would not fit one 512-byte line.
 *
 * - It never cuts a character, nor a grapheme (an emoji with its modifiers,
 *   a letter with its accents) unless that one grapheme alone is too long,
 *   nor a colour code from its digits.
 * - It prefers to break after a space, leaving the space at the end of the
 *   piece (what IRCv3 multiline recommends), unless that would leave the piece
 *   less than half full.
 * - With `carry` (separate messages), a piece starts with the codes that turn
 *   back on the formatting still open where the previous one ended, since
 *   clients reset formatting at each message. Without it (the pieces of a
 *   draft/multiline-concat line are joined again), pieces concatenate back to
 *   the input exactly.
 *
 * `maxBytes` must be at least 48: room for a character (4 bytes), a run of
 * codes (at most 22) and, with `carry`, the carried codes (at most 22).
 */
export function splitIrcText(text: string, maxBytes: number, carry: boolean): string[] {
  if (Buffer.byteLength(text) <= maxBytes) return [text];
  const atoms = toAtoms(text, maxBytes);
  const pieces: string[] = [];
  let style: IrcStyle = { ...PLAIN }; // the style where the current piece starts
  let prefix = '';
  let cur: Atom[] = [];
  let curBytes = 0;

  const emit = (count: number): void => {
    const taken = cur.slice(0, count);
    pieces.push(prefix + taken.map((a) => a.s).join(''));
    for (const a of taken) if (a.code) style = applyCode(style, a.s);
    prefix = carry ? codesFor(style) : '';
    cur = cur.slice(count);
    curBytes = Buffer.byteLength(prefix) + cur.reduce((sum, a) => sum + a.bytes, 0);
  };

  for (const atom of atoms) {
    while (curBytes + atom.bytes > maxBytes && cur.some((a) => !a.code)) emit(cutPoint(cur, maxBytes - Buffer.byteLength(prefix)));
    cur.push(atom);
    curBytes += atom.bytes;
  }
  // Codes left after the last character only switch formatting off at the end: drop them.
  if (cur.some((a) => !a.code)) emit(cur.length);
  return pieces;
}

interface Atom {
  s: string;
  bytes: number;
  code: boolean;
}

/** Where to end a piece: after its last space when that keeps it at least half full, else as late as fits. */
function cutPoint(cur: Atom[], room: number): number {
  let bytes = 0;
  let fit = 0;
  let afterSpace = 0;
  for (let i = 0; i < cur.length; i++) {
    if (bytes + cur[i].bytes > room) break;
    bytes += cur[i].bytes;
    fit = i + 1;
    if (cur[i].s === ' ' && bytes * 2 >= room) afterSpace = i + 1;
  }
  // Always make progress: a first atom that alone overflows still goes (toAtoms keeps atoms within maxBytes).
  const cut = afterSpace > 0 ? afterSpace : Math.max(fit, 1);
  // A piece must hold some text, not only codes.
  return cur.slice(0, cut).some((a) => !a.code) ? cut : cur.findIndex((a) => !a.code) + 1;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * The text as atoms: graphemes (or code points, for a grapheme over
 * `maxBytes`) and formatting codes. A run of codes becomes one atom, written
 * as the shortest codes with the same effect when that is shorter, so that
 * no run of codes, however long, can crowd the text out of a piece.
 */
function toAtoms(text: string, maxBytes: number): Atom[] {
  const atoms: Atom[] = [];
  let style: IrcStyle = { ...PLAIN };
  let run = '';
  let runStart = style;
  const endRun = (): void => {
    if (run === '') return;
    const short = styleChange(runStart, style);
    // The original run is safe before the text that follows it; the short form guards itself (styleChange).
    const s = short.length < run.length ? short : run;
    if (s !== '') atoms.push({ s, bytes: Buffer.byteLength(s), code: true });
    run = '';
  };
  for (const t of ircTokens(text)) {
    if (t.code !== undefined) {
      if (run === '') runStart = style;
      run += t.code;
      style = applyCode(style, t.code);
      continue;
    }
    endRun();
    for (const { segment } of graphemes.segment(t.text ?? '')) {
      const bytes = Buffer.byteLength(segment);
      if (bytes <= maxBytes) {
        atoms.push({ s: segment, bytes, code: false });
      } else {
        // A grapheme longer than a whole piece (a pile of combining marks): fall back to code points.
        for (const cp of segment) atoms.push({ s: cp, bytes: Buffer.byteLength(cp), code: false });
      }
    }
  }
  endRun();
  return atoms;
}
