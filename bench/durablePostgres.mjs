// A PostgreSQL of the bench's own, with the default durability (fsync on,
// synchronous_commit on: each commit waits for the WAL to reach disk, as a
// deployment's would), on a free loopback port in a temporary directory.
// As root its programs run through `runuser -u postgres`.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** A port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts it; `cpus` pins it (taskset -c), as the bench pins its servers.
 * Resolves with its superuser URL, the PID of the process tree's root (for
 * CPU accounting: the postmaster and its backends are below it), its
 * settings, and a stop that removes it.
 */
export async function startDurablePostgres({ cpus } = {}) {
  const { Client } = await import('pg');
  const base = '/usr/lib/postgresql';
  const version = (fs.existsSync(base) ? fs.readdirSync(base) : []).filter((v) => Number(v) >= 15).sort((a, b) => b - a)[0];
  if (!version) throw new Error('PostgreSQL 15 is not installed: run `node scripts/prepareServers.mjs`');
  const bin = path.join(base, version, 'bin');
  const root = process.getuid?.() === 0;
  const as = (cmd, args) => (root ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-chat-pgbench-'));
  if (root) execFileSync('chown', ['postgres:postgres', dir]);
  const password = randomBytes(12).toString('hex');
  fs.writeFileSync(path.join(dir, 'pw'), password + '\n', { mode: 0o600 });
  if (root) execFileSync('chown', ['postgres:postgres', path.join(dir, 'pw')]);
  const data = path.join(dir, 'data');
  execFileSync(...as(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--pwfile', path.join(dir, 'pw'), '--auth-local=trust', '--auth-host=scram-sha-256', '--locale=C.UTF-8', '-E', 'UTF8']), { stdio: 'ignore' });
  const port = await freePort();
  let [cmd, args] = as(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`]);
  // TCP_CHAT_BENCH_PG_LOG=FILE: log checkpoints, autovacuum, lock waits and slow statements there (where a latency tail comes from).
  const logFile = process.env.TCP_CHAT_BENCH_PG_LOG;
  if (logFile) {
    for (const c of ['log_checkpoints=on', 'log_autovacuum_min_duration=0', 'log_lock_waits=on', 'deadlock_timeout=50ms', 'log_min_duration_statement=50', 'log_line_prefix=%m [%p] '])
      args.push('-c', c);
  }
  if (cpus !== undefined) [cmd, args] = ['taskset', ['-c', String(cpus), cmd, ...args]];
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d;
      if (/ready to accept connections/.test(out)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    if (logFile) child.stderr.on('data', (d) => fs.appendFileSync(logFile, d));
    child.once('exit', (code) => reject(new Error(`postgres exited (${code}):\n${out}`)));
  });
  const pid = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  const c = new Client({ connectionString: url });
  await c.connect();
  const { rows } = await c.query("SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sc, current_setting('wal_sync_method') AS m");
  await c.end();
  return {
    url,
    version,
    port,
    treePid: child.pid,
    settings: `fsync=${rows[0].fsync} synchronous_commit=${rows[0].sc} wal_sync_method=${rows[0].m}`,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(pid, 'SIGINT');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs one SQL statement on the server at `url`. */
export async function admin(url, sql) {
  const { Client } = await import('pg');
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
