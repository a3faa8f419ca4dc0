import type { DOMPurify } from 'dompurify';
import type { ChatMessage, SnippetStatusMsg, ViewItem } from '../shared/panelProtocol';
import { buildRow, type Row, type RowContext } from './messageRow';
import { dayKey } from './formatTime';
import type { ScrollMark } from './vscodeApi';

/** What the message list needs from the panel around it. */
export interface MessageListHost {
  readonly purify: DOMPurify;
  /** The user's own name, to mark own messages. */
  me(): string | null;
  copy(text: string): void;
  /** Scrolled near the top while older history exists. */
  loadOlder(before: number): void;
  /** The scroll position changed (to persist it). */
  scrolled(): void;
  /** "Open in My Editor" on the snippet of the message with this seq. */
  openSnippet(seq: number): void;
  /** "Compare" on that snippet. */
  compareSnippet(seq: number): void;
  /** What opening that snippet found, once known. */
  snippetStatus(seq: number): SnippetStatusMsg | undefined;
  /** Reply to this message (the composer shows what it answers). */
  reply(m: ChatMessage): void;
  /** Add (on) or take back the user's reaction. */
  react(seq: number, emoji: string, on: boolean): void;
  /** Edit this (own) message in the composer. */
  edit(m: ChatMessage): void;
  /** Delete this message (confirmed by a second click). */
  remove(seq: number): void;
  copyLink(seq: number): void;
  /** A reply's original is not loaded: the host loads it and answers with a jump. */
  showMessage(seq: number): void;
  /** Say something to screen reader users. */
  announce(text: string): void;
}

// Rows rendered beyond the viewport on each side, so fast scrolling rarely shows blanks.
const OVERSCAN_PX = 400;
const CONT_GAP_MS = 5 * 60_000;
// Must match .msg-body max-height in chat.css (in 20px lines): longer bodies are clipped with "Show more".
const MAX_BODY_LINES = 16;
const LINE_PX = 20;
const NEAR_TOP_PX = 400;
const OLDER_RETRY_MS = 10_000;

/**
 * The conversation of one room as a windowed list: only the rows near the
 * viewport exist in the DOM, positioned absolutely over a canvas as tall as
 * all rows together. Heights start as estimates and become measured once a
 * row has been rendered; the first visible row stays put while they change.
 */
export class MessageList {
  private rows: Row[] = [];
  /** tops[i] is the y of row i; tops[rows.length] is the total height. */
  private tops: number[] = [0];
  private index = new Map<string, number>();
  /** Keys of all rows, kept while rows are pushed (the index is rebuilt after). */
  private keys = new Set<string>();
  private rendered = new Map<string, HTMLElement>();
  private expanded = new Set<string>();
  private lastDay = '';
  /** Local-day bounds of lastDay, so consecutive items skip Date arithmetic (10k items at init). */
  private dayStart = 0;
  private dayEnd = -1;
  private prevMsg: ChatMessage | undefined;
  private prevAt = 0;
  private sysCount = 0;
  private more = false;
  private loadingOlder = false;
  private loadingSince = 0;
  private pinned = true;
  private unseen = 0;
  private width = 0;
  private frame = 0;
  /** The last scrollTop we set or saw: a scroll event that did not move (a resize) changes nothing. */
  private lastTop = -1;
  private room = '';
  /** Seq of the first unread message: the "new messages" line goes above it. */
  private unreadFrom: number | undefined;
  /** Rows whose reaction picker is open, and whose Delete waits for a second click. */
  private readonly picking = new Set<string>();
  private readonly confirming = new Set<string>();
  private readonly jumpUnread: HTMLButtonElement;
  private readonly canvas: HTMLElement;
  /** What drawing one row needs from the list (see messageRow.ts). */
  private readonly rowContext: RowContext = {
    me: () => this.host.me(),
    purify: () => this.host.purify,
    expanded: (key) => this.expanded.has(key),
    snippetStatus: (seq) => this.host.snippetStatus(seq),
    fillTop: (node) => this.fillTop(node),
    picking: (key) => this.picking.has(key),
    confirmingDelete: (key) => this.confirming.has(key),
  };

