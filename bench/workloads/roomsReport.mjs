// The Storm, Idle and Large sections of the report, and issue 13's goals
// checked against them. Results are kept per workload and size: `storm@2000`.
import { fmtMs, fmtN, mb, median, ratio, stamp } from '../lib/format.mjs';
import { SERVERS } from '../lib/servers.mjs';
import { ROOMS_CFG } from './rooms.mjs';

const LABEL = (k) => SERVERS[k]?.label ?? k;
const MB = (bytes) => (Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(1) : '—');

/**
 * Sections of one room workload, smallest room first: [[n, section, servers], …].
 * Keys are `storm@2000`, or `storm@2000:ours+bare` for a run with --servers.
 */
export const sectionsOf = (W, w) =>
  Object.entries(W)
    .map(([k, x]) => [/^(\w+)@(\d+)(?::(.+))?$/.exec(k), x])
    .filter(([m]) => m?.[1] === w)
    .map(([m, x]) => [Number(m[2]), x, m[3] ?? ''])
    .sort((a, b) => a[0] - b[0] || a[2].localeCompare(b[2]));

/** Medians per server of one section; a server none of whose runs finished gets its partial figures. */
export function summarizeRooms(section) {
  const out = {};
  const runs = section.data ?? [];
  for (const kind of [...new Set(runs.map((r) => r.kind))]) {
    const all = runs.filter((r) => r.kind === kind);
    const f = all.filter((r) => r.finished);
    const m = (g, xs = f) => median(xs.map(g));
    const s = { runs: all.length, finished: f.length };
    if (!f.length) {
      Object.assign(s, { why: all[0]?.why, welcomed: Math.max(...all.map((r) => r.welcomed ?? 0)), cpuS: m((r) => r.cpuS, all), bytes: m((r) => r.bytes, all), wallS: m((r) => r.wallS, all), loadgenCpuS: m((r) => r.loadgenCpuS, all) });
    } else {
      Object.assign(s, {
        cpuS: m((r) => r.cpuS),
        bytes: m((r) => r.bytes),
        welcomeWallS: m((r) => r.welcomeWallS),
        quietWallS: m((r) => r.quietWallS),
        kbPerConn3s: m((r) => r.kbPerConn3s),
        kbPerConn: m((r) => r.kbPerConn),
        rssBeforeKb: m((r) => r.rssBeforeKb),
        rssHeldKb: m((r) => r.rssHeldKb),
        loadgenCpuS: m((r) => r.loadgenCpuS),
        retries: f.reduce((n, r) => n + (r.retries ?? 0), 0),
      });
      const t = f.map((r) => r.traffic).filter(Boolean);
      if (t.length)
        s.traffic = {
          p50: median(t.map((x) => x.latencyMs?.p50)),
          p99: median(t.map((x) => x.latencyMs?.p99)),
          p99Best: Math.min(...t.map((x) => x.latencyMs?.p99 ?? Infinity)),
          max: median(t.map((x) => x.latencyMs?.max)),
          delivered: t.reduce((n, x) => n + x.delivered, 0),
          expected: t.reduce((n, x) => n + x.expected, 0),
          lost: t.reduce((n, x) => n + x.lost, 0),
          duplicates: t.reduce((n, x) => n + x.duplicates, 0),
          reordered: t.reduce((n, x) => n + x.reordered, 0),
          sendersWith: ['losses', 'duplicates', 'reordering'].map((k) => Math.max(...t.map((x) => x.sendersWith?.[k] ?? 0))),
          senders: t[0].sendersWith?.of,
          cpuS: median(t.map((x) => x.cpuS)),
          cpuPct: median(t.map((x) => (100 * x.cpuS) / x.wallS)),
          loadgenPct: median(t.map((x) => (100 * x.loadgenCpuS) / x.wallS)),
          maxSendLagMs: Math.max(...t.map((x) => x.maxSendLagMs ?? 0)),
          wallS: median(t.map((x) => x.wallS)),
        };
    }
    out[kind] = s;
  }
  return out;
}

