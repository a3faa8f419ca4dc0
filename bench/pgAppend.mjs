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
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { admin, startDurablePostgres } from './durablePostgres.mjs';

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

const SCENARIOS = [
  { name: 'sequential, 1 room', nodes: 1, writers: 1, rooms: 1, messages: 1000 },
  { name: '10 writers, 1 room', nodes: 1, writers: 10, rooms: 1, messages: 2000 },
  { name: '10 writers, 10 rooms', nodes: 1, writers: 10, rooms: 10, messages: 2000 },
  { name: '2 nodes x 10 writers, 1 room', nodes: 2, writers: 10, rooms: 1, messages: 2000 },
  { name: '3 nodes x 10 writers, 1 room', nodes: 3, writers: 10, rooms: 1, messages: 3000 },
];

const log = (s) => process.stderr.write(`[pgAppend] ${s}\n`);

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
if (!given) log(`PostgreSQL ${server.version} on port ${server.port}: ${server.settings}`);
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
