import type { ChatMessage, ViewItem } from '../shared/panelProtocol';
import { dayKey } from './formatTime';
import type { Row } from './messageRow';

// A message within this long after the previous one by the same sender continues it (no header).
const CONT_GAP_MS = 5 * 60_000;
/** Must match .msg-body max-height in chat.css (in 20px lines): longer bodies are clipped with "Show more". */
export const MAX_BODY_LINES = 16;
export const LINE_PX = 20;

/** A row the y of which an anchor pins: its key, its index, and how far above the scroll top it starts. */
export interface Anchor {
  key: string;
  i: number;
  offset: number;
}

/**
 * The rows of one conversation and where each one starts, without the DOM:
 * day separators, the unread line, continued messages, and heights (estimated
 * until MessageList measures them). Kept apart from MessageList so the layout
 * arithmetic reads on its own, and the list keeps the painting and the input.
 */
export class MessageRows {
  rows: Row[] = [];
  /** tops[i] is the y of row i; tops[rows.length] is the total height. */
  readonly tops: number[] = [0];
  readonly index = new Map<string, number>();
  /** Seq of the first unread message: the "new messages" line goes above it. */
  unreadFrom: number | undefined;
  /** The list's width in px, for estimating how many lines a message wraps to. */
  width = 0;
  /** Keys of all rows, kept while rows are pushed (the index is rebuilt after). */
  private keys = new Set<string>();
  private lastDay = '';
  /** Local-day bounds of lastDay, so consecutive items skip Date arithmetic (10k items at init). */
  private dayStart = 0;
  private dayEnd = -1;
  private prevMsg: ChatMessage | undefined;
  private prevAt = 0;
  private sysCount = 0;

  /** Replaces every row with the rows for `items`. */
  rebuild(items: ViewItem[]): void {
    // A prepend rebuilds every row: keep the heights already measured so nothing on screen jumps.
    const known = new Map<string, number>();
    for (const r of this.rows) if (r.measured) known.set(r.key, r.h);
    this.rows = [{ kind: 'top', key: 'top', h: 36, measured: false }];
    this.keys = new Set(['top']);
    this.lastDay = '';
    this.dayStart = 0;
    this.dayEnd = -1;
    this.prevMsg = undefined;
    for (const it of items) this.push(it);
    if (known.size) {
      for (const r of this.rows) {
        const h = known.get(r.key);
        if (h !== undefined) {
          r.h = h;
          r.measured = true;
        }
      }
    }
    this.index.clear();
    this.rows.forEach((r, i) => this.index.set(r.key, i));
    this.recompute(0);
  }

  /** Adds rows for live items at the end; returns the messages that were new. */
  append(items: ViewItem[]): ChatMessage[] {
    const added: ChatMessage[] = [];
    const from = this.rows.length;
    for (const it of items) {
      const row = this.push(it);
      if (row?.kind === 'msg') added.push(row.msg);
    }
    if (this.rows.length === from) return added;
    for (let i = from; i < this.rows.length; i++) this.index.set(this.rows[i].key, i);
    this.recompute(from);
    return added;
  }

