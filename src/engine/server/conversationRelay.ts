import { MAX_TEXT_CHARS, dmParticipants, isDmKey, type ChangesRequest, type ChatMessage, type DeleteFrame, type EditFrame, type ErrorCode, type ReactFrame, type UpdateChange } from '../protocol';
import { quoteOf } from '../stores/messageChanges';
import type { Change, Store } from '../stores/store';
import type { BusRouter } from './busRouter';
import type { Connection, Session } from './connection';
import type { Delivery } from './delivery';
import type { RateLimit } from './rateLimit';
import type { Registry } from './registry';

/** What the conversation relay needs from the server. */
export interface ConversationRelayHost {
  error(conn: Connection, code: ErrorCode, message: string, ref?: string): void;
  warn(message: string): void;
  /** Is this session an operator of the room (its settings, see RoomStates)? */
  operates(session: Session, room: string): boolean;
}

/** Largest page of changes one request may ask for. */
const MAX_CHANGES_PAGE = 500;


/**
 * Reactions, edits and deletes, and the `changes` catch-up: each is checked
 * (the asker sees the room; only the author edits; the author or a
 * moderator deletes), charged like a message, written through the Store
 * (which gives it the room's next rev) and published as an `update` with the
 * message's whole latest state to everyone who can see it.
 *
 * Who "the author" is: the stored message's `author` against the session's
 * `author` (its identity id, see Session.author). A guest's id belongs to its
 * session, so a guest can change its messages only while it holds that
 * session (a reconnect with the session token keeps it); docs/security.md.
 */
export class ConversationRelay {
  constructor(
    private readonly store: Store,
    private readonly registry: Registry,
    private readonly router: BusRouter,
    private readonly delivery: Delivery,
    private readonly limit: RateLimit,
    private readonly host: ConversationRelayHost,
  ) {}

  react(conn: Connection, f: ReactFrame): Promise<void> | void {
    return this.change(conn, f, { kind: 'react', emoji: f.emoji, on: f.on, name: conn.session.name }, 'react');
  }

  edit(conn: Connection, f: EditFrame): Promise<void> | void {
    if (f.text.length > MAX_TEXT_CHARS) return this.host.error(conn, 'too_long', `a message has at most ${MAX_TEXT_CHARS} characters`, f.id);
    if (f.text.trim() === '') return this.host.error(conn, 'bad_frame', 'an edit needs some text: delete the message instead', f.id);
    return this.change(conn, f, { kind: 'edit', text: f.text, ts: new Date().toISOString() }, 'edit');
  }

  delete(conn: Connection, f: DeleteFrame): Promise<void> | void {
    return this.change(conn, f, { kind: 'delete', ts: new Date().toISOString() }, 'delete');
  }

  async changes(conn: Connection, f: ChangesRequest): Promise<void> {
    if (!this.limit.charge(conn, f.id, 'history')) return;
    if (!this.registry.canSee(conn, f.room)) return this.host.error(conn, 'not_in_room', `join ${f.room} to read its changes`, f.id);
    const page = await this.store.changes(f.room, f.since, Math.min(MAX_CHANGES_PAGE, Math.max(0, f.limit ?? 200)));
    const messages = await attachQuotes(this.store, page.messages);
    this.delivery.toConn(conn, { type: 'changes', ...(f.id !== undefined && { id: f.id }), room: f.room, rev: page.rev, messages, more: page.more });
  }

  /**
   * May this session delete any message of `room`? The one place moderation
   * is decided: an operator of the room (issue 12's room model). Nobody
   * moderates a direct conversation.
   */
  private canModerate(session: Session, room: string): boolean {
    return !isDmKey(room) && this.host.operates(session, room);
  }

  private async change(conn: Connection, f: ReactFrame | EditFrame | DeleteFrame, change: Change, kind: 'react' | 'edit' | 'delete'): Promise<void> {
    if (!this.limit.charge(conn, f.id, 'message')) return;
    if (!this.registry.canSee(conn, f.room)) return this.host.error(conn, 'not_in_room', `join ${f.room} to change its messages`, f.id);
    const s = conn.session;
    if (kind !== 'react') {
      const target = await this.store.get(f.room, f.seq);
      if (!target) return this.host.error(conn, 'bad_target', `there is no message ${f.seq} in ${f.room}`, f.id);
      const own = target.author !== undefined && target.author === s.author;
      if (kind === 'edit' && !own) return this.host.error(conn, 'not_allowed', 'only its author can edit a message', f.id);
      if (kind === 'delete' && !own && !this.canModerate(s, f.room)) return this.host.error(conn, 'not_allowed', 'only its author (or an operator of the room) can delete a message', f.id);
    }
    let result;
    try {
      result = await this.store.mutate(f.room, f.seq, change, s.author);
    } catch (err) {
      this.host.warn((err as Error).message);
      return this.host.error(conn, 'store_failed', `the server could not save your ${kind}; try again later`, f.id);
    }
    if (!result.ok) return this.host.error(conn, result.code, result.reason, f.id);
    if (!result.changed) return;
    const [message] = await attachQuotes(this.store, [result.message]);
    const by = s.name;
    this.publish(conn, message, result.rev, change.kind === 'react' ? { kind: 'react', by, emoji: change.emoji, on: change.on } : { kind: change.kind, by });
  }

  /** An update goes where the message went: the room's members, or both people of a DM. */
  private publish(conn: Connection, message: ChatMessage, rev: number, change: UpdateChange): void {
    const room = message.room;
    if (!isDmKey(room)) return this.router.toRoom(room, { kind: 'update', message, rev, origin: conn.id, change });
    const people = new Set(dmParticipants(room) ?? []);
    for (const person of people) this.router.toPerson(person, { kind: 'update', message, rev, origin: conn.id, change });
  }
}

/**
 * The messages with `reply` filled in from the answered message's current
 * state: from the same page when it is there, else from the store. Messages
 * the store returns are shared, so each one with a quote is a copy.
 */
export async function attachQuotes(store: Store, messages: readonly ChatMessage[]): Promise<ChatMessage[]> {
  if (!messages.some((m) => m.replyTo !== undefined)) return messages as ChatMessage[];
  const here = new Map(messages.map((m) => [m.room + '\n' + m.seq, m]));
  const wanted = new Map<string, Promise<ChatMessage | undefined>>();
  for (const m of messages) {
    if (m.replyTo === undefined) continue;
    const key = m.room + '\n' + m.replyTo;
    if (!here.has(key) && !wanted.has(key)) wanted.set(key, store.get(m.room, m.replyTo));
  }
  const keys = [...wanted.keys()];
  const found = await Promise.all(wanted.values());
  const fetched = new Map(keys.map((k, i) => [k, found[i]]));
  return messages.map((m) => {
    if (m.replyTo === undefined) return m;
    const key = m.room + '\n' + m.replyTo;
    return { ...m, reply: quoteOf(m.replyTo, here.get(key) ?? fetched.get(key)) };
  });
}
