#!/usr/bin/env node
// Where a server spends a blast (100 clients × 100 messages in one room), and
// how many deliveries it makes per CPU-second, run after run on one process.
//
//   node bench/profileBlast.mjs [--servers oursIrc,ours] [--runs 5] [--profile] [--top 30] [--inclusive fnA,fnB]
//
// Each server is started once (pinned to core 0, the generator on core 1, as
// in `npm run bench`), warmed with one blast, then measured over --runs more.
// With --profile it runs under `node --cpu-prof`, and the self time of the
// samples taken during the measured blasts is listed by function. Build
// dist/ first (npm run build). Used for the figures in docs/performance.md.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inclusiveTimes, topFunctions } from './lib/cpuProfile.mjs';
import { killAll } from './lib/proc.mjs';
import { startServer } from './lib/servers.mjs';
import { TRAFFIC_CFG, trafficRun } from './workloads/traffic.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const SERVERS = opt('--servers', 'oursIrc').split(',');
const RUNS = Number(opt('--runs', 5));
const TOP = Number(opt('--top', 30));
const PROFILE = argv.includes('--profile');
/** Functions whose inclusive time is listed too (--inclusive a,b,c). */
const INCLUSIVE = opt('--inclusive', '').split(',').filter(Boolean);
const ctx = { root: ROOT, work: fs.mkdtempSync(path.join(os.tmpdir(), 'blastprof-')) };
const B = TRAFFIC_CFG.blast;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(kind) {
  const dir = path.join(ctx.work, kind);
  fs.mkdirSync(dir, { recursive: true });
  const nodeArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
  const srv = await startServer(kind, { root: ROOT, work: dir, nodeArgs });
  const runs = [];
  try {
    for (let i = 0; i <= RUNS; i++) {
      const r = await trafficRun(ctx, srv, { clients: B.clients, mode: 'blast', perSender: B.messages });
      if (!r.ok) throw new Error(`${kind}: ${r.fatal ?? `${r.delivered}/${r.expected} delivered`}`);
      if (i > 0) runs.push(r); // the first is the warm-up
    }
  } finally {
    await srv.stop(); // SIGTERM: the server exits and writes its profile
  }
  const perCpu = runs.map((r) => r.deliveriesPerCpuS);
  console.log(`${kind}: ${perCpu.map((x) => (x / 1e6).toFixed(2)).join(' ')} M deliveries/CPU-s; median ${(median(perCpu) / 1e6).toFixed(2)}M, CPU-s ${runs.map((r) => r.cpuS.toFixed(3)).join(' ')}`);
  if (!PROFILE) return;
  const prof = fs.readdirSync(dir).find((x) => x.endsWith('.cpuprofile'));
  if (!prof) throw new Error(`${kind}: no .cpuprofile in ${dir} (is it a Node server?)`);
  const cpu = topFunctions(path.join(dir, prof), TOP, runs.map((r) => r.window));
  console.log(`\n${kind}: self time during ${RUNS} blasts, ${cpu.totalMs.toFixed(0)} ms sampled\n`);
  console.log('| function | where | self ms | share |\n|---|---|---|---|');
  for (const r of cpu.rows) console.log(`| \`${r.fn}\` | ${r.where} | ${r.ms.toFixed(1)} | ${((100 * r.ms) / cpu.totalMs).toFixed(1)}% |`);
  if (INCLUSIVE.length > 0) {
    console.log('\n| function | inclusive ms |\n|---|---|');
    for (const [fn, ms] of inclusiveTimes(path.join(dir, prof), INCLUSIVE, runs.map((r) => r.window))) console.log(`| \`${fn}\` | ${ms.toFixed(1)} |`);
  }
  console.log(`\nprofile: ${path.join(dir, prof)}`);
}

try {
  for (const kind of SERVERS) await measure(kind);
} catch (e) {
  process.stderr.write(`profileBlast: ${e?.stack ?? e}\n`);
  killAll();
  process.exitCode = 1;
}