/** a's figure ÷ b's in each round both finished, as "1.7×, 1.8×" (servers alternate, so each pair ran minutes apart). */
function perRound(section, a, b, f) {
  const runs = section.data ?? [];
  const rounds = [...new Set(runs.map((r) => r.round))].sort();
  const pick = (k, round) => runs.find((r) => r.kind === k && r.round === round && r.finished);
  return rounds
    .map((round) => [pick(a, round), pick(b, round)])
    .filter(([x, y]) => x && y && Number.isFinite(f(x) / f(y)))
    .map(([x, y]) => ratio(f(x), f(y)))
    .join(', ');
}

const unfinished = (s, n) => `${s.why ?? 'did not finish'} (${s.welcomed}/${n} in; server CPU ≥ ${fmtN(s.cpuS, 1)} s, ≥ ${MB(s.bytes)} MB sent)`;

export function stormMarkdown(n, section, s, title = '') {
  const L = [`## Storm${title}: ${n.toLocaleString('en')} clients connect into #general, ${ROOMS_CFG.storm.concurrency} at a time, each waiting for its welcome`, '', stamp(section), ''];
  L.push('| server | server CPU s, whole storm | MB sent to clients | wall s to the last welcome | wall s until the bytes stop | KB RSS per connection, 3 s after the last arrival | finished runs | load generator CPU s |', '|---|---|---|---|---|---|---|---|');
  for (const [k, x] of Object.entries(s)) {
    if (!x.finished) L.push(`| ${LABEL(k)} | ${unfinished(x, n)} | | | | | 0/${x.runs} | ${fmtN(x.loadgenCpuS, 1)} |`);
    else L.push(`| ${LABEL(k)} | **${fmtN(x.cpuS)}** | **${MB(x.bytes)}** | ${fmtN(x.welcomeWallS, 1)} | ${fmtN(x.quietWallS, 1)} | **${fmtN(x.kbPerConn3s)}** | ${x.finished}/${x.runs} | ${fmtN(x.loadgenCpuS, 1)} |`);
  }
  const o = s.ours, i = s.ngircd, b = s.bare;
  if (o?.finished && i) {
    const lb = i.finished ? '' : ' (ngIRCd did not finish: its figure is a lower bound, so the ratio is an upper bound)';
    const rounds = perRound(section, 'ours', 'ngircd', (r) => r.cpuS);
    L.push('', `Ours ÷ ngIRCd: server CPU **${ratio(o.cpuS, i.cpuS)}**${rounds ? ` (round by round ${rounds})` : ''}, bytes sent **${ratio(o.bytes, i.bytes)}**${lb}. Memory per connection: ours ÷ bare Node **${ratio(o.kbPerConn3s, b?.kbPerConn3s)}**, ngIRCd ÷ bare Node ${ratio(i.kbPerConn3s, b?.kbPerConn3s)}.`);
  }
  L.push('', 'IRC clients send `NICK`, `USER`, then `JOIN #general` and wait for 366; tcp-chat clients send `hello` and wait for `welcome` (every connection is put in #general); bare-server clients send one line and wait for one. Bytes are counted at the load generator, from the first connect until no byte has arrived for 0.5 s.', '');
  return L;
}

