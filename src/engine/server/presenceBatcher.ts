import type { PeopleFrame, Person, ServerFrame } from '../protocol';
import type { Connection } from './connection';
import type { Except } from './outputQueue';

/** Typists named in one coalesced typing frame; the rest are counted in `more`. */
export const TYPISTS_SHOWN = 3;

/** What the batcher needs from the server. */
export interface PresenceBatcherHost {
  /** People in a room, on every node. */
  roomSize(room: string): number;
  /** People online, on every node. */
  onlineCount(): number;
  toRoom(room: string, frame: ServerFrame, except?: Except): void;
  toEveryone(frame: ServerFrame, except?: Except): void;
  toConn(conn: Connection, frame: ServerFrame): void;
}

/** Someone as an event names them: with their identity when it is known. */
export type Who = { name: string } & Partial<Omit<Person, 'name'>>;

/** Changes since the last frame: each name's latest change (true: joined, or online). */
interface Changes {
  names: Map<string, boolean>;
  /** Who is behind the names that joined or came online, when known. */
  persons: Map<string, Person>;
  /** This node's connections whose own arrival is among them: nobody is told of their own (as in version 1). */
  selves: Set<Connection>;
}

interface RoomChanges extends Changes {
  large: boolean;
}

/**
 * Arrivals and departures coalesced into one `people` frame per room per
 * interval, instead of one presence frame per change per member: the cost
 * of a connect storm no longer grows with the square of the room's size
 * in frames and writes (docs/performance.md, "Large rooms").
 *
 * A small room's changes go out on the next turn of the event loop, so
 * presence in a small room is as prompt as before, with everything that
 * happened in one turn in one frame. A large room's (more than `largeRoom`
 * people) go out once per `interval`, with the count and no names; its
 * typing notices too, a few names per frame. Server-wide `online` and
 * `offline` go with the small rooms' frames while the server itself is
 * small; above that, the online count goes out once per interval, without
 * names (welcome's `usersCount` and `who` say who is online).
 */
