import { randomUUID } from 'node:crypto';
import type { Endpoint } from '../address';
import type { Identity } from '../identity';
import { DEFAULT_ROOM, FEATURE_PEOPLE, PROTOCOL_VERSION, isDmKey, type ChatMessage, type ClientFrame, type ErrorCode, type ErrorFrame, type HelloFrame, type PeopleFrame, type Person, type SendFrame, type ServerFrame, type Snippet, type WelcomeFrame } from '../protocol';
import { presenceEvents } from '../presenceEvents';
import { resolveClientOptions, type ClientOptions, type ClientState, type ResolvedClientOptions } from './clientOptions';
import { ClientCommands } from './clientCommands';
import { ConnectError } from './connectError';
import { Dialer } from './dialer';
import { OutgoingFiles } from './outgoingFiles';
import { Outbox } from './outbox';
import { People } from './people';
import { Requests } from './requests';
import { RoomMembership } from './roomMembership';
import { RoomSettings } from './roomSettings';
import { RoomTracker } from './roomTracker';
import { ChangeTracker } from './changeTracker';

/** Errors after which resending the same message can succeed. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['rate_limited', 'store_failed']);
/** Closing errors after which reconnecting would not help. */
const FINAL: ReadonlySet<ErrorCode> = new Set(['replaced', 'auth_failed', 'bad_version']);

/**
 * A chat client: handshake, reconnect with backoff and jitter, an outbox that
 * resends unacknowledged messages with their original ids at the pace the
 * server allows, and per-room sequence tracking that fills gaps from history.
 * Messages reach `onMessage` once each, in seq order per room.
 *
 * The parts: a Dialer (a Connection per attempt, the servers in turn, the
 * reconnects), an Outbox, a RoomTracker, Requests; this class composes them
 * and keeps the client's own state (idle, connecting, connected,
 * reconnecting, closed). The plain commands and requests it sends are in
 * ClientCommands, its events in ClientEvents.
 */
export class ChatClient extends ClientCommands {
  private readonly opts: ResolvedClientOptions;
  /** Getting and keeping the link: servers in turn, reconnects, the pin, connect()'s promise. */
  private readonly dialer: Dialer;
  private _state: ClientState = 'idle';
  private _name: string;
  private session?: string;
  private readonly outbox = new Outbox();
  /** A message of ours met `store_failed` and the outbox is not empty yet (onStoreWait). */
  private storeWaiting = false;
  private readonly tracker: RoomTracker;
  private readonly changeTracker: ChangeTracker;
  protected readonly requests: Requests;
  /** The rooms to be in, their keys and their sizes. */
  private readonly membership = new RoomMembership();
  /** Topics, modes, operators and away messages as the server last told them. */
  readonly settings = new RoomSettings();
  private readonly online = new People();
  /** How many are online, as the server last said (welcome, people). */
  private _online = 0;
  private _welcome?: WelcomeFrame;
  /** The server's history id from the last welcome. */
  private historyId?: string;
  private readonly files = new OutgoingFiles();

  constructor(options: ClientOptions) {
    super();
    this.opts = resolveClientOptions(options);
    this._name = options.name;
    this.requests = new Requests((f) => this.write(f), this.opts.requestTimeout);
    this.tracker = new RoomTracker(
      (m) => {
        this.messageE.fire(m);
        // After the listeners saw it: "everything you wrote was sent" comes after the last of it.
        this.endStoreWait();
      },
      async (room, after, limit) => {
        const page = await this.history(room, { after, limit });
        for (const m of page.messages) this.ackIfMine(m);
        return page;
      },
    );
    this.changeTracker = new ChangeTracker(
      (m) => this.updateE.fire(m),
      (room, since) => this.changes(room, since),
    );
    this.dialer = new Dialer(this.opts, {
      state: () => this._state,
      setState: (s) => this.setState(s),
      hello: () => this.hello(),
      welcomed: (w) => this.onWelcomeFrame(w),
      frame: (f) => this.onFrame(f),
      lost: () => {
        this.outbox.offline();
        this.failWaiting(new ConnectError('the connection dropped'));
      },
      dropped: (why) => this.droppedE.fire(why),
      refused: (error) => this.refusedE.fire(error),
    });
  }

