import type { PersonView } from '../shared/panelProtocol';
import { el } from './dom';

/** Height of one person's row in px; media/chat.css gives `.person` the same height. */
export const ROW_PX = 26;
/** Rows drawn above and below the visible ones, so a scroll shows drawn rows while the next draw comes. */
const OVERSCAN = 8;
/** Rows drawn while the list has no height yet (before layout, or hidden in a narrow panel's drawer). */
const UNLAID_ROWS = 30;

/**
 * The people list, virtualized: only the rows in view (and a few around
 * them) are in the DOM, whatever the count, and padding stands in for the
 * rest, so a room of 10,000 paints as fast as one of 30
 * (docs/performance.md, "The panel"). Each row says where it stands in
 * the whole list (aria-setsize, aria-posinset) for screen readers. The
 * sidebar draws each row (`row`); this decides which rows exist.
 */
export class PeopleList {
  readonly el: HTMLUListElement;
  private people: PersonView[] = [];
  private connected = false;
  private first = -1;
  private last = -1;
  private readonly collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

  constructor(
    labelledBy: string,
    private readonly row: (p: PersonView, isMe: boolean) => HTMLLIElement,
  ) {
    this.el = el('ul', 'people');
    this.el.setAttribute('aria-labelledby', labelledBy);
    this.el.addEventListener('scroll', () => this.draw(false), { passive: true });
  }

  /** Show these people, you first, then by name, each once. Returns how many are listed. */
  set(people: readonly PersonView[], me: string | null, connected: boolean): number {
    const byName = new Map<string, PersonView>();
    for (const p of people) if (p && typeof p.name === 'string' && !byName.has(p.name)) byName.set(p.name, p);
    const mine = me !== null ? byName.get(me) : undefined;
    if (mine) byName.delete(me!);
    const others = [...byName.values()].sort((a, b) => this.collator.compare(a.name, b.name));
    this.people = mine ? [mine, ...others] : others;
    this.me = me;
    this.connected = connected;
    this.draw(true);
    return this.people.length;
  }

  private me: string | null = null;

  /** Draw again with what is known (the rows' look changed: moderation, away). */
  redraw(): void {
    this.draw(true);
  }

  private draw(force: boolean): void {
    const n = this.people.length;
    if (n === 0) {
      this.first = this.last = 0;
      this.el.style.paddingTop = this.el.style.paddingBottom = '';
      this.el.replaceChildren(el('li', 'room-empty', this.connected ? 'Nobody else here' : 'Not connected'));
      return;
    }
    const height = this.el.clientHeight;
    const visible = height > 0 ? Math.ceil(height / ROW_PX) : UNLAID_ROWS;
    const top = Math.min(n - 1, Math.floor(this.el.scrollTop / ROW_PX));
    const first = Math.max(0, top - OVERSCAN);
    const last = Math.min(n, top + visible + OVERSCAN);
    if (!force && first === this.first && last === this.last) return;
    this.first = first;
    this.last = last;
    this.el.style.paddingTop = `${first * ROW_PX}px`;
    this.el.style.paddingBottom = `${(n - last) * ROW_PX}px`;
    const rows: HTMLLIElement[] = [];
    for (let i = first; i < last; i++) {
      const p = this.people[i];
      const li = this.row(p, p.name === this.me);
      li.setAttribute('aria-setsize', String(n));
      li.setAttribute('aria-posinset', String(i + 1));
      rows.push(li);
    }
    this.el.replaceChildren(...rows);
  }
}
