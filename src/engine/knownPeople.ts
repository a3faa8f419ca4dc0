import * as fs from 'node:fs';
import * as path from 'node:path';
import { fingerprintOf, isGuestId } from './identity';
import type { Person } from './protocol';
import { foldName } from './stores/store';

/** A known name that came back with another identity. */
export interface KeyChange {
  name: string;
  /** The identity id the name had before. */
  was: string;
  /** The identity id it has now (a guest id when it now proves no key). */
  now: string;
}

/** What is kept: per server (`host:port`), folded name → identity id. */
export interface KnownPeopleData {
  v: 1;
  servers: Record<string, Record<string, string>>;
}

/**
 * The identity key each name had when last seen, per server, so a client can
 * warn when a known name comes back with another key, as SSH warns about a
 * changed host key. That happens when an operator released the name (a lost
 * key, or someone else now holds it). Names are compared folded, as servers
 * compare them. Guests are never remembered: their ids last one session.
 *
 * Storage is the caller's: the terminal client keeps the JSON in
 * `~/.tcp-chat/known_people.json` (load/save), the editor in its global state
 * (fromJSON/toJSON).
 */
export class KnownPeople {
  private readonly servers: Map<string, Map<string, string>>;

  private constructor(data: KnownPeopleData) {
    this.servers = new Map(Object.entries(data.servers).map(([server, names]) => [server, new Map(Object.entries(names))]));
  }

  /** Known people from what toJSON gave; anything malformed in it is dropped, never thrown. */
  static fromJSON(value: unknown): KnownPeople {
    const servers: KnownPeopleData['servers'] = {};
    const raw = isRecord(value) && isRecord(value.servers) ? value.servers : {};
    for (const [server, names] of Object.entries(raw)) {
      if (!isRecord(names)) continue;
      const kept: Record<string, string> = {};
      for (const [name, id] of Object.entries(names)) if (typeof id === 'string' && !isGuestId(id)) kept[name] = id;
      servers[server] = kept;
    }
    return new KnownPeople({ v: 1, servers });
  }

  /** Read a file written by save(); a missing file is nobody known. A file that is not JSON throws, naming it. */
  static load(file: string): KnownPeople {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return KnownPeople.fromJSON(undefined);
      throw err;
    }
    try {
      return KnownPeople.fromJSON(JSON.parse(text));
    } catch {
      throw new Error(`${file} is not JSON: move it away, and the people you meet are remembered again from now on`);
    }
  }

  toJSON(): KnownPeopleData {
    const servers: KnownPeopleData['servers'] = {};
    for (const [server, names] of this.servers) servers[server] = Object.fromEntries(names);
    return { v: 1, servers };
  }

  /** Write atomically, readable only by its owner (it says whom you talk to, and where). */
  save(file: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.toJSON(), null, 2) + '\n', { mode: 0o600 });
    fs.renameSync(tmp, file);
  }

  /** The identity id last seen under a name on a server. */
  get(server: string, name: string): string | undefined {
    return this.servers.get(server)?.get(foldName(name));
  }

  /**
   * Note who is behind a name on a server. Returns the change when the name
   * was known with another key; the new key is remembered from then on, so
   * each change is reported once. A guest under a known name is a change too,
   * but is not remembered.
   */
  see(server: string, person: Person): KeyChange | undefined {
    const key = foldName(person.name);
    const was = this.servers.get(server)?.get(key);
    if (was === person.id) return undefined;
    if (!person.guest && !isGuestId(person.id)) {
      let names = this.servers.get(server);
      if (!names) this.servers.set(server, (names = new Map()));
      names.set(key, person.id);
    }
    return was === undefined ? undefined : { name: person.name, was, now: person.id };
  }

  /**
   * see() for everyone a welcome, presence or who reply shows, skipping `me`
   * (this client's own id). `learned` says whether anything new is to be
   * kept, so a caller saves once per batch, and only then.
   */
  seeAll(server: string, people: readonly Person[], me: string | undefined): { changes: KeyChange[]; learned: boolean } {
    const changes: KeyChange[] = [];
    let learned = false;
    for (const p of people) {
      if (p.id === me) continue;
      const before = this.get(server, p.name);
      const change = this.see(server, p);
      if (change) changes.push(change);
      if (this.get(server, p.name) !== before) learned = true;
    }
    return { changes, learned };
  }
}

/** The warning line for a person, like SSH's for a changed host key. */
export function keyChangeWarning(c: KeyChange): string {
  const now = isGuestId(c.now) ? 'now a guest with no key' : `now ${fingerprintOf(c.now)}`;
  return `${c.name} now has a different identity key (was ${fingerprintOf(c.was)}, ${now}). If you did not expect this, confirm with ${c.name} another way.`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
