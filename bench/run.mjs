#!/usr/bin/env node
// `npm run bench`: our chat server side by side with Redis pub/sub and ngIRCd.
//
//   node bench/run.mjs [--quick] [--rounds N] [--only blast,paced,idle,scale,history,extension]
//   node bench/run.mjs --only cluster   (one node against three on Redis and PostgreSQL: bench/workloads/cluster.mjs)
//   node bench/run.mjs --report     (rewrite the tables, chart and docs from bench/results/results.json)
//
// Method (../shared/peers.md): servers on loopback, pinned to core 0, the load
// generator (bench/loadgen.mjs) pinned to core 1, servers alternated
// ours → redis → ngircd for each round, medians reported. Every run checks
// delivered/expected == 1 and per-sender order; any loss fails the bench.
import { spawn, execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { procRssKb } from './loadgen.mjs';
import { cluster, clusterConfig, clusterMarkdown } from './workloads/cluster.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = path.join(ROOT, 'bench', '.work');
const RESULTS = path.join(ROOT, 'bench', 'results');
const HOST = '127.0.0.1';
const PORTS = { redis: 16379, irc: 16667 };
// The fd limit for servers and load generator: as high as the hard limit allows (5,000 connections need > 5,000).
const NOFILE = (() => {
  try {
    const hard = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
    return hard === 'unlimited' ? 65536 : Math.min(65536, Number(hard));
  } catch {
    return 20000;
  }
})();

// ---------------------------------------------------------------- options

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i === -1 ? dflt : argv[i + 1];
};
const QUICK = flag('--quick');
const REPORT_ONLY = flag('--report');
const ROUNDS = Number(opt('--rounds', QUICK ? 1 : 3));
const ONLY = new Set((opt('--only', 'blast,paced,idle,scale,history,extension')).split(','));
const CFG = {
  blast: { clients: 100, messages: 100 },
  paced: { clients: 100, rates: [1, 2, 5, 10], seconds: QUICK ? 5 : 20 },
  idle: { clients: 1000, holdMs: 20_000 },
  scale: { clients: 5000, senders: 10, messages: 10 },
  history: { rooms: 10, perRoom: 100_000, recoveryLimitMs: 120_000 },
  cluster: clusterConfig(QUICK),
};
const SERVERS = ['ours', 'redis', 'irc'];
const LABEL = { ours: 'tcp-chat (ours)', redis: 'Redis pub/sub', irc: 'ngIRCd' };

const log = (s) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const a = xs.filter((x) => Number.isFinite(x)).sort((p, q) => p - q);
  if (!a.length) return NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};

// ---------------------------------------------------------------- processes

