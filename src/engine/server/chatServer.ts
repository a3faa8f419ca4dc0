import type * as net from 'node:net';
import * as os from 'node:os';
import { jsonProtocol } from '../codecs/json/jsonCodec';
import { MemoryStore } from '../stores/memoryStore';
import type { Store } from '../stores/store';
import { LocalBus } from '../buses/localBus';
import type { Bus } from '../buses/bus';
import { Emitter } from '../events';
import type { ClientFrame, ErrorCode, ServerFrame, WhoRequest } from '../protocol';
import { assertNever } from '../../shared/assertNever';
import { VERSION } from '../version';
import type { WireProtocol } from './codec';
import { BusRouter } from './busRouter';
import { CodecCommand, Connection, Rejection, type ConnectionHandlers, type Input } from './connection';
import { ConversationRelay } from './conversationRelay';
import { isOp } from './roomRules';
import { Delivery } from './delivery';
import { sessionHash } from './busEvents';
import { Directory } from './directory';
import { FileRelay } from './fileRelay';
import { Handshake } from './handshake';
import { HistoryRequests } from './historyRequests';
import { Listener } from './listener';
import { Membership } from './membership';
import { Names } from './names';
import { MessageRelay } from './messageRelay';
import { resolveLimits, type Limits, type ServerEvent, type ServerOptions } from './options';
import { OutputQueue } from './outputQueue';
import { PresenceBatcher } from './presenceBatcher';
import { RateLimit } from './rateLimit';
import { Registry } from './registry';
import { RoomLimits } from './roomLimits';
import { ChatServerView } from './serverView';
import { AwayBook } from './awayBook';
import { RoomCommands } from './roomCommands';
import { RoomStates } from './roomStates';

export { ListenError, describeListenError } from './listener';
export type { ServerEvent, ServerOptions } from './options';

/** The server software's version, as the welcome reports it. */
export const SERVER_VERSION = VERSION;

const SWEEP_MS = 1000;

/**
 * The chat server: names, rooms, direct messages, presence, typing, history
 * and search. It owns the connections and dispatches each frame to the module
 * whose job it is (docs/architecture.md, "The server's modules").
 */
export class ChatServer {
  private readonly limits: Limits;
  readonly store: Store;
  private readonly bus: Bus;
  /** Open connections by serial (bus events name their sender's connection by it). */
  private readonly conns = new Map<number, Connection>();
  private sweepTimer?: NodeJS.Timeout;
  private readonly events = new Emitter<ServerEvent>();
  /** Log-worthy events: connections, joins, closes. */
  readonly onEvent = this.events.event;

  /** The main port (JSON lines) first, then any extra ports. */
  private readonly listeners: Listener[];
  private readonly output: OutputQueue;
  private readonly registry: Registry;
  private readonly directory = new Directory();
  private readonly router: BusRouter;
  private readonly delivery: Delivery;
  private readonly handshake: Handshake;
  private readonly membership: Membership;
  private readonly messages: MessageRelay;
  private readonly requests: HistoryRequests;
  private readonly files: FileRelay;
  private readonly conversation: ConversationRelay;
  private readonly roomStates: RoomStates;
  private readonly rooms: RoomCommands;
  private readonly away: AwayBook;
  private readonly limit: RateLimit;
  private readonly presence: PresenceBatcher;
  /** One handler object for every connection (none per connection: see docs/performance.md). */
  private readonly connHandlers: ConnectionHandlers = {
    input: (c, unit) => this.onInput(c, unit),
    reply: (c, bytes) => this.delivery.raw(c, bytes),
    variantChanged: (c) => this.registry.regroup(c),
    overflow: (c, bytes) =>
      this.shut(c, { type: 'error', code: 'frame_too_large', message: `a line of ${bytes} bytes or more exceeds the limit of ${this.limits.maxLine} bytes` }, 'frame_too_large', 'line too long'),
    quit: (c, reason) => this.shut(c, { type: 'bye', reason }, 'bye', reason),
    closed: (c) => this.drop(c, 'connection closed'),
  };
  /** Not the whole options object: it may hold the password, which the handshake forgets once derived. */
  private readonly nodeOption: string | undefined;

