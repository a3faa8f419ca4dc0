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

/**
 * The line a client without these capabilities sees instead: a reply quotes
 * the start of the original, a reaction and a deletion are told in words.
 */
export function fallbackText(event: { kind: 'reply'; quotedNick: string; quoted: string } | { kind: 'react'; emoji: string; quotedNick: string; remove: boolean } | { kind: 'redact'; quotedNick: string }): string {
  switch (event.kind) {
    case 'reply':
      return `> ${event.quotedNick}: ${clip(event.quoted)}`;
    case 'react':
      return event.remove ? `took back ${event.emoji} on a message from ${event.quotedNick}` : `reacted ${event.emoji} to a message from ${event.quotedNick}`;
    case 'redact':
      return `deleted a message from ${event.quotedNick}`;
  }
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  return chars.length > 60 ? `${chars.slice(0, 60).join('')}…` : flat;
}
