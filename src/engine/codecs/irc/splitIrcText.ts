import { PLAIN, applyCode, codesFor, ircTokens, styleChange, type IrcStyle } from './ircFormatting';

/**
 * Splits one line of IRC text into pieces of at most `maxBytes` bytes of
 * UTF-8, for a message that would not fit one 512-byte line.
 *
 * - It never cuts a character, nor a grapheme (an emoji with its modifiers,
 *   a letter with its accents) unless that one grapheme alone is longer than
 *   a piece, nor a colour code from its digits.
 * - It prefers to break after a space, leaving the space at the end of the
 *   piece (what IRCv3 multiline recommends), unless that would leave the piece
 *   less than half full.
 * - With `carry` (separate messages), a piece starts with the codes that turn
 *   back on the formatting still open where the previous one ended, since
 *   clients reset formatting at each message. Without it (the pieces of a
 *   draft/multiline-concat line are joined again), pieces concatenate back to
 *   the same text and formatting.
 *
 * `maxBytes` must be at least 48: room for a character (4 bytes), a run of
 * codes (at most 22) and, with `carry`, the carried codes (at most 22).
 *
 * It walks code points and asks the grapheme segmenter only where it wants to
 * cut: segmenting a whole 16,000-character message costs a second of CPU here.
 */
export function splitIrcText(text: string, maxBytes: number, carry: boolean): string[] {
  if (Buffer.byteLength(text) <= maxBytes) return [text];
  const atoms = toAtoms(text);
  const clusters = graphemes.segment(text);
  const pieces: string[] = [];
  let style: IrcStyle = { ...PLAIN }; // the style where the current piece starts
  let prefix = '';
  let start = 0; // first atom of the current piece
  let bytes = 0; // bytes of the current piece, prefix included
  let hasText = false;

  const emit = (end: number): void => {
    let piece = prefix;
    for (let i = start; i < end; i++) {
      piece += atoms[i].s;
      style = atoms[i].after ?? style;
    }
    pieces.push(piece);
    prefix = carry ? codesFor(style) : '';
    start = end;
  };
  const recount = (end: number): void => {
    bytes = Buffer.byteLength(prefix);
    hasText = false;
    for (let i = start; i < end; i++) {
      bytes += atoms[i].bytes;
      hasText ||= !atoms[i].code;
    }
  };

  for (let i = 0; i < atoms.length; i++) {
    while (bytes + atoms[i].bytes > maxBytes && hasText) {
      emit(cutPoint(atoms, start, i, maxBytes - Buffer.byteLength(prefix), clusters));
      recount(i);
    }
    bytes += atoms[i].bytes;
    hasText ||= !atoms[i].code;
  }
  // Codes left after the last character only switch formatting off at the end: drop them.
  if (hasText) emit(atoms.length);
  return pieces;
}

interface Atom {
  s: string;
  bytes: number;
  code: boolean;
  /** Where the atom starts in the text (code units), for the grapheme check. */
  at: number;
  /** For a run of codes: the style after it. */
  after?: IrcStyle;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Where to end the piece that starts at atom `start` (atoms before `end` are
 * candidates): after its last space when that keeps it at least half full,
 * else as late as fits without splitting a grapheme. It always takes at least
 * one character, so the split makes progress.
 */
function cutPoint(atoms: Atom[], start: number, end: number, room: number, clusters: Intl.Segments): number {
  let bytes = 0;
  let fit = start;
  let afterSpace = start;
  for (let i = start; i < end; i++) {
    if (bytes + atoms[i].bytes > room) break;
    bytes += atoms[i].bytes;
    fit = i + 1;
    if (atoms[i].s === ' ' && bytes * 2 >= room) afterSpace = i + 1;
  }
  let cut = afterSpace > start ? afterSpace : fit;
  // Back off to the start of a grapheme the cut would split, unless it began before this piece.
  if (cut < atoms.length && cut > start && !atoms[cut].code && !atoms[cut - 1].code) {
    const cluster = clusters.containing(atoms[cut].at);
    if (cluster && cluster.index < atoms[cut].at) {
      let back = cut;
      while (back > start && !atoms[back - 1].code && atoms[back - 1].at >= cluster.index) back--;
      if (back > start && atoms[back].at === cluster.index) cut = back;
    }
  }
  // A piece must hold some text, not only codes; take up to the first character if need be.
  for (let i = start; i < cut; i++) if (!atoms[i].code) return cut;
  for (let i = cut; i < end; i++) if (!atoms[i].code) return i + 1;
  return Math.max(cut, start + 1);
}

/**
 * The text as atoms: code points and formatting codes. A run of codes becomes
 * one atom, written as the shortest codes with the same effect when that is
 * shorter, so that no run of codes, however long, can crowd the text out of a
 * piece.
 */
function toAtoms(text: string): Atom[] {
  const atoms: Atom[] = [];
  let style: IrcStyle = { ...PLAIN };
  let run = '';
  let runStart = style;
  let at = 0;
  const endRun = (): void => {
    if (run === '') return;
    // The original run is safe before the text that follows it; the short form guards itself (styleChange).
    const short = styleChange(runStart, style);
    // A run that changes nothing is dropped, unless it stands between a "," and what follows: after a
    // colour code, "\x0304,\x03045" would become "\x0304,5", a background colour that eats the text.
    const keep = short === '' && atoms[atoms.length - 1]?.s === ',';
    const s = !keep && short.length < run.length ? short : run;
    if (s !== '') atoms.push({ s, bytes: Buffer.byteLength(s), code: true, at: at - run.length, after: style });
    run = '';
  };
  for (const t of ircTokens(text)) {
    if (t.code !== undefined) {
      if (run === '') runStart = style;
      run += t.code;
      style = applyCode(style, t.code);
      at += t.code.length;
      continue;
    }
    endRun();
    for (const cp of t.text ?? '') {
      atoms.push({ s: cp, bytes: utf8Bytes(cp.codePointAt(0) ?? 0), code: false, at });
      at += cp.length;
    }
  }
  endRun();
  return atoms;
}

/** Bytes of one code point in UTF-8; a lone surrogate is written as U+FFFD, three bytes (as Buffer does). */
function utf8Bytes(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}
