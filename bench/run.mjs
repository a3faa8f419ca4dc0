#!/usr/bin/env node
// `npm run bench`: our chat server side by side with Redis pub/sub, ngIRCd and a
// bare Node socket server.
//
//   node bench/run.mjs [--only blast,paced,idle,storm,large,history,extension]   (storm@2000+10000: sizes)
//                      [--n 2000,10000] [--servers ours,ngircd,...] [--rounds N] [--cap SECONDS] [--quick]
//   node bench/run.mjs --report     (rewrite the tables and docs from bench/results/results.json)
//   node bench/run.mjs --only cluster [--quick] [--rounds N]   (issue 11's cluster workload: bench/clusterBench.mjs)
//
// Method (shared/peers.md): servers on loopback, pinned to core 0, the load
// generator (bench/loadgen.mjs, several processes, steered by bench/lib/fleet.mjs)
// pinned to core 1, servers alternated within each round, medians reported.
// Every run checks delivered/expected == 1 and per-sender order; any loss fails the bench.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAll } from './lib/proc.mjs';
import { SERVERS, ensurePeers } from './lib/servers.mjs';
import { ROOMS_CFG, idle, large, storm } from './workloads/rooms.mjs';
import { goalsMarkdown, idleMarkdown, largeMarkdown, sectionsOf, stormMarkdown, summarizeRooms } from './workloads/roomsReport.mjs';
import { TRAFFIC_CFG, blast, paced } from './workloads/traffic.mjs';
import { summarizeTraffic, svgChart, trafficMarkdown } from './workloads/trafficReport.mjs';
import { HISTORY_CFG, history, historyMarkdown } from './workloads/history.mjs';
import { extension, extensionMarkdown } from './workloads/extension.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = path.join(ROOT, 'bench', 'results');

// ---------------------------------------------------------------- options

