import type { Person } from '../protocol';
import { foldName } from '../stores/store';
import type { RosterEntry } from './busEvents';

/** A person held by another node. */
interface RemotePerson {
  person: Person;
  node: string;
  rooms: Set<string>;
  /** sessionHash of their session token, when the node said. */
  session?: string;
}

/** Someone whose node died, remembered a while so their session can still move to another node. */
interface Ghost {
  name: string;
  session: string;
  until: number;
}

/** How long the session of someone whose node died may still take their name over elsewhere (longer than a name lease). */
const GHOST_MS = 60_000;

/** What changed when a node's roster replaced what was known of it: the frames local people should see. */
export interface RosterChanges {
  online: Person[];
  offline: string[];
  joined: Array<Person & { room: string }>;
  left: Array<{ name: string; room: string }>;
}

/**
 * Who is on the other nodes of a shared bus, with their identities, and in
 * which rooms, as their presence events and rosters tell it. Local people are
 * the Registry's; this holds only the others, so a single node keeps it empty.
 */
export class Directory {
  private readonly people = new Map<string, RemotePerson>();
  /** Folded names of the remote members of each room. */
  private readonly rooms = new Map<string, Set<string>>();
  private readonly ghosts = new Map<string, Ghost>();

  /** The remote person holding a name (compared folded), if any. */
  find(name: string): Person | undefined {
    return this.people.get(foldName(name))?.person;
  }

  /** How many people the other nodes hold. */
  get size(): number {
    return this.people.size;
  }

  /** Everyone on the other nodes. */
  all(): Person[] {
    return [...this.people.values()].map((p) => p.person);
  }

  /** Remote members of a room. */
  members(room: string): string[] {
    return [...(this.rooms.get(room) ?? [])].map((k) => this.people.get(k)?.person.name ?? k);
  }

  /** True when a remote person is in a room. */
  isIn(name: string, room: string): boolean {
    return this.rooms.get(room)?.has(foldName(name)) ?? false;
  }

  /** The rooms of a remote person. */
  roomsOf(name: string): string[] {
    return [...(this.people.get(foldName(name))?.rooms ?? [])];
  }

  count(room: string): number {
    return this.rooms.get(room)?.size ?? 0;
  }

  /** Rooms with remote members. */
  roomNames(): Iterable<string> {
    return this.rooms.keys();
  }

  online(person: Person, node: string, session?: string): void {
    const key = foldName(person.name);
    this.ghosts.delete(key);
    const known = this.people.get(key);
    if (known) {
      known.person = copy(person);
      known.node = node;
      if (session !== undefined) known.session = session;
    } else {
      this.people.set(key, { person: copy(person), node, rooms: new Set(), ...(session !== undefined && { session }) });
    }
  }

  /**
   * The name held elsewhere under this session (sessionHash), by a node that
   * is alive or died less than GHOST_MS ago: a reconnect that shows the
   * session may take it over. Undefined when the session does not match.
   */
  movable(name: string, session: string, now = Date.now()): string | undefined {
    const key = foldName(name);
    const p = this.people.get(key);
    if (p) return p.session === session ? p.person.name : undefined;
    const g = this.ghosts.get(key);
    if (!g || g.until < now) return undefined;
    return g.session === session ? g.name : undefined;
  }

  /** A node died: forget its people (returned, with their rooms), but let their sessions move for a while. */
  expire(node: string, now = Date.now()): RosterEntry[] {
    for (const [key, g] of this.ghosts) if (g.until < now) this.ghosts.delete(key);
    const gone: RosterEntry[] = [];
    for (const p of [...this.people.values()]) {
      if (p.node !== node) continue;
      gone.push({ ...copy(p.person), rooms: [...p.rooms] });
      this.offline(p.person.name);
      if (p.session !== undefined) this.ghosts.set(foldName(p.person.name), { name: p.person.name, session: p.session, until: now + GHOST_MS });
    }
    return gone;
  }

  offline(name: string): void {
    const key = foldName(name);
    const p = this.people.get(key);
    if (!p) return;
    for (const room of p.rooms) this.unindex(room, key);
    this.people.delete(key);
  }

  rename(from: string, person: Person, node: string): void {
    const p = this.people.get(foldName(from));
    const rooms = p ? [...p.rooms] : [];
    this.offline(from);
    this.online(person, node, p?.session);
    for (const room of rooms) this.joined(person, room, node);
  }

  joined(person: Person, room: string, node: string): void {
    const key = foldName(person.name);
    if (!this.people.has(key)) this.online(person, node);
    this.people.get(key)?.rooms.add(room);
    let set = this.rooms.get(room);
    if (!set) this.rooms.set(room, (set = new Set()));
    set.add(key);
  }

  left(name: string, room: string): void {
    const key = foldName(name);
    this.people.get(key)?.rooms.delete(room);
    this.unindex(room, key);
  }

  /** Everything a node holds, replacing what was known of it. Returns what changed. */
  roster(node: string, people: readonly RosterEntry[]): RosterChanges {
    const changes: RosterChanges = { online: [], offline: [], joined: [], left: [] };
    const before = new Map<string, { name: string; rooms: Set<string> }>();
    for (const p of [...this.people.values()]) {
      if (p.node !== node) continue;
      before.set(foldName(p.person.name), { name: p.person.name, rooms: new Set(p.rooms) });
      this.offline(p.person.name);
    }
    for (const p of people) {
      const key = foldName(p.name);
      const was = before.get(key);
      before.delete(key);
      this.online(p, node, p.session);
      if (!was) changes.online.push(copy(p));
      for (const room of p.rooms) {
        this.joined(p, room, node);
        if (!was?.rooms.delete(room)) changes.joined.push({ ...copy(p), room });
      }
      for (const room of was?.rooms ?? []) changes.left.push({ name: p.name, room });
    }
    for (const gone of before.values()) {
      for (const room of gone.rooms) changes.left.push({ name: gone.name, room });
      changes.offline.push(gone.name);
    }
    return changes;
  }

  private unindex(room: string, key: string): void {
    const set = this.rooms.get(room);
    if (!set) return;
    set.delete(key);
    if (set.size === 0) this.rooms.delete(room);
  }
}

/** Only the Person fields of an event or roster entry (they carry more). */
function copy(p: Person): Person {
  return p.guest ? { name: p.name, id: p.id, guest: true } : { name: p.name, id: p.id };
}
