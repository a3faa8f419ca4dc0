import type { ChatMessage, ReplyQuote } from '../../protocol';
import type { IrcMessage } from './ircMessage';

/**
 * Message ids, replies, reactions and redactions in IRCv3 terms, as data for
 * when the chat has them (issue 15): `msgid` tags, the `+draft/reply` and
 * `+draft/react` client tags, and `REDACT` (draft/message-redaction).
 *
 * A chat message is named by its room and seq. Its msgid is `<seq>~<room as
 * base64url>`: opaque to clients, safe as a tag value and as a middle
 * parameter (REDACT), and decodable without a lookup. It is guessable, which
 * the spec warns may let a REDACT error reveal that a message exists: the
 * server must answer UNKNOWN_MSGID alike for a message that does not exist
 * and one the client may not see.
 */

/** A message's place in the chat: room (or DM key) and seq. */
export interface MessageRef {
  room: string;
  seq: number;
}

/** The msgid of a chat message. */
export function msgidFor(ref: MessageRef): string {
  return `${ref.seq}~${Buffer.from(ref.room, 'utf8').toString('base64url')}`;
}

/** The chat message a msgid names, or undefined for anything we did not make. */
export function parseMsgid(msgid: string): MessageRef | undefined {
  const m = /^([1-9][0-9]{0,15})~([A-Za-z0-9_-]+)$/.exec(msgid);
  if (!m) return undefined;
  const seq = Number(m[1]);
  const room = Buffer.from(m[2], 'base64url').toString('utf8');
  // Reject anything that does not encode back the same (stray bits, invalid UTF-8).
  if (!Number.isSafeInteger(seq) || msgidFor({ room, seq }) !== msgid) return undefined;
  return { room, seq };
}

/** The message a PRIVMSG, NOTICE or TAGMSG answers (`+draft/reply`), if any. */
export function replyTarget(message: IrcMessage): string | undefined {
  return message.tags?.['+draft/reply'] || undefined;
}

/** A reaction to a message: add or take away one emoji. */
export interface Reaction {
  /** The message reacted to. */
  msgid: string;
  emoji: string;
  remove: boolean;
}

/** Longest reaction we relay, in characters: one emoji sequence, or a short word. */
export const MAX_REACTION_CHARS = 32;

/** A TAGMSG carrying a reaction (`+draft/react`, or `+draft/unreact` to take it away). */
export function reactionToIrc(source: string, target: string, reaction: Reaction): IrcMessage {
  const key = reaction.remove ? '+draft/unreact' : '+draft/react';
  return { source, command: 'TAGMSG', params: [target], tags: { '+draft/reply': reaction.msgid, [key]: reaction.emoji } };
}

/** The reaction a TAGMSG carries, or undefined (no reaction, no target message, or an oversized one). */
export function readReaction(message: IrcMessage): Reaction | undefined {
  if (message.command !== 'TAGMSG' || !message.tags) return undefined;
  const msgid = message.tags['+draft/reply'];
  const add = message.tags['+draft/react'];
  const remove = message.tags['+draft/unreact'];
  const emoji = add ?? remove;
  if (!msgid || !emoji || [...emoji].length > MAX_REACTION_CHARS || /\p{Cc}/u.test(emoji)) return undefined;
  return { msgid, emoji, remove: add === undefined };
}

/** A deleted message: `REDACT <target> <msgid> [:reason]`. */
export interface Redaction {
  target: string;
  msgid: string;
  reason?: string;
}

/** The REDACT line relayed to clients that negotiated draft/message-redaction. */
export function redactionToIrc(source: string, redaction: Redaction): IrcMessage {
  const params = [redaction.target, redaction.msgid];
  if (redaction.reason) params.push(redaction.reason);
  return { source, command: 'REDACT', params };
}

/** A client's REDACT, or why it is malformed (for `FAIL REDACT`). */
export function readRedaction(message: IrcMessage): { ok: true; redaction: Redaction } | { ok: false; code: 'NEED_MORE_PARAMS' | 'UNKNOWN_MSGID' } {
  const [target, msgid, reason] = message.params;
  if (!target || !msgid) return { ok: false, code: 'NEED_MORE_PARAMS' };
  if (parseMsgid(msgid) === undefined) return { ok: false, code: 'UNKNOWN_MSGID' };
  return { ok: true, redaction: reason ? { target, msgid, reason } : { target, msgid } };
}

/** Longest quote a fallback line or reply prefix carries, in bytes of UTF-8. */
export const QUOTE_BYTES = 60;

// Controls (C0, DEL, C1, IRC formatting codes among them), bidi embeddings, overrides, isolates and marks, and invisible spaces.
const UNSAFE = /[\p{Cc}\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/gu;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Text from the chat made fit for a fallback line: one line (every kind of
 * line break and run of spaces is one space), nothing that could start a
 * line, a CTCP or a colour, nor turn the rest of the line around (bidi), and
 * at most `maxBytes` bytes of UTF-8, cut between graphemes (so never inside a
 * character) with `…` when cut.
 */
export function quoteText(text: string, maxBytes = QUOTE_BYTES): string {
  // Breaks become spaces before controls go, so `a\r\nb` reads `a b`.
  const flat = text.replace(/\s+/g, ' ').replace(UNSAFE, '').replace(/ {2,}/g, ' ').trim();
  if (Buffer.byteLength(flat) <= maxBytes) return flat;
  const budget = maxBytes - ELLIPSIS_BYTES;
  let out = '';
  let bytes = 0;
  for (const { segment } of graphemes.segment(flat)) {
    const b = Buffer.byteLength(segment);
    if (bytes + b > budget) break;
    out += segment;
    bytes += b;
  }
  return `${out.trimEnd()}…`;
}

const ELLIPSIS_BYTES = Buffer.byteLength('…');

/** The `+draft/reply` tag of a message that answers `replyTo` in its room. */
export function replyTag(room: string, replyTo: number): Record<string, string> {
  return { '+draft/reply': msgidFor({ room, seq: replyTo }) };
}

/**
 * What a client without message-tags sees before a reply's first line, so
 * it knows what is answered: `(re ann: "first words…") `.
 */
export function replyPrefix(quote: ReplyQuote | undefined, nickOf: (name: string) => string): string {
  if (!quote || quote.sender === '') return '(re an earlier message) ';
  const nick = nickOf(quote.sender);
  if (quote.deleted || quote.excerpt === undefined) return `(re a deleted message from ${nick}) `;
  return `(re ${nick}: "${quoteText(quote.excerpt)}") `;
}

/** A message's text for a fallback quote: its text, or what it shares. */
export function quotedText(m: Pick<ChatMessage, 'text' | 'snippet'>): string {
  if (m.text.trim() !== '' || !m.snippet) return m.text;
  return `[snippet ${m.snippet.file}]`;
}