export function idleMarkdown(n, section, s, title = '') {
  const hold = (section.config?.holdMs ?? ROOMS_CFG.idle.holdMs) / 1000;
  const L = [`## Idle${title}: ${n.toLocaleString('en')} registered connections, held quiet`, '', stamp(section), ''];
  L.push(`| server | KB RSS per connection after ${hold} s idle | 3 s after the last arrival | RSS before → after (MB) | wall s to connect all | finished runs |`, '|---|---|---|---|---|---|');
  for (const [k, x] of Object.entries(s)) {
    if (!x.finished) L.push(`| ${LABEL(k)} | ${unfinished(x, n)} | | | | 0/${x.runs} |`);
    else L.push(`| ${LABEL(k)} | **${fmtN(x.kbPerConn)}** | ${fmtN(x.kbPerConn3s)} | ${mb(x.rssBeforeKb)} → ${mb(x.rssHeldKb)} | ${fmtN(x.welcomeWallS, 1)} | ${x.finished}/${x.runs} |`);
  }
  if (s.ours?.finished) L.push('', `Ours ÷ bare Node: **${ratio(s.ours.kbPerConn, s.bare?.kbPerConn)}** (goal ≤ 1.25×; round by round ${perRound(section, 'ours', 'bare', (r) => r.kbPerConn) || '—'}); ours ÷ ngIRCd: ${ratio(s.ours.kbPerConn, s.ngircd?.kbPerConn)}; ours ÷ Redis: ${ratio(s.ours.kbPerConn, s.redis?.kbPerConn)}.`);
  L.push('', 'A fresh process each time; (RSS after − RSS before) ÷ connections. Registered means: tcp-chat welcomed (and so in #general), IRC past 001 (not in a channel), Redis subscribed, bare server answered.', '');
  return L;
}

export function largeMarkdown(n, section, s, title = '') {
  const C = section.config ?? ROOMS_CFG.large;
  const secs = section.quick ? 5 : C.seconds;
  const L = [`## Large room${title}: ${n.toLocaleString('en')} connections in #general, ${C.senders} of them talking at ${C.rate} msg/s for ${secs} s`, '', stamp(section), ''];
  L.push('| server | p50 / p99 ms (best-round p99) | delivered/expected | lost / duplicated / reordered (senders affected) | server CPU s (% of a core) | load generator CPU | latest send behind schedule | connect: wall s, server CPU s |', '|---|---|---|---|---|---|---|---|');
  for (const [k, x] of Object.entries(s)) {
    const t = x.traffic;
    if (!t) L.push(`| ${LABEL(k)} | ${x.finished ? 'no traffic measured' : unfinished(x, n)} | | | | | | |`);
    else L.push(`| ${LABEL(k)} | **${fmtMs(t.p50)} / ${fmtMs(t.p99)}** (${fmtMs(t.p99Best)}) | ${t.delivered}/${t.expected} | ${t.lost} / ${t.duplicates} / ${t.reordered} (${t.sendersWith.join(' / ')} of ${t.senders}) | ${fmtN(t.cpuS, 1)} (${t.cpuPct.toFixed(0)}%) | ${t.loadgenPct.toFixed(0)}% of core 1 | ${fmtMs(t.maxSendLagMs)} ms | ${fmtN(x.welcomeWallS, 1)}, ${fmtN(x.cpuS, 1)} |`);
  }
  if (s.ours?.traffic && s.redis?.traffic) L.push('', `Ours p99 ÷ Redis p99: **${ratio(s.ours.traffic.p99, s.redis.traffic.p99)}** (goal ≤ 1.0×; round by round ${perRound(section, 'ours', 'redis', (r) => r.traffic?.latencyMs?.p99) || '—'}). Offered load: ${C.senders * C.rate} messages/s into the room, ${((C.senders * C.rate * n) / 1e6).toFixed(2)}M deliveries/s.`);
  L.push('', 'Latency is measured against each message\'s scheduled send time (no coordinated omission), over every delivery to every member. Redis talkers publish on a second connection, and Redis delivers each message to the sender\'s own subscription too, as tcp-chat echoes it; IRC would not. A run first sends 3 s of the same traffic as a warm-up, checked the same way. When the load generator\'s CPU nears 100 % of core 1, the generator and not the server sets the latency.', '');
  return L;
}

