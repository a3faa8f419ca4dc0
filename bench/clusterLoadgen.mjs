#!/usr/bin/env node
// One load generator for every server, with a thin adapter per protocol.
//
//   node bench/clusterLoadgen.mjs '<json config>'   → prints one JSON result line
//
// The cluster workload's generator (bench/clusterBench.mjs): one process, one
// run per invocation, clients spread over a cluster's ports. The room
// workloads use bench/loadgen.mjs (several processes, steered by lib/fleet.mjs).
//
// Config: { proto: 'ours'|'redis'|'irc', host, port, pid, clients,
//           senders?, messages?, rate?, seconds?, connectConcurrency?, tag?,
//           ports?, pids? }   (a cluster: clients spread over `ports`, CPU summed over `pids` and their children)
//   messages > 0  → blast: every sender writes `messages` frames at once
//   rate > 0      → paced: every sender writes `rate` msg/s for `seconds`
//   neither       → idle: connect, settle, measure memory
//
// Payloads are ~30 bytes: `P<sender>.<seq>.<sendMicros>.<pad>`. For paced
// runs sendMicros is the SCHEDULED send time, so a stall shows as latency
// (no coordinated omission). The generator checks loss, duplicates and order
// per (receiver, sender) itself and counts the expected deliveries per
// protocol: ours N per message (the sender gets its echo), Redis N (the
// sender's subscriber connection gets it), IRC N-1.
import * as net from 'node:net';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { procCpuSeconds, procRssKb } from './lib/proc.mjs';

const CLK_TCK = 100; // getconf CLK_TCK on Linux x86-64
const PAYLOAD_LEN = 30;

/**
 * CPU seconds of a process and everything below it: each live process's own
 * time plus what its children that have exited had used (cutime, cstime), so
 * a PostgreSQL backend that came and went still counts.
 */
