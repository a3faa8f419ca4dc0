import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { alive, pollUntil, type Tmux } from './ircTmux';

/**
 * Real IRC clients from Debian, driven like a person would: irssi through its
 * terminal (tmux send-keys and capture-pane), WeeChat headless through its
 * FIFO with its per-buffer logs as the screen, and ii through the files that
 * are its whole interface (an `in` FIFO and an `out` log per channel). Each
 * runs in a tmux window of one harness, with its own temporary home, against
 * any IRC server: ngIRCd now, our gateway once it is wired in.
 *
 * Every wait polls what the client shows, with a deadline; none sleeps blind.
 */

/** Which client. */
export type RealClientKind = 'irssi' | 'weechat' | 'ii';

/** Where to connect. */
export interface IrcEndpoint {
  host: string;
  port: number;
}

/** What every driven client can do; each `sees…` waits until the client shows it. */
export interface RealIrcClient {
  readonly kind: RealClientKind;
  /** The nick it uses now. */
  readonly nick: string;
  join(channel: string): Promise<void>;
  say(channel: string, text: string): Promise<void>;
  msg(nick: string, text: string): Promise<void>;
  /** Changes nick and waits until the client shows its own change. */
  changeNick(nick: string): Promise<void>;
  seesChannelMessage(channel: string, from: string, text: string): Promise<void>;
  seesDirectMessage(from: string, text: string): Promise<void>;
  seesNickChange(channel: string, from: string, to: string): Promise<void>;
  /** What the client shows of a channel now, oldest line first (its screen or its log). */
  transcript(channel: string): Promise<string>;
  /** Types a command (`/topic …`, `/kick …`) the way its user would, in the channel's window or buffer. */
  command(channel: string, line: string): Promise<void>;
  /** Quits, waits for the process to end, removes its home. */
  close(): Promise<void>;
}

/** The Debian packages the harness needs, by command. */
export const REAL_CLIENT_TOOLS: Record<string, string> = { irssi: 'irssi', 'weechat-headless': 'weechat-headless', ii: 'ii', tmux: 'tmux', '/usr/sbin/ngircd': 'ngircd' };

