#!/usr/bin/env node
// One process of the load generator. The runner (bench/lib/fleet.mjs) starts
// several of these on core 1, because one process may hold at most 20,000
// open files here, and steers them with one JSON command per line on stdin;
// each answers on stdout with the command's `id`.
//
//   {"id":1,"cmd":"connect","cfg":{proto,host,port,room,join,tag,clients,senders,workers,worker,concurrency,pending,timeoutMs}}
//   {"id":2,"cmd":"status"}                         counts so far (used when a run hits its time cap)
//   {"id":3,"cmd":"quiet","quietMs":500}            answers once no byte has arrived for quietMs
//   {"id":4,"cmd":"traffic","mode":"paced","startUs":…,"perSender":20,"rate":1,"drainMs":60000}
//   {"id":5,"cmd":"report"}                         the checked deliveries and their latencies
//   {"id":6,"cmd":"close"}
//
// This process owns clients i with i % workers === worker. Senders are clients
// 0..senders-1; message j of a paced run goes out at startUs + j / (senders × rate)
// seconds from sender j mod senders, and its payload carries that SCHEDULED
// time, so a stall anywhere shows as latency (no coordinated omission). Times
// are on CLOCK_MONOTONIC, which every process on the machine shares.
import * as readline from 'node:readline';
import { performance } from 'node:perf_hooks';
import { ADAPTERS, makePayload, parsePayload } from './lib/adapters.mjs';
import { Tracker } from './lib/tracker.mjs';
import { monoMicros, sleep } from './lib/proc.mjs';

const OFFSET_US = monoMicros() - performance.now() * 1000;
const nowUs = () => performance.now() * 1000 + OFFSET_US;

const st = {
  cfg: null,
  adapter: null,
  clients: [], // local index → client
  owned: [], // local index → global index
  tracker: null,
  bytes: 0,
  lastDataUs: nowUs(),
  regionUs: 0,
  welcomed: 0,
  lastWelcomeUs: 0,
  retries: 0,
  errors: [],
  errorCount: 0,
  closing: false,
  expected: 0,
  lastArrivalUs: 0,
  startUs: 0, // payload times count from here
};

const error = (text) => {
  st.errorCount++;
  if (st.errors.length < 10) st.errors.push(text);
};

/** A client's hooks; `answered` runs at its first byte from the server, which has then accepted it. */
function hooksFor(li, answered) {
  const parsed = { sender: 0, seq: 0, micros: 0 };
  return {
    onBytes(n) {
      answered();
      st.bytes += n;
      st.lastDataUs = st.regionUs = nowUs();
    },
    onPayload(buf, at) {
      if (!st.tracker) return;
      if (!parsePayload(buf, at, parsed)) return void st.tracker.foreign++;
      st.lastArrivalUs = st.regionUs;
      st.tracker.on(li, parsed.sender, parsed.seq, parsed.micros, st.regionUs - st.startUs);
    },
    onError: error,
    onClosed: () => st.closing || error(`c${st.owned[li]}: closed by the server`),
  };
}

/** A counting semaphore: at most `n` holders. */
function slots(n) {
  let free = n;
  const waiting = [];
  return {
    take: () => (free > 0 ? (free--, Promise.resolve()) : new Promise((r) => waiting.push(r))),
    give: () => (waiting.length ? waiting.shift()() : free++),
  };
}