export function treeCpuSeconds(root) {
  const parent = new Map();
  const own = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let s;
    try {
      s = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    parent.set(Number(d), Number(f[1]));
    own.set(Number(d), (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK);
  }
  const inTree = (pid) => {
    for (let p = pid; p > 1; p = parent.get(p) ?? 0) if (p === root) return true;
    return false;
  };
  let total = 0;
  for (const [pid, cpu] of own) if (inTree(pid)) total += cpu;
  return total;
}

/** Server CPU seconds: `pid`, or with `pids` (a cluster: nodes, Redis, PostgreSQL) every one of them with its children. */
function serverCpuSeconds(cfg) {
  return cfg.pids ? cfg.pids.reduce((sum, pid) => sum + treeCpuSeconds(pid), 0) : procCpuSeconds(cfg.pid);
}

/** With `pids`: each one's CPU seconds (with its children), in the order given, so a cluster's cost splits by process. */
function cpuByPid(cfg) {
  return cfg.pids ? cfg.pids.map((pid) => treeCpuSeconds(pid)) : [];
}


const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function makePayload(sender, seq, micros) {
  const p = `P${sender}.${seq}.${micros}.`;
  return p.length >= PAYLOAD_LEN ? p : p + 'x'.repeat(PAYLOAD_LEN - p.length);
}

/**
 * Splits a socket's byte stream at the last newline of each chunk and hands
 * complete regions to `onRegion(buf, end)`. Payload lines are always complete
 * inside a region.
 */
function regions(socket, onRegion) {
  let tail = null;
  socket.on('data', (chunk) => {
    const buf = tail ? Buffer.concat([tail, chunk]) : chunk;
    const end = buf.lastIndexOf(10);
    if (end === -1) {
      tail = buf;
      return;
    }
    tail = end + 1 < buf.length ? buf.subarray(end + 1) : null;
    onRegion(buf, end + 1);
  });
}

/** Marker at a line start within buf[0..end): position, or -1. */
function lineStartIndexOf(buf, marker, from, end) {
  let i = from;
  for (;;) {
    i = buf.indexOf(marker, i);
    if (i === -1 || i >= end) return -1;
    if (i === 0 || buf[i - 1] === 10) return i;
    i += marker.length;
  }
}

// ---------------------------------------------------------------- adapters

const adapters = {
  /** Our NDJSON protocol: hello → welcome; message → echoed to all incl. sender. */
  ours: {
    expectedPerMessage: (n) => n,
    connect(cfg, i, onPayload, stats) {
      return new Promise((resolve, reject) => {
        // With `ports` (a cluster's nodes), client i talks to node i mod n.
        const s = net.connect({ host: cfg.host, port: cfg.ports ? cfg.ports[i % cfg.ports.length] : cfg.port });
        s.setNoDelay(true);
        const name = `c${i}`;
        let ready = false;
        let nextId = 0;
        const MSG = Buffer.from('{"type":"message"');
        const TEXT = Buffer.from('"text":"');
        const WELCOME = Buffer.from('{"type":"welcome"');
        const ERR = Buffer.from('{"type":"error"');
        const PING = Buffer.from('{"type":"ping"');
        s.on('error', (e) => (ready ? stats.errors.push(`${name}: ${e.message}`) : reject(e)));
        s.on('close', () => ready && !stats.closing && stats.errors.push(`${name}: closed by server`));
        const hello = () => s.write(`{"type":"hello","v":1,"name":"${name}"}\n`);
        // In waves, every hello of a wave is written in the same turn, once all its sockets are connected.
        const gate = cfg.gate;
        s.on('connect', () => (gate ? (gate.connected(), gate.open.then(hello)) : hello()));
        regions(s, (buf, end) => {
          if (!ready) {
            if (lineStartIndexOf(buf, WELCOME, 0, end) === -1) return;
            ready = true;
            resolve(client);
          }
          // Answer the server's keep-alive ping, as a real client does (it closes silent connections).
          if (lineStartIndexOf(buf, PING, 0, end) !== -1) s.write('{"type":"pong"}\n');
          let e = lineStartIndexOf(buf, ERR, 0, end);
          while (e !== -1) {
            stats.errors.push(`${name}: ${buf.toString('utf8', e, Math.min(end, buf.indexOf(10, e)))}`);
            e = lineStartIndexOf(buf, ERR, e + 1, end);
          }
          let m = lineStartIndexOf(buf, MSG, 0, end);
          while (m !== -1) {
            const t = buf.indexOf(TEXT, m) + TEXT.length;
            const q = buf.indexOf(34, t);
            onPayload(i, buf.toString('latin1', t, q));
            m = lineStartIndexOf(buf, MSG, q, end);
          }
        });
        const client = {
          frame: (p) => `{"type":"message","id":"${cfg.tag}${nextId++}","room":"general","text":"${p}"}\n`,
          send(p) {
            s.write(this.frame(p));
          },
          close: () => s.destroy(),
        };
      });
    },
  },

  /** Redis pub/sub: one SUBSCRIBE connection and one PUBLISH connection per client. */
  redis: {
    expectedPerMessage: (n) => n,
    connect(cfg, i, onPayload, stats) {
      return new Promise((resolve, reject) => {
        const sub = net.connect({ host: cfg.host, port: cfg.port });
        sub.setNoDelay(true);
        let ready = false;
        let pub;
        const P = Buffer.from('P');
        sub.on('error', (e) => (ready ? stats.errors.push(`sub${i}: ${e.message}`) : reject(e)));
        sub.on('close', () => ready && !stats.closing && stats.errors.push(`sub${i}: closed by server`));
        sub.on('connect', () => sub.write('SUBSCRIBE bench\r\n'));
        const done = () => {
          ready = true;
          resolve(client);
        };
        regions(sub, (buf, end) => {
          if (!ready) {
            if (buf.indexOf('subscribe') === -1) return;
            if (!cfg.noPublisher) {
              pub = net.connect({ host: cfg.host, port: cfg.port });
              pub.setNoDelay(true);
              pub.on('error', (e) => stats.errors.push(`pub${i}: ${e.message}`));
              pub.on('data', (d) => {
                if (d[0] === 45 /* - */) stats.errors.push(`pub${i}: ${d.toString().trim()}`);
              });
              pub.on('connect', done);
            } else done();
          }
          let m = lineStartIndexOf(buf, P, 0, end);
          while (m !== -1) {
            const q = buf.indexOf(13, m);
            onPayload(i, buf.toString('latin1', m, q));
            m = lineStartIndexOf(buf, P, q, end);
          }
        });
        const client = {
          frame: (p) => `PUBLISH bench ${p}\r\n`,
          send(p) {
            pub.write(this.frame(p));
          },
          close() {
            sub.destroy();
            pub?.destroy();
          },
        };
      });
    },
  },

  /** IRC: NICK/USER → 001; JOIN #bench → 366; PRIVMSG goes to everyone else. */
  irc: {
    expectedPerMessage: (n) => n - 1,
    connect(cfg, i, onPayload, stats) {
      return new Promise((resolve, reject) => {
        const s = net.connect({ host: cfg.host, port: cfg.port });
        s.setNoDelay(true);
        const nick = `c${i}`;
        let state = 'reg';
        const PRIV = Buffer.from(' PRIVMSG #bench :');
        const PING = Buffer.from('PING ');
        const ERROR = Buffer.from('ERROR ');
        s.on('error', (e) => (state === 'ready' ? stats.errors.push(`${nick}: ${e.message}`) : reject(e)));
        s.on('close', () => {
          if (state !== 'ready') reject(new Error(`${nick}: closed during registration`));
          else if (!stats.closing) stats.errors.push(`${nick}: closed by server`);
        });
        s.on('connect', () => s.write(`NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n`));
        regions(s, (buf, end) => {
          let p = lineStartIndexOf(buf, PING, 0, end);
          while (p !== -1) {
            s.write('PONG ' + buf.toString('latin1', p + 5, buf.indexOf(10, p)).trim() + '\r\n');
            p = lineStartIndexOf(buf, PING, p + 1, end);
          }
          const e = lineStartIndexOf(buf, ERROR, 0, end);
          if (e !== -1) stats.errors.push(`${nick}: ${buf.toString('latin1', e, buf.indexOf(10, e)).trim()}`);
          if (state === 'reg') {
            if (buf.indexOf(` 001 ${nick} `) === -1) return;
            state = 'join';
            s.write('JOIN #bench\r\n');
          }
          if (state === 'join') {
            if (buf.indexOf(` 366 ${nick} #bench`) === -1) return;
            state = 'ready';
            resolve(client);
          }
          let m = buf.indexOf(PRIV);
          while (m !== -1 && m < end) {
            const t = m + PRIV.length;
            const q = buf.indexOf(13, t);
            onPayload(i, buf.toString('latin1', t, q));
            m = buf.indexOf(PRIV, q);
          }
        });
        const client = {
          frame: (p) => `PRIVMSG #bench :${p}\r\n`,
          send(p) {
            s.write(this.frame(p));
          },
          close: () => s.destroy(),
        };
      });
    },
  },
};

// ---------------------------------------------------------------- tracking

/** TCP_CHAT_BENCH_SLOW_MS=N: list deliveries slower than N ms on stderr (where a tail comes from). */
const SLOW_MS = Number(process.env.TCP_CHAT_BENCH_SLOW_MS ?? 0);

class Tracker {
  constructor(receivers, senders, latCapacity) {
    this.senders = senders;
    this.last = new Int32Array(receivers * senders); // last seq seen, seqs start at 1
    this.delivered = 0;
    this.gaps = 0;
    this.dupOrReorder = 0;
    this.foreign = 0;
    this.lat = new Float64Array(Math.max(1, latCapacity));
    this.nLat = 0;
    this.lastArrival = 0;
    this.slow = [];
  }
  on(recv, payload) {
    const t = now();
    this.lastArrival = t;
    const a = payload.indexOf('.');
    const b = payload.indexOf('.', a + 1);
    const c = payload.indexOf('.', b + 1);
    const sender = Number(payload.slice(1, a));
    const seq = Number(payload.slice(a + 1, b));
    const micros = Number(payload.slice(b + 1, c));
    if (!(sender >= 0 && sender < this.senders) || !(seq >= 1)) {
      this.foreign++;
      return;
    }
    const k = recv * this.senders + sender;
    const prev = this.last[k];
    if (seq === prev + 1) this.last[k] = seq;
    else if (seq > prev + 1) {
      this.gaps++;
      this.last[k] = seq;
    } else this.dupOrReorder++;
    this.delivered++;
    if (this.nLat < this.lat.length) this.lat[this.nLat++] = t - micros / 1000;
    if (SLOW_MS && t - micros / 1000 > SLOW_MS) this.slow.push([micros / 1000, t - micros / 1000, sender, recv, seq]);
  }
  percentiles() {
    const a = this.lat.subarray(0, this.nLat).sort();
    const pick = (q) => (a.length ? a[Math.min(a.length - 1, Math.floor(q * a.length))] : NaN);
    return { p50: pick(0.5), p90: pick(0.9), p99: pick(0.99), max: a.length ? a[a.length - 1] : NaN, n: a.length };
  }
}

// ---------------------------------------------------------------- main

async function connectAll(cfg, adapter, onPayload, stats) {
  const clients = new Array(cfg.clients);
  let next = 0;
  const conc = cfg.connectConcurrency ?? 50;
  const worker = async () => {
    while (next < cfg.clients) {
      const i = next++;
      let lastErr;
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          clients[i] = await withTimeout(adapter.connect(cfg, i, onPayload, stats), cfg.handshakeTimeoutMs ?? 30_000, `client ${i} handshake`);
          break;
        } catch (e) {
          lastErr = e;
          stats.connectRetries++;
          await sleep(100 * (attempt + 1));
        }
      }
      if (!clients[i]) throw new Error(`client ${i} could not connect: ${lastErr?.message}`);
    }
  };
  if (cfg.waves) {
    // Open `conc` connections at once, wait for every handshake, then the next wave:
    // the server then handles a whole wave of handshakes per event-loop turn.
    for (let w = 0; w < cfg.clients; w += conc) {
      const wave = [];
      const size = Math.min(cfg.clients, w + conc) - w;
      let connected = 0;
      let release;
      cfg.gate = { open: new Promise((r) => (release = r)), connected: () => ++connected === size && release() };
      if (process.env.LG_DEBUG) { const tw = now(); cfg.gate.open.then(() => process.stderr.write(`wave ${w}: all ${size} connected after ${(now() - tw).toFixed(0)} ms\n`)); }
      for (let i = w; i < Math.min(cfg.clients, w + conc); i++) wave.push(withTimeout(adapter.connect(cfg, i, onPayload, stats), cfg.handshakeTimeoutMs ?? 30_000, `client ${i} handshake`).then((c) => (clients[i] = c)));
      await Promise.all(wave);
    }
    cfg.gate = undefined;
    return clients;
  }
  await Promise.all(Array.from({ length: Math.min(conc, cfg.clients) }, worker));
  return clients;
}

