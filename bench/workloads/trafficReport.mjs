// The Blast and Paced sections of the report, and the latency chart.
import { fmtK, fmtMs, median, ratio, stamp } from '../lib/format.mjs';
import { SERVERS, kindOf } from '../lib/servers.mjs';
import { TRAFFIC_CFG } from './traffic.mjs';

const LABEL = (k) => SERVERS[k]?.label ?? k;

/** Medians per server (and per rate for paced) over the rounds. */
export function summarizeTraffic(W) {
  const blastRuns = (W.blast?.data ?? []).map((x) => ({ ...x, kind: kindOf(x.kind) }));
  const pacedRuns = (W.paced?.data ?? []).map((x) => ({ ...x, kind: kindOf(x.kind) }));
  const s = { blast: {}, paced: {} };
  for (const kind of new Set([...blastRuns, ...pacedRuns].map((x) => x.kind))) {
    const b = blastRuns.filter((x) => x.kind === kind);
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
    for (const rate of W.paced?.config?.rates ?? TRAFFIC_CFG.paced.rates) {
      const p = pacedRuns.filter((x) => x.kind === kind && x.rate === rate);
      if (!p.length) continue;
      s.paced[kind][rate] = {
        p50: median(p.map((x) => x.r.latencyMs?.p50)),
        p99: median(p.map((x) => x.r.latencyMs?.p99)),
        p99Best: Math.min(...p.map((x) => x.r.latencyMs?.p99 ?? Infinity)),
        p50Best: Math.min(...p.map((x) => x.r.latencyMs?.p50 ?? Infinity)),
        max: median(p.map((x) => x.r.latencyMs?.max)),
        cpuS: median(p.map((x) => x.r.cpuS)),
        cpuPct: median(p.map((x) => (100 * x.r.cpuS) / x.r.wallS)),
        allOk: p.every((x) => x.r.ok),
      };
    }
  }
  return s;
}

/**
 * The Blast and Paced sections. W holds `blast` and `paced` sections; the first
 * server of a section is the one measured, and the ratios compare it with each other.
 */
export function trafficMarkdown(W, s, title = '') {
  const L = [];
  const kinds = Object.keys(s.blast);
  const ref = kinds[0];
  const others = kinds.slice(1);
  if (kinds.length) {
    const B = W.blast.config ?? TRAFFIC_CFG.blast;
    L.push(`## Blast${title}: ${B.clients} clients × ${B.messages} messages, one room`, '', stamp(W.blast), '');
    L.push('| server | deliveries per server CPU-second | cold (first run after start) | deliveries per wall-second | server CPU s | delivered/expected |', '|---|---|---|---|---|---|');
    for (const k of kinds) L.push(`| ${LABEL(k)} | **${fmtK(s.blast[k].perCpuS)}** | ${fmtK(s.blast[k].coldPerCpuS)} | ${fmtK(s.blast[k].perWallS)} | ${s.blast[k].cpuS.toFixed(2)} | ${s.blast[k].delivered}/${s.blast[k].expected} |`);
    if (others.length) L.push('', `${LABEL(ref)} vs ${others.map((k) => `${LABEL(k)}: **${ratio(s.blast[ref].perCpuS, s.blast[k].perCpuS)}**`).join('; ')} deliveries per server CPU-second (warm). Each server start gets one cold blast first (its figure is the "cold" column), then ${(B.measured ?? 1) === 1 ? "one measured blast, which stands" : `${B.measured} measured ones, whose median stands`} for the round; the table gives the median over rounds.`, '');
  }
  const pk = Object.keys(s.paced).filter((k) => Object.keys(s.paced[k]).length);
  if (pk.length) {
    const pref = pk[0];
    const pother = pk.slice(1);
    const P = W.paced.config ?? TRAFFIC_CFG.paced;
    const rates = P.rates ?? TRAFFIC_CFG.paced.rates;
    const g = (k, rate) => s.paced[k]?.[rate];
    const vs = (k) => `${LABEL(pref)} p99 ÷ ${LABEL(k)} p99`;
    L.push(`## Paced${title}: ${P.clients} clients × r msg/s for ${W.paced.quick ? 5 : P.seconds} s, latency against the scheduled send time (ms)`, '', stamp(W.paced), '');
    L.push(`| rate per client | offered msg/s | ${pk.map((k) => `${LABEL(k)} p50 / p99`).join(' | ')} | ${pother.map(vs).join(' | ')} | server CPU-s ${pk.map(LABEL).join(' / ')} |`, `|---|---|${pk.map(() => '---|').join('')}${pother.map(() => '---|').join('')}---|`);
    for (const rate of rates) {
      const cell = (k) => (g(k, rate) ? `${fmtMs(g(k, rate).p50)} / ${fmtMs(g(k, rate).p99)}` : '—');
      L.push(`| ${rate}/s | ${rate * P.clients} | ${pk.map(cell).join(' | ')} | ${pother.map((k) => ratio(g(pref, rate)?.p99, g(k, rate)?.p99)).join(' | ')} | ${pk.map((k) => (g(k, rate) ? `${g(k, rate).cpuS.toFixed(2)} (${g(k, rate).cpuPct.toFixed(0)}%)` : '—')).join(' / ')} |`);
    }
    L.push('', `Best round (lowest p99 of the ${W.paced.rounds} rounds; on a shared machine the best round shows the server with the least outside interference):`, '');
    L.push(`| rate per client | ${pk.map((k) => `${LABEL(k)} p50 / p99`).join(' | ')} | ${pother.map(vs).join(' | ')} |`, `|---|${pk.map(() => '---|').join('')}${pother.map(() => '---|').join('')}`);
    for (const rate of rates) {
      const cell = (k) => (g(k, rate) ? `${fmtMs(g(k, rate).p50Best)} / ${fmtMs(g(k, rate).p99Best)}` : '—');
      L.push(`| ${rate}/s | ${pk.map(cell).join(' | ')} | ${pother.map((k) => ratio(g(pref, rate)?.p99Best, g(k, rate)?.p99Best)).join(' | ')} |`);
    }
    if (!title) L.push('', 'Chart (medians): [latency.svg](latency.svg).');
    L.push('');
  }
  return L;
}

