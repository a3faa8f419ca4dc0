#!/usr/bin/env node
// `npm run bench -- --only cluster` (run.mjs hands it here): one tcp-chat node
// on PostgreSQL against three on Redis and PostgreSQL, same load
// (bench/workloads/cluster.mjs). It keeps its own single-process load
// generator (bench/clusterLoadgen.mjs) and writes bench/results/cluster.md
// and cluster.json; the room workloads' runner (run.mjs, lib/fleet.mjs) is
// separate. Servers pinned to core 0, the generator to core 1.
//
//   node bench/clusterBench.mjs [--quick] [--rounds N]
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NOFILE, freePort, killAll, track } from './lib/proc.mjs';
import { startPinned } from './lib/servers.mjs';
import { cluster, clusterConfig, clusterMarkdown } from './workloads/cluster.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = path.join(ROOT, 'bench', '.work');
const RESULTS = path.join(ROOT, 'bench', 'results');
const HOST = '127.0.0.1';
const REDIS_PORT = 16379;
const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const ROUNDS = Number(argv.includes('--rounds') ? argv[argv.indexOf('--rounds') + 1] : QUICK ? 1 : 3);
const log = (s) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

// Every process we start is tracked (lib/proc.mjs), so that all are stopped, by PID, even on failure.
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    log(`${sig}: stopping servers`);
    killAll();
    process.exit(130);
  });
}
function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: HOST, port }, () => s.close(() => resolve(true)));
  });
}

/**
 * Start a server pinned to core 0 with a raised fd limit (lib/servers.mjs's
 * startPinned). Its own ports, commands and log files, not startServer's:
 * Redis on the port the nodes are told, and one log per node (`ours-PORT.log`).
 */
async function startServer(kind, extra = {}) {
  let port;
  let cmd;
  if (kind === 'ours') {
    port = await freePort(HOST);
    // TCP_CHAT_BENCH_CPU_PROF=DIR: every node writes a V8 CPU profile there when it stops (node --cpu-prof), to see where its CPU goes.
    const prof = process.env.TCP_CHAT_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.TCP_CHAT_BENCH_CPU_PROF)}`] : [];
    cmd = ['node', ...prof, path.join(ROOT, 'dist', 'cli.js'), 'serve', '--host', HOST, '--port', String(port), '--rate-limit', '0', '--quiet', ...(extra.args ?? [])];
  } else if (kind === 'redis') {
    port = REDIS_PORT;
    cmd = ['redis-server', path.join(WORK, 'redis.conf')];
  } else {
    port = 16667;
    cmd = ['/usr/sbin/ngircd', '-n', '-f', path.join(WORK, 'ngircd.conf')];
  }
  if (kind !== 'ours' && !(await portFree(port))) throw new Error(`port ${port} for ${kind} is busy: is another ${kind} running?`);
  const logFile = path.join(WORK, kind === 'ours' ? `ours-${port}.log` : `${kind}.log`);
  return startPinned(kind, cmd, { port, cwd: WORK, logFile, waitMs: extra.waitMs ?? 30_000 });
}

/** Run the load generator pinned to core 1; resolves with its JSON result. */
function loadgen(cfg, timeoutMs = 10 * 60_000) {
  return new Promise((resolve) => {
    const child = spawn('prlimit', [`--nofile=${NOFILE}:${NOFILE}`, 'taskset', '-c', '1', 'node', path.join(ROOT, 'bench', 'clusterLoadgen.mjs'), JSON.stringify(cfg)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      err += d;
      if (process.env.TCP_CHAT_BENCH_SLOW_MS) process.stderr.write(d);
    });
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      const line = out.trim().split('\n').pop();
      try {
        resolve(JSON.parse(line));
      } catch {
        resolve({ ok: false, fatal: `loadgen exit ${code}: ${(out + err).slice(-800)}` });
      }
    });
  });
}

const failures = [];
function check(what, r) {
  if (r.ok) return r;
  const why = r.fatal ?? `delivered/expected ${r.delivered}/${r.expected}, gaps ${r.gaps}, dup/reorder ${r.dupOrReorder}, errors ${r.errorCount}: ${(r.errors ?? []).join('; ')}`;
  failures.push(`${what}: ${why}`);
  log(`FAIL ${what}: ${why}`);
  return r;
}

async function main() {
  fs.mkdirSync(WORK, { recursive: true });
  // Exactly as in ../shared/peers.md.
  fs.writeFileSync(path.join(WORK, 'redis.conf'), ['bind 127.0.0.1', `port ${REDIS_PORT}`, 'save ""', 'appendonly no', 'daemonize no', 'client-output-buffer-limit pubsub 32mb 8mb 60', 'maxclients 10000', ''].join('\n'));
  log('building dist/ (node esbuild.mjs)');
  execFileSync('node', ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
  const command = `npm run bench -- ${argv.length ? argv.join(' ') : '--only cluster'}`;
  const at = new Date().toISOString();
  const load = [os.loadavg()[0]];
  const data = [];
  try {
    await cluster(data, { startServer, loadgen, check, log, quick: QUICK, rounds: ROUNDS });
  } catch (e) {
    failures.push(`cluster: ${e?.message ?? e}`);
    log(`FAIL cluster: ${e?.stack ?? e}`);
  }
  load.push(os.loadavg()[0]);
  const x = { at, finished: new Date().toISOString(), command, rounds: ROUNDS, quick: QUICK, config: clusterConfig(QUICK), load, failures, data };
  const stamp = `_Measured ${x.at.slice(0, 16).replace('T', ' ')}–${x.finished.slice(11, 16)} UTC by \`${x.command}\`, ${x.rounds} round${x.rounds > 1 ? 's' : ''} (medians); machine load average during it ${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)} on 2 cores._`;
  const md = clusterMarkdown(x, stamp).join('\n');
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, 'cluster.json'), JSON.stringify(x, null, 1) + '\n');
  fs.writeFileSync(path.join(RESULTS, 'cluster.md'), md + '\n');
  process.stdout.write(md + '\n');
  if (failures.length) {
    log(`${failures.length} FAILURE(S): ${failures.join(' | ')}`);
    process.exitCode = 1;
  }
}

main()
  .catch((e) => {
    log(`bench crashed: ${e?.stack ?? e}`);
    process.exitCode = 2;
  })
  .finally(killAll);
