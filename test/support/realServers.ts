import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

/**
 * Real Redis and PostgreSQL servers for tests: Debian's `redis-server` and
 * PostgreSQL 15, on 127.0.0.1 with random free ports, in temporary
 * directories, stopped by PID. `node scripts/prepareServers.mjs` (run by
 * `npm test`) installs them when missing.
 *
 * PostgreSQL refuses to run as root, so as root every PostgreSQL program runs
 * through `runuser -u postgres`, with its data directory and unix socket
 * inside a temporary directory owned by postgres. `initdb` (about 2.5 s here)
 * runs once per test process; each server starts from a copy of that cluster
 * (about 0.3 s), so a suite gets a fresh server in about a second.
 */

const PREPARE_HINT = 'run `node scripts/prepareServers.mjs` (it installs Debian\'s redis-server and postgresql)';
const STOP_TIMEOUT_MS = 15_000;
const START_TIMEOUT_MS = 60_000;

/** A running Redis server. */
export interface RealRedis {
  /** redis://:PASSWORD@127.0.0.1:PORT (the server requires the password). */
  readonly url: string;
  readonly port: number;
  /** The server's PID, or undefined while it is stopped. */
  readonly pid: number | undefined;
  /** Stop it (SIGTERM, or SIGKILL for a crash) and wait until the process has exited. The directory stays. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Start it again on the same port (after stop). */
  start(): Promise<void>;
  /** Stop it and remove its directory. */
  dispose(): Promise<void>;
}

/** A running PostgreSQL server. */
export interface RealPostgres {
  /** postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres: the superuser over TCP with a password (scram-sha-256). */
  readonly url: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** A new empty database on this server; resolves with its URL. */
  createDatabase(): Promise<string>;
  /** Fast shutdown (SIGINT to the postmaster) and wait for it to exit. The data stays. */
  stop(): Promise<void>;
  /** Start it again on the same port and data (after stop). */
  start(): Promise<void>;
  /** Stop it and remove its directory. */
  dispose(): Promise<void>;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function findRedisServer(): string {
  for (const p of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) if (fs.existsSync(p)) return p;
  throw new Error(`redis-server is not installed: ${PREPARE_HINT}`);
}

/** PostgreSQL's server programs: Debian keeps them out of PATH, under /usr/lib/postgresql/VERSION/bin. */
function findPostgresBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => /^\d+$/.test(v) && Number(v) >= 15) : [];
  versions.sort((a, b) => Number(a) - Number(b));
  for (const v of versions) {
    const bin = path.join(base, v, 'bin');
    if (fs.existsSync(path.join(bin, 'initdb')) && fs.existsSync(path.join(bin, 'postgres'))) return bin;
  }
  throw new Error(`PostgreSQL 15 or later is not installed (no ${base}/15/bin/initdb): ${PREPARE_HINT}`);
}

/** Command and arguments that run a program as the postgres user when we are root, and as ourselves otherwise. */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

/** A temporary directory the postgres user owns (when we are root). */
function postgresTmpDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (isRoot()) execFileSync('chown', ['postgres:postgres', dir]);
  return dir;
}

/** A port nobody listens on right now. Another process may take it before we bind, so starters retry. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Processes still running when the test process exits (a crash, or a suite without teardown): killed so none outlives it. */
const leftovers = new Map<number, string | undefined>();
process.on('exit', () => {
  for (const [pid, dir] of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Spawns a server and resolves once it prints `ready`; rejects with its output
 * when it exits first (a port taken meanwhile, a bad option) or is slow.
 */
function spawnUntilReady(cmd: string, args: string[], ready: RegExp, label: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (d: Buffer) => {
      output += d.toString();
      if (ready.test(output)) {
        done();
        // Keep draining so a chatty server never blocks on a full pipe.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      done();
      reject(new Error(`${label} exited (${code ?? signal}) before it was ready:\n${output.slice(-2000)}`));
    };
    const timer = setTimeout(() => {
      done();
      child.kill('SIGKILL');
      reject(new Error(`${label} was not ready within ${START_TIMEOUT_MS} ms:\n${output.slice(-2000)}`));
    }, START_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    const onError = (err: Error) => {
      done();
      reject(new Error(`${label} could not start: ${err.message}`));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** Resolves when a child process has exited (at once when it already has). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Signals `pid`, waits for `child` to exit, and SIGKILLs `pid` if it takes longer than STOP_TIMEOUT_MS. */
async function stopByPid(pid: number, child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      resolve();
    }, STOP_TIMEOUT_MS);
  });
  await Promise.race([exited(child), slow]);
  await exited(child);
  clearTimeout(timer);
}

/** Tries to start on a fresh free port a few times: another process may take the port between freePort() and bind. */
async function withFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  let last: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      return await start(await freePort());
    } catch (err) {
      last = err;
      if (!/address already in use|could not bind|Address already in use/i.test(String(err))) throw err;
    }
  }
  throw last;
}