export function svgChart(s, clients = TRAFFIC_CFG.paced.clients) {
  const W = 640, H = 420, ml = 64, mr = 150, mt = 40, mb = 56;
  const kinds = Object.keys(s.paced).filter((k) => Object.keys(s.paced[k]).length);
  const rates = [...new Set(kinds.flatMap((k) => Object.keys(s.paced[k]).map(Number)))].sort((a, b) => a - b);
  if (rates.length < 2) return null;
  const xs = rates.map((r) => r * clients);
  const vals = [];
  for (const k of kinds) for (const r of rates) for (const q of ['p50', 'p99']) if (Number.isFinite(s.paced[k]?.[r]?.[q])) vals.push(s.paced[k][r][q]);
  if (!vals.length) return null;
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(0.01, Math.min(...vals)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...vals))));
  const xLo = Math.log10(xs[0]), xHi = Math.log10(xs[xs.length - 1]);
  const X = (x) => ml + ((Math.log10(x) - xLo) / (xHi - xLo)) * (W - ml - mr);
  const Y = (y) => mt + (1 - (Math.log10(Math.max(y, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (H - mt - mb);
  const palette = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e'];
  const o = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  o.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  o.push(`<text x="${W / 2 - mr / 2 + ml / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">Latency vs offered load (${clients} clients, one room)</text>`);
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    o.push(`<line x1="${ml}" x2="${W - mr}" y1="${Y(d).toFixed(1)}" y2="${Y(d).toFixed(1)}" stroke="#ddd"/>`);
    o.push(`<text x="${ml - 6}" y="${(Y(d) + 4).toFixed(1)}" text-anchor="end">${d >= 1 ? d : d.toFixed(2)}</text>`);
  }
  for (const x of xs) {
    o.push(`<line x1="${X(x).toFixed(1)}" x2="${X(x).toFixed(1)}" y1="${mt}" y2="${H - mb}" stroke="#eee"/>`);
    o.push(`<text x="${X(x).toFixed(1)}" y="${H - mb + 16}" text-anchor="middle">${x}</text>`);
  }
  o.push(`<rect x="${ml}" y="${mt}" width="${W - ml - mr}" height="${H - mt - mb}" fill="none" stroke="#333"/>`);
  o.push(`<text x="${(ml + W - mr) / 2}" y="${H - 14}" text-anchor="middle">offered load, messages per second (into the room; deliveries ×${clients})</text>`);
  o.push(`<text transform="translate(16 ${(mt + H - mb) / 2}) rotate(-90)" text-anchor="middle">latency ms (log), vs scheduled send time</text>`);
  let ly = mt + 10;
  kinds.forEach((k, ki) => {
    const color = palette[ki % palette.length];
    for (const q of ['p50', 'p99']) {
      const pts = rates.map((r, j) => [xs[j], s.paced[k]?.[r]?.[q]]).filter(([, y]) => Number.isFinite(y));
      if (!pts.length) continue;
      const dash = q === 'p99' ? ' stroke-dasharray="6 4"' : '';
      o.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`);
      for (const [x, y] of pts) o.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3" fill="${q === 'p99' ? 'white' : color}" stroke="${color}"/>`);
      o.push(`<line x1="${W - mr + 12}" x2="${W - mr + 40}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`);
      o.push(`<text x="${W - mr + 46}" y="${ly + 4}">${LABEL(k)} ${q}</text>`);
      ly += 20;
    }
  });
  o.push('</svg>');
  return o.join('\n') + '\n';
}
