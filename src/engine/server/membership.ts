import { randomBytes } from 'node:crypto';
import { DEFAULT_ROOM, PROTOCOL_VERSION, isDmKey, nameProblem, roomProblem, type ErrorCode, type HelloFrame, type RoomInfo } from '../protocol';
import type { Store } from '../store';
import { VERSION } from '../version';
import type { Connection } from './connection';
import type { Delivery } from './delivery';
import type { Limits, ServerEvent } from './options';
import type { Registry } from './registry';

/** What membership needs from the server. */
export interface MembershipHost {
  error(conn: Connection, code: ErrorCode, message: string, ref?: string): void;
  /** Close the older connection of a session that reconnected. */
  replace(old: Connection): void;
  report(e: ServerEvent): void;
}

/** A session token as the server makes them; a client's own is kept only when it looks like one. */
const SESSION_TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * Arrivals, departures, joins, leaves and renames: changes the registry and
 * tells everyone concerned (presence), and builds the welcome and joined
 * replies.
 */
export class Membership {
  constructor(
    private readonly registry: Registry,
    private readonly store: Store,
    private readonly delivery: Delivery,
    private readonly limits: Limits,
    private readonly host: MembershipHost,
  ) {}

  /** Take the name asked for in the hello (or the next free one) and send the welcome. */
  admit(conn: Connection, f: HelloFrame): void {
    const s = conn.session;
    let name = f.name;
    const holder = this.registry.find(name);
    if (holder && f.session !== undefined && holder.session.token === f.session) {
      // The same client reconnecting while its old socket lingers: the new one wins.
      this.host.replace(holder);
    } else if (holder) {
      name = this.registry.freeName(name);
    }
    s.name = name;
    s.token = f.session && SESSION_TOKEN.test(f.session) ? f.session : randomBytes(16).toString('base64url');
    s.phase = 'ready';
    this.registry.add(conn);
    this.registry.join(conn, DEFAULT_ROOM);
    this.delivery.toConn(conn, {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      name,
      session: s.token,
      server: { version: VERSION, history: this.store.id },
      room: DEFAULT_ROOM,
      rooms: this.roomList(),
      joined: [...s.rooms],
      users: this.registry.users(),
      history: this.store.history(DEFAULT_ROOM, { limit: this.limits.historyOnJoin }).messages,
      limits: { maxLine: this.limits.maxLine, rate: this.limits.rate, burst: this.limits.burst },
    });
    this.delivery.toEveryone({ type: 'presence', event: 'online', name }, conn);
    this.delivery.toRoom(DEFAULT_ROOM, { type: 'presence', event: 'join', name, room: DEFAULT_ROOM }, conn);
    this.host.report({ type: 'online', name, address: conn.address });
  }

  join(conn: Connection, room: string): void {
    const why = roomProblem(room);
    if (why) return this.host.error(conn, 'bad_room', why);
    const fresh = this.registry.join(conn, room);
    this.delivery.toConn(conn, {
      type: 'joined',
      room,
      members: [...(this.registry.room(room)?.members ?? [])].map((c) => c.session.name),
      seq: this.store.lastSeq(room),
      history: this.store.history(room, { limit: this.limits.historyOnJoin }).messages,
    });
    if (!fresh) return;
    const name = conn.session.name;
    this.delivery.toRoom(room, { type: 'presence', event: 'join', name, room }, conn);
    this.host.report({ type: 'join', name, room });
  }

  leave(conn: Connection, room: string): void {
    if (!this.registry.leave(conn, room)) return this.host.error(conn, 'not_in_room', `you are not in ${room}`);
    const name = conn.session.name;
    this.delivery.toConn(conn, { type: 'left', room });
    this.delivery.toRoom(room, { type: 'presence', event: 'leave', name, room });
    this.host.report({ type: 'leave', name, room });
  }

  rename(conn: Connection, name: string): void {
    const why = nameProblem(name);
    if (why) return this.host.error(conn, 'bad_name', why);
    const from = conn.session.name;
    if (name === from) return;
    const holder = this.registry.find(name);
    if (holder && holder !== conn) return this.host.error(conn, 'bad_name', `${name} is taken`);
    this.registry.rename(conn, name);
    this.delivery.toEveryone({ type: 'presence', event: 'rename', name, from });
    this.host.report({ type: 'rename', from, name });
  }

  /** A connection is gone: out of every room and off the list, and everyone is told. */
  depart(conn: Connection, reason: string): void {
    const s = conn.session;
    const wasReady = this.registry.remove(conn);
    for (const room of [...s.rooms]) {
      this.registry.leave(conn, room);
      if (wasReady) this.delivery.toRoom(room, { type: 'presence', event: 'leave', name: s.name, room });
    }
    if (!wasReady) return;
    this.delivery.toEveryone({ type: 'presence', event: 'offline', name: s.name });
    this.host.report({ type: 'offline', name: s.name, reason });
  }

  private roomList(): RoomInfo[] {
    // Counts, not member lists: with everyone in `general`, names would repeat
    // `users` and make each welcome twice as large on a busy server.
    const names = new Set<string>([DEFAULT_ROOM, ...this.registry.roomNames(), ...this.store.rooms()]);
    return [...names]
      .filter((r) => !isDmKey(r))
      .sort()
      .map((name) => ({ name, count: this.registry.room(name)?.members.size ?? 0, seq: this.store.lastSeq(name) }));
  }
}