  constructor(options: ServerOptions = {}) {
    this.nodeOption = options.nodeName;
    const limits = (this.limits = resolveLimits(options));
    this.store = options.store ?? new MemoryStore();
    this.bus = options.bus ?? new LocalBus();
    const report = (e: ServerEvent) => this.events.fire(e);
    const send = (conn: Connection, frame: ServerFrame) => this.delivery.toConn(conn, frame);
    const error = (conn: Connection, code: ErrorCode, message: string, ref?: string, room?: string) => this.error(conn, code, message, ref, room);
    const shut = (conn: Connection, last: ServerFrame, code: ErrorCode, reason: string) => this.shut(conn, last, code, reason);
    const warn = (message: string) => report({ type: 'warn', message });

    const ports = [{ port: limits.port, protocol: jsonProtocol }, ...(options.extraPorts ?? [])];
    const listenerHost = { connections: () => this.conns.size, connect: this.connect.bind(this), report };
    this.listeners = ports.map(
      ({ port, protocol }) =>
        new Listener({ host: limits.host, port, protocol, maxClients: limits.maxClients, handshakeTimeout: limits.handshakeTimeout, tls: options.tls }, listenerHost),
    );
    this.output = new OutputQueue(limits.maxQueue, (conn) => this.slowReader(conn));
    this.registry = new Registry({
      opened: (room) => this.router.watchRoom(room),
      closed: (room) => {
        this.router.unwatchRoom(room);
        this.roomStates.forget(room);
      },
    });
    this.delivery = new Delivery(this.registry, this.output);
    const limit = (this.limit = new RateLimit(limits.rate, limits.burst, { send, shut }));
    const person = (name: string) => this.membership.person(name);
    const online = (name: string) => person(name)?.name;
    this.roomStates = new RoomStates(this.store, { publish: (e) => this.rooms.publish(e), count: (room) => this.rooms.count(room) });
    const writeRefusal = (conn: Connection, room: string) => this.roomStates.writeRefusal(conn, room);
    this.files = new FileRelay(
      {
        sendAll: (conns, frame) => this.delivery.toConns(conns, frame),
        error,
        charge: (conn, ref) => limit.charge(conn, ref, 'file'),
        person,
        publish: (target, e) => ('room' in target ? this.router.toRoom(target.room, e) : this.router.toPerson(target.person, e)),
        writeRefusal,
      },
      limits.maxFileSize,
      limits.fileIdleTimeout,
    );
    this.presence = new PresenceBatcher(
      {
        roomSize: (room) => this.membership.roomSize(room),
        onlineCount: () => this.membership.onlineCount(),
        toRoom: (room, frame, except) => this.delivery.toRoom(room, frame, except),
        toEveryone: (frame, except) => this.delivery.toEveryone(frame, except),
        toConn: send,
      },
      limits.largeRoom,
      limits.presenceInterval,
    );
    this.router = new BusRouter(this.bus, this.store, this.registry, this.directory, this.delivery, this.files, this.presence, {
      local: (id) => this.conns.get(id),
      roster: () => [...this.registry.everyone()].map((c) => ({ ...c.session.person, rooms: [...c.session.rooms], session: sessionHash(c.session.token) })),
      moved: (conn) => this.membership.movedAway(conn),
      warn,
    }, options.cluster);
    this.handshake = new Handshake(options, { send, error, shut, admit: (conn, hello, proven) => this.membership.admit(conn, hello, proven) });
    const roomLimits = new RoomLimits(limits, (room) => this.registry.room(room) !== undefined);
    const names = new Names(this.registry, this.directory, this.store, this.bus, limits.maxNamesPerIdentity, report);
    this.rooms = new RoomCommands(this.roomStates, this.bus, this.registry, this.directory, this.delivery, roomLimits, { error, online, report });
    this.away = new AwayBook(this.bus, this.registry, this.delivery, online);
    this.membership = new Membership(
      this.registry,
      roomLimits,
      this.directory,
      this.store,
      this.bus,
      this.router,
      this.delivery,
      names,
      limits,
      {
        error,
        report,
        shut,
        replace: (old) => {
          this.shut(old, { type: 'error', code: 'replaced', message: 'this session reconnected from elsewhere' }, 'replaced', 'replaced by a reconnect');
          this.drop(old, 'replaced');
        },
      },
      { admit: (conn, room, key) => this.roomStates.admit(conn, room, key), away: () => this.away.snapshot() },
      () => this.nodeName,
    );
    this.messages = new MessageRelay(this.store, this.router, this.delivery, limit, { error, warn, person, touch: (room) => roomLimits.touch(room), writeRefusal }, limits.typingInterval);
    this.requests = new HistoryRequests(this.registry, this.store, this.delivery, limit, { error });
    this.conversation = new ConversationRelay(this.store, this.registry, this.router, this.delivery, limit, {
      error,
      warn,
      operates: (session, room) => {
        const settings = this.roomStates.copy(room);
        return settings !== undefined && isOp(settings.state, session.name);
      },
    });
    const view = new ChatServerView({
      limits,
      registry: this.registry,
      directory: this.directory,
      roomLimits,
      store: this.store,
      handshake: this.handshake,
      connections: () => this.conns.values(),
      roomStates: this.roomStates,
      awayOf: (name) => this.away.of(name),
      warn,
    });
    for (const { protocol } of options.extraPorts ?? []) protocol.attach?.(view);
  }