  constructor(
    /** The scrolling container, `#messages`. */
    readonly el: HTMLElement,
    private readonly jump: HTMLButtonElement,
    private readonly host: MessageListHost,
  ) {
    this.canvas = document.createElement('div');
    this.canvas.className = 'msg-canvas';
    el.appendChild(this.canvas);
    el.addEventListener('scroll', () => this.onScroll(), { passive: true });
    el.addEventListener('click', (e) => this.onClick(e));
    jump.addEventListener('click', () => this.scrollToBottom());
    this.jumpUnread = document.createElement('button');
    this.jumpUnread.type = 'button';
    this.jumpUnread.className = 'jump-unread';
    this.jumpUnread.hidden = true;
    this.jumpUnread.textContent = 'Jump to new messages';
    this.jumpUnread.addEventListener('click', () => {
      if (this.unreadFrom !== undefined) this.jumpTo(this.unreadFrom, false);
      this.jumpUnread.hidden = true;
    });
    el.parentElement?.insertBefore(this.jumpUnread, el);
    new ResizeObserver(() => this.onResize()).observe(el);
    this.width = el.clientWidth;
  }

  /** Replaces the whole conversation (init, room switch), restoring `mark` when given. */
  setItems(room: string, items: ViewItem[], more: boolean, mark?: ScrollMark, unreadFrom?: number): void {
    if (room !== this.room || unreadFrom !== undefined) this.unreadFrom = unreadFrom;
    this.room = room;
    this.more = more;
    this.loadingOlder = false;
    this.expanded.clear();
    this.picking.clear();
    this.confirming.clear();
    this.unseen = 0;
    this.rebuild(items);
    for (const node of this.rendered.values()) node.remove();
    this.rendered.clear();
    const at = mark && !mark.atBottom && mark.anchor !== undefined ? this.index.get(mark.anchor) : undefined;
    this.pinned = at === undefined;
    this.paintNow(at === undefined ? undefined : this.tops[at] + (mark?.offset ?? 0));
    this.updateJump();
    // The line is drawn where it belongs; the button takes you there when it is out of sight.
    const line = this.index.get('unread');
    this.jumpUnread.hidden = line === undefined || this.tops[line] >= this.el.scrollTop;
  }

  /** A message changed (edited, deleted, reacted to): redraw its row if it is held. */
  update(m: ChatMessage): void {
    const i = this.index.get(`m${m.seq}`);
    const row = i === undefined ? undefined : this.rows[i];
    if (row?.kind !== 'msg') return;
    row.msg = m;
    row.html = undefined;
    row.measured = false;
    if (m.deleted) {
      this.picking.delete(row.key);
      this.confirming.delete(row.key);
    }
    this.redraw(row.key);
  }

  /**
   * Scroll to a message and mark it for a moment (a reply's quote, a message
   * link, the unread line). False when the message is not loaded here.
   */
  jumpTo(seq: number, flash = true): boolean {
    const i = this.index.get(`m${seq}`);
    if (i === undefined) return false;
    this.pinned = false;
    const target = i > 0 && this.rows[i - 1].kind === 'unread' ? i - 1 : i;
    this.paintNow(Math.max(0, this.tops[target] - 24));
    this.updateJump();
    const node = this.rendered.get(this.rows[i].key);
    if (node && flash) {
      node.classList.add('flash');
      node.tabIndex = -1;
      node.focus({ preventScroll: true });
      setTimeout(() => node.classList.remove('flash'), 2000);
    }
    this.host.scrolled();
    return true;
  }

  /** Rebuild one row's DOM in place (its height is measured again). */
  private redraw(key: string): void {
    const old = this.rendered.get(key);
    if (old) {
      old.remove();
      this.rendered.delete(key);
    }
    this.paintNow();
  }

  /** Adds live items at the end; returns the messages that were new. */
  append(items: ViewItem[]): ChatMessage[] {
    const added: ChatMessage[] = [];
    const from = this.rows.length;
    for (const it of items) {
      const row = this.push(this.rows, it);
      if (row?.kind === 'msg') added.push(row.msg);
    }
    if (this.rows.length === from) return added;
    for (let i = from; i < this.rows.length; i++) this.index.set(this.rows[i].key, i);
    this.recompute(from);
    const me = this.host.me();
    if (!this.pinned) this.unseen += added.filter((m) => m.sender !== me).length;
    // Sending is an intent to see your own message.
    if (added.some((m) => m.sender === me)) this.pinned = true;
    this.paintNow();
    this.updateJump();
    return added;
  }

