import { DEFAULT_MAX_LINE } from '../lineCodec';
import { DEFAULT_HOST, DEFAULT_PORT, type ErrorCode } from '../protocol';
import type { KdfParams, ThrottleOptions } from '../auth';
import type { Bus } from '../buses/bus';
import type { WireProtocol } from './codec';
import type { Store } from '../stores/store';

/** Server settings; every field has a documented default (docs/protocol.md, "Limits"). */
export interface ServerOptions {
  host?: string;
  /** 0 picks a free port; `address()` reports it. */
  port?: number;
  /** Longest accepted line in bytes. Default 65536. */
  maxLine?: number;
  /** Connections at once. Default 10000. */
  maxClients?: number;
  /** Steady messages per second per connection; 0 turns the limit off. Default 10. */
  rate?: number;
  /** Messages allowed in a burst. Default 30. */
  burst?: number;
  /** Output bytes queued for one connection before it is cut as a slow reader. Default 8 MiB. */
  maxQueue?: number;
  /** Milliseconds to complete the handshake. Default 10000. */
  handshakeTimeout?: number;
  /** Milliseconds without a complete frame before a connection is closed. Default 90000; a ping goes out at half. */
  idleTimeout?: number;
  /** Messages of history in a welcome or join reply. Default 50. */
  historyOnJoin?: number;
  /** Largest file a client may offer, in bytes. Default 10 MiB. */
  maxFileSize?: number;
  /** Milliseconds a file transfer may go without a chunk before it is aborted for everyone. Default 60000. */
  fileIdleTimeout?: number;
  /** Rooms the server keeps at once: with people in them, or used within roomIdleMs. Default 1000. */
  maxRooms?: number;
  /** Rooms one person may be in at once, `general` included. Default 50. */
  maxRoomsPerPerson?: number;
  /** Milliseconds an empty room is remembered after its last activity; then it is forgotten (its history stays in the store). Default 600000 (10 min). */
  roomIdleMs?: number;
  /** Minimum milliseconds between relayed typing notices per sender and target. Default 2000. */
  typingInterval?: number;
  /**
   * Above this many people a room is large (and, counting everyone online,
   * so is the server): welcomes and joined replies list only you and the
   * people relevant to you, `people` frames carry the count without names,
   * and typing notices are coalesced. Default 500.
   */
  largeRoom?: number;
  /** Milliseconds over which a large room's arrivals, departures and typing notices are coalesced into one frame. Default 1000. */
  presenceInterval?: number;
  /**
   * Lines per second one connection may send, with bursts of twice that; past it
   * the server stops reading the socket until the budget refills, so a flood of
   * cheap frames (pings, junk) cannot starve everyone else. Default 200; 0 turns
   * it off, and so does `rate: 0`.
   */
  lineRate?: number;
  /** Serve TLS (1.2 or 1.3, 1.3 preferred) with this PEM certificate and key. Plain-TCP clients get a `tls_required` line. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Require this password before the welcome (challenge and response: it never crosses the wire). Empty is refused. */
  password?: string;
  /** scrypt cost of the password key. Default DEFAULT_KDF (N 65536, r 8, p 1, 32 bytes); tests lower N. */
  passwordKdf?: Partial<KdfParams>;
  /** Backoff for wrong proofs (passwords, identity signatures) per address. Default: 1 s doubling to 60 s, forgiven after 10 quiet minutes or a right proof. */
  authThrottle?: ThrottleOptions;
  /** Admit only people who prove an identity key: a hello without `key` gets `identity_required`. Default false (guests welcome). */
  requireIdentity?: boolean;
  /** Names one identity key may claim; past it, a name is used unclaimed (hello) or refused (nick). Default 16. */
  maxNamesPerIdentity?: number;
  /**
   * More ports on the same host, each speaking its own wire protocol (the IRC
   * gateway, say). They share TLS, limits, rooms and people with the main
   * port, which always speaks JSON lines.
   */
  extraPorts?: Array<{ port: number; protocol: WireProtocol }>;
  /** Where history is kept. Default: a MemoryStore of its own. */
  store?: Store;
  /** What connects this server to other nodes (see server/busEvents.ts). Default: a LocalBus of its own, a single node. */
  bus?: Bus;
  /**
   * How welcomes name this server process (`server.node`), so a person can tell
   * which node of a cluster they are on. Default: none on a single node; with
   * a shared bus, this host's name and port.
   */
  nodeName?: string;
  /** How a node of a cluster watches the others and repairs what the bus lost (docs/scaling.md). The defaults suit deployments; tests shorten them. */
  cluster?: Partial<ClusterTimings>;
}

/** The clocks of a cluster node. */
export interface ClusterTimings {
  /** How often a node tells the others it is alive. Default 5000. */
  heartbeatMs: number;
  /** A node silent this long is taken for dead, and its people go offline. Default 15000. */
  nodeTimeoutMs: number;
  /** How long a room message whose predecessor is missing waits before the gap is read from the store. Default 300. */
  gapWaitMs: number;
  /** How long a node waits for a room's leader to store a message it forwarded before storing it itself. Default 1000. */
  forwardWaitMs: number;
}

/** The numeric limits of a running server, every default filled in. */
export type Limits = Required<Omit<ServerOptions, 'store' | 'bus' | 'extraPorts' | 'tls' | 'password' | 'passwordKdf' | 'authThrottle' | 'nodeName' | 'cluster' | 'requireIdentity'>>;

/** Fills in the documented defaults. */
export function resolveLimits(options: ServerOptions): Limits {
  return {
    host: options.host ?? DEFAULT_HOST,
    port: options.port ?? DEFAULT_PORT,
    maxLine: options.maxLine ?? DEFAULT_MAX_LINE,
    maxClients: options.maxClients ?? 10_000,
    rate: options.rate ?? 10,
    burst: options.burst ?? 30,
    maxQueue: options.maxQueue ?? 8 * 1024 * 1024,
    handshakeTimeout: options.handshakeTimeout ?? 10_000,
    idleTimeout: options.idleTimeout ?? 90_000,
    historyOnJoin: options.historyOnJoin ?? 50,
    typingInterval: options.typingInterval ?? 2000,
    largeRoom: options.largeRoom ?? 500,
    presenceInterval: options.presenceInterval ?? 1000,
    lineRate: options.rate === 0 ? 0 : (options.lineRate ?? 200),
    maxFileSize: options.maxFileSize ?? 10 * 1024 * 1024,
    fileIdleTimeout: options.fileIdleTimeout ?? 60_000,
    maxRooms: options.maxRooms ?? 1000,
    maxRoomsPerPerson: options.maxRoomsPerPerson ?? 50,
    roomIdleMs: options.roomIdleMs ?? 10 * 60_000,
    maxNamesPerIdentity: options.maxNamesPerIdentity ?? 16,
  };
}

/** What a server reports to whoever runs it (the CLI logs these). */
export type ServerEvent =
  | { type: 'online'; name: string; address: string }
  | { type: 'offline'; name: string; reason: string }
  | { type: 'join'; name: string; room: string }
  | { type: 'leave'; name: string; room: string }
  | { type: 'rename'; from: string; name: string }
  | { type: 'closed'; address: string; code: ErrorCode | 'bye'; reason: string }
  | { type: 'warn'; message: string };
