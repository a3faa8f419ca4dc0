import type { DOMPurify } from 'dompurify';
import type { ChatMessage, SnippetStatusMsg, ViewItem } from '../shared/panelProtocol';
import { MessageActions } from './messageActions';
import { buildRow, type RowContext } from './messageRow';
import { LINE_PX, MAX_BODY_LINES, MessageRows, type Anchor } from './messageRows';
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
const NEAR_TOP_PX = 400;
const OLDER_RETRY_MS = 10_000;

/**
 * The conversation of one room as a windowed list: only the rows near the
 * viewport exist in the DOM, positioned absolutely over a canvas as tall as
 * all rows together. Heights start as estimates and become measured once a
 * row has been rendered; the first visible row stays put while they change.
 */
export class MessageList {
  /** The rows and their positions (see messageRows.ts); this class paints them and takes the input. */
  private readonly model = new MessageRows();
  private rendered = new Map<string, HTMLElement>();
  private expanded = new Set<string>();
  private more = false;
  private loadingOlder = false;
  private loadingSince = 0;
  private pinned = true;
  private unseen = 0;
  private frame = 0;
  /** The last scrollTop we set or saw: a scroll event that did not move (a resize) changes nothing. */
  private lastTop = -1;
  private room = '';
  /** Clicks on a message's quote, reactions and actions, with the picker and Delete state they keep. */
  private readonly actions: MessageActions;
  private readonly jumpUnread: HTMLButtonElement;
  private readonly canvas: HTMLElement;
  /** What drawing one row needs from the list (see messageRow.ts). */
  private readonly rowContext: RowContext = {
    me: () => this.host.me(),
    purify: () => this.host.purify,
    expanded: (key) => this.expanded.has(key),
    snippetStatus: (seq) => this.host.snippetStatus(seq),
    fillTop: (node) => this.fillTop(node),
    picking: (key) => this.actions.isPicking(key),
    confirmingDelete: (key) => this.actions.isConfirming(key),
  };

