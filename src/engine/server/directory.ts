import { foldName } from '../stores/store';
import type { RosterEntry } from './busEvents';

/** A person held by another node. */
interface RemotePerson {
  name: string;
  node: string;
  rooms: Set<string>;
}

/**
 * Who is on the other nodes of a shared bus, and in which rooms, as their
 * presence events and rosters tell it. Local people are the Registry's; this
 * holds only the others, so a single node keeps it empty.
 */
export class Directory {
  private readonly people = new Map<string, RemotePerson>();
  /** Folded names of the remote members of each room. */
  private readonly rooms = new Map<string, Set<string>>();

  /** The remote person holding a name (folded), if any. */
  find(name: string): string | undefined {
    return this.people.get(foldName(name))?.name;
  }

  /** How many people the other nodes hold. */
  get size(): number {
    return this.people.size;
  }

  names(): string[] {
    return [...this.people.values()].map((p) => p.name);
  }

  /** Remote members of a room. */
  members(room: string): string[] {
    return [...(this.rooms.get(room) ?? [])].map((k) => this.people.get(k)?.name ?? k);
  }

  /** True when a remote person is in a room. */
  isIn(name: string, room: string): boolean {
    return this.rooms.get(room)?.has(foldName(name)) ?? false;
  }

  count(room: string): number {
    return this.rooms.get(room)?.size ?? 0;
  }

  /** Rooms with remote members. */
  roomNames(): Iterable<string> {
    return this.rooms.keys();
  }

  online(name: string, node: string): void {
    const key = foldName(name);
    const known = this.people.get(key);
    if (known) {
      known.name = name;
      known.node = node;
    } else {
      this.people.set(key, { name, node, rooms: new Set() });
    }
  }

  offline(name: string): void {
    const key = foldName(name);
    const p = this.people.get(key);
    if (!p) return;
    for (const room of p.rooms) this.unindex(room, key);
    this.people.delete(key);
  }

  rename(from: string, name: string, node: string): void {
    const p = this.people.get(foldName(from));
    const rooms = p ? [...p.rooms] : [];
    this.offline(from);
    this.online(name, node);
    for (const room of rooms) this.joined(name, room, node);
  }

  joined(name: string, room: string, node: string): void {
    const key = foldName(name);
    if (!this.people.has(key)) this.online(name, node);
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

  /** Everything a node holds, replacing what was known of it. */
  roster(node: string, people: readonly RosterEntry[]): void {
    for (const p of [...this.people.values()]) if (p.node === node) this.offline(p.name);
    for (const p of people) {
      this.online(p.name, node);
      for (const room of p.rooms) this.joined(p.name, room, node);
    }
  }

  private unindex(room: string, key: string): void {
    const set = this.rooms.get(room);
    if (!set) return;
    set.delete(key);
    if (set.size === 0) this.rooms.delete(room);
  }
}
