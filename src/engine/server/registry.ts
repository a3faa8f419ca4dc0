import { dmParticipants, isDmKey, type ServerFrame } from '../protocol';
import { foldName } from '../stores/store';
import type { FrameEncoder } from './codec';
import type { Connection, Session } from './connection';
import type { FanoutGroup, Segment } from './outputQueue';

/** The members of a room whose codecs share one encoding variant: they share the bytes of every room frame. */
export class VariantGroup implements FanoutGroup {
  readonly members = new Set<Connection>();
  seg?: Segment;

  constructor(readonly encoder: FrameEncoder) {}
}

/**
 * A room with members on this server. Members are grouped by their codec's
 * variant, so a room frame is encoded once per variant and appended once to
 * each group's segment (see OutputQueue): per (room, variant), not per member.
 */
export class Room {
  readonly members = new Set<Connection>();
  readonly groups = new Map<FrameEncoder, VariantGroup>();
  /**
   * Members that joined but are still reading the room's history: the room's
   * frames wait for them here, and go out after their welcome or joined
   * reply, so nothing published meanwhile is lost or comes first.
   */
  readonly catchingUp = new Map<Connection, ServerFrame[]>();

  constructor(readonly name: string) {}

  /** A new member starts out catching up. */
  add(conn: Connection): void {
    this.members.add(conn);
    this.catchingUp.set(conn, []);
  }

  /** A member has its history: from now on it shares the room's live frames. Returns what waited for it. */
  live(conn: Connection): ServerFrame[] {
    const waiting = this.catchingUp.get(conn);
    if (!waiting) return [];
    this.catchingUp.delete(conn);
    this.group(conn);
    return waiting;
  }

  /** Put a live member in the group of its codec's variant. */
  group(conn: Connection): void {
    const encoder = conn.codec.variant;
    let group = this.groups.get(encoder);
    if (!group) this.groups.set(encoder, (group = new VariantGroup(encoder)));
    group.members.add(conn);
    group.seg = undefined; // a new member must not receive what was queued before it joined
  }

  delete(conn: Connection): void {
    this.members.delete(conn);
    if (this.catchingUp.delete(conn)) return;
    for (const [encoder, group] of this.groups) {
      if (!group.members.delete(conn)) continue;
      group.seg = undefined; // nor may a member that left receive what comes after
      if (group.members.size === 0) this.groups.delete(encoder);
      return;
    }
  }
}

/** Told when a room gets its first local member and loses its last one (to subscribe to it elsewhere). */
export interface RegistryHooks {
  opened(room: string): void;
  closed(room: string): void;
}

/**
 * Who is here and where: names (unique regardless of case and width) and
 * room membership of the connections on this server. State only; announcing
 * changes is the caller's job.
 */
export class Registry {
  /** Ready connections by folded name. */
  private readonly byKey = new Map<string, Connection>();
  /** Ready connections by identity id: one person may have several (two windows). */
  private readonly byId = new Map<string, Set<Connection>>();
  /** Names being claimed (while the bus lease is asked for), by folded name. */
  private readonly claims = new Map<string, Connection>();
  private readonly rooms = new Map<string, Room>();

  constructor(private readonly hooks: RegistryHooks) {}

  /** Names of everyone who completed the handshake, in arrival order. */
  users(): string[] {
    return [...this.byKey.values()].map((c) => c.session.name);
  }

  /** Every ready connection. */
  everyone(): Iterable<Connection> {
    return this.byKey.values();
  }

  /** How many connections completed the handshake. */
  get count(): number {
    return this.byKey.size;
  }

  /** Ready connections with their folded names (the order `who` pages sort by). */
  keyed(): Iterable<[string, Connection]> {
    return this.byKey.entries();
  }

  /** The ready connections of an identity, on this node. */
  withId(id: string): Connection[] {
    return [...(this.byId.get(id) ?? [])];
  }

  /** The connection holding a name, compared folded (`Alice` holds `alice`). */
  find(name: string): Connection | undefined {
    return this.byKey.get(foldName(name));
  }