  /** The row held under `key`, if any. */
  get(key: string): Row | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.rows[i];
  }

  /** The oldest message's seq, for the next `loadOlder`. */
  oldestSeq(): number | undefined {
    for (const r of this.rows) if (r.kind === 'msg' && Number.isSafeInteger(r.msg.seq)) return r.msg.seq;
    return undefined;
  }

  /** Every item currently held, oldest first (to cache a room's loaded pages). */
  allItems(): ViewItem[] {
    const out: ViewItem[] = [];
    for (const r of this.rows) {
      if (r.kind === 'msg') out.push(r.msg);
      else if (r.kind === 'sys') out.push(r.line);
    }
    return out;
  }

  /** Text rewraps at a new width: every height goes back to an estimate. */
  rewrap(width: number): void {
    this.width = width;
    for (const r of this.rows) {
      r.measured = false;
      r.h = this.estimate(r);
    }
    this.recompute(0);
  }

  /** Recomputes the tops from row `from` on, after heights changed. */
  recompute(from: number): void {
    const { rows, tops } = this;
    tops.length = rows.length + 1;
    if (from === 0) tops[0] = 0;
    for (let i = from; i < rows.length; i++) tops[i + 1] = tops[i] + rows[i].h;
  }

  /** Index of the first row whose bottom is below `y`. */
  rowAt(y: number): number {
    let lo = 0;
    let hi = this.rows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tops[mid + 1] <= y) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The row at scroll position `top` that keeps its place through a prepend or a rewrap. */
  anchorAt(top: number): Anchor | undefined {
    if (!this.rows.length) return undefined;
    // Anchor on a message or system line: the "start of history" row stays first
    // through a prepend and a day separator's key can move to the older page.
    let i = this.rowAt(top);
    while (i < this.rows.length - 1 && (this.rows[i].kind === 'top' || this.rows[i].kind === 'day')) i++;
    return { key: this.rows[i].key, i, offset: top - this.tops[i] };
  }

  /** Appends the rows for one item (a day separator first when the day changes); returns the item's row. */
  private push(it: ViewItem): Row | undefined {
    const rows = this.rows;
    if (!it || typeof it !== 'object') return undefined;
    const ts = typeof it.ts === 'string' ? it.ts : '';
    const t = Date.parse(ts);
    let day = this.lastDay;
    if (!(t >= this.dayStart && t < this.dayEnd)) {
      day = dayKey(ts);
      const d = new Date(t);
      this.dayStart = Number.isNaN(t) ? 0 : new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
      this.dayEnd = Number.isNaN(t) ? -1 : new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
    }
    let key: string;
    if (it.type === 'message') {
      key = Number.isSafeInteger(it.seq) ? `m${it.seq}` : `i${it.sender}/${it.id}`;
      // The host may resend what we already hold (a reconnect's catch-up): keep the first copy.
      if (this.keys.has(key)) return undefined;
      if (it.seq === this.unreadFrom && !this.keys.has('unread')) {
        this.keys.add('unread');
        rows.push({ kind: 'unread', key: 'unread', h: 28, measured: false });
      }
    } else {
      key = `y${++this.sysCount}`;
    }
    if (day !== this.lastDay) {
      this.lastDay = day;
      this.prevMsg = undefined;
      // Out-of-order timestamps can revisit a day: its second separator needs its own key.
      let dk = `d${day}`;
      for (let n = 2; this.keys.has(dk); n++) dk = `d${day}#${n}`;
      this.keys.add(dk);
      rows.push({ kind: 'day', key: dk, day, h: 32, measured: false });
    }
    let row: Row;
    if (it.type === 'message') {
      const prev = this.prevMsg;
      const cont = !!prev && prev.sender === it.sender && t - this.prevAt < CONT_GAP_MS && !it.snippet;
      row = { kind: 'msg', key, msg: it, cont, h: 0, measured: false };
      this.prevMsg = it;
      this.prevAt = t;
    } else {
      row = { kind: 'sys', key, line: it, h: 0, measured: false };
      this.prevMsg = undefined;
    }
    row.h = this.estimate(row);
    this.keys.add(key);
    rows.push(row);
    return row;
  }

  /** A row's height before it is measured. */
  private estimate(row: Row): number {
    switch (row.kind) {
      case 'top':
        return 36;
      case 'day':
        return 32;
      case 'sys':
        return 24;
      case 'unread':
        return 28;
      case 'msg': {
        const perLine = Math.max(16, (this.width - 80) / 7.5);
        const text = row.msg.text;
        let lines = 0;
        for (let start = 0; lines < MAX_BODY_LINES; ) {
          const nl = text.indexOf('\n', start);
          const len = (nl === -1 ? text.length : nl) - start;
          lines += Math.max(1, Math.ceil(len / perLine));
          if (nl === -1) break;
          start = nl + 1;
        }
        let h = (row.cont ? 4 : 28) + Math.min(lines, MAX_BODY_LINES) * LINE_PX + 4;
        if (row.msg.snippet) h += 44 + Math.min(row.msg.snippet.code.split('\n', 21).length, 20) * 18;
        if (row.msg.replyTo !== undefined) h += 24;
        if (row.msg.edited) h += 16;
        if (row.msg.reactions?.length) h += 28;
        return h;
      }
    }
  }
}
