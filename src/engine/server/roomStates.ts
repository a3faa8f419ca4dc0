import { DEFAULT_ROOM, type RoomStateView } from '../protocol';
import type { RoomState, Store, VersionedRoomState } from '../stores/store';
import type { RoomChange, RoomPeopleEvent } from './busEvents';
import type { Connection, Session } from './connection';
import { emptyRoomState, joinRefusal, newRoomState, parseRoomState, stateView, withoutInvite, writeRefusal, type Person, type Refusal } from './roomRules';

/** What RoomStates needs from the server. */
export interface RoomStatesHost {
  /** Tell every node (this one included) on the `people` topic. */
  publish(e: RoomPeopleEvent): void;
  /** How many people are in a room now, on every node. */
  count(room: string): number;
}

/** What membership asks of room moderation: whether someone may join a room (see RoomStates.admit), and who is away, for a welcome. */
export interface RoomGate {
  admit(conn: Connection, room: string, key?: string): Promise<{ view: RoomStateView } | { refusal: Refusal }>;
  away(): Record<string, string> | undefined;
}

/** A change worked out from the current settings: new ones (with what members are told), a refusal, or nothing to do. */
export type Mutation = { state: RoomState; change: RoomChange } | Refusal | undefined;

/** What came of an update: the settings now, or why nothing was changed. */
export type UpdateOutcome = { current: VersionedRoomState; refusal?: undefined } | { refusal: Refusal; current?: undefined };

/** How many times a change is redone on another writer's result before giving up. */
const MAX_ATTEMPTS = 8;
/**
 * The first wait, in ms, before redoing a change that lost a race; it doubles
 * each time, and the wait is a random part of it. Without it, a node that
 * writes one change after another reads first every time and starves the
 * other (each of its reads lands just after the other's write).
 */
const RETRY_BASE_MS = 4;

/**
 * Who a session is to the room rules: its name, and its identity when it
 * proved a key (a guest's id names one session only, so no ban follows it).
 */
export function personOf(s: Session): Person {
  return s.guest ? { name: s.name } : { name: s.name, id: s.id };
}
/** `id:` ban masks are accepted: sessions prove identities (issue 10). */
export const IDENTITY_BANS = true;

/**
 * Room settings, kept in the Store and changed compare-and-set, so every node
 * of a cluster agrees on them. Authority is always the store: a change reads
 * the stored settings, works out the new ones, and writes them only over the
 * version it read, redoing the change when another node wrote first. Each
 * node also keeps a copy of the settings of the rooms its connections are in,
 * refreshed by the `room_state` events every write publishes, for the checks
 * that run on every message (bans, +m).
 */
export class RoomStates {
  /** Settings of rooms with members on this node, by room. */
  private readonly copies = new Map<string, VersionedRoomState>();
  /** Rooms being joined here now, by how many joiners: events for them are kept, so a join's read cannot go stale unseen. */
  private readonly admitting = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly host: RoomStatesHost,
  ) {}

  /** A room's settings as stored now (version 0 and no settings set when it has none). */
  async read(room: string): Promise<VersionedRoomState> {
    const v = await this.store.roomState(room);
    return v ? { version: v.version, state: parseRoomState(v.state) } : { version: 0, state: emptyRoomState() };
  }

  /**
   * Change a room's settings (see the class comment). `mutate` may run more
   * than once, each time on fresher settings, so it must be pure. Rejects
   * with the store's error when the store cannot be read or written.
   */
  async update(room: string, mutate: (cur: VersionedRoomState) => Mutation): Promise<UpdateOutcome> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const cur = await this.read(room);
      const m = mutate(cur);
      if (m === undefined) return { current: cur };
      if ('code' in m) return { refusal: m };
      if (!(await this.store.setRoomState(room, m.state, cur.version))) {
        await new Promise((r) => setTimeout(r, Math.random() * RETRY_BASE_MS * 2 ** attempt));
        continue;
      }
      const current = { version: cur.version + 1, state: m.state };
      this.host.publish({ kind: 'room_state', room, version: current.version, state: m.state, change: m.change });
      return { current };
    }
    throw new Error(`the settings of ${room} kept changing under ${MAX_ATTEMPTS} attempts to change them`);
  }

  /**
   * Whether a connection may join a room, and what its `joined` reply says
   * of it. A room with no settings yet is made now, with the joiner as its
   * operator; an invite the joiner had is used up. Someone already in the
   * room is not checked again.
   */
  async admit(conn: Connection, room: string, key?: string): Promise<{ view: RoomStateView } | { refusal: Refusal }> {
    const person = personOf(conn.session);
    // Everyone is put in `general` at the welcome: its settings are read once, then kept up to date by events.
    const copy = this.copies.get(room);
    if (copy && (room === DEFAULT_ROOM || conn.session.rooms.has(room))) return { view: stateView(copy.state, true) };
    const already = conn.session.rooms.has(room);
    this.admitting.set(room, (this.admitting.get(room) ?? 0) + 1);
    try {
      const out = await this.update(room, (cur) => {
        if (cur.version === 0) return { state: newRoomState(person.name), change: { what: 'quiet' } };
        if (already) return undefined;
        const refusal = joinRefusal(cur.state, person, room, key, this.host.count(room));
        if (refusal) return refusal;
        const used = withoutInvite(cur.state, person.name);
        return used && { state: used, change: { what: 'quiet' } };
      });
      if (out.refusal) return { refusal: out.refusal };
      this.remember(room, out.current);
      // An event newer than what was read may have come meanwhile: the view is of the newest known.
      return { view: stateView(this.copies.get(room)!.state, true) };
    } finally {
      const n = this.admitting.get(room)! - 1;
      if (n === 0) this.admitting.delete(room);
      else this.admitting.set(room, n);
    }
  }

  /** Why a member may not write to a room now (a ban, +m), or undefined; from this node's copy, as it runs on every message. */
  writeRefusal(conn: Connection, room: string): Refusal | undefined {
    const copy = this.copies.get(room);
    return copy && writeRefusal(copy.state, personOf(conn.session), room);
  }

  /** This node's copy of a room's settings, while it has members there. */
  copy(room: string): VersionedRoomState | undefined {
    return this.copies.get(room);
  }

  /** Settings read here, or published by any node: kept when newer than the copy, for rooms this node has (or is taking) members in. */
  remember(room: string, v: VersionedRoomState, published = false): void {
    const had = this.copies.get(room);
    if (published && !had && !this.admitting.has(room)) return;
    if (!had || v.version > had.version) this.copies.set(room, v);
  }

  /** Read the settings of every room this node keeps a copy of again (events about them may have been lost). */
  async refresh(): Promise<void> {
    await Promise.all([...this.copies.keys()].map(async (room) => this.remember(room, await this.read(room))));
  }

  /** The last member on this node left a room: its copy would go stale unwatched. */
  forget(room: string): void {
    if (!this.admitting.has(room)) this.copies.delete(room);
  }
}