// ------------------------------------------------------------------ Redis

/** Starts redis-server on 127.0.0.1 and a random port, requiring a random password, with no persistence. */
export async function startRedis(): Promise<RealRedis> {
  const bin = findRedisServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-chat-redis-'));
  const password = randomBytes(12).toString('hex');
  let child: ChildProcess | undefined;
  let pid: number | undefined;
  const launch = async (port: number) => {
    const c = await spawnUntilReady(
      bin,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--requirepass', password, '--daemonize', 'no', '--loglevel', 'notice'],
      /Ready to accept connections/,
      'redis-server',
    );
    child = c;
    pid = c.pid;
    if (pid) leftovers.set(pid, dir);
    return port;
  };
  let port: number;
  try {
    port = await withFreePort(launch);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    if (!child || pid === undefined) return;
    await stopByPid(pid, child, signal);
    leftovers.delete(pid);
    child = undefined;
    pid = undefined;
  };
  return {
    url: `redis://:${password}@127.0.0.1:${port}`,
    port,
    get pid() {
      return pid;
    },
    stop,
    async start() {
      if (child) throw new Error('redis-server is already running');
      await launch(port);
    },
    async dispose() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------ PostgreSQL

interface PostgresTemplate {
  dataDir: string;
  password: string;
}

let template: Promise<PostgresTemplate> | undefined;

/** initdb once per test process: later servers copy this cluster instead of making their own. */
function postgresTemplate(bin: string): Promise<PostgresTemplate> {
  template ??= (async () => {
    const root = postgresTmpDir('tcp-chat-pg-template-');
    process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
    const password = randomBytes(12).toString('hex');
    const pwFile = path.join(root, 'pw');
    fs.writeFileSync(pwFile, password + '\n', { mode: 0o600 });
    if (isRoot()) execFileSync('chown', ['postgres:postgres', pwFile]);
    const dataDir = path.join(root, 'data');
    const [cmd, args] = asPostgres(path.join(bin, 'initdb'), [
      '-D', dataDir,
      '-U', 'postgres',
      '--pwfile', pwFile,
      // Local (socket) connections are trusted for the test's own setup; TCP needs the password, as a deployment would.
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--locale=C.UTF-8',
      '-E', 'UTF8',
      '--no-sync',
    ]);
    try {
      execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string };
      throw new Error(`initdb failed: ${e.stderr?.toString() || e.message}`, { cause: err });
    }
    return { dataDir, password };
  })();
  return template;
}

/** Starts PostgreSQL on 127.0.0.1 and a random port from a copy of the template cluster; durability is off (fsync), as suits tests. */
export async function startPostgres(): Promise<RealPostgres> {
  const bin = findPostgresBin();
  const tpl = await postgresTemplate(bin);
  const root = postgresTmpDir('tcp-chat-pg-');
  const dataDir = path.join(root, 'data');
  const sockDir = path.join(root, 'sock');
  try {
    const [cp, cpArgs] = asPostgres('cp', ['-a', tpl.dataDir, dataDir]);
    execFileSync(cp, cpArgs);
    const [mk, mkArgs] = asPostgres('mkdir', ['-m', '0700', sockDir]);
    execFileSync(mk, mkArgs);
  } catch (err) {
    fs.rmSync(root, { recursive: true, force: true });
    throw err;
  }
  let child: ChildProcess | undefined;
  let pid: number | undefined;
  const launch = async (port: number) => {
    const [cmd, args] = asPostgres(path.join(bin, 'postgres'), [
      '-D', dataDir,
      '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${sockDir}`,
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=60',
    ]);
    const c = await spawnUntilReady(cmd, args, /database system is ready to accept connections/, 'postgres');
    // As root, c.pid is runuser's; the postmaster writes its own PID on the first line of postmaster.pid.
    const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!Number.isInteger(postmaster) || postmaster <= 0) throw new Error('postgres started but postmaster.pid holds no PID');
    child = c;
    pid = postmaster;
    leftovers.set(postmaster, root);
    return port;
  };
  let port: number;
  try {
    port = await withFreePort(launch);
  } catch (err) {
    fs.rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const url = `postgres://postgres:${tpl.password}@127.0.0.1:${port}/postgres`;
  let databases = 0;
  const stop = async () => {
    if (!child || pid === undefined) return;
    // SIGINT is PostgreSQL's fast shutdown: roll back open transactions and exit.
    await stopByPid(pid, child, 'SIGINT');
    leftovers.delete(pid);
    child = undefined;
    pid = undefined;
  };
  return {
    url,
    port,
    get pid() {
      return pid;
    },
    async createDatabase() {
      const name = `chat_${++databases}`;
      const admin = new Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name} STRATEGY = FILE_COPY`);
      } finally {
        await admin.end();
      }
      return url.replace(/\/postgres$/, `/${name}`);
    },
    stop,
    async start() {
      if (child) throw new Error('postgres is already running');
      await launch(port);
    },
    async dispose() {
      await stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
