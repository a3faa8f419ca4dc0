import { safeFileName, type ChatMessage, type FileOfferEvent, type Snippet } from '../../protocol';
import { markdownToIrc, stripIrcFormatting } from './ircFormatting';
import { MAX_BODY_BYTES, overheadBytes, type IrcMessage } from './ircMessage';
import { splitIrcText } from './splitIrcText';

/**
 * Chat → IRC: one chat message (or file offer) as the IRC lines one
 * recipient gets.
 *
 * Text from the chat can never become anything but the text of a PRIVMSG or
 * NOTICE: line breaks start new messages, every control character is dropped
 * before any formatting code is added (so no CTCP, DCC or stray colour can be
 * smuggled in), and the serializer writes the text as the trailing parameter,
 * where a leading ':' or '/' is just text.
 */

/** Who sends, to whom, and what the recipient's connection negotiated. */
export interface IrcDelivery {
  /** The sender as IRC sees them: `nick!user@host`, or the server's name for notices from it. */
  source: string;
  /** A channel, or a nick (for a direct message: the recipient's nick, or for an echo the other person's). */
  target: string;
  /** The capabilities the recipient enabled. */
  caps: ReadonlySet<string>;
  /** The message's id (msgid tag, with message-tags). */
  msgid?: string;
  /** The sender's account, their identity (account tag, with account-tag). */
  account?: string;
  /** Tags for the first line only, such as the `label` of a labeled-response echo. */
  firstTags?: Record<string, string>;
  /** The reference of a draft/multiline batch; unique among the batches open on this connection. */
  batchRef?: string;
}

/** The text of a message split into IRC lines, and whether it is a /me action. */
export interface IrcLines {
  action: boolean;
  lines: string[];
}

const TAB_STOP = 4;
// What sanitizeChatText changes: line breaks (LF is a control character too) and control characters.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/;

/**
 * Chat text made safe for IRC, still Markdown: CRLF, CR, U+2028 and U+2029
 * become LF, tabs become spaces up to the next multiple of four, and every
 * other control character (C0, DEL, C1) is dropped.
 */
export function sanitizeChatText(text: string): string {
  // Most messages are one line without a control character: nothing to do, and no split per message.
  if (!UNSAFE.test(text)) return text;
  return text
    .replace(/\r\n?|[\u2028\u2029]/g, '\n')
    .split('\n')
    .map((line) => expandTabs(line).replace(/[\x00-\x1f\x7f-\x9f]/g, '')) // eslint-disable-line no-control-regex
    .join('\n');
}

function expandTabs(line: string): string {
  if (!line.includes('\t')) return line;
  let out = '';
  for (const ch of line) out += ch === '\t' ? ' '.repeat(TAB_STOP - ([...out].length % TAB_STOP)) : ch;
  return out;
}

/** The header line over a shared snippet: `[snippet hello.ts:3-9 typescript]`. */
export function snippetHeader(snippet: Snippet): string {
  const lines = snippet.startLine === snippet.endLine ? `${snippet.startLine}` : `${snippet.startLine}-${snippet.endLine}`;
  const file = sanitizeChatText(snippet.file).replace(/\n/g, ' ');
  const lang = sanitizeChatText(snippet.lang).replace(/\s+/g, '');
  return `[snippet ${file}:${lines}${lang ? ` ${lang}` : ''}]`;
}

/** A chat message's text and snippet as IRC lines, before splitting for length. */
export function chatLines(message: Pick<ChatMessage, 'text' | 'snippet'>): IrcLines {
  let text = sanitizeChatText(message.text);
  const action = /^\/me /.test(text);
  if (action) text = text.slice(4);
  const lines = text === '' ? [] : markdownToIrc(text).split('\n');
  if (message.snippet) lines.push(snippetHeader(message.snippet), ...sanitizeChatText(message.snippet.code).split('\n'));
  return { action, lines: trimBlank(lines) };
}

function trimBlank(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start].trim() === '') start++;
  while (end > start && lines[end - 1].trim() === '') end--;
  return lines.slice(start, end);
}

/**
 * The IRC lines for one chat message to one recipient. A multi-line message
 * is a draft/multiline batch when the recipient negotiated it (and batch),
 * otherwise one PRIVMSG per line, blank lines left out. A line too long for
 * 512 bytes, with the real source and target counted, is split at a UTF-8
 * boundary. An empty message gives no lines.
 */
