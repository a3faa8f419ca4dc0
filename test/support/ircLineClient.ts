import * as net from 'node:net';
import * as tls from 'node:tls';
import { parseIrcMessage, type IrcMessage } from '../../src/engine/codecs/irc/ircMessage';

/**
 * An IRC client at the level of lines, for tests that check exact replies
 * (numerics, tags, batches): it writes what it is told and parses every line
 * it receives with the gateway's own parser, which is fuzzed against the
 * writer. Waits are on lines arriving, with a deadline.
 */
export class IrcLineClient {
  /** Every line received, parsed, oldest first; consumed by waitFor(). */
  readonly received: IrcMessage[] = [];
  /** Every raw line received (never consumed). */
  readonly raw: string[] = [];
  private buf = '';
  private readonly waiters = new Set<() => void>();
  private closedFlag = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buf += chunk;
      for (let nl = this.buf.indexOf('\n'); nl !== -1; nl = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, nl).replace(/\r$/, '');
        this.buf = this.buf.slice(nl + 1);
        this.raw.push(line);
        const p = parseIrcMessage(line);
        if (p.ok) this.received.push(p.message);
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedFlag = true;
        resolve();
        this.wake();
      }),
    );
  }

  /** Connects over plain TCP, or TLS with `tlsOptions`. */
  static connect(port: number, tlsOptions?: tls.ConnectionOptions, host = '127.0.0.1'): Promise<IrcLineClient> {
    return new Promise((resolve, reject) => {
      const socket = tlsOptions ? tls.connect({ host, port, rejectUnauthorized: false, ...tlsOptions }) : net.connect({ host, port });
      socket.once(tlsOptions ? 'secureConnect' : 'connect', () => resolve(new IrcLineClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Connects and registers as `nick` (with `caps` requested first), resolving once 001 arrives; the burst up to the JOIN of #general is consumed. */
  static async register(port: number, nick: string, caps: string[] = [], tlsOptions?: tls.ConnectionOptions): Promise<IrcLineClient> {
    const c = await IrcLineClient.connect(port, tlsOptions);
    if (caps.length > 0) c.send('CAP LS 302', `CAP REQ :${caps.join(' ')}`);
    c.send(`NICK ${nick}`, `USER ${nick} 0 * :${nick} tester`);
    if (caps.length > 0) {
      await c.waitFor((m) => m.command === 'CAP' && (m.params[1] === 'ACK' || m.params[1] === 'NAK'));
      c.send('CAP END');
    }
    await c.until((m) => m.command === '366');
    return c;
  }

  /**
   * Connects over TLS with a client certificate (`tlsOptions.cert` and `.key`),
   * logs in with SASL EXTERNAL, and registers as `nick`; resolves once 366
   * of the first room arrives, the burst consumed, or rejects with the lines
   * seen when the login or the nick is refused.
   */
  static async registerWithCertificate(port: number, nick: string, caps: string[], tlsOptions: tls.ConnectionOptions): Promise<IrcLineClient> {
    const c = await IrcLineClient.connect(port, tlsOptions);
    c.send('CAP LS 302', `CAP REQ :${['sasl', ...caps].join(' ')}`, `NICK ${nick}`, `USER ${nick} 0 * :${nick} tester`);
    const ack = await c.waitFor((m) => m.command === 'CAP' && (m.params[1] === 'ACK' || m.params[1] === 'NAK'));
    if (ack.params[1] === 'NAK') throw new Error(`the server refused the capabilities ${ack.params[2]}`);
    c.send('AUTHENTICATE EXTERNAL');
    await c.waitFor((m) => m.command === 'AUTHENTICATE' && m.params[0] === '+');
    c.send('AUTHENTICATE +');
    const done = await c.waitFor((m) => m.command === '903' || m.command === '904');
    if (done.command === '904') throw new Error(`SASL EXTERNAL failed; last lines:\n${c.raw.slice(-5).join('\n')}`);
    c.send('CAP END');
    const burst = await c.until((m) => m.command === '366' || m.command === '433');
    if (burst[burst.length - 1].command === '433') throw new Error(`433 for ${nick}: ${burst[burst.length - 1].params[2]}`);
    return c;
  }

  send(...lines: string[]): void {
    this.socket.write(lines.map((l) => `${l}\r\n`).join(''));
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves with (and removes) the first received line `match` accepts; rejects at the deadline or on close. */
  async waitFor(match: (m: IrcMessage) => boolean, timeoutMs = 5000): Promise<IrcMessage> {
    const i = await this.find(match, timeoutMs);
    return this.received.splice(i, 1)[0];
  }

  /** The numeric with `code`, waited for. */
  numeric(code: string, timeoutMs?: number): Promise<IrcMessage> {
    return this.waitFor((m) => m.command === code, timeoutMs);
  }

  /** Every line received up to and including the first one `end` accepts, in order, consumed. */
  async until(end: (m: IrcMessage) => boolean, timeoutMs = 5000): Promise<IrcMessage[]> {
    const i = await this.find(end, timeoutMs);
    return this.received.splice(0, i + 1);
  }

  private find(match: (m: IrcMessage) => boolean, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const i = this.received.findIndex(match);
        if (i !== -1) return done(() => resolve(i));
        if (this.closedFlag) return done(() => reject(new Error(`closed; last lines:\n${this.raw.slice(-15).join('\n')}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no matching line within ${timeoutMs} ms; last lines:\n${this.raw.slice(-15).join('\n')}`))), timeoutMs);
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
