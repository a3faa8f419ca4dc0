import { provenIdentity } from '../identity';
import type { Ban, RoomStateView } from '../protocol';
import type { HistoryPage, HistoryQuery, Store } from '../stores/store';
import type { Connection, Session } from './connection';
import type { Directory } from './directory';
import type { Handshake } from './handshake';
import type { Limits } from './options';
import type { Registry } from './registry';
import type { RoomLimits } from './roomLimits';
import { stateView } from './roomRules';
import type { RoomStates } from './roomStates';

/** Someone online, as a codec may show them (IRC's WHOIS and WHO). */
export interface PersonView {
  name: string;
  /** Their session when they are on this node; undefined for someone on another node. */
  session?: Session;
  /** The wire protocol they speak (`json`, `irc`), when on this node. */
  protocol?: string;
  /** When they connected and when they last sent anything (ms since the epoch), when on this node. */
  connectedAt?: number;
  lastActive?: number;
  /** True when they are connected with TLS (on this node). */
  secure?: boolean;
  /** The rooms they are in. */
  rooms: string[];
}

/** A room's settings as a codec may show them (IRC's TOPIC, MODE, NAMES prefixes, ban list). */
export interface RoomSettingsView extends RoomStateView {
  bans: Ban[];
  /** True when the room has a key (+k), shown or not. */
  keyed: boolean;
}

/**
 * What a codec may ask the server about people and rooms, read only: the
 * IRC gateway answers NAMES, WHO, WHOIS, LIST, ISON and CHATHISTORY from
 * it. Everything that changes state goes through frames (CodecSink.command),
 * so it is checked, rate-limited and announced like the JSON protocol's.
 */
export interface ServerView {
  /** The server's limits, every default filled in. */
  readonly limits: Limits;
  /** When the server was made (ms since the epoch). */
  readonly startedAt: number;
  /** True when clients must give the server password. */
  readonly requiresPassword: boolean;
  /** Names of everyone online on any node, this node's first. */
  users(): string[];
  /** The canonical name of someone online (`BOB` finds `bob`), or undefined. */
  online(name: string): string | undefined;
  /** True when a name is held or being claimed, here or on another node. */
  isTaken(name: string): boolean;
  /** Someone online, by name (folded), or undefined. */
  person(name: string): PersonView | undefined;
  /** The session of someone on this node (cheap: for every line written). */
  session(name: string): Session | undefined;
  /**
   * The identity someone online proved (IRC's account), on this node or
   * another (from their presence on the bus); undefined for a guest or
   * someone offline. Cheap: asked for every JOIN written.
   */
  accountOf(name: string): string | undefined;
  /** The members of a room on every node. */
  members(room: string): string[];
  /**
   * The identity id behind a name: whoever is online under it on any node,
   * else the identity that claimed it; undefined for neither (a guest who
   * left). Rejects when the store cannot be read.
   */
  identityOf(name: string): Promise<string | undefined>;
  /** The rooms the server keeps, with how many people are in each. */
  rooms(): Array<{ name: string; count: number }>;
  /** Open connections on this node, and how many of them completed the handshake. */
  connections(): { open: number; ready: number };
  /** Why a session may not join a room now, or undefined. */
  joinRefusal(session: Session, room: string): string | undefined;
  /** True when a session may read a room or a DM conversation. */
  canSee(session: Session, room: string): boolean;
  /** A page of stored history (the caller checked canSee). */
  history(room: string, query: HistoryQuery): Promise<HistoryPage>;
  /** The newest seq of a room (0 when empty). */
  lastSeq(room: string): Promise<number>;
  /** Check a password sent in the clear (SASL PLAIN), with the server's backoff; see Handshake.verifyPassword. */
  verifyPassword(password: string, from: string): Promise<{ ok: true; key: Buffer } | { ok: false; message: string }>;
  /**
   * A room's topic, modes, operators, voices and bans: this node's copy while
   * it has members there, otherwise read from the store. The key is shown
   * only when `member`. Rejects when the store cannot be read.
   */
  roomSettings(room: string, member: boolean): Promise<RoomSettingsView>;
  /** Someone's away message, or undefined when they are not away. */
  awayOf(name: string): string | undefined;
  /** Report something the operator should know (it goes to the server's log). */
  warn(message: string): void;
}

