import type { Endpoint } from '../address';
import type { Identity } from '../identity';
import type { ErrorFrame } from '../protocol';
import type { PasswordSource } from './passwordProver';

/** How to reach a server and how to behave when the link drops. */
export interface ClientOptions {
  host: string;
  port: number;
  /**
   * More servers of the same cluster (docs/scaling.md), tried after host:port
   * in turn: when a connection fails or drops, the client moves to the next
   * one at once, and backs off only after each has been tried. TLS pins and
   * the password apply to all of them (give the nodes one certificate).
   */
  servers?: Endpoint[];
  name: string;
  /** Milliseconds to establish the TCP connection and handshake. Default 10000. */
  connectTimeout?: number;
  /** Reconnect after an unexpected drop. Default true. */
  reconnect?: boolean;
  /** First reconnect delay in ms; it doubles up to maxBackoff, with jitter. Default 500. */
  minBackoff?: number;
  /** Cap on the reconnect delay. Default 30000. */
  maxBackoff?: number;
  /** Send a ping after this many quiet ms; a link silent for 2.5x this is considered dead. Default 30000. */
  pingInterval?: number;
  /** Milliseconds to wait for a history or search reply. Default 15000. */
  requestTimeout?: number;
  /** Longest line accepted from the server, in bytes. Default 64 MiB (see SERVER_MAX_LINE). */
  maxLine?: number;
  /** Speak TLS, trusting the server's certificate only by its pinned fingerprint (see ClientTlsOptions). */
  tls?: ClientTlsOptions;
  /**
   * The server's password, or a function that fetches it (e.g. from SecretStorage) when a challenge
   * arrives; it should answer quickly, as the server's handshake timeout runs meanwhile. Only a proof
   * derived from it is sent, never the password itself.
   */
  password?: PasswordSource;
  /**
   * The identity key to prove in the handshake (see identity.ts). With it, the name the server gives
   * you is yours: the first key to use a name owns it, and your direct messages follow your key, not
   * your name. Without it you are a guest, limited to names nobody has claimed.
   */
  identity?: Identity;
  /**
   * When the name belongs to another identity, fail with code 'name_claimed' instead of accepting
   * another name (`alice2`, with a welcome `notice` saying why). Default false.
   */
  insist?: boolean;
}

/**
 * How a TLS client decides to trust a server's certificate: by its SHA-256
 * fingerprint, pinned per host:port like SSH's known_hosts. Certificate
 * authorities are not consulted, so self-signed certificates work.
 */
export interface ClientTlsOptions {
  /** The fingerprint pinned for this host:port (any case, colons optional). A different certificate fails with code 'cert_changed'. */
  fingerprint?: string;
  /**
   * Trust on first use: called when nothing is pinned, before anything is sent. Show the fingerprint to a
   * person and resolve true to trust it; store the pin yourself. The client keeps it for its own
   * reconnects. Without this callback an unpinned certificate fails with code 'cert_unknown'.
   */
  verify?(fingerprint: string, host: string, port: number): boolean | Promise<boolean>;
  /** Name sent in SNI. Default: the host, unless it is an IP address. */
  servername?: string;
}

/**
 * Far above the 64 KiB a server accepts per line: a welcome or a history reply
 * carries a page of messages (up to 500, each up to a client line long), so a
 * client that capped server lines like the server caps its own could never
 * connect to a room holding a few long messages.
 */
export const SERVER_MAX_LINE = 64 * 1024 * 1024;

/** ClientOptions with every default filled in. */
export type ResolvedClientOptions = Required<Omit<ClientOptions, 'tls' | 'password' | 'servers' | 'identity' | 'insist'>> & Pick<ClientOptions, 'tls' | 'password' | 'servers' | 'identity' | 'insist'>;

export function resolveClientOptions(options: ClientOptions): ResolvedClientOptions {
  return {
    connectTimeout: 10_000,
    reconnect: true,
    minBackoff: 500,
    maxBackoff: 30_000,
    pingInterval: 30_000,
    requestTimeout: 15_000,
    maxLine: SERVER_MAX_LINE,
    ...options,
  };
}

/** Where the client stands. */
export type ClientState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** A message the server refused for good (not retried). */
export interface SendFailure {
  id: string;
  error: ErrorFrame;
}