/** Issue 13's goals against the latest figures. */
export function goalsMarkdown(W, traffic) {
  const rows = [];
  const get = (w, n) => (W[`${w}@${n}`] ? summarizeRooms(W[`${w}@${n}`]) : null);
  const verdict = (ok) => (ok === undefined ? 'not measured' : ok ? '**met**' : '**not met**');
  for (const n of [2000, 10000]) {
    const s = get('storm', n);
    const o = s?.ours, i = s?.ngircd;
    const cpu = o?.finished && i ? o.cpuS / i.cpuS : undefined;
    const bytes = o?.finished && i ? o.bytes / i.bytes : undefined;
    const bound = i && !i.finished ? ' (ngIRCd unfinished: upper bound)' : '';
    const status = !s ? 'not measured' : !o?.finished ? `**not met**: ours ${unfinished(o ?? {}, n)}` : `${verdict(cpu <= 0.5 && bytes <= 0.5)}: CPU ${ratio(o.cpuS, i?.cpuS)}, bytes ${ratio(o.bytes, i?.bytes)}${bound}`;
    rows.push(`| storm of ${n.toLocaleString('en')}: server CPU and bytes ≤ 0.5× ngIRCd's${n === 10000 ? ', under 10 s wall' : ''} | ${status}${n === 10000 && o?.finished ? `; wall ${fmtN(o.quietWallS, 1)} s` : ''} |`);
  }
  for (const [n, section, only] of sectionsOf(W, 'idle')) {
    if (only) continue;
    const s = summarizeRooms(section);
    rows.push(`| idle ${n.toLocaleString('en')}: RSS per connection ≤ 1.25× the bare Node server's | ${s.ours?.finished && s.bare?.finished ? `${verdict(s.ours.kbPerConn <= 1.25 * s.bare.kbPerConn)}: ${fmtN(s.ours.kbPerConn)} vs ${fmtN(s.bare.kbPerConn)} KB, ${ratio(s.ours.kbPerConn, s.bare.kbPerConn)} (ngIRCd ${fmtN(s.ngircd?.kbPerConn)} KB)` : `not measured: ${s.ours && !s.ours.finished ? `ours ${unfinished(s.ours, n)}` : (s.bare?.why ?? 'no figures')}`} |`);
  }
  for (const [n, section, only] of sectionsOf(W, 'large')) {
    if (only) continue;
    const s = summarizeRooms(section);
    const o = s.ours?.traffic, r = s.redis?.traffic;
    rows.push(`| large room ${n.toLocaleString('en')}, 100 talking at 1 msg/s: p99 ≤ Redis's | ${o && r ? `${verdict(o.p99 <= r.p99)}: ${fmtMs(o.p99)} vs ${fmtMs(r.p99)} ms, ${ratio(o.p99, r.p99)}` : `not measured: ${s.ours && !s.ours.finished ? `ours ${unfinished(s.ours, n)}` : s.redis && !s.redis.traffic ? `Redis ${unfinished(s.redis, n)}` : 'no figures'}`} |`);
  }
  const p = traffic?.paced;
  if (p?.ours && p?.redis) {
    const rates = [1, 5, 10].filter((r) => p.ours[r] && p.redis[r]);
    rows.push(`| paced p99 ≤ Redis's at 1, 5, 10 msg/s (paced section measured ${W.paced.at.slice(0, 10)}) | ${verdict(rates.every((r) => p.ours[r].p99 <= p.redis[r].p99))}: ${rates.map((r) => `${r}/s ${ratio(p.ours[r].p99, p.redis[r].p99)}`).join(', ')} |`);
    rows.push(`| paced server CPU ≤ Redis's (same section) | ${verdict(rates.every((r) => p.ours[r].cpuS <= p.redis[r].cpuS))}: ${rates.map((r) => `${r}/s ${ratio(p.ours[r].cpuS, p.redis[r].cpuS)}`).join(', ')} |`);
  }
  return ['## Issue 13 goals, from the figures above', '', '| goal | result |', '|---|---|', ...rows, ''];
}
