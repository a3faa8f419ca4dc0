import { randomBytes } from 'node:crypto';
import { DEFAULT_ROOM, PROTOCOL_VERSION, WHO_PAGE, WHO_PAGE_MAX, nameProblem, roomProblem, type ChatMessage, type ErrorCode, type HelloFrame, type RoomInfo, type ServerFrame, type WhoRequest } from '../protocol';
import type { Bus } from '../buses/bus';
import { foldName, type HistoryPage, type Store } from '../stores/store';
import { VERSION } from '../version';
import { nameLease, sessionHash } from './busEvents';
import type { BusRouter } from './busRouter';
import type { Connection } from './connection';
import type { Delivery } from './delivery';
import type { Directory } from './directory';
import type { Limits, ServerEvent } from './options';
import type { Registry } from './registry';
import type { RoomLimits } from './roomLimits';

/** What membership needs from the server. */
export interface MembershipHost {
  error(conn: Connection, code: ErrorCode, message: string, ref?: string): void;
  /** Close the older connection of a session that reconnected. */
  replace(old: Connection): void;
  shut(conn: Connection, last: ServerFrame, code: ErrorCode, reason: string): void;
  report(e: ServerEvent): void;
}

/** People named in a large room's welcome or joined reply besides you: the latest speakers still here. */
export const RELEVANT_MAX = 50;

/** A session token as the server makes them; a client's own is kept only when it looks like one. */
const SESSION_TOKEN = /^[A-Za-z0-9_-]{16,64}$/;
/**
 * How long a name's lease on the bus lasts, and how often this node renews
 * the leases of its people: the names of a node that dies are free again
 * within NAME_LEASE_MS, about when the heartbeat takes its people offline.
 */
export const NAME_LEASE_MS = 15_000;
export const NAME_RENEW_MS = 5_000;

/**
 * Arrivals, departures, joins, leaves and renames: changes the registry,
 * claims names across nodes (bus leases), publishes presence, and builds the
 * welcome and joined replies.
 */
export class Membership {
  private renewedAt = Date.now();
  /** Connections whose session reconnected on another node: they leave without telling anyone. */
  private readonly moved = new WeakSet<Connection>();

  constructor(
    private readonly registry: Registry,
    private readonly roomLimits: RoomLimits,
    private readonly directory: Directory,
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly router: BusRouter,
    private readonly delivery: Delivery,
    private readonly limits: Limits,
    private readonly host: MembershipHost,
    /** Names this node in welcomes (see ChatServer.nodeName). */
    private readonly node: () => string | undefined = () => undefined,
  ) {}

  /** Before the port opens: the rooms the store has are kept like any other. */
  async start(): Promise<void> {
    this.roomLimits.seed((await this.store.rooms()).map((r) => r.name));
  }

  /** Everyone online on any node, this one's first. */
  users(): string[] {
    return [...this.registry.users(), ...this.directory.names()];
  }

  /** How many are online, on every node. */
  onlineCount(): number {
    return this.registry.count + this.directory.size;
  }

  /** How many are in a room, on every node. */
  roomSize(room: string): number {
    return (this.registry.room(room)?.members.size ?? 0) + this.directory.count(room);
  }

  /**
   * One page of who is online, or in a room: sorted by folded name, after
   * `after`, starting with `prefix` (both compared folded, so `AL` finds
   * `alice`). Without any paging field, everyone online (version 1).
   */
  who(conn: Connection, f: WhoRequest): void {
    const id = f.id !== undefined ? { id: f.id } : {};
    if (f.room === undefined && f.prefix === undefined && f.after === undefined && f.limit === undefined) {
      // Version 1: everyone, unpaged.
      return this.delivery.toConn(conn, { type: 'users', ...id, users: this.users() });
    }
    if (f.room !== undefined && !conn.session.rooms.has(f.room)) return this.host.error(conn, 'not_in_room', `you are not in ${f.room}`, f.id);
    const prefix = foldName(f.prefix ?? '');
    const after = f.after === undefined ? undefined : foldName(f.after);
    const limit = Math.max(1, Math.min(f.limit ?? WHO_PAGE, WHO_PAGE_MAX));
    const found: Array<[string, string]> = [];
    const consider = (key: string, name: string) => {
      if (key.startsWith(prefix) && (after === undefined || key > after)) found.push([key, name]);
    };
    if (f.room === undefined) {
      for (const [key, c] of this.registry.keyed()) consider(key, c.session.name);
      for (const name of this.directory.names()) consider(foldName(name), name);
    } else {
      for (const c of this.registry.room(f.room)?.members ?? []) if (c.session.ready) consider(foldName(c.session.name), c.session.name);
      for (const name of this.directory.members(f.room)) consider(foldName(name), name);
    }
    found.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const users = found.slice(0, limit).map(([, name]) => name);
    this.delivery.toConn(conn, { type: 'users', ...id, users, ...(f.room !== undefined && { room: f.room }), more: found.length > limit });
  }

