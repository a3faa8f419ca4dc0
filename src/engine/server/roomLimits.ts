import { DEFAULT_ROOM } from '../protocol';
import type { Session } from './connection';

/** How many rooms there may be, and for how long an empty one is remembered. */
export interface RoomLimitOptions {
  /** Rooms this server keeps at once (with people in them, or recently used). */
  maxRooms: number;
  /** Rooms one person may be in at once, `general` included. */
  maxRoomsPerPerson: number;
  /** Milliseconds an empty room is kept after its last join, leave or message. */
  roomIdleMs: number;
}

/**
 * The bound on rooms: one connection must not make a server hold thousands
 * of rooms (each can mean an open file, a bus subscription, a line in every
 * welcome). A person may be in `maxRoomsPerPerson` rooms; the server keeps
 * `maxRooms`, and forgets a room nobody is in after `roomIdleMs` of quiet.
 * A forgotten room keeps its history in the store: joining it again brings
 * it back, and counts as making a room.
 */
export class RoomLimits {
  /** Rooms this server keeps, with the time of their last activity. */
  private readonly known = new Map<string, number>();

  constructor(
    private readonly opts: RoomLimitOptions,
    /** True while a room has people in it on this server. */
    private readonly occupied: (room: string) => boolean,
  ) {
    this.known.set(DEFAULT_ROOM, Date.now());
  }

  /** Rooms the store had at start: kept like any other until they idle out. */
  seed(rooms: Iterable<string>, now = Date.now()): void {
    for (const room of rooms) this.known.set(room, now);
  }

  /** Why a person may not join a room now (a sentence that names the limit), or undefined when it may. */
  refusal(session: Session, room: string, now = Date.now()): string | undefined {
    if (session.rooms.has(room)) return undefined;
    const mine = this.opts.maxRoomsPerPerson;
    if (session.rooms.size >= mine) return `you are in ${session.rooms.size} rooms, the most one person may be in on this server (${mine}): leave one first`;
    if (this.known.has(room)) return undefined;
    if (this.known.size >= this.opts.maxRooms) this.expire(now);
    if (this.known.size >= this.opts.maxRooms) {
      const minutes = Math.ceil(this.opts.roomIdleMs / 60_000);
      return `this server already has ${this.known.size} rooms, its limit (${this.opts.maxRooms}): join one of them, or try again once idle rooms are forgotten (${minutes} min after the last person leaves)`;
    }
    return undefined;
  }

  /** Something happened in a room (a join, a leave, a message): it is kept from now on, and its idle time starts over. */
  touch(room: string, now = Date.now()): void {
    this.known.set(room, now);
  }

  /** Forget the rooms nobody is in that have been quiet for roomIdleMs. */
  expire(now = Date.now()): void {
    for (const [room, at] of this.known) {
      if (room !== DEFAULT_ROOM && now - at >= this.opts.roomIdleMs && !this.occupied(room)) this.known.delete(room);
    }
  }

  /** The rooms this server keeps. */
  names(): Iterable<string> {
    return this.known.keys();
  }
}
