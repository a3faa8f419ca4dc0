import * as net from 'node:net';
import * as tls from 'node:tls';
import { tlsBinding, type Identity } from '../../src/engine/identity';

/**
 * A test client that speaks only the documented JSON lines over a plain
 * socket, with no engine code, so tests prove the wire format itself.
 */
export class RawClient {
  readonly frames: Record<string, unknown>[] = [];
  private buf = '';
  private waiters: Array<() => void> = [];
  closed = false;
  private requests = 0;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) !== -1) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        if (line.trim()) this.frames.push(JSON.parse(line) as Record<string, unknown>);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Connect over TLS, trusting any certificate (the tests that use it check the handshake, not the certificate). */
  static connectTls(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ port, host, rejectUnauthorized: false }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Connect and complete the handshake (as a guest: no key); resolves with the welcome frame. `extra` adds hello fields (a session). */
  static async hello(port: number, name: string, host = '127.0.0.1', extra: Record<string, unknown> = {}): Promise<{ client: RawClient; welcome: Record<string, unknown> }> {
    const client = await RawClient.connect(port, host);
    client.send({ type: 'hello', v: 1, name, ...extra });
    const welcome = await client.waitFor((f) => f.type === 'welcome');
    return { client, welcome };
  }

  /**
   * Send a hello with the public key of `identity` and answer the server's one
   * challenge with the signature (docs/protocol.md, Identities); resolves with
   * the frame that ends the attempt: the welcome, or an error (name_claimed,
   * auth_failed...). `extra` adds hello fields (insist, session).
   */
  async helloWithKey(name: string, identity: Identity, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    this.send({ type: 'hello', v: 1, name, key: identity.publicKey, ...extra });
    const challenge = await this.waitFor((f) => f.type === 'challenge' || f.type === 'error');
    if (challenge.type === 'error') return challenge;
    this.send({ type: 'auth', signature: identity.signChallenge(challenge.nonce as string, tlsBinding(this.socket)) });
    return this.waitFor((f) => f.type === 'welcome' || f.type === 'error');
  }

  /** A round trip (ping, pong): every frame the server sent before it has arrived. */
  async settle(): Promise<void> {
    const id = `settle-${++this.requests}`;
    this.send({ type: 'ping', id });
    await this.waitFor((f) => f.type === 'pong' && f.id === id);
  }

  /** A `history` request; resolves with its reply, or with the error about it (not_in_room...). */
  history(room: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.request({ type: 'history', room, ...extra }, 'history');
  }

  /** A `search` request; resolves with its reply, or with the error about it. */
  search(query: string, room?: string): Promise<Record<string, unknown>> {
    return this.request({ type: 'search', query, ...(room !== undefined && { room }) }, 'search_results');
  }

  private request(frame: Record<string, unknown>, reply: string): Promise<Record<string, unknown>> {
    const id = `req-${++this.requests}`;
    this.send({ ...frame, id });
    return this.waitFor((f) => (f.type === reply && f.id === id) || (f.type === 'error' && f.ref === id));
  }

  send(frame: unknown): void {
    this.socket.write(JSON.stringify(frame) + '\n');
  }

  sendRaw(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** The first frame (received so far or later) that matches; removes it from the unread list. */
  waitFor(match: (f: Record<string, unknown>) => boolean, timeoutMs = 3000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const i = this.frames.findIndex(match);
        if (i !== -1) {
          resolve(this.frames.splice(i, 1)[0]);
          return true;
        }
        return false;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames).slice(0, 500)}`));
      }, timeoutMs);
      const waiter = () => {
        if (check()) {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== waiter);
        }
      };
      this.waiters.push(waiter);
    });
  }

  /** The next unread frame in arrival order, or undefined once the socket has closed and nothing is left. */
  next(timeoutMs = 3000): Promise<Record<string, unknown> | undefined> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (this.frames.length > 0) resolve(this.frames.shift());
        else if (this.closed) resolve(undefined);
        else return false;
        return true;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no frame within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = () => {
        if (check()) {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== waiter);
        }
      };
      this.waiters.push(waiter);
    });
  }

  /** Resolves when the server closes the socket. */
  waitClosed(timeoutMs = 3000): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return resolve();
      const timer = setTimeout(() => reject(new Error('socket still open')), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of this.waiters.slice()) w();
  }
}