  /** True when a name is held or being claimed here. */
  isTaken(name: string): boolean {
    const key = foldName(name);
    return this.byKey.has(key) || this.claims.has(key);
  }

  /** Hold a name for a connection while its claim is checked elsewhere. */
  reserve(name: string, conn: Connection): void {
    this.claims.set(foldName(name), conn);
  }

  isReservedFor(name: string, conn: Connection): boolean {
    return this.claims.get(foldName(name)) === conn;
  }

  unreserve(name: string, conn: Connection): void {
    const key = foldName(name);
    if (this.claims.get(key) === conn) this.claims.delete(key);
  }

  /** `name` with the smallest number appended that is not taken: alice2, alice3... */
  freeName(name: string, taken: (candidate: string) => boolean): string {
    for (let i = 2; ; i++) {
      const suffix = String(i);
      const candidate = [...name].slice(0, 32 - suffix.length).join('') + suffix;
      if (!taken(candidate)) return candidate;
    }
  }

  /** Enter a ready connection under its session's name (which the caller made sure is free, or reserved for it). */
  add(conn: Connection): void {
    const key = foldName(conn.session.name);
    this.byKey.set(key, conn);
    if (this.claims.get(key) === conn) this.claims.delete(key);
    let same = this.byId.get(conn.session.id);
    if (!same) this.byId.set(conn.session.id, (same = new Set()));
    same.add(conn);
  }

  /** Forget a connection's name; false when it did not hold one. */
  remove(conn: Connection): boolean {
    const key = foldName(conn.session.name);
    if (this.byKey.get(key) !== conn) return false;
    this.byKey.delete(key);
    const same = this.byId.get(conn.session.id);
    same?.delete(conn);
    if (same?.size === 0) this.byId.delete(conn.session.id);
    return true;
  }

  /** Move a connection to a new name (the caller checked it is free); its identity stays. */
  rename(conn: Connection, name: string): void {
    this.remove(conn);
    conn.session.name = name;
    this.add(conn);
  }

  /** The local members of a room, if any. */
  room(name: string): Room | undefined {
    return this.rooms.get(name);
  }

  /** Rooms with local members. */
  roomNames(): Iterable<string> {
    return this.rooms.keys();
  }

  /**
   * Put a connection in a room, catching up (see Room.catchingUp) until
   * live() is called; false when it was there already.
   */
  join(conn: Connection, name: string): boolean {
    if (conn.session.rooms.has(name)) return false;
    conn.session.rooms.add(name);
    let room = this.rooms.get(name);
    if (!room) {
      room = new Room(name);
      this.rooms.set(name, room);
      this.hooks.opened(name);
    }
    room.add(conn);
    return true;
  }

  /** A member that caught up with a room's history goes live; returns the frames that waited for it. */
  live(conn: Connection, name: string): ServerFrame[] {
    return this.rooms.get(name)?.live(conn) ?? [];
  }

  /** Take a connection out of a room; false when it was not in it. */
  leave(conn: Connection, name: string): boolean {
    if (!conn.session.rooms.delete(name)) return false;
    const room = this.rooms.get(name);
    if (!room) return true;
    room.delete(conn);
    if (room.members.size === 0) {
      this.rooms.delete(name);
      this.hooks.closed(name);
    }
    return true;
  }

  /** A connection's codec switched variant: move it to the matching group in each of its rooms. */
  regroup(conn: Connection): void {
    for (const name of conn.session.rooms) {
      const room = this.rooms.get(name);
      if (!room) continue;
      if (room.catchingUp.has(conn)) continue; // grouped when it goes live
      room.delete(conn);
      room.members.add(conn);
      room.group(conn);
    }
  }

  /**
   * True when a connection may read a room or DM conversation: a DM only when
   * it proved (or, as a guest, holds the session of) one of the two
   * identities of the key. A name is never enough: it changes hands.
   */
  canSee(conn: { readonly session: Session }, room: string): boolean {
    if (isDmKey(room)) return dmParticipants(room)?.includes(conn.session.id) ?? false;
    return conn.session.rooms.has(room);
  }
}
