import type { Bus } from '../buses/bus';
import type { Store } from '../stores/store';
import { foldName } from '../stores/store';
import { nameLease } from './busEvents';
import type { Connection } from './connection';
import type { Directory } from './directory';
import type { ServerEvent } from './options';
import type { Registry } from './registry';

/**
 * How long a name's lease on the bus lasts, and how often this node renews
 * the leases of its people: the names of a node that dies are free again
 * within NAME_LEASE_MS, about when the heartbeat takes its people offline.
 */
export const NAME_LEASE_MS = 15_000;
export const NAME_RENEW_MS = 5_000;
/** Suffixes tried for a free name before giving up (`alice2` … `alice1000`). */
const MAX_SUFFIX = 1000;

/** The name a hello gets: the one asked for, or another and a line that says why. */
export type NameChoice =
  | { name: string; notice?: string }
  /** The hello insisted on a name that belongs to someone else (name_claimed), or no name like it is free (bad_name). */
  | { refused: string; code: 'name_claimed' | 'bad_name' }
  /** The connection closed meanwhile. */
  | undefined;

/**
 * Who may use which name (docs/security.md, "Identities"). Two checks, both
 * needed: a name is used by one connection at a time on every node (a bus
 * lease), and a claimed name is used only by its owner's key (the store's
 * claims, trust on first use). A keyed person claims the names they use, up
 * to `maxClaims`; a guest may use only names nobody has claimed, and claims
 * none. Announcing the outcome is the caller's job.
 */
export class Names {
  constructor(
    private readonly registry: Registry,
    private readonly directory: Directory,
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly maxClaims: number,
    private readonly report: (e: ServerEvent) => void,
  ) {}

  /**
   * The name for an arriving connection (its session's id and guest flag
   * are set): `wanted` when it is free and not someone else's; otherwise,
   * unless the hello insisted, the first free `wanted2`, `wanted3`… that is
   * not someone else's either, with a notice. The name is reserved and
   * leased for the connection, and claimed for a keyed person.
   */
  async choose(conn: Connection, wanted: string, insist: boolean): Promise<NameChoice> {
    const s = conn.session;
    const owner = await this.store.nameOwner(wanted);
    const othersName = owner !== undefined && owner !== s.id;
    if (othersName && insist) return { refused: this.belongs(wanted, s.guest), code: 'name_claimed' };
    // The same key already online under this name (a second window): this one borrows a suffix, and claims nothing.
    const holder = this.holder(wanted, conn);
    const secondWindow = holder !== undefined && holder === s.id;
    const refused = new Set<string>();
    for (let i = 1; i <= MAX_SUFFIX; i++) {
      const name = i === 1 ? wanted : withSuffix(wanted, i);
      if (refused.has(foldName(name)) || this.holder(name, conn) !== undefined) continue;
      const nameOwner = i === 1 ? owner : await this.store.nameOwner(name);
      if (nameOwner !== undefined && nameOwner !== s.id) continue;
      if (conn.closing) return undefined;
      if (!(await this.take(conn, name))) {
        if (conn.closing) return undefined;
        refused.add(foldName(name));
        continue;
      }
      let notice: string | undefined;
      if (othersName) notice = `${this.belongs(wanted, s.guest)}, so you are ${name}.${s.guest ? '' : ` If ${wanted} is yours and your key is lost, the server's operator can release it.`}`;
      else if (secondWindow) notice = `${wanted} is already open with your key elsewhere, so this connection is ${name} until that one closes; ${name} is not claimed for you.`;
      if (!s.guest && nameOwner === undefined && !secondWindow) {
        const claim = await this.claimHeld(conn, name);
        if (claim === undefined) return undefined; // it closed meanwhile, and the name is given back
        if (claim === 'taken') {
          // Someone claimed it between the check and now: give it back and go on.
          this.give(conn, name);
          refused.add(foldName(name));
          continue;
        }
        if (claim === 'cap') notice = `${notice ? notice + ' ' : ''}Your key owns ${this.maxClaims} names, the most one key may claim, so ${name} is yours for this connection only.`;
      }
      return { name, ...(notice !== undefined && { notice }) };
    }
    return { refused: `no name like ${wanted} is free: ask for another`, code: 'bad_name' };
  }