function reportSlow(slow, t0, cfg) {
  const nodes = cfg.ports?.length ?? 1;
  const byMsg = new Map();
  for (const [sched, lat, sender, recv, seq] of slow) {
    const k = `${sender}.${seq}`;
    const e = byMsg.get(k) ?? { sched: sched - t0, sender, seq, from: sender % nodes, lats: [], to: new Map() };
    e.lats.push(lat);
    e.to.set(recv % nodes, (e.to.get(recv % nodes) ?? 0) + 1);
    byMsg.set(k, e);
  }
  process.stderr.write(`slow deliveries (> ${SLOW_MS} ms): ${slow.length} of ${byMsg.size} messages\n`);
  for (const e of [...byMsg.values()].sort((a, b) => a.sched - b.sched)) {
    const lats = e.lats.sort((a, b) => a - b);
    process.stderr.write(`  ${new Date(performance.timeOrigin + e.sched + t0).toISOString().slice(11, 23)} t=${e.sched.toFixed(0)}ms from node ${e.from} (sender ${e.sender} #${e.seq}): ${lats.length} slow, ${lats[0].toFixed(0)}..${lats[lats.length - 1].toFixed(0)} ms, to nodes ${[...e.to].map(([n, c]) => `${n}:${c}`).join(' ')}\n`);
  }
}