  /** The canonical name of someone online on any node (`BOB` finds `bob`), or undefined. */
  online(name: string): string | undefined {
    return this.registry.find(name)?.session.name ?? this.directory.find(name);
  }

  /** Take the name asked for in the hello (or the next free one) and send the welcome. */
  async admit(conn: Connection, f: HelloFrame): Promise<void> {
    const s = conn.session;
    const holder = this.registry.find(f.name);
    let wanted = f.name;
    if (holder && f.session !== undefined && holder.session.token === f.session) {
      // The same client reconnecting while its old socket lingers: the new one wins, and keeps the lease.
      wanted = holder.session.name;
      this.registry.reserve(wanted, conn);
      this.host.replace(holder);
    }
    const moved = !holder && f.session !== undefined ? await this.moveHere(conn, f.name, f.session) : undefined;
    const name = moved ?? (await this.claim(conn, wanted));
    if (name === undefined) return; // it closed meanwhile
    s.name = name;
    s.token = f.session && SESSION_TOKEN.test(f.session) ? f.session : randomBytes(16).toString('base64url');
    // In the room before its history is read, so what is said meanwhile waits for it (see Room.catchingUp),
    // and its own topic live before anyone can hear of it.
    this.registry.join(conn, DEFAULT_ROOM);
    this.router.watchPerson(name);
    let history: ChatMessage[];
    let rooms: RoomInfo[];
    try {
      await this.router.ready(DEFAULT_ROOM);
      [history, rooms] = await Promise.all([this.store.history(DEFAULT_ROOM, { limit: this.limits.historyOnJoin }).then((p) => p.messages), this.roomList()]);
    } catch (err) {
      this.host.report({ type: 'warn', message: `cannot read history for a welcome: ${(err as Error).message}` });
      return this.host.shut(conn, { type: 'error', code: 'store_failed', message: 'the server cannot read its history right now; try again later' }, 'store_failed', 'history unreadable at the welcome');
    }
    if (conn.closing) return; // depart() gave the name back
    s.phase = 'ready';
    this.registry.add(conn);
    // Above the threshold, not everyone: building and sending the whole list to each newcomer costs the square of the crowd.
    const online = this.onlineCount();
    const large = online > this.limits.largeRoom;
    const users = large ? relevant(name, history, (n) => this.online(n) === n) : this.users();
    const node = this.node();
    this.delivery.toConn(conn, {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      name,
      session: s.token,
      server: { version: VERSION, history: this.store.id, ...(node !== undefined && { node }) },
      room: DEFAULT_ROOM,
      rooms,
      joined: [...s.rooms],
      users,
      ...(large && { usersCount: online }),
      history,
      limits: { maxLine: this.limits.maxLine, rate: this.limits.rate, burst: this.limits.burst },
    });
    this.goLive(conn, DEFAULT_ROOM, history);
    this.router.toPeople({ kind: 'online', name, origin: conn.id, session: sessionHash(s.token) });
    this.router.toPeople({ kind: 'join', name, room: DEFAULT_ROOM, origin: conn.id });
    this.host.report({ type: 'online', name, address: conn.address });
  }