export class PresenceBatcher {
  private readonly rooms = new Map<string, RoomChanges>();
  private readonly server: Changes = { names: new Map(), persons: new Map(), selves: new Set() };
  private readonly typists = new Map<string, { names: string[]; more: number }>();
  private soon = false;
  /** The online count changed on a large server. */
  private serverCount = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly host: PresenceBatcherHost,
    private readonly largeRoom: number,
    private readonly interval: number,
  ) {}

  /** Someone joined (true) or left (false) a room; `self` is their connection when it is on this node. */
  room(room: string, who: Who, joined: boolean, self?: Connection): void {
    let changes = this.rooms.get(room);
    if (!changes) {
      changes = { names: new Map(), persons: new Map(), selves: new Set(), large: this.host.roomSize(room) > this.largeRoom };
      this.rooms.set(room, changes);
      this.schedule(changes.large);
    }
    note(changes, who, joined, self);
  }

  /** Someone came online (true) or went offline (false), on any node. */
  online(who: Who, online: boolean, self?: Connection): void {
    if (this.host.onlineCount() > this.largeRoom) {
      // A large server: everyone gets the new count once per interval, without names.
      this.serverCount = true;
      return this.schedule(true);
    }
    note(this.server, who, online, self);
    this.schedule(false);
  }

  /** A rename is announced at once (presence `rename`): changes still waiting must carry the new name. */
  rename(from: string, to: string): void {
    for (const changes of [...this.rooms.values(), this.server]) {
      const joined = changes.names.get(from);
      if (joined === undefined) continue;
      changes.names.delete(from);
      changes.names.set(to, joined);
      const p = changes.persons.get(from);
      changes.persons.delete(from);
      if (p) changes.persons.set(to, { ...p, name: to });
    }
  }

  /** True when typing in this room is coalesced (it is large). */
  coalescesTyping(room: string): boolean {
    return this.host.roomSize(room) > this.largeRoom;
  }

  /** A typing notice in a large room: the first few typists of an interval are named, the others counted. */
  typing(room: string, name: string): void {
    let t = this.typists.get(room);
    if (!t) {
      t = { names: [], more: 0 };
      this.typists.set(room, t);
      this.schedule(true);
    }
    if (t.names.includes(name)) return;
    if (t.names.length < TYPISTS_SHOWN) t.names.push(name);
    else t.more++;
  }

  /** The server is closing: nothing more goes out. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.rooms.clear();
    this.serverCount = false;
    this.server.names.clear();
    this.server.persons.clear();
    this.server.selves.clear();
    this.typists.clear();
  }

  private schedule(large: boolean): void {
    if (large) {
      if (this.timer) return;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush(true);
      }, this.interval);
      this.timer.unref();
    } else if (!this.soon) {
      this.soon = true;
      setImmediate(() => {
        this.soon = false;
        this.flush(false);
      });
    }
  }

  /** Send what waited: server-wide arrivals, then each room's changes, then departures (the order of version 1's presence). */
  private flush(large: boolean): void {
    let online: string[] = [];
    let offline: string[] = [];
    const server = this.server;
    const selves = new Set(server.selves);
    if (!large && server.names.size > 0) {
      for (const [name, on] of server.names) (on ? online : offline).push(name);
      const people = identities(online, server.persons);
      server.names.clear();
      server.persons.clear();
      server.selves.clear();
      const count = this.host.onlineCount();
      if (count > this.largeRoom) online = offline = []; // the server grew large meanwhile
      if (online.length > 0) {
        const frame: PeopleFrame = { type: 'people', count, online, ...(people.length > 0 && { people }) };
        this.host.toEveryone(frame, selves);
        this.toSelves(frame, selves, () => true);
      }
    }
    if (large && this.serverCount) {
      this.serverCount = false;
      this.host.toEveryone({ type: 'people', count: this.host.onlineCount() });
    }
    for (const [room, changes] of this.rooms) {
      if (changes.large !== large) continue;
      this.rooms.delete(room);
      const frame = this.roomFrame(room, changes);
      this.host.toRoom(room, frame, changes.selves.size > 0 ? changes.selves : undefined);
      this.toSelves(frame, changes.selves, (c) => c.session.rooms.has(room));
    }
    if (offline.length > 0) this.host.toEveryone({ type: 'people', count: this.host.onlineCount(), offline });
    if (!large) return;
    for (const [room, t] of this.typists) {
      this.host.toRoom(room, { type: 'typing', name: t.names[0], room, names: t.names, ...(t.more > 0 && { more: t.more }) });
    }
    this.typists.clear();
  }

  /** The frame as those who arrived in it get it: without their own name, and not at all when nothing else is left. */
  private toSelves(frame: PeopleFrame, selves: ReadonlySet<Connection>, stillThere: (c: Connection) => boolean): void {
    for (const c of selves) {
      if (c.closing || !stillThere(c)) continue;
      const own = withoutName(frame, c.session.name);
      if (own) this.host.toConn(c, own);
    }
  }

  private roomFrame(room: string, changes: RoomChanges): PeopleFrame {
    const count = this.host.roomSize(room);
    if (count > this.largeRoom) return { type: 'people', room, count };
    const joined: string[] = [];
    const left: string[] = [];
    for (const [name, j] of changes.names) (j ? joined : left).push(name);
    const people = identities(joined, changes.persons);
    return { type: 'people', room, count, ...(joined.length > 0 && { joined }), ...(left.length > 0 && { left }), ...(people.length > 0 && { people }) };
  }
}

function note(changes: Changes, who: Who, on: boolean, self: Connection | undefined): void {
  const name = who.name;
  changes.names.delete(name); // re-inserted last: the latest change wins, in order
  changes.names.set(name, on);
  if (on && who.id !== undefined) changes.persons.set(name, who.guest ? { name, id: who.id, guest: true } : { name, id: who.id });
  else changes.persons.delete(name);
  if (self) changes.selves.add(self);
}

/** The identities of these names, where known, in their order. */
function identities(names: readonly string[], persons: ReadonlyMap<string, Person>): Person[] {
  const out: Person[] = [];
  for (const n of names) {
    const p = persons.get(n);
    if (p) out.push(p);
  }
  return out;
}

/** A frame minus one name; undefined when it named nobody else (a count-only frame is kept: the count is news). */
function withoutName(f: PeopleFrame, name: string): PeopleFrame | undefined {
  if (!f.joined && !f.left && !f.online && !f.offline) return f;
  const lists = { joined: f.joined, left: f.left, online: f.online, offline: f.offline };
  const out: PeopleFrame = { type: 'people', ...(f.room !== undefined && { room: f.room }), count: f.count };
  const people = f.people?.filter((p) => p.name !== name);
  if (people && people.length > 0) out.people = people;
  let named = false;
  for (const [k, list] of Object.entries(lists) as Array<[keyof typeof lists, string[] | undefined]>) {
    const rest = list?.filter((n) => n !== name);
    if (rest && rest.length > 0) {
      out[k] = rest;
      named = true;
    }
  }
  return named ? out : undefined;
}
