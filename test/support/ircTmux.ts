import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A private tmux server for driving terminal IRC clients the way a person
 * does: keys in (`send-keys`), screen out (`capture-pane`). Each harness gets
 * its own socket, so nothing touches another tmux, and everything it started
 * is stopped by process id.
 */
export class Tmux {
  private readonly panes = new Map<string, number>();

  private constructor(readonly socket: string) {}

  /** Starts a tmux server with an empty first window, a fixed size and a UTF-8 locale. */
  static async start(): Promise<Tmux> {
    const tmux = new Tmux(`tcpchat-irc-${process.pid}-${randomBytes(4).toString('hex')}`);
    await tmux.tmux('new-session', '-d', '-s', 'harness', '-x', '200', '-y', '50', '-n', 'idle', 'sleep 86400');
    return tmux;
  }

  /** Runs one tmux command against this server. */
  async tmux(...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], {
      env: { ...process.env, TERM: 'xterm-256color', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
    });
    return stdout;
  }

  /**
   * Opens a window running `argv` (exec'd, so the pane's process is the
   * program itself) and returns that process id.
   */
  async open(name: string, argv: readonly string[], cwd: string): Promise<number> {
    const command = `exec ${argv.map(shellQuote).join(' ')}`;
    await this.tmux('new-window', '-d', '-n', name, '-c', cwd, command);
    const pid = Number((await this.tmux('display-message', '-p', '-t', `harness:${name}`, '#{pane_pid}')).trim());
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`tmux did not report a pid for ${name}`);
    this.panes.set(name, pid);
    return pid;
  }

  /** Types `text` literally into a window, then presses Enter. */
  async type(name: string, text: string): Promise<void> {
    await this.tmux('send-keys', '-t', `harness:${name}`, '-l', '--', text);
    await this.tmux('send-keys', '-t', `harness:${name}`, 'Enter');
  }

  /** What a window's screen shows now, wrapped lines joined. */
  async screen(name: string): Promise<string> {
    return this.tmux('capture-pane', '-p', '-J', '-t', `harness:${name}`);
  }

  /** Stops every program it opened (TERM, then KILL after `graceMs`), then the tmux server. */
  async stop(graceMs = 3000): Promise<void> {
    for (const pid of this.panes.values()) await stopPid(pid, graceMs);
    this.panes.clear();
    await this.tmux('kill-server').catch((e: unknown) => {
      // Already gone is fine: the last window closing ends the server.
      if (!/no server running|server exited|error connecting/i.test(String(e))) throw e;
    });
  }
}

/** Quotes one argument for the shell tmux hands the command to. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** True while a process exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends SIGTERM, waits for the process to go, and sends SIGKILL if it has not after `graceMs`. */
export async function stopPid(pid: number, graceMs: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const gone = await pollUntil(() => !alive(pid) || undefined, graceMs, `process ${pid} to exit`).then(
    () => true,
    () => false,
  );
  if (!gone && alive(pid)) process.kill(pid, 'SIGKILL');
}

/**
 * Polls `probe` every 100 ms until it returns something other than
 * undefined, and resolves with that. This waits on an observable event (text
 * on a screen, a line in a log) with a deadline, not for a fixed time. On
 * timeout it rejects with `what`, plus what `diagnose` says was there.
 */
export async function pollUntil<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string, diagnose?: () => Promise<string> | string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const seen = diagnose ? `\n--- what was there ---\n${await diagnose()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