  async join(conn: Connection, room: string): Promise<void> {
    const why = roomProblem(room);
    if (why) return this.host.error(conn, 'bad_room', why);
    const refusal = this.roomLimits.refusal(conn.session, room);
    if (refusal) return this.host.error(conn, 'too_many_rooms', refusal);
    this.roomLimits.touch(room);
    const fresh = this.registry.join(conn, room);
    let page: HistoryPage;
    let seq: number;
    try {
      await this.router.ready(room);
      [page, seq] = await Promise.all([this.store.history(room, { limit: this.limits.historyOnJoin }), this.store.lastSeq(room)]);
    } catch (err) {
      if (conn.closing) return;
      this.host.report({ type: 'warn', message: `cannot read history for a join: ${(err as Error).message}` });
      if (fresh) this.registry.leave(conn, room);
      return this.host.error(conn, 'store_failed', `the server cannot read the history of ${room} right now; try again later`);
    }
    if (conn.closing) return;
    const count = this.roomSize(room);
    const large = count > this.limits.largeRoom;
    const here = (n: string) => this.registry.find(n)?.session.rooms.has(room) === true || this.directory.isIn(n, room);
    this.delivery.toConn(conn, {
      type: 'joined',
      room,
      members: large
        ? relevant(conn.session.name, page.messages, here)
        : [...[...(this.registry.room(room)?.members ?? [])].map((c) => c.session.name), ...this.directory.members(room)],
      ...(large && { count }),
      seq,
      history: page.messages,
    });
    if (!fresh) return;
    this.goLive(conn, room, page.messages);
    const name = conn.session.name;
    this.router.toPeople({ kind: 'join', name, room, origin: conn.id });
    this.host.report({ type: 'join', name, room });
  }

  leave(conn: Connection, room: string): void {
    if (!this.registry.leave(conn, room)) return this.host.error(conn, 'not_in_room', `you are not in ${room}`);
    this.roomLimits.touch(room);
    const name = conn.session.name;
    this.delivery.toConn(conn, { type: 'left', room });
    this.router.toPeople({ kind: 'leave', name, room });
    this.host.report({ type: 'leave', name, room });
  }

  async rename(conn: Connection, name: string): Promise<void> {
    const why = nameProblem(name);
    if (why) return this.host.error(conn, 'bad_name', why);
    const from = conn.session.name;
    if (name === from) return;
    const sameKey = foldName(name) === foldName(from);
    if (!sameKey) {
      if (this.registry.isTaken(name) || this.directory.find(name) !== undefined) return this.host.error(conn, 'bad_name', `${name} is taken`);
      this.registry.reserve(name, conn);
      const ours = await this.lease(name);
      if (!ours || conn.closing) {
        this.registry.unreserve(name, conn);
        if (ours) this.unlease(name);
        if (!ours) this.host.error(conn, 'bad_name', `${name} is taken`);
        return;
      }
    }
    this.registry.rename(conn, name);
    if (!sameKey) {
      this.router.unwatchPerson(from);
      this.unlease(from);
    }
    this.router.watchPerson(name);
    this.router.toPeople({ kind: 'rename', from, name });
    this.host.report({ type: 'rename', from, name });
  }

  /** A local session reconnected on another node: this connection closes, and nobody is told the person left. */
  movedAway(conn: Connection): void {
    this.moved.add(conn);
    this.host.replace(conn);
  }

  /** A connection is gone: out of every room and off the list, and everyone is told (unless it moved to another node). */
  depart(conn: Connection, reason: string): void {
    const s = conn.session;
    const quiet = this.moved.has(conn);
    const claimed = this.registry.isReservedFor(s.name, conn);
    this.registry.unreserve(s.name, conn);
    const wasReady = this.registry.remove(conn);
    for (const room of [...s.rooms]) {
      this.registry.leave(conn, room);
      this.roomLimits.touch(room);
      if (wasReady && !quiet) this.router.toPeople({ kind: 'leave', name: s.name, room });
    }
    // A reconnect of the same session may have taken the name, its lease and its topic over already.
    if ((wasReady || claimed) && !this.registry.isTaken(s.name)) {
      this.unlease(s.name);
      this.router.unwatchPerson(s.name);
    }
    if (!wasReady) return;
    if (!quiet) this.router.toPeople({ kind: 'offline', name: s.name });
    this.host.report({ type: 'offline', name: s.name, reason });
  }

  /** After its welcome or joined reply, a member gets what was said meanwhile (what its history did not hold), then live frames. */
  private goLive(conn: Connection, room: string, history: ChatMessage[]): void {
    const seen = history.length > 0 ? history[history.length - 1].seq : 0;
    for (const frame of this.registry.live(conn, room)) {
      if (frame.type === 'message' && frame.seq <= seen) continue;
      this.delivery.toConns([conn], frame);
    }
  }