  get state(): ClientState {
    return this._state;
  }
  /** The name the server assigned. */
  get name(): string {
    return this._name;
  }
  /** Everyone online at the last count; on a large server only the people the server named (see `onlineCount`). */
  get users(): readonly string[] {
    return this.online.names;
  }
  /** Everyone online with the identity behind their name (empty from servers that predate identities). */
  get people(): readonly Person[] {
    return this.online.all;
  }
  /** Who is behind a name online now: their identity id, and whether they are a guest. */
  person(name: string): Person | undefined {
    return this.online.find(name);
  }
  /** Your identity id as the server knows it (your key's, or a guest id for this session); undefined before a welcome, or from servers that predate identities. */
  get id(): string | undefined {
    return this._welcome?.id;
  }
  /** True when this connection proved no identity key: it may use only names nobody has claimed. */
  get guest(): boolean {
    return this._welcome?.guest ?? this._welcome?.id === undefined;
  }
  /** Why the last welcome gave another name than the one asked for, for a person to read. */
  get notice(): string | undefined {
    return this._welcome?.notice;
  }
  /** The identity key this client proves, if any. */
  get identity(): Identity | undefined {
    return this.opts.identity;
  }
  /** How many are online, as the server last said. */
  get onlineCount(): number {
    return Math.max(this._online, this.online.names.length);
  }
  /** How many are in a room you are in, as the server last said; undefined for a room not heard of. */
  count(room: string): number | undefined {
    return this.membership.count(room);
  }
  /** Rooms this client is in. */
  get rooms(): readonly string[] {
    return this.membership.rooms;
  }
  /** Messages sent but not yet acknowledged by the server. */
  get unacked(): number {
    return this.outbox.size;
  }
  /** The latest welcome. */
  get welcome(): WelcomeFrame | undefined {
    return this._welcome;
  }
  /** The server dialled last, as host:port. */
  get address(): string {
    return this.dialer.address;
  }
  /** Every server this client knows, in the order it tries them. */
  get servers(): readonly Endpoint[] {
    return this.dialer.servers;
  }
  /** The node of a cluster this client is connected to, as its welcome named it. */
  get node(): string | undefined {
    return this._welcome?.server.node;
  }
  /** SHA-256 fingerprint of the server's certificate on the latest TLS connection (colon hex). */
  get fingerprint(): string | undefined {
    return this.dialer.fingerprint;
  }
  /** True when this client speaks TLS. */
  get secure(): boolean {
    return this.opts.tls !== undefined;
  }

  /** Connect and complete the handshake. Rejects with a ConnectError that says what to do. */
  connect(): Promise<WelcomeFrame> {
    if (this._state === 'connected' && this._welcome) return Promise.resolve(this._welcome);
    return this.dialer.connect();
  }

  /** Send a message to a room (default `general`) or to a person. Returns its id; it stays in the outbox until echoed. */
  send(text: string, target: { room?: string; to?: string; snippet?: Snippet; replyTo?: number } = {}): string {
    const id = randomUUID();
    const frame: SendFrame = { type: 'message', id, text };
    if (target.to !== undefined) frame.to = target.to;
    else frame.room = target.room ?? DEFAULT_ROOM;
    if (target.snippet) frame.snippet = target.snippet;
    if (target.replyTo !== undefined) frame.replyTo = target.replyTo;
    this.outbox.add(frame);
    return id;
  }

  /**
   * Send a file to a room or a person: an offer, then chunks in order,
   * respecting the socket's backpressure. Resolves when the server has
   * relayed every chunk. A dropped connection or a file_abort fails the
   * transfer (files are not resent after a reconnect).
   */
  async sendFile(data: Buffer, name: string, target: { room?: string; to?: string } = {}, onProgress?: (sent: number) => void): Promise<string> {
    const conn = this.dialer.connection;
    if (this._state !== 'connected' || !conn?.ready) throw new ConnectError('not connected');
    const where = target.to !== undefined ? { to: target.to } : { room: target.room ?? DEFAULT_ROOM };
    return this.files.send(conn, () => this.dialer.connection === conn && conn.ready, data, name, where, onProgress);
  }

  /** Join a room; `key` for a keyed (+k) room, kept for rejoining after a reconnect. */
  join(room: string, key?: string): void {
    this.membership.join(room, key);
    if (this._state === 'connected') this.write(this.membership.joinFrame(room));
  }

  leave(room: string): void {
    this.membership.forget(room);
    if (this._state === 'connected') this.write({ type: 'leave', room });
  }