/** Every process we started, so that they are all stopped, by PID, even on failure. */
const live = new Map();
function killAll() {
  for (const [pid] of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}
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

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host: HOST, port: 0 }, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, child, ms = 30_000) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before listening`);
    const ok = await new Promise((resolve) => {
      const s = net.connect({ host: HOST, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(25);
  }
  throw new Error(`nothing listening on ${port} after ${ms} ms`);
}

/** Start a server pinned to core 0 with a raised fd limit. prlimit and taskset exec, so the PID is the server's. */
async function startServer(kind, extra = {}) {
  let port;
  let cmd;
  if (kind === 'ours') {
    port = await freePort();
    cmd = ['node', path.join(ROOT, 'dist', 'cli.js'), 'serve', '--host', HOST, '--port', String(port), '--rate-limit', '0', '--quiet', ...(extra.args ?? [])];
  } else if (kind === 'redis') {
    port = PORTS.redis;
    cmd = ['redis-server', path.join(WORK, 'redis.conf')];
  } else {
    port = PORTS.irc;
    cmd = ['/usr/sbin/ngircd', '-n', '-f', path.join(WORK, 'ngircd.conf')];
  }
  if (kind !== 'ours' && !(await portFree(port))) throw new Error(`port ${port} for ${kind} is busy: is another ${kind} running?`);
  const logFile = path.join(WORK, `${kind}.log`);
  const out = fs.openSync(logFile, 'w');
  const t0 = performance.now();
  const child = spawn('prlimit', [`--nofile=${NOFILE}:${NOFILE}`, 'taskset', '-c', '0', ...cmd], { cwd: WORK, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  live.set(child.pid, child);
  child.on('exit', () => live.delete(child.pid));
  try {
    await waitForPort(port, child, extra.waitMs ?? 30_000);
  } catch (e) {
    child.kill('SIGKILL');
    live.delete(child.pid);
    throw e;
  }
  const startMs = performance.now() - t0;
  // Wait until the exec chain (prlimit → taskset → server) has landed.
  for (let i = 0; i < 100 && !/^(node|redis-server|ngircd)/.test(readComm(child.pid)); i++) await sleep(10);
  return {
    kind,
    port,
    pid: child.pid,
    child,
    logFile,
    startMs,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
      live.delete(child.pid);
    },
  };
}

function readComm(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Run the load generator pinned to core 1; resolves with its JSON result. */
function loadgen(cfg, timeoutMs = 10 * 60_000) {
  return new Promise((resolve) => {
    const child = spawn('prlimit', [`--nofile=${NOFILE}:${NOFILE}`, 'taskset', '-c', '1', 'node', path.join(ROOT, 'bench', 'loadgen.mjs'), JSON.stringify(cfg)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.set(child.pid, child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      live.delete(child.pid);
      const line = out.trim().split('\n').pop();
      try {
        resolve(JSON.parse(line));
      } catch {
        resolve({ ok: false, fatal: `loadgen exit ${code}: ${(out + err).slice(-800)}` });
      }
    });
  });
}

// ---------------------------------------------------------------- setup

function ensurePeers() {
  const have = fs.existsSync('/usr/bin/redis-server') && fs.existsSync('/usr/sbin/ngircd');
  if (have) return;
  log('installing redis-server and ngircd from Debian');
  const apt = (args) => execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  apt(['update']);
  apt(['install', '-y', 'redis-server', 'ngircd']);
}

function writeConfigs() {
  fs.mkdirSync(WORK, { recursive: true });
  // Exactly as in ../shared/peers.md.
  fs.writeFileSync(
    path.join(WORK, 'redis.conf'),
    ['bind 127.0.0.1', 'port 16379', 'save ""', 'appendonly no', 'daemonize no', 'client-output-buffer-limit pubsub 32mb 8mb 60', 'maxclients 10000', ''].join('\n'),
  );
  fs.writeFileSync(
    path.join(WORK, 'ngircd.conf'),
    [
      '[Global]',
      '\tName = bench.irc.local',
      '\tInfo = loopback bench',
      '\tAdminInfo1 = bench',
      '\tAdminInfo2 = loopback',
      '\tAdminEMail = root@localhost',
      '\tListen = 127.0.0.1',
      '\tPorts = 16667',
      '[Limits]',
      '\tMaxConnections = 0',
      '\tMaxConnectionsIP = 0',
      '\tMaxJoins = 0',
      '\tMaxNickLength = 30',
      '\tMaxPenaltyTime = 0',
      '[Options]',
      '\tDNS = no',
      '\tIdent = no',
      '\tPAM = no',
      '',
    ].join('\n'),
  );
}

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
    loadavgStart: os.loadavg(),
  };
}

/** Load on the machine from processes other than ours while the bench ran: sampled /proc/loadavg. */
const loadSamples = [];
const loadTimer = setInterval(() => loadSamples.push(os.loadavg()[0]), 5000);
loadTimer.unref();

// ---------------------------------------------------------------- workloads

const connectConcurrency = (kind) => (kind === 'irc' ? 5 : 100); // ngIRCd's listen backlog is 10
const failures = [];

function check(what, r) {
  if (r.ok) return r;
  const why = r.fatal ?? `delivered/expected ${r.delivered}/${r.expected}, gaps ${r.gaps}, dup/reorder ${r.dupOrReorder}, errors ${r.errorCount}: ${(r.errors ?? []).join('; ')}`;
  failures.push(`${what}: ${why}`);
  log(`FAIL ${what}: ${why}`);
  return r;
}

const base = (srv) => ({ proto: srv.kind, host: HOST, port: srv.port, pid: srv.pid, connectConcurrency: connectConcurrency(srv.kind) });

async function withServer(kind, fn, extra) {
  const srv = await startServer(kind, extra);
  try {
    return await fn(srv);
  } finally {
    await srv.stop();
  }
}

async function blast(runs) {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of SERVERS) {
      await withServer(kind, async (srv) => {
        // The first blast on a fresh process is the cold run (JIT warm-up for
        // Node); the second is the measured one. Both are checked.
        const cold = check(`blast cold ${kind} r${round}`, await loadgen({ ...base(srv), ...CFG.blast }));
        const warm = check(`blast ${kind} r${round}`, await loadgen({ ...base(srv), ...CFG.blast }));
        runs.push({ kind, round, cold, warm });
        log(`blast ${kind} r${round}: ${fmtK(warm.deliveriesPerCpuS)} deliveries/CPU-s (cold ${fmtK(cold.deliveriesPerCpuS)}), ratio ${warm.ratio}`);
      });
    }
  }
}

async function paced(runs) {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of SERVERS) {
      await withServer(kind, async (srv) => {
        check(`paced warm-up ${kind} r${round}`, await loadgen({ ...base(srv), ...CFG.blast }));
        for (const rate of CFG.paced.rates) {
          const r = check(`paced ${rate}/s ${kind} r${round}`, await loadgen({ ...base(srv), clients: CFG.paced.clients, rate, seconds: CFG.paced.seconds }));
          runs.push({ kind, round, rate, r });
          log(`paced ${kind} ${rate}/s r${round}: p50 ${fmtMs(r.latencyMs?.p50)} p99 ${fmtMs(r.latencyMs?.p99)} ms, ratio ${r.ratio}, server CPU ${pct(r.cpuS, r.wallS)}`);
        }
      });
    }
  }
}

async function idle(runs) {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of SERVERS) {
      await withServer(kind, async (srv) => {
        await sleep(500);
        // RSS of a fresh process before, and after 1,000 connections have been open and quiet for a
        // while (Node's heap shrinks only when its memory reducer runs, some seconds after a burst).
        const r = check(`idle ${kind} r${round}`, await loadgen({ ...base(srv), clients: CFG.idle.clients, noPublisher: true, settleMs: 500, rssWaitMs: 500, holdMs: CFG.idle.holdMs, handshakeTimeoutMs: 120_000 }));
        runs.push({ kind, round, r });
        log(`idle ${kind} r${round}: ${r.rssPerConnKb?.toFixed(2)} KB/conn (RSS ${r.rssBeforeKb} → ${r.rssSettledKb} right after connecting → ${r.rssConnectedKb} KB after ${CFG.idle.holdMs / 1000} s)`);
      });
    }
  }
}

async function scale(runs) {
  await withServer('ours', async (srv) => {
    await sleep(500);
    const r = check('scale ours', await loadgen({ ...base(srv), connectConcurrency: 500, waves: true, ...CFG.scale, settleMs: 1000, rssWaitMs: 1000, holdMs: 15_000, handshakeTimeoutMs: 900_000, drainMs: 120_000 }, 25 * 60_000));
    runs.push({ kind: 'ours', r });
    log(`scale: ${r.clients} connections in ${fmtMs(r.connectMs)} ms, ${r.rssPerConnKb?.toFixed(2)} KB/conn, fan-out ${r.delivered}/${r.expected}, p99 ${fmtMs(r.latencyMs?.p99)} ms`);
  });
}

// History: a data directory of 1,000,000 messages, 10 rooms × 100,000 (the
// default retention keeps 100,000 per room, so nothing is compacted away).
const WORDS = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu build deploy review merge test ship lunch coffee standup'.split(' ');

function ensureHistoryData() {
  const dir = path.join(WORK, 'history-1m');
  const stamp = path.join(dir, 'complete.json');
  const want = JSON.stringify({ rooms: CFG.history.rooms, perRoom: CFG.history.perRoom });
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want) return dir;
  log(`generating ${CFG.history.rooms * CFG.history.perRoom} messages in ${dir}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'rooms'), { recursive: true });
  let rnd = 12345;
  const rand = (n) => ((rnd = (rnd * 1103515245 + 12345) & 0x7fffffff) % n);
  const t0 = Date.UTC(2026, 0, 1);
  for (let r = 0; r < CFG.history.rooms; r++) {
    const room = `room-${r}`;
    const fd = fs.openSync(path.join(dir, 'rooms', `${room}.jsonl`), 'w', 0o600);
    let chunk = '';
    for (let seq = 1; seq <= CFG.history.perRoom; seq++) {
      const n = 4 + rand(10);
      const words = [];
      for (let w = 0; w < n; w++) words.push(WORDS[rand(WORDS.length)]);
      if (seq % 10_000 === 0) words.push('needle'); // 10 per room: a rare word
      const msg = { type: 'message', id: `h${r}-${seq}`, seq, room, sender: `user${rand(50)}`, text: words.join(' '), ts: new Date(t0 + (seq * CFG.history.rooms + r) * 1000).toISOString() };
      chunk += JSON.stringify(msg) + '\n';
      if (chunk.length > 1 << 20) {
        fs.writeSync(fd, chunk);
        chunk = '';
      }
    }
    fs.writeSync(fd, chunk);
    fs.closeSync(fd);
  }
  fs.writeFileSync(stamp, want);
  return dir;
}

