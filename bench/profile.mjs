#!/usr/bin/env node
// Where our server spends a connect storm, and what each connection holds
// beside the bare Node server's.
//
//   node bench/profile.mjs [--n 2000] [--out bench/results/profile-storm.md]
//
// Runs the storm of `npm run bench -- --only storm` against `tcp-chat serve`
// started with --cpu-prof, keeps the samples between the first connect and the
// last byte, and takes a heap snapshot 3 s after the last arrival (V8 collects
// garbage first, so only live objects count). The same storm against the bare
// Node server gives the floor, constructor by constructor. Builds dist/ first.
// The same pinning as the bench: server on core 0, generator on core 1.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { topFunctions } from './lib/cpuProfile.mjs';
import { openFleet } from './lib/fleet.mjs';
import { killAll, monoMicros, procCpuSeconds, procRssKb, sleep } from './lib/proc.mjs';
import { HOST, SERVERS, startServer } from './lib/servers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const N = Number(opt('--n', 2000));
const OUT = opt('--out', path.join(ROOT, 'bench', 'results', 'profile-storm.md'));
const DIR = path.join(ROOT, 'bench', '.work', 'profile');

/** Live heap by constructor (or node type) from a .heapsnapshot: { totalBytes, by: Map(name → { what, count, bytes }) }. */
function heapByConstructor(file) {
  const s = JSON.parse(fs.readFileSync(file, 'utf8'));
  const f = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const w = f.length;
  const iType = f.indexOf('type'), iName = f.indexOf('name'), iSize = f.indexOf('self_size');
  const by = new Map();
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += w) {
    const type = types[s.nodes[i + iType]];
    const name = type === 'object' || type === 'closure' || type === 'native' ? s.strings[s.nodes[i + iName]] : `(${type})`;
    const size = s.nodes[i + iSize];
    total += size;
    const e = by.get(name) ?? { what: name, count: 0, bytes: 0 };
    e.count++;
    e.bytes += size;
    by.set(name, e);
  }
  return { totalBytes: total, by };
}

/** What a heap holds beyond another, by constructor: { totalBytes, by, rows } with rows largest first. */
function heapDiff(after, before) {
  const by = new Map();
  for (const [k, e] of after.by) {
    const b = before.by.get(k) ?? { count: 0, bytes: 0 };
    by.set(k, { what: k, count: e.count - b.count, bytes: e.bytes - b.bytes });
  }
  return { totalBytes: after.totalBytes - before.totalBytes, by, rows: [...by.values()].sort((a, b) => b.bytes - a.bytes).slice(0, 25) };
}

/** Asks the server for a heap snapshot and waits until the new file has stopped growing. */
async function snapshot(pid, dir) {
  const before = new Set(fs.readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 600; i++) {
    await sleep(500);
    const f = fs.readdirSync(dir).find((x) => x.endsWith('.heapsnapshot') && !before.has(x));
    if (!f) continue;
    const size = fs.statSync(path.join(dir, f)).size;
    await sleep(1000);
    if (size > 0 && fs.statSync(path.join(dir, f)).size === size) return path.join(dir, f);
  }
  throw new Error(`no heap snapshot in ${dir} after 10 minutes`);
}

/** One storm of N against `kind`, with heap snapshots before it and 3 s after the last arrival. */
async function storm(kind, nodeArgs) {
  const dir = path.join(DIR, kind);
  fs.mkdirSync(dir, { recursive: true });
  const srv = await startServer(kind, { root: ROOT, work: dir, clients: N, nodeArgs: [...nodeArgs, '--heapsnapshot-signal=SIGUSR2'] });
  const fleet = openFleet({ root: ROOT, proto: SERVERS[kind].proto, host: HOST, port: srv.port, clients: N });
  try {
    await sleep(500);
    const rss0 = procRssKb(srv.pid);
    const cpu0 = procCpuSeconds(srv.pid);
    const heap0 = heapByConstructor(await snapshot(srv.pid, dir));
    const fromUs = monoMicros();
    const c = await fleet.connect({ concurrency: 50, timeoutMs: 900_000 });
    if (!c.ok) throw new Error(c.fatal);
    const q = await fleet.quiet(500, 900_000);
    const r = { dir, fromUs, toUs: q.lastDataUs, cpuS: procCpuSeconds(srv.pid) - cpu0, wallS: (q.lastDataUs - fromUs) / 1e6, bytes: q.bytes, rss0 };
    await sleep(Math.max(0, c.lastWelcomeUs / 1000 + 3000 - monoMicros() / 1000));
    r.rss = procRssKb(srv.pid);
    r.heap = heapDiff(heapByConstructor(await snapshot(srv.pid, dir)), heap0);
    await srv.stop(); // the server's teardown falls outside [fromUs, toUs]
    return r;
  } finally {
    fleet.kill();
    await srv.stop();
  }
}

