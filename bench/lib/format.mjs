// Small helpers shared by the workloads' reports.

export const median = (xs) => {
  const a = xs.filter((x) => Number.isFinite(x)).sort((p, q) => p - q);
  if (!a.length) return NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};

export const fmtK = (x) => (Number.isFinite(x) ? (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${Math.round(x / 1e3)}k`) : '—');
export const fmtMs = (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : '—');
export const fmtN = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '—');
export const pct = (cpu, wall) => (Number.isFinite(cpu / wall) ? `${((100 * cpu) / wall).toFixed(0)}%` : '—');
export const ratio = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '—');
export const mb = (kb) => (Number.isFinite(kb) ? (kb / 1024).toFixed(1) : '—');

/** The line under a section's heading: when, by which command, and how busy the machine was. */
export function stamp(section) {
  const x = section;
  const ld = x.load?.length ? x.load : [NaN];
  return `_Measured ${x.at.slice(0, 16).replace('T', ' ')}–${x.finished.slice(11, 16)} UTC by \`${x.command}\`, ${x.rounds} round${x.rounds > 1 ? 's' : ''} (medians); machine load average during it ${Math.min(...ld).toFixed(1)}–${Math.max(...ld).toFixed(1)} on 2 cores._`;
}