/** A minimal protocol client for request/response timing. */
async function rawClient(port, name) {
  const s = net.connect({ host: HOST, port });
  s.setNoDelay(true);
  const waiters = [];
  let buf = '';
  s.setEncoding('utf8');
  s.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const f = JSON.parse(line);
      const w = waiters.findIndex((x) => x.match(f));
      if (w !== -1) waiters.splice(w, 1)[0].resolve(f);
    }
  });
  await new Promise((r, j) => s.once('connect', r).once('error', j));
  const request = (frame, match) =>
    new Promise((resolve) => {
      waiters.push({ match, resolve });
      s.write(JSON.stringify(frame) + '\n');
    });
  await request({ type: 'hello', v: 1, name }, (f) => f.type === 'welcome');
  return { request, close: () => s.destroy() };
}

async function history(out) {
  const dir = ensureHistoryData();
  const bytes = fs.readdirSync(path.join(dir, 'rooms')).reduce((n, f) => n + fs.statSync(path.join(dir, 'rooms', f)).size, 0);
  // Baseline RSS of an empty server, to report what the history itself costs.
  const emptyRss = await withServer('ours', async (srv) => {
    await sleep(1000);
    return procRssKb(srv.pid);
  });
  const runs = [];
  out.history = { dataBytes: bytes, emptyRssKb: emptyRss, runs };
  for (let round = 1; round <= ROUNDS; round++) {
    const r = await withServer(
      'ours',
      async (srv) => {
        const logText = fs.readFileSync(srv.logFile, 'utf8');
        const m = /history: (\d+) messages in (\d+) rooms .*?\((\d+) ms/.exec(logText);
        await sleep(1000);
        const rss = procRssKb(srv.pid);
        const c = await rawClient(srv.port, 'searcher');
        for (let i = 0; i < CFG.history.rooms; i++) await c.request({ type: 'join', room: `room-${i}` }, (f) => f.type === 'joined');
        const time = async (query, room) => {
          const ts = [];
          let hits = 0;
          for (let k = 0; k < 5; k++) {
            const t0 = performance.now();
            const f = await c.request({ type: 'search', id: `s${k}`, query, ...(room && { room }) }, (x) => x.type === 'search_results');
            ts.push(performance.now() - t0);
            hits = f.messages.length;
          }
          return { ms: median(ts), hits };
        };
        const searches = {
          common: await time('coffee'),
          rare: await time('needle'),
          absent: await time('no-such-word'),
          absentOneRoom: await time('no-such-word', 'room-3'),
        };
        const t0 = performance.now();
        await c.request({ type: 'history', room: 'room-5', before: 50_000, limit: 100 }, (f) => f.type === 'history');
        const historyPageMs = performance.now() - t0;
        c.close();
        return { startMs: srv.startMs, recoveredMessages: m ? Number(m[1]) : NaN, recoveryMs: m ? Number(m[3]) : NaN, rssKb: rss, searches, historyPageMs };
      },
      { args: ['--data', dir], waitMs: CFG.history.recoveryLimitMs },
    ).catch((e) => {
      throw new Error(`restart with ${CFG.history.rooms * CFG.history.perRoom} stored messages: the server was not listening after ${CFG.history.recoveryLimitMs / 1000} s (${e.message})`);
    });
    runs.push(r);
    log(`history r${round}: ${r.recoveredMessages} messages recovered in ${r.recoveryMs} ms (listening after ${fmtMs(r.startMs)} ms), RSS ${(r.rssKb / 1024).toFixed(0)} MB, search absent ${fmtMs(r.searches.absent.ms)} ms`);
    if (r.recoveredMessages !== CFG.history.rooms * CFG.history.perRoom) failures.push(`history: recovered ${r.recoveredMessages} messages, expected ${CFG.history.rooms * CFG.history.perRoom}`);
  }
}

async function extension(out) {
  const ext = {};
  // Production bundles into a temp dir, built by the project's own esbuild.mjs with only the out paths changed.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-chat-bundle-'));
  try {
    const src = fs.readFileSync(path.join(ROOT, 'esbuild.mjs'), 'utf8').replaceAll("'dist/", `'${tmp}/`);
    const script = path.join(WORK, 'esbuild-prod.mjs');
    fs.writeFileSync(script, src);
    execFileSync('node', [script, '--production'], { cwd: ROOT, stdio: 'inherit' });
    for (const f of ['extension.js', 'webview.js', 'cli.js']) {
      const p = path.join(tmp, f);
      if (!fs.existsSync(p)) continue;
      const gz = (await import('node:zlib')).gzipSync(fs.readFileSync(p), { level: 9 }).length;
      ext[f] = { bytes: fs.statSync(p).size, gzipBytes: gz };
    }
  } catch (e) {
    ext.bundleError = String(e.message ?? e);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  // Activation time: from the extension host's log of a real (code-server) VS Code run, if the integration tests left one.
  ext.activation = findActivation();
  // Panel with 10,000 messages: first paint and append, measured by the webview helper's script.
  const panel = path.join(ROOT, 'bench', 'panel', 'measurePanel.mjs');
  if (fs.existsSync(panel)) {
    const json = path.join(ROOT, 'test-results', 'panel', 'measurePanel.json');
    fs.rmSync(json, { force: true });
    const r = spawnSync('node', [panel, '--no-shots'], { cwd: ROOT, encoding: 'utf8', timeout: 10 * 60_000 });
    try {
      const j = JSON.parse(fs.readFileSync(json, 'utf8'));
      ext.panel = { messages: j.messages, ...j.summary, exit: r.status };
    } catch {
      ext.panel = { error: `exit ${r.status}: ${((r.stdout ?? '') + (r.stderr ?? '')).slice(-400)}` };
    }
  } else ext.panel = { notMeasured: 'bench/panel/measurePanel.mjs is not there' };
  out.extension = ext;
  log(`extension: ${JSON.stringify(ext)}`);
}

function findActivation() {
  // Where the integration runner leaves code-server logs: .vscode-test/, and its temp dirs when kept (TCP_CHAT_KEEP=1).
  const roots = [path.join(ROOT, '.vscode-test'), ...fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith('tcp-chat-vscode-')).map((d) => path.join(os.tmpdir(), d))].filter((d) => fs.existsSync(d));
  if (!roots.length) return { notMeasured: 'no code-server logs in .vscode-test/ or kept integration temp dirs' };
  const files = [];
  const walk = (d, depth) => {
    if (depth > 8) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!/node_modules|extensions$|User$|CachedData/.test(e.name)) walk(p, depth + 1);
      } else if (/exthost.*\.log$/i.test(e.name)) files.push(p);
    }
  };
  for (const dir of roots) {
    try {
      walk(dir, 0);
    } catch {
      // unreadable corners
    }
  }
  // The extension host logs "ExtensionService#_doActivateExtension tcp-chat.tcp-chat, …" when it starts
  // activating us, and the extension's own output channel (tcp-chat.tcp-chat/TCP Chat.log, same exthost
  // dir) logs "TCP Chat activated" when activate() is done: the time between the two is the activation time.
  const stamp = (line) => {
    const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})/.exec(line);
    return m ? Date.parse(`${m[1]}T${m[2]}Z`) : NaN;
  };
  const hits = [];
  for (const f of files) {
    if (!/exthost\.log$|remoteexthost\.log$/.test(f)) continue;
    const start = fs.readFileSync(f, 'utf8').split('\n').find((l) => l.includes('_doActivateExtension tcp-chat.tcp-chat'));
    const own = path.join(path.dirname(f), 'tcp-chat.tcp-chat');
    if (!start || !fs.existsSync(own)) continue;
    for (const g of fs.readdirSync(own)) {
      const done = fs.readFileSync(path.join(own, g), 'utf8').split('\n').find((l) => /TCP Chat activated/.test(l));
      if (!done) continue;
      const ms = stamp(done) - stamp(start);
      if (Number.isFinite(ms)) hits.push({ ms, source: path.relative(os.tmpdir(), f).split(path.sep).slice(0, 1)[0], event: /activationEvent: '([^']+)'/.exec(start)?.[1], mtime: fs.statSync(f).mtimeMs });
    }
  }
  if (!hits.length) return { notMeasured: `no activation of tcp-chat in ${files.length} extension host log(s) (searched .vscode-test/ and kept /tmp/tcp-chat-vscode-* dirs; the integration runner keeps them with TCP_CHAT_KEEP=1)` };
  hits.sort((a, b) => b.mtime - a.mtime);
  return { ms: median(hits.map((h) => h.ms)), runs: hits.length, event: hits[0].event, source: `code-server extension host logs (${hits.length} activation${hits.length > 1 ? 's' : ''}, median)` };
}