  /** True when clients must prove they know a password before the welcome. */
  get requiresPassword(): boolean {
    return this.handshake.requiresPassword;
  }

  /** True when the server speaks TLS. */
  get secure(): boolean {
    return this.listeners[0].secure;
  }

  /** SHA-256 fingerprint of the TLS certificate (colon hex, what clients pin); undefined without TLS. */
  get fingerprint(): string | undefined {
    return this.listeners[0].fingerprint;
  }

  /** Start listening. Resolves with the bound address; rejects with a ListenError that says what to do. */
  async listen(): Promise<net.AddressInfo> {
    // TLS and password settings first, so no client ever meets a half-configured server.
    if (this.listeners[0].configError) throw this.listeners[0].configError;
    await this.handshake.prepare();
    await this.membership.start();
    const [addr] = await Promise.all(this.listeners.map((l) => l.listen())).catch(async (err: unknown) => {
      await Promise.all(this.listeners.map((l) => l.close()));
      throw err;
    });
    // Before the roster question goes out, so the answers about away people are heard.
    this.rooms.start();
    this.away.start();
    await this.router.start();
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweepTimer.unref();
    return addr;
  }

  /** The bound address of the main (JSON lines) port, once listening. */
  address(): net.AddressInfo | undefined {
    return this.listeners[0].address();
  }

  /** The bound address of every port with the protocol it speaks, the main port first. */
  addresses(): Array<{ protocol: string; address: net.AddressInfo | undefined }> {
    return this.listeners.map((l) => ({ protocol: l.protocol.name, address: l.address() }));
  }

  /** How welcomes name this node: ServerOptions.nodeName, else with a shared bus `host:port`, else none. */
  get nodeName(): string | undefined {
    if (this.nodeOption !== undefined) return this.nodeOption;
    if (this.bus instanceof LocalBus) return undefined;
    const port = this.address()?.port;
    return port === undefined ? undefined : `${os.hostname()}:${port}`;
  }

  /** Names of everyone who completed the handshake, on this node and (with a shared bus) the others. */
  users(): string[] {
    return this.membership.users();
  }

  /**
   * The operator frees a name whose owner lost their key (the editor's "Chat:
   * Release Name", like `tcp-chat names release`): the next key to use it owns
   * it. Resolves with the identity that owned it, or undefined when nobody did.
   * Whoever is online under it keeps it until they leave.
   */
  async releaseName(name: string): Promise<string | undefined> {
    const owner = await this.store.nameOwner(name);
    if (owner !== undefined) await this.store.releaseName(name);
    return owner;
  }

  /** Number of open sockets, handshake or not. */
  get connectionCount(): number {
    return this.conns.size;
  }