function withTimeout(p, ms, what) {
  let t;
  return Promise.race([p, new Promise((_, rej) => (t = setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
}

async function connect(cfg) {
  st.cfg = cfg;
  st.adapter = ADAPTERS[cfg.proto];
  if (!st.adapter) throw new Error(`unknown protocol ${cfg.proto}`);
  for (let i = cfg.worker; i < cfg.clients; i += cfg.workers) st.owned.push(i);
  st.tracker = new Tracker(st.owned.length, cfg.senders);
  const pending = slots(cfg.pending);
  const t0 = performance.now();
  let next = 0;
  const one = async () => {
    while (next < st.owned.length) {
      const li = next++;
      const index = st.owned[li];
      for (let attempt = 1; ; attempt++) {
        await pending.take();
        let held = true;
        const release = () => held && ((held = false), pending.give());
        try {
          const opts = { host: cfg.host, port: cfg.port, room: cfg.room, index, tag: cfg.tag, join: cfg.join, publisher: index < cfg.senders };
          st.clients[li] = await withTimeout(st.adapter.connect(opts, hooksFor(li, release)), cfg.timeoutMs, `c${index} handshake`);
          release();
          break;
        } catch (e) {
          release();
          if (attempt === 3 || /timed out/.test(e.message)) throw new Error(`c${index} could not connect (attempt ${attempt}): ${e.message}`, { cause: e });
          st.retries++;
          await sleep(100 * attempt);
        }
      }
      st.welcomed++;
      st.lastWelcomeUs = nowUs();
    }
  };
  await Promise.all(Array.from({ length: Math.min(cfg.concurrency, st.owned.length) }, one));
  return { welcomed: st.welcomed, connectMs: performance.now() - t0, lastWelcomeUs: st.lastWelcomeUs, retries: st.retries };
}

const status = () => ({ welcomed: st.welcomed, bytes: st.bytes, lastDataUs: st.lastDataUs, lastWelcomeUs: st.lastWelcomeUs, retries: st.retries, errorCount: st.errorCount, errors: st.errors });

async function quiet({ quietMs, maxMs = 600_000 }) {
  const t0 = nowUs();
  while (nowUs() - st.lastDataUs < quietMs * 1000 && nowUs() - t0 < maxMs * 1000) await sleep(50);
  return { lastDataUs: st.lastDataUs, bytes: st.bytes, quiet: nowUs() - st.lastDataUs >= quietMs * 1000 };
}

async function traffic({ mode, startUs, perSender, rate, drainMs }) {
  const { senders, workers, worker } = st.cfg;
  const echo = st.adapter.echo;
  st.expected = st.owned.reduce((n, g) => n + perSender * (senders - (!echo && g < senders ? 1 : 0)), 0);
  st.tracker = new Tracker(st.owned.length, senders);
  st.startUs = startUs;
  const mine = (c) => c % workers === worker;
  const local = (c) => st.clients[(c - worker) / workers];
  while (nowUs() < startUs) await sleep(Math.max(1, (startUs - nowUs()) / 1000)); // a timer may fire early
  let maxLagMs = 0;
  if (mode === 'blast') {
    for (let q = 1; q <= perSender; q++) {
      const us = Math.round(nowUs() - startUs);
      for (let c = worker; c < senders; c += workers) local(c).send(makePayload(c, q, us));
    }
  } else {
    const total = senders * perSender;
    const gapUs = 1e6 / (senders * rate);
    let j = 0;
    await new Promise((resolve) => {
      const tick = () => {
        const t = nowUs();
        for (; j < total && startUs + j * gapUs <= t; j++) {
          const c = j % senders;
          if (!mine(c)) continue;
          maxLagMs = Math.max(maxLagMs, (t - startUs - j * gapUs) / 1000);
          local(c).send(makePayload(c, Math.floor(j / senders) + 1, Math.round(j * gapUs)));
        }
        if (j >= total) return resolve();
        setTimeout(tick, Math.max(0, Math.min(1, (startUs + j * gapUs - nowUs()) / 1000)));
      };
      tick();
    });
  }
  const sentAllUs = nowUs();
  const deadline = sentAllUs + drainMs * 1000;
  while (st.tracker.delivered < st.expected && nowUs() < deadline && st.errorCount === 0) await sleep(5);
  return { delivered: st.tracker.delivered, expected: st.expected, sentAllUs, lastArrivalUs: st.lastArrivalUs, maxSendLagMs: maxLagMs };
}

async function report() {
  await sleep(300); // anything extra (duplicates) shows up now
  return { expected: st.expected, tracker: st.tracker.toJSON(), ...status() };
}

const COMMANDS = {
  connect: (m) => connect(m.cfg),
  status: async () => status(),
  quiet,
  traffic,
  report,
  async close() {
    st.closing = true;
    for (const c of st.clients) c?.close();
    setTimeout(() => process.exit(0), 50);
    return {};
  },
};

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const m = JSON.parse(line);
  COMMANDS[m.cmd](m).then(
    (r) => process.stdout.write(JSON.stringify({ id: m.id, ok: true, ...r }) + '\n'),
    (e) => process.stdout.write(JSON.stringify({ id: m.id, ok: false, fatal: String(e?.message ?? e), ...status() }) + '\n'),
  );
});
rl.on('close', () => process.exit(0));