  /** Once a second: renew this node's name leases well before they run out. */
  sweep(now: number): void {
    this.roomLimits.expire(now);
    if (now - this.renewedAt < NAME_RENEW_MS) return;
    this.renewedAt = now;
    for (const name of this.registry.users()) {
      void this.lease(name).then((ours) => {
        if (!ours) this.host.report({ type: 'warn', message: `another node took the name ${name} while this one held it` });
      });
    }
  }

  /**
   * A hello whose session holds `name` on another node (alive, or dead for
   * less than a minute): the client moved here. It takes the name over, lease
   * and all, without waiting for the old node's lease to run out; the old
   * node, if it is alive, closes its connection when it hears (BusRouter).
   * Undefined when the session does not prove it.
   */
  private async moveHere(conn: Connection, name: string, token: string): Promise<string | undefined> {
    const canonical = this.directory.movable(name, sessionHash(token));
    if (canonical === undefined || this.registry.isTaken(canonical)) return undefined;
    this.registry.reserve(canonical, conn);
    // Held here from now on: not someone on another node any more (this node's own `online` will say so to the others).
    this.directory.offline(canonical);
    try {
      await this.bus.takeLease(nameLease(canonical), NAME_LEASE_MS);
    } catch (err) {
      this.host.report({ type: 'warn', message: `taking over the name lease for ${canonical} failed: ${(err as Error).message}` });
    }
    if (!conn.closing) return canonical;
    this.registry.unreserve(canonical, conn);
    return undefined;
  }

  /**
   * Claim a name on every node: this one first (a reservation), then the
   * bus lease. When either is taken, the next free `name2`, `name3`... is
   * tried. Undefined when the connection closed meanwhile.
   */
  private async claim(conn: Connection, wanted: string): Promise<string | undefined> {
    const refused = new Set<string>();
    const taken = (n: string) => (this.registry.isTaken(n) && !this.reservedFor(n, conn)) || this.directory.find(n) !== undefined || refused.has(foldName(n));
    let name = taken(wanted) ? this.registry.freeName(wanted, taken) : wanted;
    for (;;) {
      this.registry.reserve(name, conn);
      const ours = await this.lease(name);
      if (conn.closing) {
        this.registry.unreserve(name, conn);
        if (ours && !this.registry.isTaken(name)) this.unlease(name);
        return undefined;
      }
      if (ours) return name;
      this.registry.unreserve(name, conn);
      refused.add(foldName(name));
      name = this.registry.freeName(wanted, taken);
    }
  }

  private reservedFor(name: string, conn: Connection): boolean {
    return this.registry.isReservedFor(name, conn);
  }

  private lease(name: string): Promise<boolean> {
    return this.bus.lease(nameLease(name), NAME_LEASE_MS).catch((err: unknown) => {
      // A bus that cannot answer must not keep people out: the name is checked on this node only.
      this.host.report({ type: 'warn', message: `name lease for ${name} failed: ${(err as Error).message}` });
      return true;
    });
  }

  private unlease(name: string): void {
    this.bus.unlease(nameLease(name)).catch((err: unknown) => this.host.report({ type: 'warn', message: `releasing the name lease for ${name} failed: ${(err as Error).message}` }));
  }

  private async roomList(): Promise<RoomInfo[]> {
    // Counts, not member lists: with everyone in `general`, names would repeat
    // `users` and make each welcome twice as large on a busy server.
    const seqs = new Map((await this.store.rooms()).map((r) => [r.name, r.lastSeq]));
    const names = new Set<string>([...this.roomLimits.names(), ...this.directory.roomNames()]);
    return [...names].sort().map((name) => ({ name, count: (this.registry.room(name)?.members.size ?? 0) + this.directory.count(name), seq: seqs.get(name) ?? 0 }));
  }
}

/** You, then the latest speakers of `history` who are still here (newest first), at most RELEVANT_MAX of them. */
function relevant(me: string, history: readonly ChatMessage[], here: (name: string) => boolean): string[] {
  const names = [me];
  for (let i = history.length - 1; i >= 0 && names.length <= RELEVANT_MAX; i--) {
    const sender = history[i].sender;
    if (!names.includes(sender) && here(sender)) names.push(sender);
  }
  return names;
}
