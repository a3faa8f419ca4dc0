// Large rooms (issue 13): a connect storm into one room, idle connections, and
// a 10,000-member room where 100 members talk.
//
// Each run starts a fresh server, connects N clients into #general through the
// multi-process load generator (50 handshakes in flight), and measures the
// server from /proc. A run that cannot finish within the cap is stopped and
// reported as such, with how far it got.
import { openFleet } from '../lib/fleet.mjs';
import { monoMicros, procCpuSeconds, procRssKb, sleep } from '../lib/proc.mjs';
import { SERVERS, HOST, startServer } from '../lib/servers.mjs';

export const ROOMS_CFG = {
  storm: { sizes: [2000, 10000], servers: ['ours', 'ngircd', 'bare'], concurrency: 50, rssAfterMs: 3000, quietMs: 500 },
  idle: { sizes: [1000, 10000], servers: ['ours', 'ngircd', 'redis', 'bare'], concurrency: 50, holdMs: 20_000 },
  large: { sizes: [10000], servers: ['ours', 'redis'], concurrency: 50, senders: 100, rate: 1, seconds: 20, warmupSeconds: 3, drainMs: 120_000 },
};

/** p, or `fallback` once ms have passed; the timer does not outlive the race. */
function withTimeout(p, ms, fallback) {
  let t;
  return Promise.race([p, new Promise((r) => (t = setTimeout(() => r(fallback), ms)))]).finally(() => clearTimeout(t));
}

/**
 * Starts `kind`, connects n clients (the first `senders` of them may talk) and
 * measures what connecting cost; then `after({ srv, fleet, res })` runs with
 * everything still open. The whole run is capped at capS seconds.
 */
async function connectRoom(ctx, kind, n, { senders = 0, join = true, concurrency, capS, after }) {
  const srv = await startServer(kind, { root: ctx.root, work: ctx.work, clients: n });
  const proto = SERVERS[kind].proto;
  const fleet = openFleet({ root: ctx.root, proto, host: HOST, port: srv.port, clients: n, senders, join });
  const deadline = Date.now() + capS * 1000;
  try {
    await sleep(500);
    const rssBeforeKb = procRssKb(srv.pid);
    const cpu0 = procCpuSeconds(srv.pid);
    const lg0 = fleet.cpuSeconds();
    const t0 = monoMicros();
    const res = { kind, n, workers: fleet.workers, rssBeforeKb, finished: true };
    const c = await withTimeout(fleet.connect({ concurrency, pending: SERVERS[kind].connectPending ?? concurrency, timeoutMs: capS * 1000 }), capS * 1000, { capped: true });
    const stopAt = async (why) => {
      const s = await withTimeout(fleet.status(), 15_000, {});
      Object.assign(res, { finished: false, why, welcomed: s.welcomed, bytes: s.bytes, errors: s.errors, cpuS: procCpuSeconds(srv.pid) - cpu0, rssKb: procRssKb(srv.pid), loadgenCpuS: fleet.cpuSeconds() - lg0, wallS: (monoMicros() - t0) / 1e6 });
      return res;
    };
    if (c.capped) return await stopAt(`did not finish within ${capS} s`);
    if (!c.ok) {
      ctx.fail(`${kind} n=${n} connect: ${c.fatal}`);
      return await stopAt(c.fatal);
    }
    res.welcomed = c.welcomed;
    res.retries = c.retries;
    res.welcomeWallS = (c.lastWelcomeUs - t0) / 1e6;
    // The server may still be announcing the last arrivals: the storm ends when the bytes stop.
    const q = await fleet.quiet(ROOMS_CFG.storm.quietMs, Math.max(1000, deadline - Date.now()));
    res.cpuS = procCpuSeconds(srv.pid) - cpu0;
    res.loadgenCpuS = fleet.cpuSeconds() - lg0;
    res.bytes = q.bytes;
    res.quietWallS = (q.lastDataUs - t0) / 1e6;
    if (!q.quiet) return await stopAt(`all ${n} welcomed, but the server was still sending after ${capS} s`);
    const rssAt = c.lastWelcomeUs / 1000 + ROOMS_CFG.storm.rssAfterMs;
    await sleep(Math.max(0, rssAt - monoMicros() / 1000));
    res.rss3sKb = procRssKb(srv.pid);
    res.kbPerConn3s = (res.rss3sKb - rssBeforeKb) / n;
    const s = await fleet.status();
    res.errorCount = s.errorCount;
    res.errors = s.errors;
    if (s.errorCount) ctx.fail(`${kind} n=${n}: ${s.errorCount} client error(s): ${s.errors.join('; ')}`);
    if (after) await after({ srv, fleet, res, deadline });
    return res;
  } finally {
    await fleet.close();
    await srv.stop();
  }
}

const mb = (b) => (b / 2 ** 20).toFixed(1);