  constructor(
    /** The scrolling container, `#messages`. */
    readonly el: HTMLElement,
    private readonly jump: HTMLButtonElement,
    private readonly host: MessageListHost,
  ) {
    this.actions = new MessageActions(host, {
      jumpTo: (seq) => this.jumpTo(seq),
      redraw: (key) => this.redraw(key),
      node: (key) => this.rendered.get(key),
    });
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
      if (this.model.unreadFrom !== undefined) this.jumpTo(this.model.unreadFrom, false);
      this.jumpUnread.hidden = true;
    });
    el.parentElement?.insertBefore(this.jumpUnread, el);
    new ResizeObserver(() => this.onResize()).observe(el);
    this.model.width = el.clientWidth;
  }

  /** Replaces the whole conversation (init, room switch), restoring `mark` when given. */
  setItems(room: string, items: ViewItem[], more: boolean, mark?: ScrollMark, unreadFrom?: number): void {
    if (room !== this.room || unreadFrom !== undefined) this.model.unreadFrom = unreadFrom;
    this.room = room;
    this.more = more;
    this.loadingOlder = false;
    this.expanded.clear();
    this.actions.clear();
    this.unseen = 0;
    this.rebuild(items);
    for (const node of this.rendered.values()) node.remove();
    this.rendered.clear();
    const at = mark && !mark.atBottom && mark.anchor !== undefined ? this.model.index.get(mark.anchor) : undefined;
    this.pinned = at === undefined;
    this.paintNow(at === undefined ? undefined : this.model.tops[at] + (mark?.offset ?? 0));
    this.updateJump();
    // The line is drawn where it belongs; the button takes you there when it is out of sight.
    const line = this.model.index.get('unread');
    this.jumpUnread.hidden = line === undefined || this.model.tops[line] >= this.el.scrollTop;
  }

  /** A message changed (edited, deleted, reacted to): redraw its row if it is held. */
  update(m: ChatMessage): void {
    const row = this.model.get(`m${m.seq}`);
    if (row?.kind !== 'msg') return;
    row.msg = m;
    row.html = undefined;
    row.measured = false;
    if (m.deleted) this.actions.forget(row.key);
    this.redraw(row.key);
  }

  /**
   * Scroll to a message and mark it for a moment (a reply's quote, a message
   * link, the unread line). False when the message is not loaded here.
   */
  jumpTo(seq: number, flash = true): boolean {
    const i = this.model.index.get(`m${seq}`);
    if (i === undefined) return false;
    this.pinned = false;
    const target = i > 0 && this.model.rows[i - 1].kind === 'unread' ? i - 1 : i;
    this.paintNow(Math.max(0, this.model.tops[target] - 24));
    this.updateJump();
    const node = this.rendered.get(this.model.rows[i].key);
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
    const from = this.model.rows.length;
    const added = this.model.append(items);
    if (this.model.rows.length === from) return added;
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
    const i = anchor && this.model.index.get(anchor.key);
    this.refreshTop();
    this.paintNow(!this.pinned && anchor && i !== undefined ? this.model.tops[i] + anchor.offset : undefined);
  }

  /** The oldest message's seq, for the next `loadOlder`. */
  oldestSeq(): number | undefined {
    return this.model.oldestSeq();
  }

  /** Where the user is, to restore it after a room switch or a reload. */
  mark(): ScrollMark {
    if (this.pinned) return { atBottom: true };
    const a = this.anchor();
    return a ? { atBottom: false, anchor: a.key, offset: Math.round(a.offset) } : { atBottom: true };
  }

  /** Every item currently held, oldest first (to cache a room's loaded pages). */
  allItems(): ViewItem[] {
    return this.model.allItems();
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
    this.model.rebuild(items);
    // Rows are new objects: drop DOM nodes whose rows vanished; the rest are re-keyed by the same keys.
    for (const [k, node] of this.rendered) {
      if (!this.model.index.has(k)) {
        node.remove();
        this.rendered.delete(k);
      }
    }
  }

  private anchor(): Anchor | undefined {
    return this.model.anchorAt(this.el.scrollTop);
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
    if (!this.model.rows.length) return; // nothing before the first init
    // Layout is read at most twice per paint: here, and once when measuring new
    // rows. Positions and the scroll target are computed, not read back.
    const view = this.el.clientHeight;
    let top = this.pinned ? 0 : (want ?? this.el.scrollTop);
    const anchor = this.pinned ? undefined : this.model.anchorAt(top);
    for (let pass = 0; pass < 3; pass++) {
      if (this.pinned) top = Math.max(0, this.model.tops[this.model.rows.length] - view);
      const first = this.model.rowAt(Math.max(0, top - OVERSCAN_PX));
      const last = this.model.rowAt(top + view + OVERSCAN_PX);
      const want = new Set<string>();
      for (let i = first; i <= last; i++) want.add(this.model.rows[i].key);
      for (const [k, node] of this.rendered) {
        if (!want.has(k)) {
          node.remove();
          this.rendered.delete(k);
        }
      }
      const fresh: HTMLElement[] = [];
      for (let i = first; i <= last; i++) {
        const row = this.model.rows[i];
        let node = this.rendered.get(row.key);
        if (!node) {
          node = buildRow(row, this.rowContext);
          this.rendered.set(row.key, node);
          this.canvas.appendChild(node);
          fresh.push(node);
        }
        node.style.top = `${this.model.tops[i]}px`;
      }
      this.markClipped(fresh);
      // Heights only change when a row is new to the DOM or was expanded; re-measuring the rest would cost layout for nothing.
      let changed = -1;
      for (let i = first; i <= last; i++) {
        const row = this.model.rows[i];
        if (row.measured) continue;
        const h = this.rendered.get(row.key)!.offsetHeight;
        row.measured = true;
        if (h !== row.h) {
          row.h = h;
          if (changed < 0) changed = i;
        }
      }
      if (changed < 0) break;
      this.model.recompute(changed);
      for (let i = changed; i <= last; i++) this.rendered.get(this.model.rows[i].key)!.style.top = `${this.model.tops[i]}px`;
      if (anchor) top = this.model.tops[anchor.i] + anchor.offset;
    }
    const total = this.model.tops[this.model.rows.length];
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
    if (Math.abs(w - this.model.width) < 1) {
      // Only the height changed (composer grew, a file card appeared): repaint before this frame, still pinned.
      this.paintNow();
      return;
    }
    // Text rewraps at a new width: every measured height is stale.
    const anchor = this.pinned ? undefined : this.anchor();
    this.model.rewrap(w);
    this.paintNow(anchor ? this.model.tops[anchor.i] + anchor.offset : undefined);
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
      const row = this.model.get(node.dataset.key!);
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

  private onClick(e: MouseEvent): void {
    const target = e.target as Element;
    const rowEl = target.closest<HTMLElement>('.row');
    if (!rowEl) return;
    const row = this.model.get(rowEl.dataset.key ?? '');
    if (row?.kind !== 'msg') return;
    if (this.actions.click(target, row.key, row.msg)) return;
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