async function main() {
  execFileSync('node', ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
  fs.rmSync(DIR, { recursive: true, force: true });
  const ours = await storm('ours', ['--cpu-prof', `--cpu-prof-dir=${path.join(DIR, 'ours')}`]);
  const bare = await storm('bare', []);
  const prof = fs.readdirSync(ours.dir).find((x) => x.endsWith('.cpuprofile'));
  const cpu = topFunctions(path.join(ours.dir, prof), 30, ours.fromUs, ours.toUs);
  const kb = (b) => (b / 1024).toFixed(2);
  const perConn = (r) => ((r.rss - r.rss0) / N).toFixed(2);
  const bareKb = (what) => kb((bare.heap.by.get(what)?.bytes ?? 0) / N);
  const lines = [
    `# Profile of a connect storm: ${N.toLocaleString('en')} clients into #general`,
    '',
    `\`node bench/profile.mjs --n ${N}\`, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. tcp-chat serve, with the profiler on: server CPU ${ours.cpuS.toFixed(1)} s over ${ours.wallS.toFixed(1)} s of wall time, ${(ours.bytes / 2 ** 20).toFixed(1)} MB sent, RSS ${(ours.rss0 / 1024).toFixed(1)} → ${(ours.rss / 1024).toFixed(1)} MB (${perConn(ours)} KB per connection 3 s after the last arrival). The bare Node server: ${perConn(bare)} KB per connection.`,
    '',
    `## Self time in tcp-chat serve from the first connect to the last byte (${(cpu.totalMs / 1000).toFixed(1)} s sampled)`,
    '',
    '| function | where | self ms | share |',
    '|---|---|---|---|',
    ...cpu.rows.map((r) => `| \`${r.fn}\` | ${r.where} | ${r.ms.toFixed(0)} | ${((100 * r.ms) / cpu.totalMs).toFixed(1)}% |`),
    '',
    `## Live heap that the connections added, 3 s after the last arrival: tcp-chat serve ${(ours.heap.totalBytes / 2 ** 20).toFixed(1)} MB (${kb(ours.heap.totalBytes / N)} KB per connection), bare Node server ${(bare.heap.totalBytes / 2 ** 20).toFixed(1)} MB (${kb(bare.heap.totalBytes / N)} KB per connection)`,
    '',
    '| constructor or kind | count per connection | tcp-chat KB per connection | bare Node KB per connection |',
    '|---|---|---|---|',
    ...ours.heap.rows.map((r) => `| \`${r.what || '(no name)'}\` | ${(r.count / N).toFixed(1)} | ${kb(r.bytes / N)} | ${bareKb(r.what)} |`),
    '',
    "The difference between heap snapshots taken on the fresh server and 3 s after the last arrival (V8 collects garbage before each), by constructor, divided by the connection count. Self sizes only: an object's own fields, not what it points to. Code and shapes compiled during the storm are shared, and only spread over the connections. RSS also holds what the heap has grown to and not given back, and memory malloc keeps; a socket's kernel buffers are in neither.",
    '',
  ];
  fs.writeFileSync(OUT, lines.join('\n'));
  process.stdout.write(lines.join('\n'));
}

main().catch((e) => {
  process.stderr.write(`profile: ${e?.stack ?? e}\n`);
  killAll();
  process.exitCode = 1;
});
