// `npm run bench -- --only cluster`: one node against three nodes, same load.
//
// One node keeps history in PostgreSQL (a single node with a shared store);
// three nodes share PostgreSQL and talk through Redis. 30 clients send 5
// messages a second each into one room (150 msg/s in, 4,500 deliveries/s
// out), spread evenly over the nodes. Reported: deliveries per server
// CPU-second, counting every server process (the nodes, Redis, and
// PostgreSQL with all its backends), and p50/p99 latency against the
// scheduled send time. Every server is pinned to core 0 in both setups, the
// load generator to core 1, as for the other workloads. The load generator
// checks delivered/expected = 1 and every sender's order at every receiver.
import { admin, startDurablePostgres } from '../durablePostgres.mjs';

/** The workload's size; `quick` shortens the measured runs. */
export function clusterConfig(quick) {
  // warmup: messages per client in the unmeasured blast before each run. With
  // 20, every three-node run had a burst of late deliveries about 650 ms in,
  // and its CPU per delivery was higher: the processes were still warming up
  // (each node sees a third of the sends). 150 (4,500 messages) removed the
  // burst (TCP_CHAT_BENCH_SLOW_MS); the same warm-up goes to both setups.
  return { clients: 30, rate: 5, seconds: quick ? 5 : 20, nodes: 3, warmup: 150 };
}

const median = (xs) => {
  const a = xs.filter((x) => Number.isFinite(x)).sort((p, q) => p - q);
  if (!a.length) return NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};

/**
 * Runs it: `runs` collects { setup, round, r } with r the load generator's
 * result. `bench` is run.mjs's toolbox: startServer, loadgen, check, log.
 */
export async function cluster(runs, { startServer, loadgen, check, log, quick, rounds }) {
  const cfg = clusterConfig(quick);
  const pg = await startDurablePostgres({ cpus: 0 });
  log(`cluster: PostgreSQL ${pg.version} on port ${pg.port} (${pg.settings}), pinned to core 0`);
  let redis;
  try {
    redis = await startServer('redis');
    const busUrl = `redis://127.0.0.1:${redis.port}`;
    let db = 0;
    for (let round = 1; round <= rounds; round++) {
      for (const setup of ['one', 'three']) {
        const name = `cluster_${process.pid}_${++db}`;
        await admin(pg.url, `CREATE DATABASE ${name}`);
        const storeUrl = pg.url.replace(/\/postgres$/, `/${name}`);
        const count = setup === 'one' ? 1 : cfg.nodes;
        const nodes = [];
        try {
          for (let i = 0; i < count; i++) {
            const args = ['--store', storeUrl, ...(setup === 'three' ? ['--bus', busUrl, '--node-name', `n${i + 1}`] : [])];
            nodes.push(await startServer('ours', { args, waitMs: 60_000 }));
          }
          const pids = [...nodes.map((n) => n.pid), pg.treePid, ...(setup === 'three' ? [redis.pid] : [])];
          const lg = { proto: 'ours', host: '127.0.0.1', port: nodes[0].port, ports: nodes.map((n) => n.port), pid: nodes[0].pid, pids, clients: cfg.clients, connectConcurrency: cfg.clients, drainMs: 120_000 };
          // Warm-up, checked but not kept: JIT, the pool's connections, the room's first rows.
          check(`cluster warm-up ${setup} r${round}`, await loadgen({ ...lg, messages: cfg.warmup }));
          const r = check(`cluster ${setup} r${round}`, await loadgen({ ...lg, rate: cfg.rate, seconds: cfg.seconds }));
          const split = cpuSplit(r.cpuByPidS, count);
          runs.push({ setup, round, r, split });
          log(`cluster ${setup} node${count > 1 ? 's' : ''} r${round}: ${Math.round(r.deliveriesPerCpuS)} deliveries/CPU-s (${r.cpuS?.toFixed(1)} CPU-s: nodes ${split.nodes.toFixed(2)}, PostgreSQL ${split.postgres.toFixed(2)}, Redis ${split.redis.toFixed(2)}), p50 ${r.latencyMs?.p50?.toFixed(1)} p99 ${r.latencyMs?.p99?.toFixed(1)} ms, ratio ${r.ratio}`);
        } finally {
          await Promise.all(nodes.map((n) => n.stop()));
          await admin(pg.url, `DROP DATABASE ${name}`);
        }
      }
    }
  } finally {
    await redis?.stop();
    await pg.stop();
  }
}