  typing(target: { room?: string; to?: string }): void {
    if (this._state === 'connected') this.write({ type: 'typing', ...target });
  }

  rename(name: string): void {
    if (this._state === 'connected') this.write({ type: 'nick', name });
  }

  /** The room's rev as this client last saw it (see ChangeTracker). */
  rev(room: string): number | undefined {
    return this.changeTracker.rev(room);
  }

  /** Who is online now. */
  async who(): Promise<string[]> {
    const f = await this.ask({ type: 'who' });
    this.online.reset(f.users, f.people);
    return f.users;
  }

  /** Close on purpose: no reconnect. */
  disconnect(): void {
    this.setState('closed');
    this.tracker.stop();
    this.outbox.offline();
    this.failWaiting(new ConnectError('disconnected'));
    this.dialer.close();
  }

  /** Release everything; the same as disconnect plus dropping listeners. */
  dispose(): void {
    this.disconnect();
    this.disposeEvents();
  }

  // ------------------------------------------------------------ connection

  /** The first frame of each attempt: the name, the session to keep it, and the key to prove. */
  private hello(): HelloFrame {
    const h: HelloFrame = { type: 'hello', v: PROTOCOL_VERSION, name: this._name };
    if (this.session) h.session = this.session;
    if (this.opts.identity) h.key = this.opts.identity.publicKey;
    if (this.opts.insist) h.insist = true;
    h.features = [FEATURE_PEOPLE]; // coalesced presence (docs/protocol.md, "People")
    return h;
  }

  private onWelcomeFrame(w: WelcomeFrame): void {
    this._welcome = w;
    this._name = w.name;
    this.session = w.session;
    this.online.reset(w.users, w.people);
    this._online = w.usersCount ?? w.users.length;
    this.membership.welcomed(w.rooms);
    const reconnecting = this.dialer.welcomed();
    const previousHistory = this.historyId;
    this.historyId = w.server.history;
    this.setState('connected');
    const generalSeq = w.rooms.find((r) => r.name === DEFAULT_ROOM)?.seq ?? 0;
    const seen = this.tracker.last(DEFAULT_ROOM);
    if (reconnecting && seen !== undefined && ((w.server.history !== undefined && previousHistory !== undefined && w.server.history !== previousHistory) || generalSeq < seen)) {
      // The server came back with a different history (no data directory, or a
      // new one) and numbers from 1 again: everything it holds is new to us, so
      // catch up from 0. The id catches this even when the new seqs already
      // passed the old ones; the seq check covers servers that send no id.
      this.tracker.restart();
      this.changeTracker.restart();
    }
    const pending = this.dialer.takePending();
    this.settings.welcome(w);
    this.welcomeE.fire(w);
    pending?.resolve(w);
    for (const m of w.history) this.ackIfMine(m);
    this.tracker.sync(DEFAULT_ROOM, generalSeq, w.history);
    this.changeTracker.sync(DEFAULT_ROOM, w.rooms.find((r) => r.name === DEFAULT_ROOM)?.rev);
    for (const join of this.membership.rejoinFrames()) this.write(join);
    if (reconnecting) {
      for (const room of this.tracker.rooms) {
        if (!isDmKey(room)) continue;
        this.tracker.catchUp(room);
        this.changeTracker.catchUp(room);
      }
    }
    // Resend whatever was not acknowledged, paced under the server's limits; a known id gets its original echo.
    this.outbox.online((f) => this.write(f), w.limits);
  }