export async function storm(ctx, runs) {
  const C = ROOMS_CFG.storm;
  for (const n of ctx.sizes ?? C.sizes)
    for (let round = 1; round <= ctx.rounds; round++)
      for (const kind of ctx.servers ?? C.servers) {
        const r = await connectRoom(ctx, kind, n, { concurrency: C.concurrency, capS: ctx.capS });
        runs.push({ ...r, round });
        ctx.log(
          r.finished
            ? `storm ${kind} n=${n} r${round}: CPU ${r.cpuS.toFixed(2)} s, ${mb(r.bytes)} MB sent, welcomes in ${r.welcomeWallS.toFixed(1)} s (quiet after ${r.quietWallS.toFixed(1)} s), ${r.kbPerConn3s.toFixed(2)} KB/conn, generator CPU ${r.loadgenCpuS.toFixed(1)} s`
            : `storm ${kind} n=${n} r${round}: ${r.why}: ${r.welcomed}/${n} welcomed, CPU ${r.cpuS.toFixed(1)} s, ${mb(r.bytes ?? 0)} MB so far`,
        );
      }
}

export async function idle(ctx, runs) {
  const C = ROOMS_CFG.idle;
  for (const n of ctx.sizes ?? C.sizes)
    for (let round = 1; round <= ctx.rounds; round++)
      for (const kind of ctx.servers ?? C.servers) {
        // Registered and idle. IRC clients do not join a channel here: ngIRCd's joins at 10,000 take
        // longer than the cap (see storm), and a channel membership is a few dozen bytes.
        const r = await connectRoom(ctx, kind, n, {
          concurrency: C.concurrency,
          join: false,
          capS: ctx.capS,
          async after({ srv, res }) {
            // Hold them quiet and read RSS at the end (Node's heap shrinks only when its memory reducer runs).
            res.rssSamplesKb = [];
            for (let t = 0; t < C.holdMs; t += 1000) {
              await sleep(1000);
              res.rssSamplesKb.push(procRssKb(srv.pid));
            }
            res.rssHeldKb = procRssKb(srv.pid);
            res.kbPerConn = (res.rssHeldKb - res.rssBeforeKb) / n;
          },
        });
        runs.push({ ...r, round });
        ctx.log(r.finished ? `idle ${kind} n=${n} r${round}: ${r.kbPerConn.toFixed(2)} KB/conn after ${C.holdMs / 1000} s (${r.kbPerConn3s.toFixed(2)} after 3 s), connected in ${r.welcomeWallS.toFixed(1)} s` : `idle ${kind} n=${n} r${round}: ${r.why}: ${r.welcomed}/${n} connected`);
      }
}

export async function large(ctx, runs) {
  const C = ROOMS_CFG.large;
  const seconds = ctx.quick ? 5 : C.seconds;
  for (const n of ctx.sizes ?? C.sizes)
    for (let round = 1; round <= ctx.rounds; round++)
      for (const kind of ctx.servers ?? C.servers) {
        const r = await connectRoom(ctx, kind, n, {
          concurrency: C.concurrency,
          senders: C.senders,
          capS: ctx.capS,
          async after({ srv, fleet, res }) {
            // A short paced run first (JIT warm-up for Node); it is checked too.
            const warm = await fleet.traffic({ mode: 'paced', perSender: C.rate * C.warmupSeconds, rate: C.rate, drainMs: C.drainMs });
            const wr = await fleet.report();
            if (!warm.ok || !wr.ok) ctx.fail(`large warm-up ${kind} n=${n} r${round}: ${warm.fatal ?? problems(wr)}`);
            const cpu0 = procCpuSeconds(srv.pid);
            const lg0 = fleet.cpuSeconds();
            const t = await fleet.traffic({ mode: 'paced', perSender: C.rate * seconds, rate: C.rate, drainMs: C.drainMs });
            const cpuS = procCpuSeconds(srv.pid) - cpu0;
            const loadgenCpuS = fleet.cpuSeconds() - lg0;
            const rep = await fleet.report();
            res.traffic = { ...rep, cpuS, loadgenCpuS, wallS: (t.lastArrivalUs - t.startUs) / 1e6, maxSendLagMs: t.maxSendLagMs, rate: C.rate, seconds };
            if (!t.ok || !rep.ok) ctx.fail(`large ${kind} n=${n} r${round}: ${t.fatal ?? problems(rep)}`);
          },
        });
        runs.push({ ...r, round });
        const x = r.traffic;
        ctx.log(x ? `large ${kind} n=${n} r${round}: p50 ${x.latencyMs.p50?.toFixed(2)} p99 ${x.latencyMs.p99?.toFixed(2)} ms, ${x.delivered}/${x.expected}, server CPU ${x.cpuS.toFixed(1)} s, generator CPU ${x.loadgenCpuS.toFixed(1)} s over ${x.wallS.toFixed(1)} s` : `large ${kind} n=${n} r${round}: ${r.why ?? 'no traffic'}: ${r.welcomed}/${n} connected`);
      }
}

/** What went wrong in a checked traffic run, in one line. */
export function problems(r) {
  if (r.fatal) return r.fatal;
  const behind = r.delivered < r.expected && !r.lost && !r.duplicates && !r.reordered && !r.errorCount;
  if (behind) return `only ${r.delivered} of ${r.expected} deliveries arrived by the deadline, none lost, duplicated or reordered among them: the server was still behind`;
  return `delivered/expected ${r.delivered}/${r.expected}, lost ${r.lost}, duplicates ${r.duplicates}, reordered ${r.reordered}, foreign ${r.foreign}, errors ${r.errorCount}: ${(r.errors ?? []).join('; ')}`;
}
