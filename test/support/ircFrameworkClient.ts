import { Client, type ClientOptions } from 'irc-framework';
import type { IrcEndpoint } from './ircClients';

/** One event irc-framework emitted, with its argument. */
export interface FrameworkEvent {
  name: string;
  arg: Record<string, unknown>;
}

/** Events worth keeping for assertions; 'raw' lines are kept apart. */
const RECORDED = ['registered', 'join', 'part', 'quit', 'privmsg', 'notice', 'action', 'nick', 'irc error', 'sasl failed', 'loggedin', 'userlist', 'topic', 'topicsetby', 'mode', 'kick', 'invite', 'invited', 'away', 'back', 'channel info', 'banlist', 'whois', 'wholist', 'tagmsg', 'unknown command'];

/**
 * A test client built on irc-framework (a library nobody here wrote): it
 * connects over a real socket, records what it sees, and lets a test wait for
 * an event, including one that already arrived, so there is no race between
 * acting and starting to wait.
 */
export class IrcFrameworkClient {
  /** Every recorded event, oldest first. */
  readonly events: FrameworkEvent[] = [];
  /** Every line the server sent, as received. */
  readonly lines: string[] = [];
  private readonly waiters = new Set<() => void>();
  private closed = false;
  private readonly closedPromise: Promise<void>;

  private constructor(readonly client: Client) {
    for (const name of RECORDED) client.on(name, (arg: Record<string, unknown>) => this.record({ name, arg }));
    client.on('raw', (e: { line: string; from_server: boolean }) => {
      if (e.from_server) this.lines.push(e.line);
    });
    this.closedPromise = new Promise((resolve) =>
      client.once('close', () => {
        this.closed = true;
        resolve();
        this.wake();
      }),
    );
  }

  /**
   * Connects as `nick` and resolves once registered (001 received). `caps`
   * asks for capabilities beyond irc-framework's own list (which has
   * message-tags, server-time and batch).
   */
  static async connect(server: IrcEndpoint, nick: string, { caps = [], ...options }: Partial<ClientOptions> & { caps?: string[] } = {}, timeoutMs = 15_000): Promise<IrcFrameworkClient> {
    const client = new Client();
    const c = new IrcFrameworkClient(client);
    if (caps.length > 0) client.requestCap(caps);
    client.connect({ host: server.host, port: server.port, nick, username: nick, gecos: `${nick} (irc-framework)`, auto_reconnect: false, ...options });
    await c.waitFor('registered', () => true, timeoutMs);
    return c;
  }

  /** The nick the server knows it by now. */
  get nick(): string {
    return this.client.user.nick;
  }

  private record(e: FrameworkEvent): void {
    this.events.push(e);
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /**
   * Resolves with the first recorded `name` event (past or future) that
   * `match` accepts; rejects at the deadline, or if the connection closes
   * first, listing what was seen.
   */
  waitFor(name: string, match: (arg: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = this.events.find((e) => e.name === name && match(e.arg));
        if (hit) return done(() => resolve(hit.arg));
        if (this.closed) return done(() => reject(new Error(`closed before ${name}; saw:\n${this.lines.slice(-20).join('\n')}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${name} within ${timeoutMs} ms; saw:\n${this.lines.slice(-20).join('\n')}`))), timeoutMs);
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Joins and resolves once the server confirms it. */
  async join(channel: string): Promise<void> {
    this.client.join(channel);
    await this.waitFor('join', (e) => e.channel === channel && e.nick === this.nick);
  }

  say(target: string, text: string): void {
    this.client.say(target, text);
  }

  /** Resolves with a message from `from` to `target` (a channel, or our nick for a DM) whose text is `text`. */
  seesMessage(from: string, target: string, text: string): Promise<Record<string, unknown>> {
    return this.waitFor('privmsg', (e) => e.nick === from && e.target === target && e.message === text);
  }

  /** Sends WHOIS and resolves with what irc-framework gathered from this answer (`account` comes from 330, `server` from 312). */
  whois(nick: string): Promise<Record<string, unknown>> {
    const earlier = new Set(this.events.filter((e) => e.name === 'whois').map((e) => e.arg));
    this.client.whois(nick);
    return this.waitFor('whois', (e) => e.nick === nick && !earlier.has(e));
  }

  /** Changes nick and resolves once the server confirms it. */
  async changeNick(nick: string): Promise<void> {
    const old = this.nick;
    this.client.changeNick(nick);
    await this.waitFor('nick', (e) => e.nick === old && e.new_nick === nick);
  }

  /** Resolves once someone's nick change reached us. */
  seesNickChange(from: string, to: string): Promise<Record<string, unknown>> {
    return this.waitFor('nick', (e) => e.nick === from && e.new_nick === to);
  }

  /** Sends QUIT and resolves once the socket closed. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.client.quit('bye');
      // A server that ignores QUIT still gets its socket closed.
      const timer = setTimeout(() => this.client.connection.end(), 5000);
      await this.closedPromise;
      clearTimeout(timer);
    }
  }
}