// ---------------------------------------------------------------- report

const fmtK = (x) => (Number.isFinite(x) ? (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${Math.round(x / 1e3)}k`) : '—');
const fmtMs = (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : '—');
const pct = (cpu, wall) => (Number.isFinite(cpu / wall) ? `${((100 * cpu) / wall).toFixed(0)}%` : '—');
const ratio = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '—');

function summarize(M) {
  const raw = { blast: M.workloads.blast?.data ?? [], paced: M.workloads.paced?.data ?? [], idle: M.workloads.idle?.data ?? [] };
  const s = { blast: {}, paced: {}, idle: {} };
  for (const kind of SERVERS) {
    const b = raw.blast.filter((x) => x.kind === kind);
    if (b.length)
      s.blast[kind] = {
        perCpuS: median(b.map((x) => x.warm?.deliveriesPerCpuS)),
        coldPerCpuS: median(b.map((x) => x.cold?.deliveriesPerCpuS)),
        perWallS: median(b.map((x) => x.warm?.deliveriesPerWallS)),
        cpuS: median(b.map((x) => x.warm?.cpuS)),
        delivered: median(b.map((x) => x.warm?.delivered)),
        expected: b[0].warm?.expected,
        allOk: b.every((x) => x.warm?.ok && x.cold?.ok),
      };
    s.paced[kind] = {};
    for (const rate of M.workloads.paced?.config?.rates ?? CFG.paced.rates) {
      const p = raw.paced.filter((x) => x.kind === kind && x.rate === rate);
      if (!p.length) continue;
      s.paced[kind][rate] = {
        p50: median(p.map((x) => x.r.latencyMs?.p50)),
        p99: median(p.map((x) => x.r.latencyMs?.p99)),
        p99Best: Math.min(...p.map((x) => x.r.latencyMs?.p99 ?? Infinity)),
        p50Best: Math.min(...p.map((x) => x.r.latencyMs?.p50 ?? Infinity)),
        max: median(p.map((x) => x.r.latencyMs?.max)),
        cpuPct: median(p.map((x) => (100 * x.r.cpuS) / x.r.wallS)),
        allOk: p.every((x) => x.r.ok),
      };
    }
    const i = raw.idle.filter((x) => x.kind === kind);
    if (i.length) s.idle[kind] = { kbPerConn: median(i.map((x) => x.r.rssPerConnKb)), settledKbPerConn: median(i.map((x) => (x.r.rssSettledKb - x.r.rssBeforeKb) / x.r.clients)), connectS: median(i.map((x) => x.r.connectMs / 1000)), rssBeforeKb: median(i.map((x) => x.r.rssBeforeKb)), rssConnectedKb: median(i.map((x) => x.r.rssConnectedKb)), allOk: i.every((x) => x.r.ok) };
  }
  return s;
}

function stamp(M, w) {
  const x = M.workloads[w];
  const ld = x.load?.length ? x.load : [NaN];
  return `_Measured ${x.at.slice(0, 16).replace('T', ' ')}–${x.finished.slice(11, 16)} UTC by \`${x.command}\`, ${x.rounds} round${x.rounds > 1 ? 's' : ''} (medians); machine load average during it ${Math.min(...ld).toFixed(1)}–${Math.max(...ld).toFixed(1)} on 2 cores._`;
}

function markdown(M) {
  const { summary: s, machine: m } = M;
  const W = M.workloads;
  const L = [];
  L.push(`# Benchmark results`, '');
  L.push(`Updated ${M.updated}. Machine: ${m.cpu}, ${m.cores} cores, ${m.memGb} GB, Linux ${m.kernel}, Node ${m.node}; ${m.redis.split(' sha')[0]}; ${m.ngircd.split('-')[0]}.`);
  L.push(`Server pinned to core 0 (\`taskset -c 0\`), load generator to core 1; servers alternated ours → Redis → ngIRCd in every round. Other work on this shared 2-core machine runs at the same time, so absolute figures drift (the load average is given per section); the ratios are measured side by side.`, '');
  const fails = Object.entries(W).flatMap(([w, x]) => (x.failures ?? []).map((f) => `${w}: ${f}`));
  L.push(fails.length ? `**FAILED: ${fails.length} problem(s):**\n\n${fails.map((f) => `- ${f}`).join('\n')}\n` : '**Correctness: every run delivered exactly what it should (delivered/expected = 1.0, no per-sender gap, duplicate or reordering).**', '');
  if (Object.keys(s.blast).length) {
    const o = s.blast.ours, r = s.blast.redis, i = s.blast.irc;
    L.push(`## Blast: ${CFG.blast.clients} clients × ${CFG.blast.messages} messages, one room`, '', stamp(M, 'blast'), '');
    L.push('| server | deliveries per server CPU-second | cold (first run after start) | deliveries per wall-second | server CPU s | delivered/expected |', '|---|---|---|---|---|---|');
    for (const k of SERVERS) if (s.blast[k]) L.push(`| ${LABEL[k]} | **${fmtK(s.blast[k].perCpuS)}** | ${fmtK(s.blast[k].coldPerCpuS)} | ${fmtK(s.blast[k].perWallS)} | ${s.blast[k].cpuS.toFixed(2)} | ${s.blast[k].delivered}/${s.blast[k].expected} |`);
    if (o) L.push('', `Ours vs Redis: **${ratio(o.perCpuS, r?.perCpuS)}**; vs ngIRCd: **${ratio(o.perCpuS, i?.perCpuS)}** deliveries per server CPU-second (warm). Each server gets one unmeasured-for-the-headline cold blast first; its figure is the "cold" column.`, '');
  }
  if (Object.keys(s.paced.ours ?? {}).length) {
    L.push(`## Paced: ${CFG.paced.clients} clients × r msg/s for ${W.paced.config?.seconds ?? CFG.paced.seconds} s, latency against the scheduled send time (ms)`, '', stamp(M, 'paced'), '');
    L.push('| rate per client | offered msg/s | ours p50 / p99 | Redis p50 / p99 | ngIRCd p50 / p99 | ours p99 ÷ Redis p99 | ours p99 ÷ ngIRCd p99 | server CPU ours / Redis / ngIRCd |', '|---|---|---|---|---|---|---|---|');
    for (const rate of CFG.paced.rates) {
      const g = (k) => s.paced[k]?.[rate];
      const cell = (k) => (g(k) ? `${fmtMs(g(k).p50)} / ${fmtMs(g(k).p99)}` : '—');
      L.push(`| ${rate}/s | ${rate * CFG.paced.clients} | ${cell('ours')} | ${cell('redis')} | ${cell('irc')} | ${ratio(g('ours')?.p99, g('redis')?.p99)} | ${ratio(g('ours')?.p99, g('irc')?.p99)} | ${SERVERS.map((k) => (g(k) ? `${g(k).cpuPct.toFixed(0)}%` : '—')).join(' / ')} |`);
    }
    L.push('', `Best round (lowest p99 of the ${W.paced.rounds} rounds; on a shared machine the best round shows the server with the least outside interference):`, '');
    L.push('| rate per client | ours p50 / p99 | Redis p50 / p99 | ngIRCd p50 / p99 | ours p99 ÷ Redis p99 | ours p99 ÷ ngIRCd p99 |', '|---|---|---|---|---|---|');
    for (const rate of CFG.paced.rates) {
      const g = (k) => s.paced[k]?.[rate];
      const cell = (k) => (g(k) ? `${fmtMs(g(k).p50Best)} / ${fmtMs(g(k).p99Best)}` : '—');
      L.push(`| ${rate}/s | ${cell('ours')} | ${cell('redis')} | ${cell('irc')} | ${ratio(g('ours')?.p99Best, g('redis')?.p99Best)} | ${ratio(g('ours')?.p99Best, g('irc')?.p99Best)} |`);
    }
    L.push('', 'Chart (medians): [latency.svg](latency.svg).', '');
  }
  if (Object.keys(s.idle).length) {
    L.push(`## Idle: ${CFG.idle.clients} open connections (handshake done, in the room / subscribed / joined)`, '', stamp(M, 'idle'), '');
    L.push(`| server | KB of RSS per connection, after ${CFG.idle.holdMs / 1000} s idle | RSS before → after (MB) | KB per connection right after connecting | time to connect 1,000 (s) |`, '|---|---|---|---|---|');
    const mb = (kb) => (Number.isFinite(kb) ? (kb / 1024).toFixed(1) : '—');
    for (const k of SERVERS) if (s.idle[k]) L.push(`| ${LABEL[k]} | **${s.idle[k].kbPerConn.toFixed(2)}** | ${mb(s.idle[k].rssBeforeKb)} → ${mb(s.idle[k].rssConnectedKb)} | ${s.idle[k].settledKbPerConn?.toFixed(2)} | ${s.idle[k].connectS?.toFixed(1)} |`);
    L.push('', `Ours vs Redis: **${ratio(s.idle.ours?.kbPerConn, s.idle.redis?.kbPerConn)}**; vs ngIRCd: **${ratio(s.idle.ours?.kbPerConn, s.idle.irc?.kbPerConn)}** (lower is better). A fresh process each time; RSS after − RSS before, divided by 1,000. ngIRCd connections are opened 5 at a time (its listen backlog is 10).`, '');
  }
  if (W.scale?.data?.length) {
    const r = W.scale.data[0].r;
    L.push(`## Scale: ${CFG.scale.clients} concurrent connections on our server`, '', stamp(M, 'scale'), '');
    L.push('| connections | time to connect and handshake all | RSS | KB per connection | fan-out | delivered/expected | p50 / p99 ms | deliveries per CPU-s |', '|---|---|---|---|---|---|---|---|');
    L.push(`| ${r.clients} | ${fmtMs(r.connectMs)} ms | ${(r.rssConnectedKb / 1024).toFixed(0)} MB | ${r.rssPerConnKb?.toFixed(2)} | ${CFG.scale.senders} senders × ${CFG.scale.messages} messages to all | ${r.delivered}/${r.expected} | ${fmtMs(r.latencyMs?.p50)} / ${fmtMs(r.latencyMs?.p99)} | ${fmtK(r.deliveriesPerCpuS)} |`, '');
    L.push(`RSS is read after the ${r.clients} connections were open and quiet for 15 s (right after the connect storm it was ${(r.rssSettledKb / 1024).toFixed(0)} MB). Fan-out latency is from the send to each delivery of a 100-message burst to ${r.clients} clients (${fmtK(r.expected)} deliveries), so it mostly measures how fast one load-generator process reads ${r.clients} sockets.`, '');
    L.push(`Connecting ${r.clients} clients costs the server ${r.connectCpuS?.toFixed(1)} CPU-s: every handshake sends a welcome with the user list and presence to everyone online, so the connect storm is O(N²) frames (${fmtK((r.clients * (r.clients - 1)))} presence frames).`, '');
  }
  if (W.history?.data?.runs?.length) {
    const h = W.history.data;
    const med = (f) => median(h.runs.map(f));
    L.push(`## History: FileStore with ${(CFG.history.rooms * CFG.history.perRoom).toLocaleString('en')} messages (${CFG.history.rooms} rooms × ${CFG.history.perRoom.toLocaleString('en')}, ${(h.dataBytes / 2 ** 20).toFixed(0)} MB of JSONL)`, '', stamp(M, 'history'), '');
    L.push('| restart: recovery (server log) | restart: listening after | RSS with history (empty server) | search, 0 hits (full scan) | search "needle" (100 hits, limit 50) | search common word | search one room, 0 hits | history page |', '|---|---|---|---|---|---|---|---|');
    L.push(`| ${fmtMs(med((r) => r.recoveryMs))} ms | ${fmtMs(med((r) => r.startMs))} ms | ${(med((r) => r.rssKb) / 1024).toFixed(0)} MB (${(h.emptyRssKb / 1024).toFixed(0)} MB) | ${fmtMs(med((r) => r.searches.absent.ms))} ms | ${fmtMs(med((r) => r.searches.rare.ms))} ms | ${fmtMs(med((r) => r.searches.common.ms))} ms | ${fmtMs(med((r) => r.searches.absentOneRoom.ms))} ms | ${fmtMs(med((r) => r.historyPageMs))} ms |`, '');
    L.push('Search times are round trips through the protocol (client → server → client), median of 5.', '');
  }
  if (W.history && !W.history.data?.runs?.length) L.push('## History', '', stamp(M, 'history'), '', `Not measured: ${(W.history.failures ?? []).join('; ') || 'no run finished'}`, '');
  if (W.cluster?.data?.length) L.push(...clusterMarkdown(W.cluster, stamp(M, 'cluster')));
  if (W.extension?.data) {
    const e = W.extension.data;
    L.push('## Extension', '', stamp(M, 'extension'), '');
    L.push('| figure | value |', '|---|---|');
    for (const f of ['extension.js', 'webview.js', 'cli.js']) if (e[f]) L.push(`| dist/${f} (production) | ${(e[f].bytes / 1024).toFixed(1)} KB (${(e[f].gzipBytes / 1024).toFixed(1)} KB gzip) |`);
    if (e.bundleError) L.push(`| bundles | build failed: ${e.bundleError} |`);
    L.push(`| activation time | ${e.activation.ms !== undefined ? `${e.activation.ms} ms from the host's "_doActivateExtension" to the extension's "TCP Chat activated" (activation event ${e.activation.event}; ${e.activation.source}; wall clock on a busy machine)` : `not measured: ${e.activation.notMeasured}`} |`);
    if (e.panel.notMeasured || e.panel.error) L.push(`| panel with 10,000 messages | not measured: ${e.panel.notMeasured ?? e.panel.error} |`);
    else {
      const p = e.panel;
      L.push(`| panel with ${p.messages} messages: first paint | ${p.paintMs} ms wall, ${p.paintCpuMs} ms renderer CPU (budget ${p.budget?.paintMs} ms) |`);
      L.push(`| panel: append one message | median ${p.appendMedianMs} ms / p95 ${p.appendP95Ms} ms wall; ${p.appendCpuMedianMs} / ${p.appendCpuP95Ms} ms CPU (budget ${p.budget?.appendMs} ms) |`);
      L.push(`| panel figures from | \`node bench/panel/measurePanel.mjs --no-shots\` (headless Chromium; exit ${p.exit}) |`);
    }
    L.push('');
  }
  return L.join('\n');
}

function svgChart(s) {
  const W = 640, H = 420, ml = 64, mr = 150, mt = 40, mb = 56;
  const rates = CFG.paced.rates;
  const xs = rates.map((r) => r * CFG.paced.clients);
  const vals = [];
  for (const k of SERVERS) for (const r of rates) for (const q of ['p50', 'p99']) if (Number.isFinite(s.paced[k]?.[r]?.[q])) vals.push(s.paced[k][r][q]);
  if (!vals.length) return null;
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(0.01, Math.min(...vals)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...vals))));
  const xLo = Math.log10(xs[0]), xHi = Math.log10(xs[xs.length - 1]);
  const X = (x) => ml + ((Math.log10(x) - xLo) / (xHi - xLo)) * (W - ml - mr);
  const Y = (y) => mt + (1 - (Math.log10(Math.max(y, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (H - mt - mb);
  const color = { ours: '#d62728', redis: '#1f77b4', irc: '#2ca02c' };
  const o = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  o.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  o.push(`<text x="${W / 2 - mr / 2 + ml / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">Latency vs offered load (${CFG.paced.clients} clients, one room)</text>`);
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    o.push(`<line x1="${ml}" x2="${W - mr}" y1="${Y(d).toFixed(1)}" y2="${Y(d).toFixed(1)}" stroke="#ddd"/>`);
    o.push(`<text x="${ml - 6}" y="${(Y(d) + 4).toFixed(1)}" text-anchor="end">${d >= 1 ? d : d.toFixed(2)}</text>`);
  }
  for (const x of xs) {
    o.push(`<line x1="${X(x).toFixed(1)}" x2="${X(x).toFixed(1)}" y1="${mt}" y2="${H - mb}" stroke="#eee"/>`);
    o.push(`<text x="${X(x).toFixed(1)}" y="${H - mb + 16}" text-anchor="middle">${x}</text>`);
  }
  o.push(`<rect x="${ml}" y="${mt}" width="${W - ml - mr}" height="${H - mt - mb}" fill="none" stroke="#333"/>`);
  o.push(`<text x="${(ml + W - mr) / 2}" y="${H - 14}" text-anchor="middle">offered load, messages per second (into the room; deliveries ×${CFG.paced.clients})</text>`);
  o.push(`<text transform="translate(16 ${(mt + H - mb) / 2}) rotate(-90)" text-anchor="middle">latency ms (log), vs scheduled send time</text>`);
  let ly = mt + 10;
  for (const k of SERVERS) {
    for (const q of ['p50', 'p99']) {
      const pts = rates.map((r, j) => [xs[j], s.paced[k]?.[r]?.[q]]).filter(([, y]) => Number.isFinite(y));
      if (!pts.length) continue;
      const dash = q === 'p99' ? ' stroke-dasharray="6 4"' : '';
      o.push(`<polyline fill="none" stroke="${color[k]}" stroke-width="2"${dash} points="${pts.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`);
      for (const [x, y] of pts) o.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3" fill="${q === 'p99' ? 'white' : color[k]}" stroke="${color[k]}"/>`);
      o.push(`<line x1="${W - mr + 12}" x2="${W - mr + 40}" y1="${ly}" y2="${ly}" stroke="${color[k]}" stroke-width="2"${dash}/>`);
      o.push(`<text x="${W - mr + 46}" y="${ly + 4}">${LABEL[k].replace(' (ours)', '')} ${q}</text>`);
      ly += 20;
    }
  }
  o.push('</svg>');
  return o.join('\n') + '\n';
}

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

const ORDER = ['blast', 'idle', 'paced', 'scale', 'history', 'extension', 'cluster'];

async function main() {
  const command = `npm run bench${argv.length ? ' -- ' + argv.join(' ') : ''}`;
  if (!REPORT_ONLY) {
    ensurePeers();
    writeConfigs();
    log('building dist/ (node esbuild.mjs)');
    execFileSync('node', ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
  }
  // Results are kept per workload: a run of some workloads (--only) replaces
  // those sections and keeps the others, each stamped with when and how it ran.
  const file = path.join(RESULTS, 'results.json');
  let M = { version: 2, workloads: {} };
  try {
    const prev = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (prev.version === 2) M = prev;
  } catch {
    // first run
  }
  M.machine ??= machine();
  for (const w of ORDER) {
    if (REPORT_ONLY || !ONLY.has(w)) continue;
    M.machine = machine();
    const l0 = loadSamples.length;
    const f0 = failures.length;
    const at = new Date().toISOString();
    loadSamples.push(os.loadavg()[0]);
    let data;
    try {
      if (w === 'blast') await blast((data = []));
      else if (w === 'idle') await idle((data = []));
      else if (w === 'paced') await paced((data = []));
      else if (w === 'scale') await scale((data = []));
      else if (w === 'cluster') await cluster((data = []), { startServer, loadgen, check, log, quick: QUICK, rounds: ROUNDS });
      else {
        const o = {};
        if (w === 'history') await history(o);
        else await extension(o);
        data = o[w];
      }
    } catch (e) {
      failures.push(`${w}: ${e?.message ?? e}`);
      log(`FAIL ${w}: ${e?.stack ?? e}`);
    }
    loadSamples.push(os.loadavg()[0]);
    M.workloads[w] = { at, finished: new Date().toISOString(), command, rounds: w === 'scale' || w === 'extension' ? 1 : ROUNDS, quick: QUICK, config: CFG[w], load: loadSamples.slice(l0), failures: failures.slice(f0), data };
  }
  // Another bench run may have finished meanwhile: keep its sections, replace only ours.
  try {
    const now = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (now.version === 2) for (const [w, x] of Object.entries(now.workloads)) if (REPORT_ONLY || !ONLY.has(w)) M.workloads[w] = x;
  } catch {
    // none
  }
  M.updated = new Date().toISOString();
  M.summary = summarize(M);
  fs.mkdirSync(RESULTS, { recursive: true });
  const md = markdown(M);
  fs.writeFileSync(path.join(RESULTS, 'results.md'), md + '\n');
  fs.writeFileSync(file, JSON.stringify(M, null, 1) + '\n');
  const svg = svgChart(M.summary);
  if (svg) fs.writeFileSync(path.join(RESULTS, 'latency.svg'), svg);
  // A full run rewrites the figures in docs/performance.md; so does --report (the tables again from results.json, nothing run).
  if (REPORT_ONLY || (!QUICK && ORDER.every((w) => w === 'cluster' || ONLY.has(w)))) updateDocs(md);
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
  .finally(() => {
    killAll();
    clearInterval(loadTimer);
  });