/** The server's parts a ServerView reads. */
export interface ServerViewParts {
  limits: Limits;
  registry: Registry;
  directory: Directory;
  roomLimits: RoomLimits;
  store: Store;
  handshake: Handshake;
  connections(): Iterable<Connection>;
  roomStates: RoomStates;
  awayOf(name: string): string | undefined;
  warn(message: string): void;
}

/** The ServerView of one ChatServer. */
export class ChatServerView implements ServerView {
  readonly startedAt = Date.now();
  readonly limits: Limits;

  constructor(private readonly p: ServerViewParts) {
    this.limits = p.limits;
  }

  get requiresPassword(): boolean {
    return this.p.handshake.requiresPassword;
  }

  users(): string[] {
    return [...this.p.registry.users(), ...this.p.directory.all().map((p) => p.name)];
  }

  online(name: string): string | undefined {
    return this.p.registry.find(name)?.session.name ?? this.p.directory.find(name)?.name;
  }

  isTaken(name: string): boolean {
    return this.p.registry.isTaken(name) || this.p.directory.find(name) !== undefined;
  }

  person(name: string): PersonView | undefined {
    const c = this.p.registry.find(name);
    if (c) {
      return {
        name: c.session.name,
        session: c.session,
        protocol: c.protocol,
        connectedAt: c.connectedAt,
        lastActive: c.lastFrame,
        secure: c.secure,
        rooms: [...c.session.rooms],
      };
    }
    const remote = this.p.directory.find(name);
    return remote === undefined ? undefined : { name: remote.name, rooms: this.p.directory.roomsOf(remote.name) };
  }

  session(name: string): Session | undefined {
    return this.p.registry.find(name)?.session;
  }

  accountOf(name: string): string | undefined {
    const local = this.p.registry.find(name)?.session;
    if (local) return provenIdentity(local);
    const remote = this.p.directory.find(name);
    return remote && provenIdentity(remote);
  }

  members(room: string): string[] {
    const local = this.p.registry.room(room);
    return [...(local ? [...local.members].map((c) => c.session.name) : []), ...this.p.directory.members(room)];
  }

  async identityOf(name: string): Promise<string | undefined> {
    return this.p.registry.find(name)?.session.id ?? this.p.directory.find(name)?.id ?? (await this.p.store.nameOwner(name));
  }

  rooms(): Array<{ name: string; count: number }> {
    const names = new Set<string>([...this.p.roomLimits.names(), ...this.p.directory.roomNames()]);
    return [...names].sort().map((name) => ({ name, count: (this.p.registry.room(name)?.members.size ?? 0) + this.p.directory.count(name) }));
  }

  connections(): { open: number; ready: number } {
    let open = 0;
    let ready = 0;
    for (const c of this.p.connections()) {
      open++;
      if (c.session.ready) ready++;
    }
    return { open, ready };
  }

  joinRefusal(session: Session, room: string): string | undefined {
    return this.p.roomLimits.refusal(session, room);
  }

  canSee(session: Session, room: string): boolean {
    return this.p.registry.canSee({ session }, room);
  }

  history(room: string, query: HistoryQuery): Promise<HistoryPage> {
    return this.p.store.history(room, query);
  }

  lastSeq(room: string): Promise<number> {
    return this.p.store.lastSeq(room);
  }

  verifyPassword(password: string, from: string): Promise<{ ok: true; key: Buffer } | { ok: false; message: string }> {
    return this.p.handshake.verifyPassword(password, from);
  }

  async roomSettings(room: string, member: boolean): Promise<RoomSettingsView> {
    const v = this.p.roomStates.copy(room) ?? (await this.p.roomStates.read(room));
    return { ...stateView(v.state, member), bans: v.state.bans.map((b) => ({ ...b })), keyed: v.state.modes.k !== undefined };
  }

  awayOf(name: string): string | undefined {
    return this.p.awayOf(name);
  }

  warn(message: string): void {
    this.p.warn(message);
  }
}

