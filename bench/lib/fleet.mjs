// The runner's side of the load generator: several bench/loadgen.mjs processes
// on core 1, each owning every K-th client, steered together and their results
// merged. One process may hold at most NOFILE open files, and a Redis talker
// needs two sockets.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { ADAPTERS } from './adapters.mjs';
import { NOFILE, monoMicros, procCpuSeconds, track } from './proc.mjs';
import { mergeTrackers } from './tracker.mjs';

/** Clients per load-generator process: 10,000 clients make two processes. */
export const CLIENTS_PER_WORKER = 5000;

class Worker {
  constructor(root, index) {
    this.index = index;
    this.child = track(
      spawn('prlimit', [`--nofile=${NOFILE}:${NOFILE}`, 'taskset', '-c', '1', 'node', path.join(root, 'bench', 'loadgen.mjs')], { stdio: ['pipe', 'pipe', 'pipe'] }),
    );
    this.pid = this.child.pid;
    this.waiting = new Map();
    this.nextId = 1;
    this.stderr = '';
    this.child.stderr.on('data', (d) => (this.stderr = (this.stderr + d).slice(-2000)));
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      let m;
      try {
        m = JSON.parse(line);
      } catch {
        return; // not ours
      }
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      w?.(m);
    });
    this.child.on('exit', (code, sig) => {
      for (const [, w] of this.waiting) w({ ok: false, fatal: `load generator ${index} exited (${code ?? sig}): ${this.stderr.trim().slice(-600)}` });
      this.waiting.clear();
    });
  }
  request(cmd, body = {}) {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve({ ok: false, fatal: `load generator ${this.index} is gone` });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin.write(JSON.stringify({ id, cmd, ...body }) + '\n');
    });
  }
}

const sum = (xs, f) => xs.reduce((n, x) => n + (f(x) ?? 0), 0);
const max = (xs, f) => xs.reduce((n, x) => Math.max(n, f(x) ?? 0), 0);
const firstFatal = (rs) => rs.find((r) => !r.ok)?.fatal;

/**
 * A load generator of `workers` processes for `clients` clients of `proto`
 * against host:port, `senders` of which talk. Everything it returns is merged
 * across its processes.
 */
export function openFleet({ root, proto, host, port, room = 'general', join = true, clients, senders = 0, workers }) {
  const K = workers ?? Math.max(1, Math.ceil(clients / CLIENTS_PER_WORKER));
  const ws = Array.from({ length: K }, (_, i) => new Worker(root, i));
  const tag = Math.random().toString(36).slice(2, 8);
  const all = (cmd, body) => Promise.all(ws.map((w, i) => w.request(cmd, typeof body === 'function' ? body(i) : body)));
  return {
    workers: K,
    pids: ws.map((w) => w.pid),
    /** The generator's own CPU seconds: if it nears the wall time, the generator, not the server, set the pace. */
    cpuSeconds: () => sum(ws, (w) => procCpuSeconds(w.pid)),
    /**
     * Connects every client, `concurrency` handshakes in flight in all, and at most
     * `pending` of them not yet answered by the server: an accepted connection
     * waits in the server's listen backlog until the server gets to it.
     */
    async connect({ concurrency = 50, pending = concurrency, timeoutMs = 600_000 }) {
      const share = (n) => Math.max(1, Math.floor(n / K));
      const rs = await all('connect', (i) => ({ cfg: { proto, host, port, room, join, tag, clients, senders, workers: K, worker: i, concurrency: share(concurrency), pending: share(pending), timeoutMs } }));
      return { ok: rs.every((r) => r.ok), fatal: firstFatal(rs), welcomed: sum(rs, (r) => r.welcomed), connectMs: max(rs, (r) => r.connectMs), lastWelcomeUs: max(rs, (r) => r.lastWelcomeUs), retries: sum(rs, (r) => r.retries) };
    },
    async status() {
      const rs = await all('status');
      return { welcomed: sum(rs, (r) => r.welcomed), bytes: sum(rs, (r) => r.bytes), lastDataUs: max(rs, (r) => r.lastDataUs), lastWelcomeUs: max(rs, (r) => r.lastWelcomeUs), retries: sum(rs, (r) => r.retries), errorCount: sum(rs, (r) => r.errorCount), errors: rs.flatMap((r) => r.errors ?? []).slice(0, 10) };
    },
    /** Resolves once no client has received a byte for quietMs (the server has finished sending). */
    async quiet(quietMs, maxMs) {
      const rs = await all('quiet', { quietMs, maxMs });
      return { lastDataUs: max(rs, (r) => r.lastDataUs), bytes: sum(rs, (r) => r.bytes), quiet: rs.every((r) => r.quiet) };
    },
    /** Sends (blast: all at once; paced: `rate` msg/s per sender) and waits until every delivery is in or drainMs passed. */
    async traffic({ mode, perSender, rate = 0, drainMs = 60_000 }) {
      const startUs = monoMicros() + 50_000;
      const rs = await all('traffic', { mode, startUs, perSender, rate, drainMs });
      return { ok: rs.every((r) => r.ok), fatal: firstFatal(rs), startUs, delivered: sum(rs, (r) => r.delivered), expected: sum(rs, (r) => r.expected), sentAllUs: max(rs, (r) => r.sentAllUs), lastArrivalUs: max(rs, (r) => r.lastArrivalUs), maxSendLagMs: max(rs, (r) => r.maxSendLagMs) };
    },
    /** The checked deliveries of the last traffic, merged: see mergeTrackers. */
    async report() {
      const rs = await all('report');
      const fatal = firstFatal(rs);
      if (fatal) return { ok: false, fatal };
      const m = mergeTrackers(rs.map((r) => r.tracker));
      const expected = sum(rs, (r) => r.expected);
      const errorCount = sum(rs, (r) => r.errorCount);
      return {
        ...m,
        expected,
        ratio: expected ? m.delivered / expected : 1,
        errorCount,
        errors: rs.flatMap((r) => r.errors).slice(0, 10),
        retries: sum(rs, (r) => r.retries),
        ok: m.delivered === expected && m.lost === 0 && m.duplicates === 0 && m.reordered === 0 && m.foreign === 0 && errorCount === 0,
      };
    },
    async close() {
      await Promise.race([all('close'), new Promise((r) => setTimeout(r, 5000))]);
      this.kill();
    },
    kill() {
      for (const w of ws) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    },
  };
}

/** Deliveries each message makes in a room of n clients: the sender gets its own only when the protocol echoes. */
export const deliveriesPerMessage = (proto, n) => (ADAPTERS[proto].echo ? n : n - 1);
