import * as net from 'node:net';
import * as tls from 'node:tls';
import { formatHostPort, type Endpoint } from '../address';
import { tlsBinding } from '../identity';
import { LineDecoder, encodeFrame } from '../lineCodec';
import { parseServerFrame, type ClientFrame, type HelloFrame, type ServerFrame, type WelcomeFrame } from '../protocol';
import { TLS_ALERT, TLS_HANDSHAKE } from '../tlsRecord';
import { ConnectError, HANDSHAKE_ERRORS, describeConnectError, describeRefusal, tlsMismatch } from './connectError';

/** Where one connection attempt stands. Every attempt ends in Closed, and stays there. */
export enum Phase {
  /** Opening the TCP connection. Nothing sent. */
  Dialing = 'dialing',
  /** TCP is up; the TLS handshake runs. */
  Securing = 'securing',
  /** The certificate is not pinned and a person is deciding; the connect timeout waits, server bytes are held unread. */
  Verifying = 'verifying',
  /** The server hung up while the person decided: a yes dials again at once, now pinned. */
  VerifyingDetached = 'verifying-detached',
  /** hello sent; nothing heard yet. */
  Greeting = 'greeting',
  /** The server answered; handshake frames (a challenge) are answered until the welcome. */
  Handshaking = 'handshaking',
  /** Welcomed: frames flow to the client, and a keepalive watches the link. */
  Ready = 'ready',
  /** Over: the attempt failed, or the link closed. */
  Closed = 'closed',
}

/** Everything that moves a connection between phases: socket events, a person's decision, decoded frames, timers, the client. */
export type Input =
  | { type: 'tcp_up' }
  | { type: 'tls_up'; fingerprint: string | undefined }
  | { type: 'decided'; trust: boolean }
  | { type: 'decide_failed'; error: Error }
  | { type: 'data'; chunk: Buffer }
  | { type: 'frame'; frame: ServerFrame }
  | { type: 'overflow' }
  | { type: 'answered'; frame: ClientFrame }
  | { type: 'answer_failed'; error: ConnectError }
  | { type: 'socket_error'; error: NodeJS.ErrnoException }
  | { type: 'socket_closed' }
  | { type: 'timeout' }
  | { type: 'ping_due' }
  | { type: 'abort' };

/** How an attempt ended; reported once. */
export interface Ending {
  /** Why the attempt failed before a welcome; absent when a welcomed link closed. */
  error?: ConnectError;
  /** The link had been welcomed. */
  wasReady: boolean;
  /** The server's reason, when it said bye before closing. */
  bye?: string;
  /** The person trusted the certificate after the server stopped waiting: dial again at once. */
  redial?: boolean;
}

/** What a connection asks of its client, and tells it. */
export interface ConnectionHooks {
  /** The hello to send once the link is up (and trusted). */
  hello(): HelloFrame;
  /** The answer to a handshake frame other than the welcome (a password challenge), or undefined when `f` is not one. */
  answer(f: ServerFrame): Promise<ClientFrame> | undefined;
  /** The server presented this certificate (TLS only), trusted or not. */
  presented(fingerprint: string): void;
  /** A person trusted this certificate through verify(): keep it pinned. */
  trusted(fingerprint: string): void;
  welcomed(w: WelcomeFrame): void;
  /** A frame after the welcome (pings, pongs and bye are handled here). */
  frame(f: ServerFrame): void;
  ended(e: Ending): void;
}

/** How to dial, and how patient to be. */
export interface ConnectionOptions {
  endpoint: Endpoint;
  connectTimeout: number;
  pingInterval: number;
  maxLine: number;
  /** Speak TLS. The certificate must match `pinned`, or be accepted by `verify`. */
  tls?: {
    pinned?: string;
    verify?(fingerprint: string, host: string, port: number): boolean | Promise<boolean>;
    servername?: string;
  };
}