/** The load generator's per-process CPU (`pids` order: the nodes, PostgreSQL, then Redis) as nodes / PostgreSQL / Redis seconds. */
function cpuSplit(byPid = [], nodes) {
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  return { nodes: sum(byPid.slice(0, nodes)), postgres: byPid[nodes] ?? NaN, redis: byPid[nodes + 1] ?? 0 };
}

/** Medians per setup, and the two ratios the issue sets goals for. */
export function summarizeCluster(runs) {
  const of = (setup) => {
    const rs = runs.filter((x) => x.setup === setup).map((x) => x.r);
    if (!rs.length) return undefined;
    return {
      perCpuS: median(rs.map((r) => r.deliveriesPerCpuS)),
      cpuS: median(rs.map((r) => r.cpuS)),
      p50: median(rs.map((r) => r.latencyMs?.p50)),
      p99: median(rs.map((r) => r.latencyMs?.p99)),
      split: ['nodes', 'postgres', 'redis'].reduce((o, k) => ({ ...o, [k]: median(runs.filter((x) => x.setup === setup).map((x) => x.split?.[k])) }), {}),
      delivered: rs.reduce((n, r) => n + r.delivered, 0),
      expected: rs.reduce((n, r) => n + r.expected, 0),
    };
  };
  const one = of('one');
  const three = of('three');
  return { one, three, cpuPerDelivery: one && three ? one.perCpuS / three.perCpuS : NaN, p99: one && three ? three.p99 / one.p99 : NaN };
}

/** The results section for bench/results/results.md: `x` is the workload's entry in results.json, `stamp` its when-and-how line. */
export function clusterMarkdown(x, stamp) {
  const cfg = x.config;
  const s = summarizeCluster(x.data);
  const f = (v, d = 0) => (Number.isFinite(v) ? v.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d }) : '—');
  const split = (m) => (Number.isFinite(m.split?.nodes) ? ` (${f(m.split.nodes, 2)} + ${f(m.split.postgres, 2)} + ${f(m.split.redis, 2)})` : '');
  const row = (label, m) => (m ? `| ${label} | **${f(m.perCpuS)}** | ${f(m.cpuS, 1)}${split(m)} | ${f(m.p50, 1)} / **${f(m.p99, 1)}** | ${m.delivered}/${m.expected} |` : `| ${label} | — | — | — | — |`);
  return [
    `## Cluster: one node against ${cfg.nodes} on Redis and PostgreSQL, ${cfg.clients} clients × ${cfg.rate} msg/s for ${cfg.seconds} s, one room`,
    '',
    stamp,
    '',
    '| setup | deliveries per server CPU-second | server CPU s (nodes + PostgreSQL + Redis) | p50 / p99 ms | delivered/expected |',
    '|---|---|---|---|---|',
    row('one node, PostgreSQL', s.one),
    row(`${cfg.nodes} nodes, Redis + PostgreSQL`, s.three),
    '',
    `CPU per delivery, ${cfg.nodes} nodes ÷ one: **${f(s.cpuPerDelivery, 2)}×** (goal ≤ 1.5×); p99, ${cfg.nodes} nodes ÷ one: **${f(s.p99, 2)}×** (goal ≤ 2×). Server CPU counts every process: the nodes, Redis (${cfg.nodes} nodes only) and PostgreSQL with its backends, all pinned to core 0.`,
    '',
  ];
}
