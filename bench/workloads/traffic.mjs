// Blast and paced: 100 clients in one room, each server with the same load
// generator and only its protocol adapter changed. Any server in SERVERS with a
// relaying protocol can be measured here (issue 12 adds our IRC port).
import { openFleet } from '../lib/fleet.mjs';
import { procCpuSeconds } from '../lib/proc.mjs';
import { HOST, SERVERS, startServer } from '../lib/servers.mjs';
import { problems } from './rooms.mjs';

export const TRAFFIC_CFG = {
  servers: ['ours', 'redis', 'ngircd'],
  // `measured`: blasts per server start after the cold one; their median is the figure (see blast below).
  blast: { clients: 100, messages: 100, measured: 5 },
  paced: { clients: 100, rates: [1, 2, 5, 10], seconds: 20 },
};

export async function withServer(ctx, kind, fn, extra = {}) {
  const srv = await startServer(kind, { root: ctx.root, work: ctx.work, ...extra });
  try {
    return await fn(srv);
  } finally {
    await srv.stop();
  }
}

/** One checked run: connect `clients`, send, wait for every delivery, read the server's CPU. */
export async function trafficRun(ctx, srv, { clients, mode, perSender, rate }) {
  const proto = SERVERS[srv.kind].proto;
  const fleet = openFleet({ root: ctx.root, proto, host: HOST, port: srv.port, clients, senders: clients });
  try {
    const c = await fleet.connect({ concurrency: 50, pending: SERVERS[srv.kind].connectPending ?? 50, timeoutMs: 120_000 });
    if (!c.ok) return { ok: false, fatal: c.fatal };
    const cpu0 = procCpuSeconds(srv.pid);
    const lg0 = fleet.cpuSeconds();
    const t = await fleet.traffic({ mode, perSender, rate });
    const cpuS = procCpuSeconds(srv.pid) - cpu0;
    const loadgenCpuS = fleet.cpuSeconds() - lg0;
    const r = await fleet.report();
    if (!t.ok) return { ...r, ok: false, fatal: t.fatal };
    const wallS = (t.lastArrivalUs - t.startUs) / 1e6;
    // window: when the traffic ran, on CLOCK_MONOTONIC (to cut a server's CPU profile to it, bench/profileBlast.mjs).
    return { ...r, clients, perSender, cpuS, loadgenCpuS, wallS, window: [t.startUs, t.lastArrivalUs], maxSendLagMs: t.maxSendLagMs, deliveriesPerCpuS: r.delivered / cpuS, deliveriesPerWallS: r.delivered / wallS };
  } finally {
    await fleet.close();
  }
}

function check(ctx, what, r) {
  if (!r.ok) ctx.fail(`${what}: ${problems(r)}`);
  return r;
}

const fmtK = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${Math.round(x / 1e3)}k`);

export async function blast(ctx, runs) {
  const B = TRAFFIC_CFG.blast;
  for (let round = 1; round <= ctx.rounds; round++) {
    for (const kind of ctx.servers ?? TRAFFIC_CFG.servers) {
      await withServer(ctx, kind, async (srv) => {
        // The first blast on a fresh process is the cold run (JIT warm-up for
        // Node), reported apart. Then B.measured more, each 1M deliveries; the
        // one with the median figure stands for the round. One blast costs a
        // quarter of a CPU-second, so one alone swings with whatever else the
        // core did meanwhile, and Node's optimizing tiers are still working
        // through the first few. Every blast is checked.
        const cold = check(ctx, `blast cold ${kind} r${round}`, await trafficRun(ctx, srv, { clients: B.clients, mode: 'blast', perSender: B.messages }));
        const all = [];
        for (let i = 0; i < (B.measured ?? 1); i++) all.push(check(ctx, `blast ${kind} r${round}.${i + 1}`, await trafficRun(ctx, srv, { clients: B.clients, mode: 'blast', perSender: B.messages })));
        const warm = [...all].sort((a, b) => a.deliveriesPerCpuS - b.deliveriesPerCpuS)[all.length >> 1];
        runs.push({ kind, round, cold, warm, warmAll: all.map((r) => r.deliveriesPerCpuS) });
        ctx.log(`blast ${kind} r${round}: ${fmtK(warm.deliveriesPerCpuS)} deliveries/CPU-s, median of ${all.map((r) => fmtK(r.deliveriesPerCpuS)).join(' ')} (cold ${fmtK(cold.deliveriesPerCpuS)}), ${warm.delivered}/${warm.expected}`);
      });
    }
  }
}

export async function paced(ctx, runs) {
  const P = TRAFFIC_CFG.paced;
  const seconds = ctx.quick ? 5 : P.seconds;
  for (let round = 1; round <= ctx.rounds; round++) {
    for (const kind of ctx.servers ?? TRAFFIC_CFG.servers) {
      await withServer(ctx, kind, async (srv) => {
        check(ctx, `paced warm-up ${kind} r${round}`, await trafficRun(ctx, srv, { clients: P.clients, mode: 'blast', perSender: TRAFFIC_CFG.blast.messages }));
        for (const rate of P.rates) {
          const r = check(ctx, `paced ${rate}/s ${kind} r${round}`, await trafficRun(ctx, srv, { clients: P.clients, mode: 'paced', perSender: rate * seconds, rate }));
          runs.push({ kind, round, rate, r });
          ctx.log(`paced ${kind} ${rate}/s r${round}: p50 ${r.latencyMs?.p50?.toFixed(2)} p99 ${r.latencyMs?.p99?.toFixed(2)} ms, ${r.delivered}/${r.expected}, server CPU ${((100 * r.cpuS) / r.wallS).toFixed(0)}%`);
        }
      });
    }
  }
}
