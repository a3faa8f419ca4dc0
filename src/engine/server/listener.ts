import * as net from 'node:net';
import * as tls from 'node:tls';
import { fingerprintOf } from '../certificate';
import { TLS_HANDSHAKE } from '../tlsRecord';
import type { ErrorCode } from '../protocol';
import type { WireProtocol } from './codec';
import type { ServerEvent } from './options';

/** Thrown by listen() with a message that says what to do. */
export class ListenError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'ListenError';
  }
}

/** What the listener needs from the server it feeds. */
export interface ListenerHost {
  /** Sockets the server holds now, handshake or not (for maxClients). */
  connections(): number;
  /** A socket ready to speak the protocol (TLS already unwrapped). Returns a handle that can close it politely. */
  connect(socket: net.Socket, address: string, protocol: WireProtocol): { refuse(code: ErrorCode, message: string, reason: string): void };
  report(e: ServerEvent): void;
}

/** Where and how to listen. */
export interface ListenerOptions {
  host: string;
  port: number;
  /** What the port speaks: JSON lines, or another codec (IRC). */
  protocol: WireProtocol;
  maxClients: number;
  handshakeTimeout: number;
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/** Sockets past maxClients still get a polite line; beyond this margin the kernel refuses them. */
const ACCEPT_MARGIN = 64;

/**
 * Binds the port and turns accepted sockets into connections: it tells TLS
 * from plain TCP by the first byte, unwraps TLS, and turns away sockets past
 * maxClients with a line they can read.
 */
export class Listener {
  private server?: net.Server;
  private secureContext?: tls.SecureContext;
  /** SHA-256 fingerprint of the TLS certificate (colon hex, what clients pin); undefined without TLS. */
  readonly fingerprint?: string;
  /** A bad certificate or key, reported by listen() rather than thrown by the constructor. */
  readonly configError?: ListenError;
  /** Sockets on a TLS port whose first byte has not arrived yet. */
  private readonly sniffing = new Set<net.Socket>();

  constructor(
    private readonly opts: ListenerOptions,
    private readonly host: ListenerHost,
  ) {
    if (opts.tls) {
      try {
        this.secureContext = tls.createSecureContext({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' });
        this.fingerprint = fingerprintOf(opts.tls.cert);
      } catch (err) {
        this.configError = new ListenError(`the TLS certificate or key cannot be used: ${(err as Error).message}`, 'ETLSCONFIG');
      }
    }
  }

  /** What the port speaks. */
  get protocol(): WireProtocol {
    return this.opts.protocol;
  }

  /** True when the port speaks TLS. */
  get secure(): boolean {
    return this.secureContext !== undefined;
  }

  /** Bind; resolves with the bound address, rejects with a ListenError that says what to do. */
  listen(): Promise<net.AddressInfo> {
    if (this.configError) return Promise.reject(this.configError);
    const server = net.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 30_000 }, (s) => this.accept(s));
    this.server = server;
    server.maxConnections = this.opts.maxClients + ACCEPT_MARGIN; // above our own cap, which answers politely
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.server = undefined;
        reject(describeListenError(err, this.opts.host, this.opts.port));
      };
      server.once('error', onError);
      server.listen({ host: this.opts.host, port: this.opts.port, backlog: 4096 }, () => {
        server.off('error', onError);
        server.on('error', (err) => this.host.report({ type: 'warn', message: `server error: ${err.message}` }));
        resolve(server.address() as net.AddressInfo);
      });
    });
  }

  /** The bound address, once listening. */
  address(): net.AddressInfo | undefined {
    return (this.server?.address() as net.AddressInfo | null) ?? undefined;
  }

  /** Stop accepting and drop sockets still being sniffed; resolves when the port is closed. */
  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    for (const s of this.sniffing) s.destroy();
    this.sniffing.clear();
    return closed;
  }

  private accept(socket: net.Socket): void {
    if (this.secureContext && !(socket instanceof tls.TLSSocket)) return this.sniff(socket);
    const address = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.host.connections() >= this.opts.maxClients) {
      socket.on('error', () => undefined);
      socket.end(this.opts.protocol.refusal({ type: 'error', code: 'server_full', message: `the server is full (${this.opts.maxClients} connections); try again later` }));
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    if (!this.secureContext) {
      // Registered before the connection's own reader, so it sees the first chunk first; refuse() stops that reader.
      socket.once('data', (chunk: Buffer) => {
        // A TLS client cannot read this line, but it fails its handshake at once instead of hanging.
        if (chunk[0] === TLS_HANDSHAKE) conn.refuse('tls_unexpected', 'this server does not speak TLS: connect with TLS turned off', 'a TLS client reached this plain server');
      });
    }
    const conn = this.host.connect(socket, address, this.opts.protocol);
  }

  /**
   * On a TLS server, look at the first byte before choosing a protocol: a TLS
   * handshake record is handed to TLS on the same socket; anything else is a
   * plain-TCP client, which gets a plain line it can read instead of TLS noise.
   */
  private sniff(raw: net.Socket): void {
    const address = `${raw.remoteAddress}:${raw.remotePort}`;
    raw.on('error', () => undefined);
    if (this.sniffing.size + this.host.connections() >= this.opts.maxClients + ACCEPT_MARGIN) {
      raw.destroy();
      return;
    }
    this.sniffing.add(raw);
    const timer = setTimeout(() => raw.destroy(), this.opts.handshakeTimeout);
    timer.unref();
    const forget = () => {
      clearTimeout(timer);
      this.sniffing.delete(raw);
    };
    raw.once('close', forget);
    raw.once('data', (chunk: Buffer) => {
      forget();
      raw.off('close', forget);
      raw.pause();
      if (chunk[0] !== TLS_HANDSHAKE) {
        this.host.report({ type: 'closed', address, code: 'tls_required', reason: 'a plain-TCP client reached this TLS server' });
        raw.end(this.opts.protocol.refusal({ type: 'error', code: 'tls_required', message: 'this server requires TLS: connect with TLS turned on' }));
        setTimeout(() => raw.destroy(), 1000).unref();
        return;
      }
      raw.unshift(chunk); // TLSSocket reads what is already buffered before the handle
      // A client certificate is asked for, never required: IRC's SASL EXTERNAL proves an identity with one.
      const certs = this.opts.protocol.clientCertificates === true;
      const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: this.secureContext, ...(certs && { requestCert: true, rejectUnauthorized: false }) });
      let secured = false;
      secure.once('secure', () => (secured = true));
      secure.once('error', (err) => {
        if (!secured) this.host.report({ type: 'warn', message: `TLS handshake with ${address} failed: ${err.message}` });
      });
      this.accept(secure);
    });
  }
}

/** Turns a listen failure into a sentence that says what to do. */
export function describeListenError(err: NodeJS.ErrnoException, host: string, port: number): ListenError {
  switch (err.code) {
    case 'EADDRINUSE':
      return new ListenError(`port ${port} is already in use: pick another port or stop the program using it`, err.code);
    case 'EACCES':
      return new ListenError(`not allowed to listen on port ${port}: ports below 1024 need privileges; pick a port above 1024`, err.code);
    case 'EADDRNOTAVAIL':
      return new ListenError(`cannot listen on ${host}: this machine has no such address; use 127.0.0.1, 0.0.0.0 or one of its own addresses`, err.code);
    case 'ENOTFOUND':
      return new ListenError(`cannot resolve host ${host}: check the bind host`, err.code);
    default:
      return new ListenError(`cannot listen on ${host}:${port}: ${err.message}`, err.code);
  }
}
