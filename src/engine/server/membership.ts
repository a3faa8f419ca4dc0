import { randomBytes } from 'node:crypto';
import { guestIdOfSession } from '../identity';
import { DEFAULT_ROOM, PROTOCOL_VERSION, WHO_PAGE, WHO_PAGE_MAX, nameProblem, roomProblem, type ChatMessage, type ErrorCode, type HelloFrame, type Person, type RoomInfo, type RoomStateView, type ServerFrame, type WhoRequest } from '../protocol';
import type { Bus } from '../buses/bus';
import { foldName, type HistoryPage, type Store } from '../stores/store';
import { VERSION } from '../version';
import { nameLease, sessionHash } from './busEvents';
import type { BusRouter } from './busRouter';
import type { Connection } from './connection';
import type { Delivery } from './delivery';
import type { Directory } from './directory';
import { NAME_LEASE_MS, NAME_RENEW_MS, type NameChoice, type Names } from './names';
import type { Limits, ServerEvent } from './options';
import type { Registry } from './registry';
import type { RoomLimits } from './roomLimits';
import { attachQuotes } from './conversationRelay';
import type { RoomGate } from './roomStates';

/** What membership needs from the server. */
export interface MembershipHost {
  /** An error frame; `room` names the room of a refused join or leave. */
  error(conn: Connection, code: ErrorCode, message: string, ref?: string, room?: string): void;
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
 * Arrivals, departures, joins, leaves and renames: changes the registry,
 * takes names (through Names: leases across nodes, claims by identity),
 * publishes presence, and builds the welcome and joined replies.
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
    private readonly names: Names,
    private readonly limits: Limits,
    private readonly host: MembershipHost,
    private readonly gate: RoomGate,
    /** Names this node in welcomes (see ChatServer.nodeName). */
    private readonly node: () => string | undefined = () => undefined,
  ) {}

  /** Before the port opens: the rooms the store has are kept like any other. */
  async start(): Promise<void> {
    this.roomLimits.seed((await this.store.rooms()).map((r) => r.name));
  }

  /** Everyone online on any node, this one's first. */
  users(): string[] {
    return this.people().map((p) => p.name);
  }

  /**
   * Everyone online on any node with their identity, this node's first: the
   * one place people lists (welcome, who) are built.
   */
  people(): Person[] {
    return [...[...this.registry.everyone()].map((c) => c.session.person), ...this.directory.all()];
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
   * `alice`), with the identity behind each name. The caller answers a `who`
   * without paging fields itself (everyone, version 1).
   */
  who(conn: Connection, f: WhoRequest): void {
    if (f.room !== undefined && !conn.session.rooms.has(f.room)) return this.host.error(conn, 'not_in_room', `you are not in ${f.room}`, f.id);
    const prefix = foldName(f.prefix ?? '');
    const after = f.after === undefined ? undefined : foldName(f.after);
    const limit = Math.max(1, Math.min(f.limit ?? WHO_PAGE, WHO_PAGE_MAX));
    const found: Array<[string, Person]> = [];
    const consider = (key: string, p: Person | undefined) => {
      if (p && key.startsWith(prefix) && (after === undefined || key > after)) found.push([key, p]);
    };
    if (f.room === undefined) {
      for (const [key, c] of this.registry.keyed()) consider(key, c.session.person);
      for (const p of this.directory.all()) consider(foldName(p.name), p);
    } else {
      for (const c of this.registry.room(f.room)?.members ?? []) if (c.session.ready) consider(foldName(c.session.name), c.session.person);
      for (const name of this.directory.members(f.room)) consider(foldName(name), this.directory.find(name));
    }
    found.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const people = found.slice(0, limit).map(([, p]) => p);
    this.delivery.toConn(conn, {
      type: 'users',
      ...(f.id !== undefined && { id: f.id }),
      users: people.map((p) => p.name),
      people,
      ...(f.room !== undefined && { room: f.room }),
      more: found.length > limit,
    });
  }

  /** The person online under a name on any node (`BOB` finds `bob`), or undefined. */
  person(name: string): Person | undefined {
    return this.registry.find(name)?.session.person ?? this.directory.find(name);
  }

  /**
   * Take the name asked for in the hello (or another, see Names.choose) and
   * send the welcome. `proven` is the identity id the handshake verified;
   * without one the connection is a guest, its id derived from its session.
   */
  async admit(conn: Connection, f: HelloFrame, proven?: string): Promise<void> {
    const s = conn.session;
    s.token = f.session && SESSION_TOKEN.test(f.session) ? f.session : randomBytes(16).toString('base64url');
    s.guest = proven === undefined;
    s.id = proven ?? guestIdOfSession(s.token);
    const holder = this.registry.find(f.name);
    let wanted = f.name;
    // The same client reconnecting while its old socket lingers (same session, same identity): the new one wins, and keeps the lease.
    if (holder && f.session !== undefined && holder.session.token === f.session && holder.session.id === s.id) {
      wanted = holder.session.name;
      this.registry.reserve(wanted, conn);
      this.host.replace(holder);
    }
    let choice: NameChoice;
    try {
      // A session that holds the name on another node (alive or lately dead) moves here with it.
      const moved = !holder && f.session !== undefined ? await this.moveHere(conn, f.name, f.session) : undefined;
      choice = moved !== undefined ? { name: moved } : await this.names.choose(conn, wanted, f.insist === true);
    } catch (err) {
      this.registry.unreserve(wanted, conn);
      return this.storeFailed(conn, 'cannot read or write name claims', err);
    }
    if (choice === undefined) return; // it closed meanwhile
    if ('refused' in choice) {
      // Like bad_name: the connection may send another hello.
      s.phase = 'hello';
      return this.host.error(conn, choice.code, choice.refused);
    }
    const name = (s.name = choice.name);
    // In the room before its history is read, so what is said meanwhile waits for it (see Room.catchingUp),
    // and its identity's topic live before anyone can hear of it.
    this.registry.join(conn, DEFAULT_ROOM);
    this.router.watchPerson(s.id);
    s.watching = true;
    let history: ChatMessage[];
    let rooms: RoomInfo[];
    let general: RoomStateView | undefined;
    try {
      await this.router.ready(DEFAULT_ROOM);
      let admitted: Awaited<ReturnType<RoomGate['admit']>>;
      [history, rooms, admitted] = await Promise.all([
        this.store.history(DEFAULT_ROOM, { limit: this.limits.historyOnJoin }).then((p) => attachQuotes(this.store, p.messages)),
        this.roomList(),
        this.gate.admit(conn, DEFAULT_ROOM),
      ]);
      // Nobody is kept out of general (see joinRefusal); its settings go in the welcome.
      if ('view' in admitted) general = admitted.view;
    } catch (err) {
      return this.storeFailed(conn, 'cannot read history for a welcome', err);
    }
    if (conn.closing) return; // depart() gave the name back
    const away = this.gate.away();
    s.phase = 'ready';
    this.registry.add(conn);
    // Above the threshold, not everyone: building and sending the whole list to each newcomer costs the square of the crowd.
    const online = this.onlineCount();
    const large = online > this.limits.largeRoom;
    const people = large ? relevant(name, history, (n) => this.person(n)?.name === n).flatMap((n) => this.person(n) ?? []) : this.people();
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
      users: people.map((p) => p.name),
      ...(large && { usersCount: online }),
      history,
      limits: { maxLine: this.limits.maxLine, rate: this.limits.rate, burst: this.limits.burst },
      ...general,
      ...(away && { away }),
      id: s.id,
      guest: s.guest,
      ...(choice.notice !== undefined && { notice: choice.notice }),
      people,
    });
    this.goLive(conn, DEFAULT_ROOM, history);
    this.router.toPeople({ kind: 'online', ...s.person, origin: conn.id, session: sessionHash(s.token) });
    this.router.toPeople({ kind: 'join', ...s.person, room: DEFAULT_ROOM, origin: conn.id });
    this.host.report({ type: 'online', name, address: conn.address });
  }

  async join(conn: Connection, room: string, key?: string): Promise<void> {
    const why = roomProblem(room);
    if (why) return this.host.error(conn, 'bad_room', why, undefined, room);
    const refusal = this.roomLimits.refusal(conn.session, room);
    if (refusal) return this.host.error(conn, 'too_many_rooms', refusal, undefined, room);
    let admitted: Awaited<ReturnType<RoomGate['admit']>>;
    try {
      // Bans, +i, +k and +l; a new room is made here, with the joiner as its operator.
      admitted = await this.gate.admit(conn, room, key);
    } catch (err) {
      this.host.report({ type: 'warn', message: `cannot read the settings of ${room}: ${(err as Error).message}` });
      return this.host.error(conn, 'store_failed', `the server cannot read the settings of ${room} right now; try again later`, undefined, room);
    }
    if (conn.closing) return;
    if ('refusal' in admitted) return this.host.error(conn, admitted.refusal.code, admitted.refusal.message, undefined, room);
    this.roomLimits.touch(room);
    const fresh = this.registry.join(conn, room);
    let page: HistoryPage;
    let seq: number;
    let rev: number;
    let history: ChatMessage[];
    try {
      await this.router.ready(room);
      [page, seq, rev] = await Promise.all([this.store.history(room, { limit: this.limits.historyOnJoin }), this.store.lastSeq(room), this.store.lastRev(room)]);
      history = await attachQuotes(this.store, page.messages);
    } catch (err) {
      if (conn.closing) return;
      this.host.report({ type: 'warn', message: `cannot read history for a join: ${(err as Error).message}` });
      if (fresh) this.registry.leave(conn, room);
      return this.host.error(conn, 'store_failed', `the server cannot read the history of ${room} right now; try again later`, undefined, room);
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
      rev,
      history,
      ...admitted.view,
    });
    if (!fresh) return;
    this.goLive(conn, room, history);
    this.router.toPeople({ kind: 'join', ...conn.session.person, room, origin: conn.id });
    this.host.report({ type: 'join', name: conn.session.name, room });
  }

  leave(conn: Connection, room: string): void {
    if (!this.registry.leave(conn, room)) return this.host.error(conn, 'not_in_room', `you are not in ${room}`, undefined, room);
    this.roomLimits.touch(room);
    const name = conn.session.name;
    this.delivery.toConn(conn, { type: 'left', room });
    this.router.toPeople({ kind: 'leave', name, room });
    this.host.report({ type: 'leave', name, room });
  }

  /** A nick: the same rules as a hello's name (Names.rename); the identity, and so the DMs, stay. */
  async rename(conn: Connection, name: string): Promise<void> {
    const why = nameProblem(name);
    if (why) return this.host.error(conn, 'bad_name', why);
    const from = conn.session.name;
    if (name === from) return;
    let refusal: string | undefined;
    try {
      refusal = await this.names.rename(conn, name);
    } catch (err) {
      this.host.report({ type: 'warn', message: `cannot check the name claim of ${name}: ${(err as Error).message}` });
      return this.host.error(conn, 'store_failed', 'the server cannot check name claims right now; try again later');
    }
    if (refusal !== undefined) return this.host.error(conn, 'bad_name', refusal);
    if (conn.closing) {
      // depart() gave back the old name only: the new one is held for nobody now.
      if (foldName(name) !== foldName(from)) this.names.give(conn, name);
      return;
    }
    this.registry.rename(conn, name);
    if (foldName(name) !== foldName(from)) this.names.give(conn, from);
    this.router.toPeople({ kind: 'rename', from, ...conn.session.person });
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
    // A reconnect of the same session may have taken the name and its lease over already (give() leaves them).
    if (wasReady || claimed) this.names.give(conn, s.name);
    if (s.watching) {
      s.watching = false;
      this.router.unwatchPerson(s.id);
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
    this.names.renew();
  }

  /** The store cannot answer: the arrival is told to come back later, and nothing is half done. */
  private storeFailed(conn: Connection, what: string, err: unknown): void {
    this.host.report({ type: 'warn', message: `${what}: ${(err as Error).message}` });
    this.host.shut(conn, { type: 'error', code: 'store_failed', message: 'the server cannot read its history right now; try again later' }, 'store_failed', `${what} at the welcome`);
  }

  /**
   * A hello whose session holds `name` on another node (alive, or dead for
   * less than a minute): the client moved here. It takes the name over, lease
   * and all, without waiting for the old node's lease to run out; the old
   * node, if it is alive, closes its connection when it hears (BusRouter).
   * Undefined when the session does not prove it, or the name belongs to
   * another identity than the one this connection proved.
   */
  private async moveHere(conn: Connection, name: string, token: string): Promise<string | undefined> {
    const canonical = this.directory.movable(name, sessionHash(token));
    if (canonical === undefined || this.registry.isTaken(canonical)) return undefined;
    const owner = await this.store.nameOwner(canonical);
    if ((owner !== undefined && owner !== conn.session.id) || conn.closing || this.registry.isTaken(canonical)) return undefined;
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

  private async roomList(): Promise<RoomInfo[]> {
    // Counts, not member lists: with everyone in `general`, names would repeat
    // `users` and make each welcome twice as large on a busy server.
    const stored = new Map((await this.store.rooms()).map((r) => [r.name, r]));
    const names = new Set<string>([...this.roomLimits.names(), ...this.directory.roomNames()]);
    return [...names].sort().map((name) => ({
      name,
      count: (this.registry.room(name)?.members.size ?? 0) + this.directory.count(name),
      seq: stored.get(name)?.lastSeq ?? 0,
      rev: stored.get(name)?.lastRev ?? 0,
    }));
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