  /** Close every client with a reason, stop listening and release the store. */
  async close(reason = 'server shutting down'): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    const closed = Promise.all(this.listeners.map((l) => l.close()));
    for (const c of [...this.conns.values()]) this.shut(c, { type: 'bye', reason }, 'bye', reason);
    this.output.flush();
    const deadline = Date.now() + 2000;
    while (this.conns.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const c of [...this.conns.values()]) c.socket.destroy();
    await closed;
    this.rooms.stop();
    this.away.stop();
    this.router.stop();
    this.presence.stop();
    await this.bus.close();
    await this.store.close();
  }

  // ------------------------------------------------------------ connections

  private connect(socket: net.Socket, address: string, protocol: WireProtocol): { refuse(code: ErrorCode, message: string, reason: string): void } {
    const conn = new Connection(socket, address, protocol, this.limits, this.connHandlers);
    this.conns.set(conn.id, conn);
    return { refuse: (code, message, reason) => this.shut(conn, { type: 'error', code, message }, code, reason) };
  }

  /** One unit of a connection's input, in order; a promise when handling it has to wait (see Connection). */
  private onInput(conn: Connection, unit: Input): void | Promise<void> {
    if (conn.closing) return;
    if (unit instanceof Rejection) return this.error(conn, unit.code, unit.message, unit.ref);
    if (unit instanceof CodecCommand) return this.guard(conn, 'a command', () => unit.run((f) => this.dispatch(conn, f)));
    return this.guard(conn, unit.type, () => this.dispatch(conn, unit));
  }

  /** Runs a handler so that a bug in it cannot take the server down or leak a stack trace to the client. */
  private guard(conn: Connection, what: string, handle: () => void | Promise<void>): void | Promise<void> {
    try {
      const pending = handle();
      if (pending) return pending.catch((err: unknown) => this.internalError(conn, what, err));
    } catch (err) {
      this.internalError(conn, what, err);
    }
  }

  private internalError(conn: Connection, what: string, err: unknown): void {
    this.events.fire({ type: 'warn', message: `internal error handling ${what}: ${(err as Error).stack ?? err}` });
    this.error(conn, 'bad_frame', 'the server could not handle that frame');
  }

  private dispatch(conn: Connection, f: ClientFrame): void | Promise<void> {
    if (f.type === 'ping') return this.delivery.toConn(conn, f.id === undefined ? { type: 'pong' } : { type: 'pong', id: f.id });
    if (f.type === 'pong') return;
    const phase = conn.session.phase;
    if (phase === 'hello' && f.type !== 'hello') return this.error(conn, 'not_ready', 'send {"type":"hello","v":1,"name":"..."} first', refOf(f));
    if (phase === 'auth' && f.type !== 'auth') return this.error(conn, 'not_ready', 'answer the challenge with an auth frame first', refOf(f));
    switch (f.type) {
      case 'hello':
        return this.handshake.hello(conn, f);
      case 'auth':
        return this.handshake.auth(conn, f);
      case 'message':
        return this.messages.message(conn, f);
      case 'typing':
        return this.messages.typing(conn, f.room, f.to);
      case 'join':
        return this.membership.join(conn, f.room, f.key);
      case 'leave':
        return this.membership.leave(conn, f.room);
      case 'nick':
        return this.membership.rename(conn, f.name);
      case 'history':
        return this.requests.history(conn, f);
      case 'search':
        return this.requests.search(conn, f);
      case 'who':
        // A page sorts the names it looks at, so it is charged like a history page; version 1's plain who is not.
        if (!isPaged(f)) return this.who(conn, f.id);
        if (!this.limit.charge(conn, f.id, 'who')) return;
        return this.membership.who(conn, f);
      case 'file_offer':
        return this.files.offer(conn, f);
      case 'file_chunk':
        return this.files.chunk(conn, f);
      case 'react':
        return this.conversation.react(conn, f);
      case 'edit':
        return this.conversation.edit(conn, f);
      case 'delete':
        return this.conversation.delete(conn, f);
      case 'changes':
        return this.conversation.changes(conn, f);
      // Room commands write the store and reach a room, or everyone (away): each is charged like a message.
      case 'topic':
        if (!this.limit.charge(conn, f.id, 'room')) return;
        return this.roomCommand(conn, f.id, this.rooms.topic(conn, f));
      case 'mode':
        if (!this.limit.charge(conn, f.id, 'room')) return;
        return this.roomCommand(conn, f.id, this.rooms.mode(conn, f));
      case 'kick':
        if (!this.limit.charge(conn, f.id, 'room')) return;
        return this.roomCommand(conn, f.id, this.rooms.kick(conn, f));
      case 'invite':
        if (!this.limit.charge(conn, f.id, 'room')) return;
        return this.roomCommand(conn, f.id, this.rooms.invite(conn, f));
      case 'room_info':
        if (!this.limit.charge(conn, f.id, 'room')) return;
        return this.roomCommand(conn, f.id, this.rooms.info(conn, f));
      case 'away':
        if (!this.limit.charge(conn, undefined, 'room')) return;
        return this.away.set(conn, f);
      default:
        return assertNever(f);
    }
  }

  /** Who is online: names for clients before identities, people with their identities, and who of them is away (what IRC's WHOIS shows as 301). */
  private who(conn: Connection, id: string | undefined): void {
    const people = this.membership.people();
    const away = this.away.snapshot();
    this.delivery.toConn(conn, { type: 'users', ...(id !== undefined && { id }), users: people.map((p) => p.name), people, ...(away && { away }) });
  }

  /** Room settings live in the store: when it fails, the command did nothing, and the client may try again. */
  private roomCommand(conn: Connection, ref: string | undefined, done: Promise<void>): Promise<void> {
    return done.catch((err: unknown) => {
      this.events.fire({ type: 'warn', message: `room settings: ${(err as Error).message}` });
      this.error(conn, 'store_failed', 'the server could not read or save the room\'s settings; nothing was changed, try again later', ref);
    });
  }

  private error(conn: Connection, code: ErrorCode, message: string, ref?: string, room?: string): void {
    this.delivery.toConn(conn, { type: 'error', code, message, ...(ref !== undefined && { ref }), ...(room !== undefined && { room }) });
  }

  /** Forget a connection that closed. */
  private drop(conn: Connection, reason: string): void {
    if (!this.conns.delete(conn.id)) return;
    conn.closing = true;
    conn.stopReading();
    this.output.discard(conn);
    this.files.dropped(conn);
    this.membership.depart(conn, reason);
  }

  /** Send a last frame and close. Reading stops at once; writes get a moment to drain. */
  private shut(conn: Connection, last: ServerFrame, code: ErrorCode | 'bye', reason: string): void {
    if (conn.closing) return;
    conn.closing = true;
    conn.stopReading();
    this.events.fire({ type: 'closed', address: conn.address, code, reason });
    const queued = this.output.take(conn);
    const bye = conn.codec.encode(last);
    const out = queued && bye ? Buffer.concat([queued, bye]) : (queued ?? bye ?? Buffer.alloc(0));
    const s = conn.socket;
    if (code === 'slow_reader') {
      // It is not reading, so waiting for a drain would only hold memory.
      s.write(out);
      s.destroy();
    } else {
      s.end(out);
      setTimeout(() => s.destroy(), 2000).unref();
    }
    this.drop(conn, reason); // a no-op when 'close' already dropped it
  }

  private slowReader(conn: Connection): void {
    this.output.discard(conn);
    this.shut(conn, { type: 'error', code: 'slow_reader', message: `disconnected: more than ${this.limits.maxQueue} bytes of output were waiting for you to read` }, 'slow_reader', 'slow reader');
  }

  /** Handshake and idle timeouts, checked once a second for all connections. */
  private sweep(): void {
    const now = Date.now();
    this.handshake.sweep(now);
    this.membership.sweep(now);
    this.router.tick(now);
    this.files.sweep(now);
    for (const c of this.conns.values()) {
      if (c.closing) continue;
      if (!c.session.ready) {
        if (now - c.connectedAt > this.limits.handshakeTimeout && !c.session.authTimer) {
          this.shut(c, { type: 'error', code: 'handshake_timeout', message: `no hello within ${this.limits.handshakeTimeout} ms` }, 'handshake_timeout', 'handshake timeout');
        }
        continue;
      }
      const quiet = now - c.lastFrame;
      if (quiet > this.limits.idleTimeout) {
        this.shut(c, { type: 'error', code: 'idle_timeout', message: `nothing received for ${Math.round(quiet / 1000)} s` }, 'idle_timeout', 'idle');
      } else if (quiet > this.limits.idleTimeout / 2 && !c.pinged) {
        c.pinged = true;
        this.delivery.toConn(c, { type: 'ping' });
      }
    }
  }
}

function refOf(f: ClientFrame): string | undefined {
  return 'id' in f && typeof f.id === 'string' ? f.id : undefined;
}

/** A `who` with any paging field (version 1's has none). */
function isPaged(f: WhoRequest): boolean {
  return f.room !== undefined || f.prefix !== undefined || f.after !== undefined || f.limit !== undefined;
}