/**
 * One socket to one server, from dialing to close: TCP, TLS and the
 * certificate pin, the handshake, then a keepalive. Socket events, decoded
 * frames and timers all become Inputs to `step`, the one place the phase
 * changes. A new attempt makes a new Connection.
 */
export class Connection {
  private phase_ = Phase.Dialing;
  private readonly socket: net.Socket;
  private readonly decoder: LineDecoder;
  readonly address: string;
  private timer?: NodeJS.Timeout;
  private pinger?: NodeJS.Timeout;
  private lastRx = Date.now();
  /** Bytes a TLS server sent before its certificate was trusted. */
  private held: Buffer[] = [];
  private fingerprint_?: string;
  private bye?: string;

  constructor(
    private readonly opts: ConnectionOptions,
    private readonly hooks: ConnectionHooks,
  ) {
    const { host, port } = opts.endpoint;
    this.address = formatHostPort(opts.endpoint);
    this.decoder = new LineDecoder(
      {
        line: (text) => {
          const frame = parseServerFrame(text);
          if (frame) this.step({ type: 'frame', frame }); // a server that sends junk is ignored line by line
        },
        overflow: () => this.step({ type: 'overflow' }),
      },
      opts.maxLine,
    );
    this.socket = opts.tls
      ? tls.connect({
          host,
          port,
          servername: opts.tls.servername ?? (net.isIP(host) ? undefined : host),
          // Certificate authorities are not consulted: the fingerprint pin is the check.
          rejectUnauthorized: false,
          minVersion: 'TLSv1.2',
        })
      : net.connect({ host, port, noDelay: true });
    this.socket.setNoDelay(true);
    this.socket.setKeepAlive(true, 30_000);
    this.socket.on('connect', () => this.step({ type: 'tcp_up' }));
    this.socket.on('secureConnect', () => this.step({ type: 'tls_up', fingerprint: (this.socket as tls.TLSSocket).getPeerX509Certificate()?.fingerprint256 }));
    this.socket.on('data', (chunk: Buffer) => this.step({ type: 'data', chunk }));
    this.socket.on('error', (error: NodeJS.ErrnoException) => this.step({ type: 'socket_error', error }));
    this.socket.on('close', () => this.step({ type: 'socket_closed' }));
    this.arm();
  }

  get phase(): Phase {
    return this.phase_;
  }

  /** SHA-256 of the certificate this server presented (TLS only). */
  get fingerprint(): string | undefined {
    return this.fingerprint_;
  }

  /** The TLS channel binding of this socket (see tlsBinding): an identity signature covers it. Undefined on plain TCP. */
  get binding(): Buffer | undefined {
    return tlsBinding(this.socket);
  }

  /** True when frames can be written: welcomed and not closed. */
  get ready(): boolean {
    return this.phase_ === Phase.Ready && !this.socket.destroyed;
  }

  /** Write a frame; false when the socket's buffer is full (wait for drained()) or the link is gone. */
  write(frame: ClientFrame): boolean {
    if (this.socket.destroyed || this.phase_ === Phase.Closed) return false;
    return this.socket.write(encodeFrame(frame));
  }

