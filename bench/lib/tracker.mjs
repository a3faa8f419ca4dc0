// Checks every delivery and records its latency, in a form that the load
// generator's processes can merge.
//
// Per (receiver, sender) the next seq must be the previous + 1. A seq that
// skips ahead leaves the skipped seqs "missing"; one of them arriving later is a
// reordering, anything else at or below the last seq is a duplicate, and what is
// still missing at the end is lost.

/** Latency buckets: 64 per power of two of microseconds (about 1.1 % wide), up to 2^31 µs. */
const PER_OCTAVE = 64;
const BUCKETS = 31 * PER_OCTAVE + 2;

const bucketOf = (us) => (us < 1 ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log2(us) * PER_OCTAVE)));
/** The middle of a bucket, in ms. */
const bucketMs = (b) => (b === 0 ? 0 : 2 ** ((b - 0.5) / PER_OCTAVE) / 1000);

export class Tracker {
  /** receivers: local receiver count; senders: global sender count. */
  constructor(receivers, senders) {
    this.senders = senders;
    this.last = new Int32Array(receivers * senders);
    this.missing = new Set();
    this.hist = new Float64Array(BUCKETS);
    this.delivered = 0;
    this.duplicates = 0;
    this.reordered = 0;
    this.foreign = 0;
    this.maxMs = 0;
    this.bySender = { dup: new Int32Array(senders), reorder: new Int32Array(senders) };
  }

  /** One delivery to local receiver `recv` of (sender, seq), sent at sentUs and received at nowUs. */
  on(recv, sender, seq, sentUs, nowUs) {
    if (!(sender >= 0 && sender < this.senders) || !(seq >= 1)) {
      this.foreign++;
      return;
    }
    const k = recv * this.senders + sender;
    const prev = this.last[k];
    if (seq === prev + 1) this.last[k] = seq;
    else if (seq > prev + 1) {
      for (let s = prev + 1; s < seq; s++) this.missing.add(k * 2 ** 21 + s);
      this.last[k] = seq;
    } else if (this.missing.delete(k * 2 ** 21 + seq)) {
      this.reordered++;
      this.bySender.reorder[sender]++;
    } else {
      this.duplicates++;
      this.bySender.dup[sender]++;
      return;
    }
    this.delivered++;
    const us = nowUs - sentUs;
    this.hist[bucketOf(us)]++;
    if (us > this.maxMs * 1000) this.maxMs = us / 1000;
  }

  /** What the runner merges: counts, the histogram and per-sender problem counts. */
  toJSON() {
    const lost = new Int32Array(this.senders);
    for (const key of this.missing) lost[Math.floor(key / 2 ** 21) % this.senders]++;
    return {
      delivered: this.delivered,
      lost: this.missing.size,
      duplicates: this.duplicates,
      reordered: this.reordered,
      foreign: this.foreign,
      maxMs: this.maxMs,
      hist: Array.from(this.hist),
      bySender: { lost: Array.from(lost), dup: Array.from(this.bySender.dup), reorder: Array.from(this.bySender.reorder) },
    };
  }
}

/** Sums the trackers of several processes and reads the percentiles. */
export function mergeTrackers(parts) {
  const m = { delivered: 0, lost: 0, duplicates: 0, reordered: 0, foreign: 0, maxMs: 0 };
  const hist = new Float64Array(BUCKETS);
  const senders = parts[0]?.bySender.lost.length ?? 0;
  const affected = { lost: new Set(), dup: new Set(), reorder: new Set() };
  for (const p of parts) {
    for (const k of ['delivered', 'lost', 'duplicates', 'reordered', 'foreign']) m[k] += p[k];
    m.maxMs = Math.max(m.maxMs, p.maxMs);
    p.hist.forEach((c, b) => (hist[b] += c));
    for (const k of Object.keys(affected)) p.bySender[k].forEach((c, s) => c && affected[k].add(s));
  }
  const pick = (q) => {
    const want = q * m.delivered;
    let acc = 0;
    for (let b = 0; b < BUCKETS; b++) if ((acc += hist[b]) >= want && hist[b]) return bucketMs(b);
    return NaN;
  };
  m.latencyMs = { p50: pick(0.5), p90: pick(0.9), p99: pick(0.99), max: m.maxMs, n: m.delivered };
  m.sendersWith = { losses: affected.lost.size, duplicates: affected.dup.size, reordering: affected.reorder.size, of: senders };
  return m;
}