/** Fails with the install command when a tool is missing (the suite must not pass by skipping). */
export function requireRealClientTools(): void {
  const paths = (process.env.PATH ?? '').split(path.delimiter);
  const missing = Object.entries(REAL_CLIENT_TOOLS)
    .filter(([cmd]) => (cmd.startsWith('/') ? !fs.existsSync(cmd) : !paths.some((p) => fs.existsSync(path.join(p, cmd)))))
    .map(([, pkg]) => pkg);
  if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}: apt-get update && apt-get install -y ${missing.join(' ')}`);
}

/** How long one wait may take: generous, since the machine is shared. */
export const CLIENT_WAIT_MS = 30_000;

/** Starts a client of `kind` as `nick` and resolves once it is registered with the server. */
export async function startRealClient(kind: RealClientKind, tmux: Tmux, server: IrcEndpoint, nick: string): Promise<RealIrcClient> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `tcpchat-${kind}-`));
  const client = kind === 'irssi' ? new Irssi(tmux, home, nick) : kind === 'weechat' ? new Weechat(tmux, home, nick) : new Ii(tmux, home, nick);
  await client.start(server);
  return client;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Writes one line into a FIFO without blocking: fails at once if nobody reads it. */
function writeFifo(file: string, line: string): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  try {
    fs.writeSync(fd, `${line}\n`);
  } finally {
    fs.closeSync(fd);
  }
}

abstract class Driven implements RealIrcClient {
  abstract readonly kind: RealClientKind;
  protected pid = -1;
  protected window: string;

  constructor(
    protected readonly tmux: Tmux,
    protected readonly home: string,
    public nick: string,
  ) {
    this.window = `${nick}-${path.basename(home)}`;
  }

  abstract start(server: IrcEndpoint): Promise<void>;
  abstract join(channel: string): Promise<void>;
  abstract say(channel: string, text: string): Promise<void>;
  abstract msg(nick: string, text: string): Promise<void>;
  abstract changeNick(nick: string): Promise<void>;
  abstract seesChannelMessage(channel: string, from: string, text: string): Promise<void>;
  abstract seesDirectMessage(from: string, text: string): Promise<void>;
  abstract seesNickChange(channel: string, from: string, to: string): Promise<void>;
  abstract transcript(channel: string): Promise<string>;
  abstract command(channel: string, line: string): Promise<void>;
  protected abstract quit(): Promise<void>;

  /** Waits until `source()` matches `re`; on timeout, says what the client showed. */
  protected async waitFor(what: string, source: () => string | Promise<string>, re: RegExp): Promise<void> {
    await pollUntil(async () => (re.test(await source()) ? true : undefined), CLIENT_WAIT_MS, `${this.kind} ${this.nick}: ${what}`, source);
  }

  async close(): Promise<void> {
    if (alive(this.pid)) {
      try {
        await this.quit();
      } catch {
        // Its FIFO has no reader: the client is on its way out. Whether it is gone is decided below.
      }
      const exited = await pollUntil(() => (alive(this.pid) ? undefined : true), 10_000, `${this.kind} to exit`).then(
        () => true,
        () => false,
      );
      if (!exited) process.kill(this.pid, 'SIGKILL');
    }
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

/** irssi in a terminal: commands typed, the screen read. Queries open in their own windows, so it goes to the one it reads. */
class Irssi extends Driven {
  readonly kind = 'irssi';
  private active = '';
  private readonly channels: string[] = [];

  async start(server: IrcEndpoint): Promise<void> {
    this.pid = await this.tmux.open(this.window, ['irssi', `--home=${this.home}`, '-n', this.nick, '-c', server.host, '-p', String(server.port)], this.home);
    await this.waitFor('registration', () => this.screen(), /Welcome to the /);
  }

  private screen(): Promise<string> {
    return this.tmux.screen(this.window);
  }

  private async show(window: string): Promise<void> {
    if (this.active === window) return;
    await this.tmux.type(this.window, `/window goto ${window}`);
    this.active = window;
  }

  async join(channel: string): Promise<void> {
    await this.tmux.type(this.window, `/join ${channel}`);
    this.active = channel; // irssi switches to a channel it joins
    this.channels.push(channel);
    await this.waitFor(`join ${channel}`, () => this.screen(), new RegExp(`${escape(this.nick)} \\[[^\\]]*\\] has joined ${escape(channel)}`));
  }

  async say(channel: string, text: string): Promise<void> {
    await this.show(channel);
    await this.tmux.type(this.window, text);
    await this.waitFor(`own message in ${channel}`, () => this.screen(), new RegExp(`<[ @+]?${escape(this.nick)}> ${escape(text)}`));
  }

  async msg(nick: string, text: string): Promise<void> {
    await this.tmux.type(this.window, `/msg ${nick} ${text}`);
  }

  async changeNick(nick: string): Promise<void> {
    // irssi tells of its own change in the channel windows (a query window does not show it).
    if (this.channels.length > 0) await this.show(this.channels[0]);
    await this.tmux.type(this.window, `/nick ${nick}`);
    await this.waitFor(`own nick change to ${nick}`, () => this.screen(), new RegExp(`You're now known as ${escape(nick)}`));
    this.nick = nick;
  }

  async seesChannelMessage(channel: string, from: string, text: string): Promise<void> {
    await this.show(channel);
    await this.waitFor(`${from} in ${channel}`, () => this.screen(), new RegExp(`<[ @+]?${escape(from)}> ${escape(text)}`));
  }

  async seesDirectMessage(from: string, text: string): Promise<void> {
    // The query window exists only once the message arrived: keep asking for it until it shows the message.
    const re = new RegExp(`<${escape(from)}> ${escape(text)}`);
    let asked = 0;
    await pollUntil(
      async () => {
        if (Date.now() - asked > 1000) {
          asked = Date.now();
          this.active = '';
          await this.show(from);
        }
        return re.test(await this.screen()) ? true : undefined;
      },
      CLIENT_WAIT_MS,
      `irssi ${this.nick}: direct message from ${from}`,
      () => this.screen(),
    );
  }

  async seesNickChange(channel: string, from: string, to: string): Promise<void> {
    await this.show(channel);
    await this.waitFor(`${from} → ${to}`, () => this.screen(), new RegExp(`${escape(from)} is now known as ${escape(to)}`));
  }

  async transcript(channel: string): Promise<string> {
    await this.show(channel);
    return this.screen();
  }

  async command(channel: string, line: string): Promise<void> {
    await this.show(channel);
    await this.tmux.type(this.window, line);
  }

  protected async quit(): Promise<void> {
    await this.tmux.type(this.window, '/quit');
  }
}

/** WeeChat headless: commands through its FIFO, buffers read from the logger's files (flushed at once). */
class Weechat extends Driven {
  readonly kind = 'weechat';
  private readonly server = 'h';

  async start(server: IrcEndpoint): Promise<void> {
    const commands = [
      '/set logger.file.flush_delay 0',
      `/set fifo.file.path ${path.join(this.home, 'fifo')}`,
      `/server add ${this.server} ${server.host}/${server.port} -notls`,
      `/set irc.server.${this.server}.nicks ${this.nick}`,
      `/set irc.server.${this.server}.username ${this.nick}`,
      `/connect ${this.server}`,
    ].join(';');
    this.pid = await this.tmux.open(this.window, ['weechat-headless', '--stdout', '--dir', this.home, '-r', commands], this.home);
    await this.waitFor('registration', () => this.log('server.' + this.server), /Welcome to the /);
  }

  private log(buffer: string): string {
    return read(path.join(this.home, 'logs', `irc.${buffer.toLowerCase()}.weechatlog`));
  }

  private send(buffer: string, line: string): void {
    writeFifo(path.join(this.home, 'fifo'), `irc.${buffer} *${line}`);
  }

  async join(channel: string): Promise<void> {
    this.send(`server.${this.server}`, `/join ${channel}`);
    await this.waitFor(`join ${channel}`, () => this.log(`${this.server}.${channel}`), new RegExp(`-->\\t${escape(this.nick)} \\(.*\\) has joined ${escape(channel)}`));
  }