const argv = process.argv.slice(2);
// The cluster workload has its own runner and load generator (bench/clusterBench.mjs).
if (argv[argv.indexOf('--only') + 1] === 'cluster' && argv.includes('--only')) {
  const rest = argv.filter((a, i) => a !== '--only' && argv[i - 1] !== '--only');
  const r = spawnSync(process.execPath, [path.join(path.dirname(fileURLToPath(import.meta.url)), 'clusterBench.mjs'), ...rest], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const flag = (name) => argv.includes(name);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i === -1 ? dflt : argv[i + 1];
};
/**
 * Run order. A room workload may name its sizes (`idle@1000`, `storm@2000+10000`);
 * without, it runs its default sizes. Storm, large and idle at 10,000 take long
 * against today's server, so a plain `npm run bench` leaves them out.
 */
const ORDER = ['blast', 'idle', 'paced', 'storm', 'large', 'history', 'extension'];
const DEFAULT = ['blast', 'idle@1000', 'paced', 'history', 'extension'];
const ROOM_WORKLOADS = { storm, idle, large };
// An unknown flag (--help among them) prints the usage and runs nothing: a typo must not start an hour of benchmarks.
const FLAGS = new Set(['--quick', '--report']);
const OPTIONS = new Set(['--only', '--n', '--servers', '--rounds', '--cap']);
for (let i = 0; i < argv.length; i++) {
  if (OPTIONS.has(argv[i])) i++;
  else if (!FLAGS.has(argv[i])) usage(argv[i] === '--help' || argv[i] === '-h' ? 'the options' : `unknown option "${argv[i]}"`);
}

const QUICK = flag('--quick');
const REPORT_ONLY = flag('--report');
/** Workload → sizes asked for (undefined: its defaults). */
const ONLY = new Map(
  opt('--only', DEFAULT.join(','))
    .split(',')
    .map((x) => {
      const [w, sizes] = x.split('@');
      if (!ORDER.includes(w)) usage(`unknown workload "${w}"`);
      if (sizes !== undefined && !ROOM_WORKLOADS[w]) usage(`${w} has no room size`);
      return [w, sizes?.split('+').map(Number)];
    }),
);
const SIZES = opt('--n') ? opt('--n').split(',').map(Number) : undefined;
for (const n of [...(SIZES ?? []), ...[...ONLY.values()].flat().filter((x) => x !== undefined)]) if (!Number.isInteger(n) || n < 2) usage('room sizes are whole numbers like 2000 (--n 2000,10000 or --only storm@2000+10000)');
const SERVER_LIST = opt('--servers')?.split(',');
for (const k of SERVER_LIST ?? []) if (!SERVERS[k]) usage(`unknown server "${k}"; known: ${Object.keys(SERVERS).join(', ')}`);

const ctx = {
  root: ROOT,
  work: path.join(ROOT, 'bench', '.work'),
  rounds: Number(opt('--rounds', QUICK ? 1 : 3)),
  capS: Number(opt('--cap', 120)),
  servers: SERVER_LIST,
  quick: QUICK,
  failures: [],
  log: (s) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`),
  fail(why) {
    this.failures.push(why);
    this.log(`FAIL ${why}`);
  },
};

function usage(why) {
  process.stderr.write(`bench: ${why}\nusage: node bench/run.mjs [--only ${ORDER.join(',')}] [--n 2000,10000] [--servers ${Object.keys(SERVERS).join(',')}] [--rounds N] [--cap SECONDS] [--quick] | --report\n`);
  process.exit(2);
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    ctx.log(`${sig}: stopping servers and load generators`);
    killAll();
    process.exit(130);
  });
}
process.on('exit', killAll);

// ---------------------------------------------------------------- machine

function versionOf(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0].trim();
  } catch {
    return '?';
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? '?',
    cores: cpus.length,
    memGb: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    redis: versionOf('redis-server', ['--version']),
    ngircd: versionOf('/usr/sbin/ngircd', ['--version']),
    nofile: versionOf('sh', ['-c', 'ulimit -Hn']),
  };
}

/** Load on the machine (others' work included) while the bench ran: /proc/loadavg every 5 s. */
const loadSamples = [];
const loadTimer = setInterval(() => loadSamples.push(os.loadavg()[0]), 5000);
loadTimer.unref();

// ---------------------------------------------------------------- report

function markdown(M) {
  const W = M.workloads;
  const m = M.machine;
  const L = ['# Benchmark results', ''];
  L.push(`Updated ${M.updated}. Machine: ${m.cpu}, ${m.cores} cores, ${m.memGb} GB, Linux ${m.kernel}, Node ${m.node}; ${m.redis.split(' sha')[0]}; ${m.ngircd.split('-')[0]}.`);
  L.push('Each server pinned to core 0 (`taskset -c 0`), the load generator to core 1; servers alternated within every round. Other work on this shared 2-core machine runs at the same time, so absolute figures drift (the load average is given per section); the ratios are measured side by side.', '');
  const fails = Object.entries(W).flatMap(([w, x]) => (x.failures ?? []).map((f) => `${w}: ${f}`));
  L.push(fails.length ? `**FAILED: ${fails.length} problem(s):**\n\n${fails.map((f) => `- ${f}`).join('\n')}\n` : '**Correctness: every finished run delivered exactly what it should (delivered/expected = 1.0, nothing lost, duplicated or reordered for any sender).**', '');
  const t = summarizeTraffic(W);
  L.push(...trafficMarkdown(W, t));
  // Sections measured with --servers: `blast:oursIrc+ngircd`.
  for (const only of new Set(Object.keys(W).map((k) => /^(?:blast|paced):(.+)$/.exec(k)?.[1]).filter(Boolean))) {
    const w = { blast: W[`blast:${only}`], paced: W[`paced:${only}`] };
    L.push(...trafficMarkdown(w, summarizeTraffic(w), ` (${only.split('+').join(', ')})`));
  }
  const title = (only) => (only ? ` (${only.split('+').join(', ')})` : '');
  for (const [n, x, only] of sectionsOf(W, 'storm')) L.push(...stormMarkdown(n, x, summarizeRooms(x), title(only)));
  for (const [n, x, only] of sectionsOf(W, 'idle')) L.push(...idleMarkdown(n, x, summarizeRooms(x), title(only)));
  for (const [n, x, only] of sectionsOf(W, 'large')) L.push(...largeMarkdown(n, x, summarizeRooms(x), title(only)));
  if (sectionsOf(W, 'storm').length || sectionsOf(W, 'large').length) L.push(...goalsMarkdown(W, t));
  if (W.history) L.push(...historyMarkdown(W.history));
  if (W.extension) L.push(...extensionMarkdown(W.extension));
  return L.join('\n');
}

/** Rewrites the figures between the markers in docs/performance.md. */
function updateDocs(md) {
  const doc = path.join(ROOT, 'docs', 'performance.md');
  if (!fs.existsSync(doc)) return;
  const text = fs.readFileSync(doc, 'utf8');
  const a = '<!-- bench:results:start -->', b = '<!-- bench:results:end -->';
  const i = text.indexOf(a), j = text.indexOf(b);
  if (i === -1 || j === -1) return;
  const body = md.replace(/^# Benchmark results\n\n/, '').replace(/^## /gm, '### ').replace('[latency.svg](latency.svg)', '[bench/results/latency.svg](../bench/results/latency.svg)');
  fs.writeFileSync(doc, text.slice(0, i + a.length) + '\n' + body + '\n' + text.slice(j));
}

// ---------------------------------------------------------------- main

/**
 * Each workload's sections: room workloads get one per size (`storm@2000`), and
 * a run with --servers keeps its own (`blast:oursIrc+ngircd`) beside the default ones.
 */
function sectionsToRun() {
  const out = [];
  const only = SERVER_LIST ? `:${SERVER_LIST.join('+')}` : '';
  for (const w of ORDER) {
    if (!ONLY.has(w)) continue;
    if (ROOM_WORKLOADS[w]) for (const n of SIZES ?? ONLY.get(w) ?? ROOMS_CFG[w].sizes) out.push({ w, key: `${w}@${n}${only}`, n });
    else out.push({ w, key: w === 'blast' || w === 'paced' ? `${w}${only}` : w });
  }
  return out;
}

async function runSection({ w, n }) {
  if (ROOM_WORKLOADS[w]) {
    const runs = [];
    await ROOM_WORKLOADS[w]({ ...ctx, sizes: [n], fail: (why) => ctx.fail(why) }, runs);
    return { config: { ...ROOMS_CFG[w], n, capS: ctx.capS }, data: runs };
  }
  if (w === 'blast' || w === 'paced') {
    const runs = [];
    await (w === 'blast' ? blast : paced)(ctx, runs);
    return { config: TRAFFIC_CFG[w], data: runs };
  }
  const out = {};
  await (w === 'history' ? history : extension)(ctx, out);
  return { config: w === 'history' ? HISTORY_CFG : undefined, data: out };
}

async function main() {
  const command = `npm run bench${argv.length ? ' -- ' + argv.join(' ') : ''}`;
  if (!REPORT_ONLY) {
    ensurePeers(ctx.log);
    ctx.log('building dist/ (node esbuild.mjs)');
    execFileSync('node', ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
  }
  // Results are kept per section: a run of some (--only, --n) replaces those and
  // keeps the others, each stamped with when and how it ran.
  const file = path.join(RESULTS, 'results.json');
  let M = { version: 3, workloads: {} };
  try {
    const prev = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (prev.version >= 2) M = { ...prev, version: 3 };
  } catch {
    // first run
  }
  // Retired: `scale` (5,000 clients on our server alone; `large` measures it with a peer) and the
  // 1,000-client `idle` without a size (now `idle@1000`, with the bare Node server beside it).
  delete M.workloads.scale;
  delete M.workloads.idle;
  M.machine ??= machine();
  const mine = REPORT_ONLY ? [] : sectionsToRun();
  for (const s of mine) {
    M.machine = machine();
    const l0 = loadSamples.length;
    const f0 = ctx.failures.length;
    const at = new Date().toISOString();
    loadSamples.push(os.loadavg()[0]);
    ctx.log(`${s.key}: starting`);
    let result = {};
    try {
      result = await runSection(s);
    } catch (e) {
      ctx.fail(`${s.key}: ${e?.stack ?? e}`);
    }
    loadSamples.push(os.loadavg()[0]);
    M.workloads[s.key] = { at, finished: new Date().toISOString(), command, rounds: s.w === 'extension' ? 1 : ctx.rounds, quick: QUICK, load: loadSamples.slice(l0), failures: ctx.failures.slice(f0), ...result };
  }
  // Another bench run may have finished meanwhile: keep its sections, replace only ours.
  try {
    const now = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (now.version >= 2) for (const [k, x] of Object.entries(now.workloads)) if (!mine.some((s) => s.key === k) && k !== 'scale' && k !== 'idle') M.workloads[k] = x;
  } catch {
    // none
  }
  M.updated = new Date().toISOString();
  delete M.summary;
  fs.mkdirSync(RESULTS, { recursive: true });
  const md = markdown(M);
  fs.writeFileSync(path.join(RESULTS, 'results.md'), md + '\n');
  fs.writeFileSync(file, JSON.stringify(M, null, 1) + '\n');
  const svg = svgChart(summarizeTraffic(M.workloads));
  if (svg) fs.writeFileSync(path.join(RESULTS, 'latency.svg'), svg);
  if (!QUICK) updateDocs(md);
  process.stdout.write(md + '\n');
  if (ctx.failures.length) {
    ctx.log(`${ctx.failures.length} FAILURE(S): ${ctx.failures.join(' | ')}`);
    process.exitCode = 1;
  }
}

main()
  .catch((e) => {
    ctx.log(`bench crashed: ${e?.stack ?? e}`);
    process.exitCode = 2;
  })
  .finally(() => {
    killAll();
    clearInterval(loadTimer);
  });