function withTimeout(p, ms, what) {
  let t;
  return Promise.race([p, new Promise((_, rej) => (t = setTimeout(() => rej(new Error(`${what} timed out`)), ms)))]).finally(() => clearTimeout(t));
}

/** Wait until no byte has arrived for `quietMs` (the server has finished the connect storm). */
async function settle(state, quietMs, maxMs) {
  const t0 = now();
  while (now() - state.lastData < quietMs && now() - t0 < maxMs) await sleep(50);
}

async function main() {
  const cfg = JSON.parse(process.argv[2]);
  cfg.tag ??= Math.random().toString(36).slice(2, 8);
  const adapter = adapters[cfg.proto];
  if (!adapter) throw new Error(`unknown proto ${cfg.proto}`);
  const N = cfg.clients;
  const S = Math.min(cfg.senders ?? N, N);
  const mode = cfg.messages > 0 ? 'blast' : cfg.rate > 0 ? 'paced' : 'idle';
  const perSender = mode === 'blast' ? cfg.messages : mode === 'paced' ? Math.round(cfg.rate * cfg.seconds) : 0;
  const perMsg = adapter.expectedPerMessage(N);
  const expected = S * perSender * perMsg;
  const stats = { errors: [], connectRetries: 0, closing: false };
  const state = { lastData: now() };
  const tracker = new Tracker(N, S, mode === 'paced' || mode === 'blast' ? expected : 0);
  const onPayload = (recv, p) => {
    state.lastData = now();
    tracker.on(recv, p);
  };
  const result = { proto: cfg.proto, mode, clients: N, senders: S, perSender, expected };

  const rss0 = procRssKb(cfg.pid);
  const cpuC0 = serverCpuSeconds(cfg);
  const tc0 = now();
  // Count every byte for settle(): wrap net.Socket 'data' by a global hook.
  const origEmit = net.Socket.prototype.emit;
  net.Socket.prototype.emit = function (ev, ...args) {
    if (ev === 'data') state.lastData = now();
    return origEmit.call(this, ev, ...args);
  };
  const clients = await connectAll(cfg, adapter, onPayload, stats);
  result.connectMs = now() - tc0;
  await settle(state, cfg.settleMs ?? 300, 60_000);
  result.connectCpuS = serverCpuSeconds(cfg) - cpuC0;
  await sleep(cfg.rssWaitMs ?? 200);
  result.rssBeforeKb = rss0;
  result.rssSettledKb = procRssKb(cfg.pid);
  if (cfg.holdMs) {
    // Idle: keep the connections open and quiet, sampling the server's RSS once a second.
    result.rssSamplesKb = [];
    const until = now() + cfg.holdMs;
    while (now() < until) {
      await sleep(1000);
      result.rssSamplesKb.push(procRssKb(cfg.pid));
    }
  }
  result.rssConnectedKb = procRssKb(cfg.pid);
  result.rssPerConnKb = (result.rssConnectedKb - rss0) / N;

  if (mode !== 'idle') {
    const cpu0 = serverCpuSeconds(cfg);
    const split0 = cpuByPid(cfg);
    const t0 = now();
    let sentAll;
    if (mode === 'blast') {
      for (let q = 1; q <= perSender; q++) {
        const micros = Math.round(now() * 1000);
        for (let c = 0; c < S; c++) clients[c].send(makePayload(c, q, micros));
      }
      sentAll = now();
    } else {
      // Global schedule: message j goes out at t0 + j * gap, from sender j mod S.
      const total = S * perSender;
      const gapMs = 1000 / (S * cfg.rate);
      const start = now() + 20;
      let j = 0;
      let maxLag = 0;
      await new Promise((resolve) => {
        const tick = () => {
          const t = now();
          while (j < total && start + j * gapMs <= t) {
            const sched = start + j * gapMs;
            maxLag = Math.max(maxLag, t - sched);
            const c = j % S;
            clients[c].send(makePayload(c, Math.floor(j / S) + 1, Math.round(sched * 1000)));
            j++;
          }
          if (j >= total) return resolve();
          setTimeout(tick, Math.max(0, Math.min(1, start + j * gapMs - now())));
        };
        tick();
      });
      result.maxSendLagMs = maxLag;
      sentAll = now();
    }
    const deadline = sentAll + (cfg.drainMs ?? 60_000);
    while (tracker.delivered < expected && now() < deadline && stats.errors.length === 0) await sleep(5);
    const tDone = tracker.lastArrival;
    const cpu1 = serverCpuSeconds(cfg);
    const split1 = cpuByPid(cfg);
    await sleep(300); // anything extra (duplicates) shows up now
    result.cpuS = cpu1 - cpu0;
    if (cfg.pids) result.cpuByPidS = split1.map((c, i) => Math.round((c - split0[i]) * 100) / 100);
    result.wallS = (tDone - t0) / 1000;
    result.deliveriesPerCpuS = tracker.delivered / result.cpuS;
    result.deliveriesPerWallS = tracker.delivered / result.wallS;
    result.latencyMs = tracker.percentiles();
    if (SLOW_MS && mode === 'paced') reportSlow(tracker.slow, t0, cfg);
    result.rssAfterKb = procRssKb(cfg.pid);
  }
  result.delivered = tracker.delivered;
  result.ratio = expected ? tracker.delivered / expected : 1;
  result.gaps = tracker.gaps;
  result.dupOrReorder = tracker.dupOrReorder;
  result.foreign = tracker.foreign;
  result.errors = stats.errors.slice(0, 10);
  result.errorCount = stats.errors.length;
  result.connectRetries = stats.connectRetries;
  result.ok = result.ratio === 1 && tracker.gaps === 0 && tracker.dupOrReorder === 0 && tracker.foreign === 0 && stats.errors.length === 0;
  stats.closing = true;
  for (const c of clients) c.close();
  process.stdout.write(JSON.stringify(result) + '\n');
  setTimeout(() => process.exit(0), 50);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    process.stdout.write(JSON.stringify({ ok: false, fatal: String(e?.stack ?? e) }) + '\n');
    process.exit(2);
  });
}