  /** Adds an older page at the start, keeping what the user looks at in place. */
  prepend(items: ViewItem[], more: boolean): void {
    this.more = more;
    this.loadingOlder = false;
    const anchor = this.anchor();
    const old = this.allItems();
    this.rebuild([...items, ...old]);
    const i = anchor && this.index.get(anchor.key);
    this.refreshTop();
    this.paintNow(!this.pinned && anchor && i !== undefined ? this.tops[i] + anchor.offset : undefined);
  }

  /** The oldest message's seq, for the next `loadOlder`. */
  oldestSeq(): number | undefined {
    for (const r of this.rows) if (r.kind === 'msg' && Number.isSafeInteger(r.msg.seq)) return r.msg.seq;
    return undefined;
  }

  /** Where the user is, to restore it after a room switch or a reload. */
  mark(): ScrollMark {
    if (this.pinned) return { atBottom: true };
    const a = this.anchor();
    return a ? { atBottom: false, anchor: a.key, offset: Math.round(a.offset) } : { atBottom: true };
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

  /** Whether older history can still be fetched. */
  hasMore(): boolean {
    return this.more;
  }

  /** Redraws every visible row (after the user's name changed, say). */
  refresh(): void {
    for (const node of this.rendered.values()) node.remove();
    this.rendered.clear();
    this.paintNow();
  }

  scrollToBottom(): void {
    this.pinned = true;
    this.unseen = 0;
    this.paintNow();
    this.updateJump();
    this.host.scrolled();
  }

  // ------------------------------------------------------------------ rows

  private rebuild(items: ViewItem[]): void {
    // A prepend rebuilds every row: keep the heights already measured so nothing on screen jumps.
    const known = new Map<string, number>();
    for (const r of this.rows) if (r.measured) known.set(r.key, r.h);
    this.rows = [{ kind: 'top', key: 'top', h: 36, measured: false }];
    this.keys = new Set(['top']);
    this.lastDay = '';
    this.dayStart = 0;
    this.dayEnd = -1;
    this.prevMsg = undefined;
    for (const it of items) this.push(this.rows, it);
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
    // Rows are new objects: drop DOM nodes whose rows vanished; the rest are re-keyed by the same keys.
    for (const [k, node] of this.rendered) {
      if (!this.index.has(k)) {
        node.remove();
        this.rendered.delete(k);
      }
    }
  }

  /** Appends the rows for one item (a day separator first when the day changes); returns the item's row. */
  private push(rows: Row[], it: ViewItem): Row | undefined {
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

  private recompute(from: number): void {
    const { rows, tops } = this;
    tops.length = rows.length + 1;
    if (from === 0) tops[0] = 0;
    for (let i = from; i < rows.length; i++) tops[i + 1] = tops[i] + rows[i].h;
  }

  /** Index of the first row whose bottom is below `y`. */
  private rowAt(y: number): number {
    let lo = 0;
    let hi = this.rows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tops[mid + 1] <= y) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private anchor(): { key: string; i: number; offset: number } | undefined {
    return this.anchorAt(this.el.scrollTop);
  }

  private anchorAt(top: number): { key: string; i: number; offset: number } | undefined {
    if (!this.rows.length) return undefined;
    // Anchor on a message or system line: the "start of history" row stays first
    // through a prepend and a day separator's key can move to the older page.
    let i = this.rowAt(top);
    while (i < this.rows.length - 1 && (this.rows[i].kind === 'top' || this.rows[i].kind === 'day')) i++;
    return { key: this.rows[i].key, i, offset: top - this.tops[i] };
  }

  // ------------------------------------------------------------------ painting

  private schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.paintNow());
  }

