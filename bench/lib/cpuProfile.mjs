// Reading V8 .cpuprofile files (node --cpu-prof): self time per function.
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Self time per function from a .cpuprofile, counting only samples taken between
 * fromUs and toUs (V8 stamps samples with CLOCK_MONOTONIC, as monoMicros does).
 * Windows may be one [fromUs, toUs] pair or a list of them.
 */
export function topFunctions(file, count, fromUs = -Infinity, toUs = Infinity) {
  const windows = Array.isArray(fromUs) ? fromUs : [[fromUs, toUs]];
  const inWindow = (t) => windows.some(([a, b]) => t >= a && t <= b);
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const dt = new Map();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const d = p.timeDeltas[i] ?? 0;
    t += d;
    if (inWindow(t)) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + d);
  }
  const by = new Map();
  let total = 0;
  for (const node of p.nodes) {
    const us = dt.get(node.id) ?? 0;
    total += us;
    const cf = node.callFrame;
    const where = cf.url ? `${path.basename(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'}\t${where}`;
    by.set(key, (by.get(key) ?? 0) + us);
  }
  const rows = [...by].sort((a, b) => b[1] - a[1]).slice(0, count);
  return { totalMs: total / 1000, rows: rows.map(([k, us]) => ({ fn: k.split('\t')[0], where: k.split('\t')[1], ms: us / 1000 })) };
}

/**
 * Inclusive time of the functions named in `names` (self time of everything
 * they call, counted once even when a name recurs on a stack), over the same
 * windows as topFunctions.
 */
export function inclusiveTimes(file, names, fromUs = -Infinity, toUs = Infinity) {
  const windows = Array.isArray(fromUs) ? fromUs : [[fromUs, toUs]];
  const inWindow = (t) => windows.some(([a, b]) => t >= a && t <= b);
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const dt = new Map();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const d = p.timeDeltas[i] ?? 0;
    t += d;
    if (inWindow(t)) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + d);
  }
  const totals = new Map(names.map((n) => [n, 0]));
  for (const [id, us] of dt) {
    const seen = new Set();
    for (let n = id; n !== undefined; n = parent.get(n)) {
      const fn = byId.get(n).callFrame.functionName;
      if (totals.has(fn) && !seen.has(fn)) {
        seen.add(fn);
        totals.set(fn, totals.get(fn) + us);
      }
    }
  }
  return new Map([...totals].map(([k, us]) => [k, us / 1000]));
}
