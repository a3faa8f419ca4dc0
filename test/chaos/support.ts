import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/**
 * Helpers for the chaos suite: a chat server in a child process (so a crash
 * cannot take mocha down, SIGKILL is real and RSS is the server's alone),
 * plus small timing and statistics tools.
 */

/**
 * The CLI compiled by `npm run compile-tests` from the same sources as the
 * tests; it is the code that `dist/cli.js` bundles, and it is never stale.
 */
export const CLI = path.resolve(__dirname, '../../src/cli/cli.js');

export interface ServerProc {
  child: ChildProcess;
  port: number;
  pid: number;
  /** Everything the server printed to stdout and stderr, capped at the last ~256 KB. */
  log(): string;
  /** Lines seen so far that match a pattern (kept for the whole run, not capped). */
  matches: Map<RegExp, number>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** Peak and current RSS in KiB, from /proc. */
  memory(): { rssKiB: number; peakKiB: number };
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const LOG_CAP = 256 * 1024;

/** Start `tcp-chat serve` with the given flags on a free loopback port (unless --port is given). */
export async function startServer(args: string[], opts: { cpu?: number; watch?: RegExp[]; timeoutMs?: number } = {}): Promise<ServerProc> {
  const argv = [CLI, 'serve', ...(args.includes('--port') ? [] : ['--port', '0']), ...args];
  // taskset pins the server to one core so a benchmark's two sides do not fight over it.
  const pin = opts.cpu !== undefined && hasTaskset();
  const child = pin ? spawn('taskset', ['-c', String(opts.cpu), process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const matches = new Map<RegExp, number>();
  for (const re of opts.watch ?? []) matches.set(re, 0);
  let partial = '';
  const onData = (d: Buffer) => {
    const s = d.toString('utf8');
    log = (log + s).slice(-LOG_CAP);
    if (matches.size === 0) return;
    const lines = (partial + s).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) for (const re of matches.keys()) if (re.test(line)) matches.set(re, (matches.get(re) ?? 0) + 1);
  };
  // Always drain both pipes: a child blocked on a full pipe would look like a hung server.
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let exitedFlag = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedFlag = true;
      resolve({ code, signal });
    });
    // A failed spawn emits 'error' and maybe no 'exit'.
    child.once('error', (err) => {
      log += `spawn failed: ${err.message}\n`;
      exitedFlag = true;
      resolve({ code: null, signal: null });
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${log}`)), opts.timeoutMs ?? 10_000);
    const check = () => {
      const m = /serving on \S+:(\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening: ${log}`));
    });
  });
  const pid = child.pid!;
  return {
    child,
    port,
    pid,
    log: () => log,
    matches,
    exited,
    alive: () => !exitedFlag,
    memory: () => procMemory(pid), // taskset execs node in place: same pid
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (exitedFlag) return;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Pinning is a nicety: without taskset (util-linux) the server just runs unpinned. */
function hasTaskset(): boolean {
  return spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** VmRSS and VmHWM (peak RSS) of a process, in KiB. */
export function procMemory(pid: number): { rssKiB: number; peakKiB: number } {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const get = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rssKiB: get('VmRSS'), peakKiB: get('VmHWM') };
  } catch {
    return { rssKiB: NaN, peakKiB: NaN };
  }
}

/** CPU seconds (user + system) a process has used, from /proc/PID/stat. */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return NaN;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll until `cond` holds; fail with `what` after `timeoutMs`. */
export async function waitUntil(cond: () => boolean, timeoutMs: number, what: string, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/**
 * A bare line client that parses frames itself and keeps only what a test
 * asks for, so thousands of frames do not pile up in memory.
 */
export class LineClient {
  private buf = '';
  closed = false;
  readonly closedP: Promise<void>;
  onFrame: (f: Record<string, unknown>) => void = () => undefined;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) !== -1) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        if (line.length === 0) continue;
        let f: Record<string, unknown>;
        try {
          f = JSON.parse(line) as Record<string, unknown>;
        } catch {
          throw new Error(`server sent a line that is not JSON: ${line.slice(0, 200)}`);
        }
        this.onFrame(f);
      }
    });
    socket.on('error', () => undefined);
    this.closedP = new Promise((r) =>
      socket.once('close', () => {
        this.closed = true;
        r();
      }),
    );
  }

  /** `localAddress`: another loopback address (127.0.0.2) counts as another address for the server's per-address limits. */
  static connect(port: number, timeoutMs = 5000, localAddress?: string): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', noDelay: true, ...(localAddress !== undefined && { localAddress }) });
      const t = setTimeout(() => {
        s.destroy();
        reject(new Error('connect timed out'));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        resolve(new LineClient(s));
      });
      s.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
  }

  send(frame: unknown): void {
    if (!this.socket.destroyed) this.socket.write(JSON.stringify(frame) + '\n');
  }

  /** Resolves with the first later frame that matches. */
  next(match: (f: Record<string, unknown>) => boolean, timeoutMs = 5000, what = 'a frame'): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const prev = this.onFrame;
      const t = setTimeout(() => {
        this.onFrame = prev;
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.onFrame = (f) => {
        prev(f);
        if (match(f)) {
          clearTimeout(t);
          this.onFrame = prev;
          resolve(f);
        }
      };
    });
  }

  /** Connect, say hello and wait for the welcome. */
  static async hello(port: number, name: string, timeoutMs = 5000): Promise<{ c: LineClient; welcome: Record<string, unknown> }> {
    const c = await LineClient.connect(port, timeoutMs);
    const w = c.next((f) => f.type === 'welcome' || f.type === 'error', timeoutMs, `welcome for ${name}`);
    c.send({ type: 'hello', v: 1, name });
    const welcome = await w;
    if (welcome.type !== 'welcome') throw new Error(`hello refused: ${JSON.stringify(welcome)}`);
    return { c, welcome };
  }

  /** Round-trip a ping; proves the server is alive and reading this connection. */
  async ping(id: string, timeoutMs = 5000): Promise<void> {
    const p = this.next((f) => f.type === 'pong' && f.id === id, timeoutMs, `pong ${id}`);
    this.send({ type: 'ping', id });
    await p;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Write a report line both to the console and to a JSON file the docs are updated from. */
export function report(test: string, figures: Record<string, unknown>): void {
  const line = `      [chaos] ${test}: ${JSON.stringify(figures)}`;
  console.log(line);
  const dir = path.resolve(__dirname, '../../../test-results');
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.appendFileSync(path.join(dir, 'chaos-figures.jsonl'), JSON.stringify({ at: new Date().toISOString(), test, ...figures }) + '\n');
  } catch {
    // figures are also on the console
  }
}
