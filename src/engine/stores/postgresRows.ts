import type { ChatMessage, Snippet } from '../protocol';
import type { MessageDraft } from './store';
import { parseReactors, publicReactions } from './messageChanges';

/*
 * How messages map to rows of the PostgreSQL store's `messages` table, and
 * back. See postgresMigrations.ts for the table.
 */

/** The columns every message query reads, in the order MessageRow names them. */
export const COLUMNS = 'pos, room, seq, client_id, author, sender, body, body_exact, ts, recipient, snippet, reply_to, edited, deleted, rev, reactors';

/** A message as node-postgres returns it (bigints come as strings). */
export interface MessageRow {
  pos: string;
  room: string;
  seq: string;
  client_id: string;
  author: string;
  sender: string;
  body: string;
  body_exact: string | null;
  ts: string;
  recipient: string | null;
  snippet: string | null;
  /** Absent from the rows chat_append_many returns (they are new, or resends answered as first stored). */
  reply_to?: string | null;
  edited?: string | null;
  deleted?: boolean;
  rev?: string | null;
  /** jsonb comes back parsed. */
  reactors?: unknown;
}

/**
 * Strings PostgreSQL cannot hold as they are (text may not contain NUL; a
 * lone surrogate would silently become U+FFFD on the way) are kept as JSON.
 * Plain strings are kept as they are, so rows stay readable in psql; a JSON
 * form always starts with `"`, which is why plain strings starting with `"`
 * go through JSON too: the mapping stays one-to-one, as a unique key needs.
 */
export function encodeKey(s: string): string {
  return s.startsWith('"') || storableText(s) !== s ? JSON.stringify(s) : s;
}

/** The string encodeKey was given. */
export function decodeKey(s: string): string {
  return s.startsWith('"') ? (JSON.parse(s) as string) : s;
}

/** The text with NUL and lone surrogates replaced by U+FFFD: what a text column can hold. */
export function storableText(s: string): string {
  // eslint-disable-next-line no-control-regex -- NUL is exactly what a text column refuses
  return s.replace(/\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** The message as stored: the draft with its seq and the time the store kept. */
export function messageFromDraft(d: MessageDraft, seq: number, ts: string): ChatMessage {
  return {
    type: 'message',
    id: d.id,
    seq,
    room: d.room,
    sender: d.sender,
    author: d.author,
    text: d.text,
    ts,
    ...(d.to !== undefined && { to: d.to }),
    ...(d.snippet !== undefined && { snippet: d.snippet }),
    ...(d.replyTo !== undefined && { replyTo: d.replyTo }),
  };
}

/** A row back as the message it stores. */
export function toMessage(r: MessageRow): ChatMessage {
  const reactions = publicReactions(parseReactors(r.reactors));
  return {
    type: 'message',
    id: decodeKey(r.client_id),
    seq: Number(r.seq),
    room: r.room,
    sender: decodeKey(r.sender),
    author: decodeKey(r.author),
    text: r.body_exact === null ? r.body : (JSON.parse(r.body_exact) as string),
    ts: r.ts,
    ...(r.recipient !== null && { to: decodeKey(r.recipient) }),
    ...(r.snippet !== null && { snippet: JSON.parse(r.snippet) as Snippet }),
    ...(r.reply_to != null && { replyTo: Number(r.reply_to) }),
    ...(r.edited != null && { edited: r.edited }),
    ...(r.deleted === true && { deleted: true as const }),
    ...(r.rev != null && { rev: Number(r.rev) }),
    ...(reactions.length > 0 && { reactions }),
  };
}