  private onFrame(f: ServerFrame): void {
    switch (f.type) {
      case 'message':
        this.ackIfMine(f);
        // A DM has no joined reply to carry its rev: from its first message on, its changes are caught up after a reconnect.
        if (isDmKey(f.room) && this.changeTracker.rev(f.room) === undefined) this.changeTracker.sync(f.room, 0);
        return this.tracker.accept(f);
      case 'presence':
        this.online.apply(f);
        if (f.event === 'rename' && f.from === this._name) this._name = f.name;
        this.settings.presence(f);
        return this.presenceE.fire(f);
      case 'people':
        return this.onPeopleFrame(f);
      case 'typing':
        return this.typingE.fire(f);
      case 'joined':
        this.membership.joinedRoom(f);
        for (const m of f.history) this.ackIfMine(m);
        this.tracker.sync(f.room, f.seq, f.history);
        this.changeTracker.sync(f.room, f.rev);
        this.settings.joined(f);
        return this.joinedE.fire(f);
      case 'left':
        this.membership.left(f.room);
        this.settings.left(f.room);
        return this.leftE.fire(f.room);
      case 'update':
        return this.changeTracker.update(f.room, f.rev, f.message);
      case 'history':
      case 'search_results':
      case 'users':
      case 'changes':
      case 'room_info':
        this.requests.reply(f);
        return;
      case 'topic':
        this.settings.topic(f);
        return this.topicE.fire(f);
      case 'mode':
        this.settings.mode(f);
        return this.modeE.fire(f);
      case 'kick':
        if (f.name === this._name) {
          // Out of the room: not rejoined after a reconnect.
          this.membership.forget(f.room);
          this.settings.left(f.room);
        }
        return this.kickE.fire(f);
      case 'invite':
        return this.inviteE.fire(f);
      case 'error':
        return this.onError(f);
      case 'file_offer':
        if (f.sender !== this._name) this.fileOfferE.fire(f);
        return;
      case 'file_chunk':
        return this.fileChunkE.fire(f);
      case 'file_done':
        if (f.sender === this._name && this.files.settle(f.id)) return;
        return this.fileDoneE.fire(f);
      case 'file_abort':
        if (f.sender === this._name && this.files.settle(f.id, new ConnectError(`the transfer was cancelled: ${f.reason}`, 'file_aborted'))) return;
        return this.fileAbortE.fire(f);
      case 'welcome':
      case 'challenge':
      case 'ping':
      case 'pong':
      case 'bye':
        return; // the connection's business
      default:
        return ignoreNewer(f);
    }
  }

  private onError(e: ErrorFrame): void {
    if (e.ref !== undefined) {
      if (this.requests.refuse(e)) return;
      this.files.settle(e.ref, new ConnectError(e.message, e.code));
      if (RETRYABLE.has(e.code)) {
        this.outbox.retry(e.ref, e.retryAfter ?? 1000);
        if (e.code === 'store_failed' && !this.storeWaiting) {
          this.storeWaiting = true;
          this.storeWaitE.fire(true);
        }
      }
      else {
        const refused = this.outbox.drop(e.ref);
        if (refused) this.failedE.fire({ id: e.ref, error: e });
        this.endStoreWait();
      }
    }
    // A refused join (a ban, +i, +k, +l, a limit): not a room to rejoin after a reconnect.
    if (e.ref === undefined && e.room !== undefined) {
      this.membership.forget(e.room);
    }
    if (FINAL.has(e.code)) this.setState('closed');
    this.errorE.fire(e);
  }

  // ------------------------------------------------------------ plumbing

  /** Our own message came back: it is acknowledged. Known by identity when the server says, so a rename in between does not matter. */
  private ackIfMine(m: ChatMessage): void {
    const mine = m.author !== undefined && this.id !== undefined ? m.author === this.id : m.sender === this._name;
    if (!mine) return;
    this.outbox.ack(m.id);
  }

  /** The outbox is empty again after a `store_failed`: the wait is over. */
  private endStoreWait(): void {
    if (!this.storeWaiting || this.outbox.size > 0) return;
    this.storeWaiting = false;
    this.storeWaitE.fire(false);
  }

  private failWaiting(err: Error): void {
    this.files.failAll(err);
    this.requests.failAll(err);
  }

  /** Coalesced arrivals and departures: counts, the online list, and a presence event per named change (never our own). */
  private onPeopleFrame(f: PeopleFrame): void {
    if (f.room !== undefined) this.membership.setCount(f.room, f.count);
    else this._online = f.count;
    this.peopleE.fire(f);
    for (const p of presenceEvents(f)) {
      if (p.name === this._name) continue;
      this.online.apply(p);
      this.presenceE.fire(p);
    }
  }

  /** Write to the live link; false when there is none. */
  protected write(frame: ClientFrame): boolean {
    const conn = this.dialer.connection;
    if (!conn?.ready) return false;
    conn.write(frame);
    return true;
  }

  private setState(s: ClientState): void {
    if (this._state === s) return;
    this._state = s;
    this.stateE.fire(s);
  }
}

/** Compile time: fails when a frame type is left unhandled. Run time: a frame from a newer server is ignored. */
function ignoreNewer(_frame: never): void {}