  async say(channel: string, text: string): Promise<void> {
    this.send(`${this.server}.${channel}`, text);
    await this.waitFor(`own message in ${channel}`, () => this.log(`${this.server}.${channel}`), new RegExp(`\\t[@+]?${escape(this.nick)}\\t${escape(text)}$`, 'm'));
  }

  async msg(nick: string, text: string): Promise<void> {
    this.send(`server.${this.server}`, `/msg ${nick} ${text}`);
  }

  async changeNick(nick: string): Promise<void> {
    this.send(`server.${this.server}`, `/nick ${nick}`);
    await this.waitFor(`own nick change to ${nick}`, () => this.log(`server.${this.server}`), new RegExp(`You are now known as ${escape(nick)}`));
    this.nick = nick;
  }

  async seesChannelMessage(channel: string, from: string, text: string): Promise<void> {
    await this.waitFor(`${from} in ${channel}`, () => this.log(`${this.server}.${channel}`), new RegExp(`\\t[@+]?${escape(from)}\\t${escape(text)}$`, 'm'));
  }

  async seesDirectMessage(from: string, text: string): Promise<void> {
    await this.waitFor(`direct message from ${from}`, () => this.log(`${this.server}.${from}`), new RegExp(`\\t${escape(from)}\\t${escape(text)}$`, 'm'));
  }

  async seesNickChange(channel: string, from: string, to: string): Promise<void> {
    await this.waitFor(`${from} → ${to}`, () => this.log(`${this.server}.${channel}`), new RegExp(`\\t${escape(from)} is now known as ${escape(to)}`));
  }

  async transcript(channel: string): Promise<string> {
    return this.log(`${this.server}.${channel}`);
  }

  async command(channel: string, line: string): Promise<void> {
    this.send(`${this.server}.${channel}`, line);
  }

  protected async quit(): Promise<void> {
    this.send(`server.${this.server}`, '/quit');
  }
}

/** ii: its interface is a directory per server and channel, with an `in` FIFO and an `out` log in each. */
class Ii extends Driven {
  readonly kind = 'ii';
  private dir = '';

  async start(server: IrcEndpoint): Promise<void> {
    this.dir = path.join(this.home, server.host);
    this.pid = await this.tmux.open(this.window, ['ii', '-s', server.host, '-p', String(server.port), '-n', this.nick, '-f', this.nick, '-i', this.home], this.home);
    await this.waitFor('registration', () => read(path.join(this.dir, 'out')), /Welcome to the /);
  }

  /** ii names a conversation's directory after the channel or nick, lower-cased. */
  private out(conversation?: string): string {
    return read(path.join(this.dir, ...(conversation ? [conversation.toLowerCase()] : []), 'out'));
  }

  private toFifo(line: string, conversation?: string): void {
    writeFifo(path.join(this.dir, ...(conversation ? [conversation.toLowerCase()] : []), 'in'), line);
  }

  async join(channel: string): Promise<void> {
    this.toFifo(`/j ${channel}`);
    await this.waitFor(`join ${channel}`, () => this.out(channel), new RegExp(`-!- ${escape(this.nick)}\\(.*\\) has joined ${escape(channel)}`));
  }

  async say(channel: string, text: string): Promise<void> {
    this.toFifo(text, channel);
    await this.waitFor(`own message in ${channel}`, () => this.out(channel), new RegExp(`<${escape(this.nick)}> ${escape(text)}$`, 'm'));
  }

  async msg(nick: string, text: string): Promise<void> {
    this.toFifo(`/j ${nick} ${text}`);
  }

  async changeNick(nick: string): Promise<void> {
    this.toFifo(`/n ${nick}`);
    await this.waitFor(`own nick change to ${nick}`, () => this.out(), new RegExp(`changed nick to "${escape(nick)}"`));
    this.nick = nick;
  }

  async seesChannelMessage(channel: string, from: string, text: string): Promise<void> {
    await this.waitFor(`${from} in ${channel}`, () => this.out(channel), new RegExp(`<${escape(from)}> ${escape(text)}$`, 'm'));
  }

  async seesDirectMessage(from: string, text: string): Promise<void> {
    await this.waitFor(`direct message from ${from}`, () => this.out(from), new RegExp(`<${escape(from)}> ${escape(text)}$`, 'm'));
  }

  async seesNickChange(_channel: string, from: string, to: string): Promise<void> {
    // ii 1.8 writes every nick change to the server's log, not the channel's.
    await this.waitFor(`${from} → ${to}`, () => this.out(), new RegExp(`-!- ${escape(from)} changed nick to ${escape(to)}`));
  }

  async transcript(channel: string): Promise<string> {
    return this.out(channel);
  }

  /** ii knows a few commands (/t topic, /a away); anything else goes to the server as typed (an IRC command in capitals). */
  async command(channel: string, line: string): Promise<void> {
    this.toFifo(line, channel);
  }

  protected async quit(): Promise<void> {
    this.toFifo('/q');
  }
}
