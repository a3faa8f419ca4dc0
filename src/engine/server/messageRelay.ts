import { isoNow } from '../isoNow';
import { DEFAULT_ROOM, MAX_TEXT_CHARS, dmKey, type ErrorCode, type Person, type SendFrame, type Snippet } from '../protocol';
import type { MessageDraft, Store } from '../stores/store';
import type { BusRouter } from './busRouter';
import type { RoomAppendResult } from './roomAppender';
import type { Connection } from './connection';
import type { Delivery } from './delivery';
import type { RateLimit } from './rateLimit';
import { quoteOf } from '../stores/messageChanges';

/** What message relay needs from the server. */
export interface MessageRelayHost {
  error(conn: Connection, code: ErrorCode, message: string, ref?: string): void;
  warn(message: string): void;
  /** The person online under a name on any node (compared folded), or undefined. */
  person(name: string): Person | undefined;
  /** A room was used (it is kept; see RoomLimits). */
  touch(room: string): void;
  /** Why a member may not write to a room now (a ban, a moderated room), or undefined. */
  writeRefusal(conn: Connection, room: string): { code: ErrorCode; message: string } | undefined;
}

/**
 * Chat messages and typing notices: checks them, stores messages (once,
 * whatever the resends) and publishes them to the room or the person.
 */
export class MessageRelay {
  constructor(
    private readonly store: Store,
    private readonly router: BusRouter,
    private readonly delivery: Delivery,
    private readonly limit: RateLimit,
    private readonly host: MessageRelayHost,
    private readonly typingInterval: number,
  ) {}

  async message(conn: Connection, f: SendFrame): Promise<void> {
    if (!this.limit.charge(conn, f.id, 'message')) return;
    if (f.text.length > MAX_TEXT_CHARS) return this.host.error(conn, 'too_long', `a message has at most ${MAX_TEXT_CHARS} characters`, f.id);
    const s = conn.session;
    const name = s.name;
    let room: string;
    let peer: Person | undefined;
    if (f.to !== undefined) {
      // `to` names whoever is online under that name now; the conversation belongs to the two identities.
      peer = this.host.person(f.to);
      if (peer === undefined) return this.host.error(conn, 'no_such_user', `nobody called ${f.to} is online`, f.id);
      room = dmKey(s.id, peer.id);
    } else {
      room = f.room ?? DEFAULT_ROOM;
      if (!conn.session.rooms.has(room)) return this.host.error(conn, 'not_in_room', `join ${room} before writing to it`, f.id);
      const refused = this.host.writeRefusal(conn, room);
      if (refused) return this.host.error(conn, refused.code, refused.message, f.id);
    }
    let original;
    if (f.replyTo !== undefined) {
      // A reply to a deleted message is allowed: its quote says so.
      original = await this.store.get(room, f.replyTo);
      if (!original) return this.host.error(conn, 'bad_target', `there is no message ${f.replyTo} to reply to in ${f.to !== undefined ? 'this conversation' : room}`, f.id);
    }
    const draft: MessageDraft = {
      id: f.id,
      room,
      sender: name,
      author: conn.session.author,
      text: f.text,
      ts: isoNow(),
      ...(peer !== undefined && { to: peer.name }),
      // Copy the known fields only: extra client fields would be stored and
      // echoed to everyone, and a deeply nested one breaks JSON.stringify for
      // every later welcome and history reply (found by the chaos fuzz test).
      ...(f.snippet !== undefined && { snippet: knownSnippetFields(f.snippet) }),
      ...(f.replyTo !== undefined && { replyTo: f.replyTo }),
    };
    let stored: RoomAppendResult;
    try {
      // The store gives the seq, and recognises a resend (same author, same id). A room message goes through the
      // room's leader when nodes share the store (see RoomAppender); a reply is stored here, where its quote is read.
      if (peer === undefined && f.replyTo === undefined) stored = await this.router.appendRoom(draft, conn.id);
      else stored = await this.store.append(draft, peer === undefined ? () => this.router.seen(room) : undefined);
    } catch (err) {
      this.host.warn((err as Error).message);
      return this.host.error(conn, 'store_failed', 'the server could not save your message; it was not delivered, try again later', f.id);
    }
    if (stored.missed) this.router.missed(room, stored.missed);
    // The store's message is shared with it: the quote goes on a copy.
    const msg = stored.message.replyTo !== undefined ? { ...stored.message, reply: quoteOf(stored.message.replyTo, original ?? (await this.store.get(room, stored.message.replyTo))) } : stored.message;
    // A resend: the original goes back to the sender as its acknowledgement, and to nobody else again.
    if (stored.duplicate) return this.delivery.toConn(conn, msg);
    if (peer === undefined) {
      this.host.touch(room);
      if (stored.published) return; // the leader published it for this connection
      return this.router.toRoom(room, { kind: 'message', message: msg, origin: conn.id });
    }
    // A direct message: the sender's copy (its acknowledgement) straight away; every connection of
    // the other identity, and the sender's other windows, through the bus.
    this.router.direct(conn, msg);
    this.router.toPerson(peer.id, { kind: 'message', message: msg, origin: conn.id });
    if (peer.id !== s.id) this.router.toPerson(s.id, { kind: 'message', message: msg, origin: conn.id });
  }

  typing(conn: Connection, room: string | undefined, to: string | undefined): void {
    const s = conn.session;
    const target = to !== undefined ? '@' + to : (room ?? DEFAULT_ROOM);
    const now = Date.now();
    if (now - (s.typingAt?.get(target) ?? 0) < this.typingInterval) return; // relayed at most once per interval
    if (to !== undefined) {
      const peer = this.host.person(to);
      if (peer === undefined) return this.host.error(conn, 'no_such_user', `nobody called ${to} is online`);
      (s.typingAt ??= new Map()).set(target, now);
      return this.router.toPerson(peer.id, { kind: 'typing', name: s.name, to: peer.name });
    }
    if (!s.rooms.has(target)) return this.host.error(conn, 'not_in_room', `you are not in ${target}`);
    (s.typingAt ??= new Map()).set(target, now);
    this.router.toRoom(target, { kind: 'typing', name: s.name, room: target, origin: conn.id });
  }
}

/** The fields of a snippet the protocol defines (the guard has checked them), and nothing else. */
function knownSnippetFields(s: Snippet): Snippet {
  return {
    lang: s.lang,
    file: s.file,
    startLine: s.startLine,
    endLine: s.endLine,
    code: s.code,
    ...(s.remote !== undefined && { remote: s.remote }),
    ...(s.commit !== undefined && { commit: s.commit }),
  };
}