export function chatMessageToIrc(message: Pick<ChatMessage, 'text' | 'snippet' | 'ts'>, d: IrcDelivery): IrcMessage[] {
  return ircLinesToMessages(chatLines(message), message.ts, d);
}

/**
 * The second half of chatMessageToIrc, for a server that converts a message's
 * text once (chatLines) and then writes it for each recipient.
 */
export function ircLinesToMessages({ action, lines }: IrcLines, ts: string, d: IrcDelivery): IrcMessage[] {
  if (lines.length === 0) return [];
  const multiline = !action && d.caps.has('batch') && d.caps.has('draft/multiline');
  const room = textRoom(d, 'PRIVMSG', action);
  if (multiline && (lines.length > 1 || Buffer.byteLength(lines[0]) > room)) return multilineBatch(lines, ts, d, room);
  return plainLines('PRIVMSG', lines, action, ts, d, room);
}

/** A file offer as a NOTICE with its name, size and where to get it (IRC cannot receive the file itself). */
export function fileOfferToIrc(offer: Pick<FileOfferEvent, 'name' | 'size' | 'ts'>, d: IrcDelivery, whereToGet: string): IrcMessage[] {
  const text = `[file] ${safeFileName(offer.name)} (${formatSize(offer.size)}): ${sanitizeChatText(whereToGet).replace(/\n/g, ' ')}`;
  return plainLines('NOTICE', [text], false, offer.ts, d, textRoom(d, 'NOTICE', false));
}

/** Bytes, in the units people read: 512 B, 1.5 KiB, 10.0 MiB. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Bytes left for the text of one line once the source, command, target and CTCP wrapping are counted. */
function textRoom(d: IrcDelivery, command: string, action: boolean): number {
  return MAX_BODY_BYTES - overheadBytes(d.source, command, [d.target]) - (action ? CTCP_ACTION.length + 1 : 0);
}

const CTCP_ACTION = '\x01ACTION ';

function tagsFor(d: IrcDelivery, ts: string, first: boolean): Record<string, string> | undefined {
  const tags: Record<string, string> = {};
  if (d.caps.has('server-time')) tags.time = ts;
  if (d.caps.has('account-tag') && d.account !== undefined) tags.account = d.account;
  if (first && d.caps.has('message-tags') && d.msgid !== undefined) tags.msgid = d.msgid;
  if (first && d.firstTags) Object.assign(tags, d.firstTags);
  return Object.keys(tags).length > 0 ? tags : undefined;
}

function line(d: IrcDelivery, command: string, text: string, tags: Record<string, string> | undefined): IrcMessage {
  const m: IrcMessage = { source: d.source, command, params: [d.target, text] };
  if (tags) m.tags = tags;
  return m;
}

function plainLines(command: string, lines: string[], action: boolean, ts: string, d: IrcDelivery, room: number): IrcMessage[] {
  const out: IrcMessage[] = [];
  for (const l of lines) {
    // IRCv3 multiline: servers must not send blank lines to clients without it.
    if (stripIrcFormatting(l).trim() === '') continue;
    for (const piece of splitIrcText(l, room, true)) {
      // A piece that shows nothing (the spaces that spilled over at the end of a long line) is not a message.
      if (stripIrcFormatting(piece).trim() === '') continue;
      out.push(line(d, command, action ? `${CTCP_ACTION}${piece}\x01` : piece, tagsFor(d, ts, out.length === 0)));
    }
  }
  return out;
}

function multilineBatch(lines: string[], ts: string, d: IrcDelivery, room: number): IrcMessage[] {
  const ref = d.batchRef ?? 'ml';
  const open: IrcMessage = { source: d.source, command: 'BATCH', params: [`+${ref}`, 'draft/multiline', d.target] };
  const tags = tagsFor(d, ts, true);
  if (tags) open.tags = tags;
  const out = [open];
  for (const l of lines) {
    splitIrcText(l, room, false).forEach((piece, i) => {
      out.push(line(d, 'PRIVMSG', piece, i === 0 ? { batch: ref } : { batch: ref, 'draft/multiline-concat': '' }));
    });
  }
  out.push({ source: d.source, command: 'BATCH', params: [`-${ref}`] });
  return out;
}