  /** Resolves when the socket's buffer drains, or the link closes. */
  drained(): Promise<void> {
    if (this.socket.destroyed || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done).off('close', done);
        resolve();
      };
      this.socket.once('drain', done).once('close', done);
    });
  }

  /** End the attempt or the link on purpose; a pending connect fails with code 'disconnected'. */
  close(): void {
    this.step({ type: 'abort' });
  }

  /** The transition function: every change of phase happens here. */
  private step(input: Input): void {
    const p = this.phase_;
    if (p === Phase.Closed) return;
    switch (input.type) {
      case 'tcp_up':
        if (p !== Phase.Dialing) return;
        if (this.opts.tls) this.phase_ = Phase.Securing;
        else this.greet();
        return;
      case 'tls_up':
        // The TCP 'connect' normally comes first; the certificate is checked either way.
        if (p !== Phase.Securing && p !== Phase.Dialing) return;
        return this.checkCertificate(input.fingerprint);
      case 'decided':
        if (p !== Phase.Verifying && p !== Phase.VerifyingDetached) return;
        if (!input.trust) return this.fail(new ConnectError(`you chose not to trust the certificate of ${this.address} (SHA-256 ${this.fingerprint_})`, 'cert_rejected', { fingerprint: this.fingerprint_ }));
        this.hooks.trusted(this.fingerprint_!);
        if (p === Phase.VerifyingDetached) return this.finish({ wasReady: false, redial: true });
        this.arm();
        this.greet();
        return;
      case 'decide_failed':
        if (p !== Phase.Verifying && p !== Phase.VerifyingDetached) return;
        return this.fail(new ConnectError(`could not check the certificate of ${this.address}: ${input.error.message}`, 'cert_rejected', { fingerprint: this.fingerprint_ }));
      case 'data':
        this.lastRx = Date.now();
        if (p === Phase.Verifying || p === Phase.VerifyingDetached) {
          this.held.push(input.chunk);
          return;
        }
        if (p === Phase.Greeting) {
          if (!this.opts.tls && (input.chunk[0] === TLS_ALERT || input.chunk[0] === TLS_HANDSHAKE)) return this.fail(tlsMismatch(this.address, true));
          this.phase_ = Phase.Handshaking;
        }
        this.decoder.push(input.chunk);
        return;
      case 'frame':
        return p === Phase.Ready ? this.onReadyFrame(input.frame) : this.onHandshakeFrame(input.frame);
      case 'overflow':
        if (p === Phase.Ready) return void this.socket.destroy(); // the close ends the link
        return this.fail(new ConnectError(`${this.address} sent a line longer than ${this.opts.maxLine} bytes`, 'frame_too_large'));
      case 'answered':
        if (p === Phase.Greeting || p === Phase.Handshaking) this.write(input.frame);
        return;
      case 'answer_failed':
        if (p === Phase.Greeting || p === Phase.Handshaking) this.fail(input.error);
        return;
      case 'socket_error':
        // In Ready and while a person decides, the close that follows says what matters.
        if (p === Phase.Ready || p === Phase.Verifying || p === Phase.VerifyingDetached) return;
        if (p === Phase.Securing) return this.fail(tlsMismatch(this.address, false, input.error));
        return this.fail(describeConnectError(input.error, this.address));
      case 'socket_closed':
        this.decoder.stop();
        switch (p) {
          case Phase.Verifying:
            this.phase_ = Phase.VerifyingDetached; // settled when the person has decided
            return;
          case Phase.VerifyingDetached:
            return;
          case Phase.Ready:
            return this.finish({ wasReady: true, bye: this.bye });
          case Phase.Securing:
            return this.fail(tlsMismatch(this.address, false));
          case Phase.Greeting:
            // Silence then a close is what a TLS server (not ours) does to a plain hello.
            if (!this.opts.tls) return this.fail(new ConnectError(`${this.address} closed the connection without a word: is it a TCP Chat server, and does it expect TLS?`, 'ECONNRESET'));
            return this.fail(new ConnectError(`${this.address} closed the connection during the handshake`, 'ECONNRESET'));
          default:
            return this.fail(new ConnectError(`${this.address} closed the connection during the handshake${this.bye ? `: ${this.bye}` : ''}`, 'ECONNRESET'));
        }
      case 'timeout':
        if (p === Phase.Verifying || p === Phase.VerifyingDetached || p === Phase.Ready) return;
        return this.fail(new ConnectError(`no answer from ${this.address} within ${this.opts.connectTimeout / 1000} s: check the host and port, and that a firewall lets it through`, 'ETIMEDOUT'));
      case 'ping_due': {
        if (p !== Phase.Ready) return;
        const quiet = Date.now() - this.lastRx;
        if (quiet > this.opts.pingInterval * 2.5) this.socket.destroy(); // dead: the close ends it
        else if (quiet >= this.opts.pingInterval) this.write({ type: 'ping' });
        return;
      }
      case 'abort':
        if (p !== Phase.Ready) return this.fail(new ConnectError('disconnected', 'disconnected'));
        this.socket.end();
        setTimeout(() => this.socket.destroy(), 1000).unref();
        return this.finish({ wasReady: true });
    }
  }

  /** Compare the presented certificate with the pin, or ask a person. */
  private checkCertificate(fp: string | undefined): void {
    if (!fp) return this.fail(new ConnectError(`${this.address} presented no certificate`, 'cert_rejected'));
    this.fingerprint_ = fp;
    this.hooks.presented(fp);
    const { pinned, verify } = this.opts.tls ?? {};
    if (pinned !== undefined) {
      if (pinned === fp) return this.greet();
      return this.fail(
        new ConnectError(
          `the certificate of ${this.address} has CHANGED since you trusted it: pinned ${pinned}, now ${fp}. ` +
            'Someone may be intercepting the connection, or the server made a new certificate. ' +
            'Ask its operator for the fingerprint in the server banner; trust the new one only if it matches.',
          'cert_changed',
          { fingerprint: fp, expected: pinned },
        ),
      );
    }
    if (!verify) return this.fail(new ConnectError(`the certificate of ${this.address} is not pinned (SHA-256 ${fp}): pin it to connect`, 'cert_unknown', { fingerprint: fp }));
    // A person may be deciding: the connect timeout waits for them.
    clearTimeout(this.timer);
    this.phase_ = Phase.Verifying;
    const { host, port } = this.opts.endpoint;
    Promise.resolve()
      .then(() => verify(fp, host, port))
      .then(
        (trust) => this.step({ type: 'decided', trust }),
        (error: unknown) => this.step({ type: 'decide_failed', error: error instanceof Error ? error : new Error(String(error)) }),
      );
  }

  /** Send hello, then read what the server said meanwhile. */
  private greet(): void {
    this.phase_ = Phase.Greeting;
    this.lastRx = Date.now();
    this.write(this.hooks.hello());
    for (const chunk of this.held.splice(0)) this.step({ type: 'data', chunk });
  }

  private onHandshakeFrame(f: ServerFrame): void {
    if (f.type === 'welcome') {
      clearTimeout(this.timer);
      this.phase_ = Phase.Ready;
      this.pinger = setInterval(() => this.step({ type: 'ping_due' }), this.opts.pingInterval / 2);
      this.pinger.unref();
      this.hooks.welcomed(f);
      return;
    }
    if (f.type === 'error' && HANDSHAKE_ERRORS.has(f.code)) return this.fail(describeRefusal(this.address, f));
    if (f.type === 'bye') {
      this.bye = f.reason;
      return;
    }
    const answer = this.hooks.answer(f);
    if (!answer) return this.hooks.frame(f);
    answer.then(
      (frame) => this.step({ type: 'answered', frame }),
      (err: unknown) =>
        this.step({
          type: 'answer_failed',
          error: err instanceof ConnectError ? err : new ConnectError(`could not answer the ${f.type} of ${this.address}: ${(err as Error).message}`, 'bad_challenge'),
        }),
    );
  }

  private onReadyFrame(f: ServerFrame): void {
    switch (f.type) {
      case 'ping':
        this.write(f.id === undefined ? { type: 'pong' } : { type: 'pong', id: f.id });
        return;
      case 'pong':
        return;
      case 'bye':
        this.bye = f.reason; // reported once, with the close that follows
        return;
      default:
        this.hooks.frame(f);
    }
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.step({ type: 'timeout' }), this.opts.connectTimeout);
  }

  private fail(error: ConnectError): void {
    this.socket.destroy();
    this.finish({ error, wasReady: false });
  }

  private finish(e: Ending): void {
    this.phase_ = Phase.Closed;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    this.decoder.stop();
    this.held = [];
    this.hooks.ended(e);
  }
}
