#!/usr/bin/env node
// Append throughput of the PostgreSQL store, with commits that really reach disk.
//
//   npm run build && node bench/pgAppend.mjs [--url postgres://USER:PASS@HOST:PORT/DB] [--module dist/postgresStore.js]
//
// Without --url it starts a PostgreSQL 15 of its own in a temporary directory
// with the default durability (fsync on, synchronous_commit on: each commit
// waits for the WAL to reach disk, as a deployment's would), on a free
// loopback port, and removes it afterwards. As root its programs run through
// `runuser -u postgres`. With --url each scenario makes a database of its own
// on that server (the role needs CREATEDB) and drops it afterwards.
//
// Every scenario also checks what it measured: each room's seqs are 1..N
// exactly once, and every caller got back its own message.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i === -1 ? dflt : argv[i + 1];
};
const modulePath = path.resolve(opt('--module', path.join(ROOT, 'dist', 'postgresStore.js')));
if (!fs.existsSync(modulePath)) {
  console.error(`${modulePath} is missing: run \`npm run build\` first`);
  process.exit(1);
}
const imported = await import(pathToFileURL(modulePath).href);
const { PostgresStore } = imported.PostgresStore ? imported : imported.default;
const { Client } = await import('pg');

const SCENARIOS = [
  { name: 'sequential, 1 room', nodes: 1, writers: 1, rooms: 1, messages: 1000 },
  { name: '10 writers, 1 room', nodes: 1, writers: 10, rooms: 1, messages: 2000 },
  { name: '10 writers, 10 rooms', nodes: 1, writers: 10, rooms: 10, messages: 2000 },
  { name: '2 nodes x 10 writers, 1 room', nodes: 2, writers: 10, rooms: 1, messages: 2000 },
  { name: '3 nodes x 10 writers, 1 room', nodes: 3, writers: 10, rooms: 1, messages: 3000 },
];

const log = (s) => process.stderr.write(`[pgAppend] ${s}\n`);

/** A port nobody listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A durable PostgreSQL of our own: initdb, start, and a stop that removes it. */
async function startDurablePostgres() {
  const base = '/usr/lib/postgresql';
  const version = fs.readdirSync(base).filter((v) => Number(v) >= 15).sort((a, b) => b - a)[0];
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
  const [cmd, args] = as(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d;
      if (/ready to accept connections/.test(out)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`postgres exited (${code}):\n${out}`)));
  });
  const pid = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  const c = new Client({ connectionString: url });
  await c.connect();
  const { rows } = await c.query("SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sc, current_setting('wal_sync_method') AS m");
  await c.end();
  log(`PostgreSQL ${version} on port ${port}: fsync=${rows[0].fsync} synchronous_commit=${rows[0].sc} wal_sync_method=${rows[0].m}`);
  return {
    url,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(pid, 'SIGINT');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function admin(url, sql) {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function run(serverUrl, s, index) {
  const db = `pgbench_${process.pid}_${index}`;
  await admin(serverUrl, `CREATE DATABASE ${db}`);
  const url = serverUrl.replace(/\/[^/?]*(\?|$)/, `/${db}$1`);
  const stores = [];
  for (let i = 0; i < s.nodes; i++) stores.push(await PostgresStore.open(url, { onWarning: log }));
  try {
    const writers = s.nodes * s.writers;
    const per = Math.ceil(s.messages / writers);
    const results = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const store = stores[w % s.nodes];
        for (let i = 0; i < per; i++) {
          const id = `w${w}-${i}`;
          const room = `room${(w + i) % s.rooms}`;
          const r = await store.append({ id, room, sender: `user${w}`, author: `key:${w}`, text: `message ${i} from writer ${w}`, ts: new Date().toISOString() });
          if (r.message.id !== id || r.message.room !== room || r.duplicate) throw new Error(`writer ${w} got someone else's result: ${JSON.stringify(r)}`);
          results.push(r.message);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const byRoom = new Map();
    for (const m of results) byRoom.set(m.room, [...(byRoom.get(m.room) ?? []), m.seq]);
    for (const [room, seqs] of byRoom) {
      seqs.sort((a, b) => a - b);
      if (seqs.some((q, i) => q !== i + 1)) throw new Error(`${room}: seqs are not 1..${seqs.length}`);
      if ((await stores[0].lastSeq(room)) !== seqs.length) throw new Error(`${room}: lastSeq differs`);
    }
    return { ...s, total: results.length, seconds, rate: results.length / seconds };
  } finally {
    await Promise.all(stores.map((st) => st.close()));
    await admin(serverUrl, `DROP DATABASE ${db}`);
  }
}

const given = opt('--url', undefined);
const server = given ? { url: given, stop: async () => {} } : await startDurablePostgres();
try {
  console.log(`| scenario | appends | seconds | appends/s |\n|---|---:|---:|---:|`);
  let i = 0;
  for (const s of SCENARIOS) {
    const r = await run(server.url, s, i++);
    console.log(`| ${r.name} | ${r.total} | ${r.seconds.toFixed(2)} | ${Math.round(r.rate)} |`);
  }
} finally {
  await server.stop();
}
