#!/usr/bin/env node
// Where our server spends a connect storm, and what each idle connection holds.
//
//   node bench/profile.mjs [--n 2000] [--out bench/results/profile-storm.md]
//
// Runs the storm of `npm run bench -- --only storm` against `tcp-chat serve`
// started with --cpu-prof, takes a heap snapshot 3 s after the last arrival
// (after a full GC, so only live objects count), and prints the functions with
// the most self time and the heap per connection by constructor. Builds dist/
// first. The same pinning as the bench: server on core 0, generator on core 1.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openFleet } from './lib/fleet.mjs';
import { killAll, procCpuSeconds, procRssKb, sleep } from './lib/proc.mjs';
import { HOST, startServer } from './lib/servers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const N = Number(opt('--n', 2000));
const OUT = opt('--out', path.join(ROOT, 'bench', 'results', 'profile-storm.md'));
const DIR = path.join(ROOT, 'bench', '.work', 'profile');

/** Self time per function from a .cpuprofile: [{ fn, where, ms }], most first. */
function topFunctions(file, count) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const dt = new Map();
  for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const by = new Map();
  let total = 0;
  for (const node of p.nodes) {
    const us = dt.get(node.id) ?? 0;
    total += us;
    const cf = node.callFrame;
    const where = cf.url ? `${path.basename(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'}\t${where}`;
    by.set(key, (by.get(key) ?? 0) + us);
  }
  const rows = [...by].sort((a, b) => b[1] - a[1]).slice(0, count);
  return { totalMs: total / 1000, rows: rows.map(([k, us]) => ({ fn: k.split('\t')[0], where: k.split('\t')[1], ms: us / 1000 })) };
}

/** Live heap by (node type, constructor name) from a .heapsnapshot: [{ what, count, bytes }], largest first. */
function heapByConstructor(file, count) {
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
  return { totalBytes: total, rows: [...by.values()].sort((a, b) => b.bytes - a.bytes).slice(0, count) };
}

async function main() {
  execFileSync('node', ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
  fs.rmSync(DIR, { recursive: true, force: true });
  fs.mkdirSync(DIR, { recursive: true });
  const srv = await startServer('ours', { root: ROOT, work: DIR, clients: N, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${DIR}`, '--heapsnapshot-signal=SIGUSR2'] });
  const fleet = openFleet({ root: ROOT, proto: 'json', host: HOST, port: srv.port, clients: N });
  let lines;
  try {
    await sleep(500);
    const rss0 = procRssKb(srv.pid);
    const cpu0 = procCpuSeconds(srv.pid);
    const c = await fleet.connect({ concurrency: 50, timeoutMs: 900_000 });
    if (!c.ok) throw new Error(c.fatal);
    const q = await fleet.quiet(500, 900_000);
    const cpuS = procCpuSeconds(srv.pid) - cpu0;
    await sleep(3000);
    const rss = procRssKb(srv.pid);
    // A heap snapshot is taken after a full GC: it holds only what is live.
    process.kill(srv.pid, 'SIGUSR2');
    let snap;
    for (let i = 0; i < 600 && !snap; i++) {
      await sleep(500);
      const f = fs.readdirSync(DIR).find((x) => x.endsWith('.heapsnapshot'));
      if (f && procRssKb(srv.pid) > 0) {
        const size = fs.statSync(path.join(DIR, f)).size;
        await sleep(1000);
        if (fs.statSync(path.join(DIR, f)).size === size && size > 0) snap = path.join(DIR, f);
      }
    }
    const heap = heapByConstructor(snap, 25);
    await fleet.close();
    await srv.stop();
    const prof = fs.readdirSync(DIR).find((x) => x.endsWith('.cpuprofile'));
    const cpu = topFunctions(path.join(DIR, prof), 30);
    const kb = (b) => (b / 1024).toFixed(2);
    lines = [
      `# Profile of a connect storm: ${N.toLocaleString('en')} clients into #general (\`node bench/profile.mjs --n ${N}\`)`,
      '',
      `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Server CPU for the storm ${cpuS.toFixed(1)} s (with the profiler on), ${(q.bytes / 2 ** 20).toFixed(1)} MB sent; RSS ${(rss0 / 1024).toFixed(1)} → ${(rss / 1024).toFixed(1)} MB, ${((rss - rss0) / N).toFixed(2)} KB per connection 3 s after the last arrival.`,
      '',
      `## Self time (of ${(cpu.totalMs / 1000).toFixed(1)} s sampled)`,
      '',
      '| function | where | self ms | share |',
      '|---|---|---|---|',
      ...cpu.rows.map((r) => `| \`${r.fn}\` | ${r.where} | ${r.ms.toFixed(0)} | ${((100 * r.ms) / cpu.totalMs).toFixed(1)}% |`),
      '',
      `## Live heap after a full GC: ${(heap.totalBytes / 2 ** 20).toFixed(1)} MB, ${kb(heap.totalBytes / N)} KB per connection`,
      '',
      '| constructor or kind | count | count per connection | KB | KB per connection |',
      '|---|---|---|---|---|',
      ...heap.rows.map((r) => `| \`${r.what}\` | ${r.count} | ${(r.count / N).toFixed(1)} | ${kb(r.bytes)} | ${kb(r.bytes / N)} |`),
      '',
      'Self sizes only (an object\'s own fields, not what it points to). Sockets\' kernel buffers are not in the heap, nor in RSS.',
      '',
    ];
  } finally {
    fleet.kill();
    await srv.stop();
    killAll();
  }
  fs.writeFileSync(OUT, lines.join('\n'));
  process.stdout.write(lines.join('\n'));
}

main().catch((e) => {
  process.stderr.write(`profile: ${e?.stack ?? e}\n`);
  killAll();
  process.exitCode = 1;
});