  /**
   * Check a nick and take the name (reserve, lease, claim); an error for the
   * person when it cannot be theirs. Undefined: the connection now holds
   * `name` alongside its old one, which the caller gives back with give().
   */
  async rename(conn: Connection, name: string): Promise<string | undefined> {
    const s = conn.session;
    const owner = await this.store.nameOwner(name);
    if (owner !== undefined && owner !== s.id) return this.belongs(name, s.guest);
    const sameKey = foldName(name) === foldName(s.name);
    if (!sameKey) {
      if (this.holder(name, conn) !== undefined) return `${name} is taken`;
      if (!(await this.take(conn, name))) return `${name} is taken`;
    }
    if (s.guest || owner !== undefined) return undefined;
    let claim: 'claimed' | 'taken' | 'cap';
    try {
      claim = await this.claim(s.id, name);
    } catch (err) {
      if (!sameKey) this.give(conn, name);
      throw err;
    }
    // A new spelling of the name in use (Alice for alice) is not refused over the cap: it stays unclaimed, as it was.
    if (claim === 'claimed' || (claim === 'cap' && sameKey)) return undefined;
    if (!sameKey) this.give(conn, name);
    if (claim === 'taken') return this.belongs(name, false);
    const yours = await this.store.namesOf(s.id);
    return `your key owns ${yours.length} names (${yours.join(', ')}), the most one key may claim: use one of them, or ask the server's operator to release one`;
  }

  /** Give a reserved or held name back (a departure, a rename away from it). */
  give(conn: Connection, name: string): void {
    this.registry.unreserve(name, conn);
    if (!this.registry.isTaken(name)) this.unlease(name);
  }

  /** Once NAME_RENEW_MS: renew this node's name leases well before they run out. */
  renew(): void {
    for (const name of this.registry.users()) {
      void this.lease(name).then((ours) => {
        if (!ours) this.report({ type: 'warn', message: `another node took the name ${name} while this one held it` });
      });
    }
  }

  /** The identity online under a name on any node, other than `conn` itself (its own reservation counts as free). */
  private holder(name: string, conn: Connection): string | undefined {
    const local = this.registry.find(name);
    if (local && local !== conn) return local.session.id;
    if (this.registry.isTaken(name) && !this.registry.isReservedFor(name, conn)) return 'reserved';
    return this.directory.find(name)?.id;
  }

  /** Reserve a name here, then lease it on the bus; false when another node holds it. */
  private async take(conn: Connection, name: string): Promise<boolean> {
    this.registry.reserve(name, conn);
    const ours = await this.lease(name);
    if (ours && !conn.closing) return true;
    this.registry.unreserve(name, conn);
    if (ours && !this.registry.isTaken(name)) this.unlease(name);
    return false;
  }

  /**
   * Claim a name the connection holds (reserved and leased). Whatever goes
   * wrong meanwhile (the store fails, the connection closes) gives the name
   * back: nobody else would, as the connection is not known by it yet.
   */
  private async claimHeld(conn: Connection, name: string): Promise<'claimed' | 'taken' | 'cap' | undefined> {
    let claim: 'claimed' | 'taken' | 'cap';
    try {
      claim = await this.claim(conn.session.id, name);
    } catch (err) {
      this.give(conn, name);
      throw err;
    }
    if (!conn.closing) return claim;
    this.give(conn, name);
    return undefined;
  }

  /** Claim a name for a key: 'cap' when the key owns as many names as it may. */
  private async claim(id: string, name: string): Promise<'claimed' | 'taken' | 'cap'> {
    if ((await this.store.namesOf(id)).length >= this.maxClaims) return 'cap';
    return (await this.store.claimName(name, id)) === id ? 'claimed' : 'taken';
  }

  /** Why a claimed name is not yours. */
  private belongs(name: string, guest: boolean): string {
    return guest ? `${name} is claimed by someone with an identity key, and guests can use only unclaimed names` : `${name} belongs to another identity`;
  }

  private lease(name: string): Promise<boolean> {
    return this.bus.lease(nameLease(name), NAME_LEASE_MS).catch((err: unknown) => {
      // A bus that cannot answer must not keep people out: the name is checked on this node only.
      this.report({ type: 'warn', message: `name lease for ${name} failed: ${(err as Error).message}` });
      return true;
    });
  }

  private unlease(name: string): void {
    this.bus.unlease(nameLease(name)).catch((err: unknown) => this.report({ type: 'warn', message: `releasing the name lease for ${name} failed: ${(err as Error).message}` }));
  }
}

/** `name` with a number appended, shortened to stay within 32 characters: alice2, alice3… */
function withSuffix(name: string, n: number): string {
  const suffix = String(n);
  return [...name].slice(0, 32 - suffix.length).join('') + suffix;
}