  /**
   * Renders the rows near the viewport, measures them, and repeats while
   * measuring changed the layout (at most three passes; estimates are close).
   */
  /** Paints at the current scroll position, or at `want` (a y to scroll to), or at the bottom when pinned. */
  private paintNow(want?: number): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    if (!this.rows.length) return; // nothing before the first init
    // Layout is read at most twice per paint: here, and once when measuring new
    // rows. Positions and the scroll target are computed, not read back.
    const view = this.el.clientHeight;
    let top = this.pinned ? 0 : (want ?? this.el.scrollTop);
    const anchor = this.pinned ? undefined : this.anchorAt(top);
    for (let pass = 0; pass < 3; pass++) {
      if (this.pinned) top = Math.max(0, this.tops[this.rows.length] - view);
      const first = this.rowAt(Math.max(0, top - OVERSCAN_PX));
      const last = this.rowAt(top + view + OVERSCAN_PX);
      const want = new Set<string>();
      for (let i = first; i <= last; i++) want.add(this.rows[i].key);
      for (const [k, node] of this.rendered) {
        if (!want.has(k)) {
          node.remove();
          this.rendered.delete(k);
        }
      }
      const fresh: HTMLElement[] = [];
      for (let i = first; i <= last; i++) {
        const row = this.rows[i];
        let node = this.rendered.get(row.key);
        if (!node) {
          node = buildRow(row, this.rowContext);
          this.rendered.set(row.key, node);
          this.canvas.appendChild(node);
          fresh.push(node);
        }
        node.style.top = `${this.tops[i]}px`;
      }
      this.markClipped(fresh);
      // Heights only change when a row is new to the DOM or was expanded; re-measuring the rest would cost layout for nothing.
      let changed = -1;
      for (let i = first; i <= last; i++) {
        const row = this.rows[i];
        if (row.measured) continue;
        const h = this.rendered.get(row.key)!.offsetHeight;
        row.measured = true;
        if (h !== row.h) {
          row.h = h;
          if (changed < 0) changed = i;
        }
      }
      if (changed < 0) break;
      this.recompute(changed);
      for (let i = changed; i <= last; i++) this.rendered.get(this.rows[i].key)!.style.top = `${this.tops[i]}px`;
      if (anchor) top = this.tops[anchor.i] + anchor.offset;
    }
    const total = this.tops[this.rows.length];
    this.canvas.style.height = `${total}px`;
    top = Math.round(Math.max(0, Math.min(top, total - view)));
    if (top !== this.lastTop) {
      this.el.scrollTop = top;
      this.lastTop = top;
    }
    this.maybeLoadOlder(top);
  }

  private maybeLoadOlder(top: number): void {
    // A page the host never answered (the connection dropped, say) may be asked for again.
    if (this.loadingOlder && Date.now() - this.loadingSince > OLDER_RETRY_MS) this.loadingOlder = false;
    if (!this.more || this.loadingOlder || top > NEAR_TOP_PX) return;
    const before = this.oldestSeq();
    if (before === undefined) return;
    this.loadingOlder = true;
    this.loadingSince = Date.now();
    this.refreshTop();
    this.host.loadOlder(before);
  }

  private onScroll(): void {
    const el = this.el;
    // Our own scrolls (pinning, anchoring) are already painted, and a scroll
    // event from a resize must not unpin the list from the bottom.
    if (Math.abs(el.scrollTop - this.lastTop) < 1) return;
    this.lastTop = el.scrollTop;
    this.pinned = el.scrollHeight - el.scrollTop - el.clientHeight < 8;
    if (this.pinned && this.unseen) {
      this.unseen = 0;
      this.updateJump();
    }
    this.schedule();
    this.host.scrolled();
  }

  private onResize(): void {
    const w = this.el.clientWidth;
    if (Math.abs(w - this.width) < 1) {
      // Only the height changed (composer grew, a file card appeared): repaint before this frame, still pinned.
      this.paintNow();
      return;
    }
    // Text rewraps at a new width: every measured height is stale.
    const anchor = this.pinned ? undefined : this.anchor();
    this.width = w;
    for (const r of this.rows) {
      r.measured = false;
      r.h = this.estimate(r);
    }
    this.recompute(0);
    this.paintNow(anchor ? this.tops[anchor.i] + anchor.offset : undefined);
  }

  private updateJump(): void {
    this.jump.hidden = this.pinned || this.unseen === 0;
    this.jump.lastChild!.textContent = this.unseen === 1 ? '1 new message' : `${this.unseen} new messages`;
  }

  private refreshTop(): void {
    const node = this.rendered.get('top');
    if (node) this.fillTop(node);
  }

  private fillTop(node: HTMLElement): void {
    node.textContent = this.loadingOlder ? 'Loading earlier messages…' : this.more ? 'Scroll up for earlier messages' : `This is the start of ${this.room.startsWith('@') ? 'your conversation' : `#${this.room}`}.`;
  }

  /** Adds a "Show more" toggle to bodies taller than their clip (all reads first, then all writes). */
  private markClipped(nodes: HTMLElement[]): void {
    const clipped: HTMLElement[] = [];
    for (const node of nodes) {
      const i = this.index.get(node.dataset.key!);
      const row = i === undefined ? undefined : this.rows[i];
      // Only rows whose estimate reached the clip can overflow it; skip the layout read for the rest.
      if (row?.kind !== 'msg' || (!this.expanded.has(row.key) && !row.measured && row.h < (row.cont ? 4 : 28) + (MAX_BODY_LINES - 2) * LINE_PX && !/[\n`]/.test(row.msg.text))) continue;
      const body = node.querySelector<HTMLElement>('.msg-body');
      if (body && (this.expanded.has(row.key) || body.scrollHeight > body.clientHeight + 2)) clipped.push(body);
    }
    for (const body of clipped) {
      const key = (body.closest('.row') as HTMLElement).dataset.key!;
      const more = document.createElement('button');
      more.type = 'button';
      more.className = 'msg-more';
      more.textContent = this.expanded.has(key) ? 'Show less' : 'Show more';
      more.setAttribute('aria-expanded', String(this.expanded.has(key)));
      body.after(more);
    }
  }

  /** Clicks on a quote, a reaction or a row action; true when handled. */
  private onConversationClick(target: Element, key: string, m: ChatMessage): boolean {
    const quote = target.closest<HTMLElement>('.msg-quote');
    if (quote) {
      const seq = Number(quote.dataset.seq);
      if (!this.jumpTo(seq)) {
        this.host.announce('Loading the original message…');
        this.host.showMessage(seq);
      }
      return true;
    }
    const emoji = target.closest<HTMLElement>('.reaction, .pick-emoji');
    if (emoji?.dataset.emoji) {
      const mine = emoji.classList.contains('reaction') ? emoji.getAttribute('aria-pressed') === 'true' : m.reactions?.some((r) => r.emoji === emoji.dataset.emoji && r.people.includes(this.host.me() ?? '')) === true;
      this.host.react(m.seq, emoji.dataset.emoji, !mine);
      if (this.picking.delete(key)) this.redraw(key);
      return true;
    }
    const act = target.closest<HTMLElement>('.msg-actions button');
    if (!act) return false;
    if (act.classList.contains('act-reply')) this.host.reply(m);
    else if (act.classList.contains('act-edit')) this.host.edit(m);
    else if (act.classList.contains('act-link')) this.host.copyLink(m.seq);
    else if (act.classList.contains('act-react')) {
      if (!this.picking.delete(key)) this.picking.add(key);
      this.redraw(key);
      this.rendered.get(key)?.querySelector<HTMLButtonElement>('.pick-emoji')?.focus();
    } else if (act.classList.contains('act-delete')) {
      // A second click confirms: a delete cannot be undone.
      if (this.confirming.delete(key)) this.host.remove(m.seq);
      else {
        this.confirming.add(key);
        this.host.announce('Click Delete again to delete this message for everyone.');
      }
      this.redraw(key);
      this.rendered.get(key)?.querySelector<HTMLButtonElement>('.act-delete')?.focus();
    }
    return true;
  }

  private onClick(e: MouseEvent): void {
    const target = e.target as Element;
    const rowEl = target.closest<HTMLElement>('.row');
    if (!rowEl) return;
    const i = this.index.get(rowEl.dataset.key ?? '');
    const row = i === undefined ? undefined : this.rows[i];
    if (row?.kind !== 'msg') return;
    if (this.onConversationClick(target, row.key, row.msg)) return;
    if (target.closest('.snippet-copy') && row.msg.snippet) {
      this.host.copy(row.msg.snippet.code);
    } else if (target.closest('.snippet-open') && row.msg.snippet) {
      this.host.openSnippet(row.msg.seq);
    } else if (target.closest('.snippet-compare') && row.msg.snippet) {
      this.host.compareSnippet(row.msg.seq);
    } else if (target.closest('.msg-more')) {
      const open = !this.expanded.has(row.key);
      if (open) this.expanded.add(row.key);
      else this.expanded.delete(row.key);
      rowEl.classList.toggle('expanded', open);
      row.measured = false;
      const btn = rowEl.querySelector<HTMLButtonElement>('.msg-more')!;
      btn.textContent = open ? 'Show less' : 'Show more';
      btn.setAttribute('aria-expanded', String(open));
      this.paintNow();
    }
  }
}
