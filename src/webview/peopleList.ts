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
 * the whole list (aria-setsize, aria-posinset) for screen readers.
 */
export class PeopleList {
  readonly el: HTMLUListElement;
  private names: string[] = [];
  private me: string | null = null;
  private connected = false;
  private first = -1;
  private last = -1;
  private readonly collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

  constructor(labelledBy: string) {
    this.el = el('ul', 'people');
    this.el.setAttribute('aria-labelledby', labelledBy);
    this.el.addEventListener('scroll', () => this.draw(false), { passive: true });
  }

  /** Show these people, you first, then by name. Returns how many are listed. */
  set(users: readonly string[], me: string | null, connected: boolean): number {
    const unique = new Set(users.filter((u) => typeof u === 'string'));
    const hasMe = me !== null && unique.delete(me);
    const others = [...unique].sort(this.collator.compare);
    this.names = hasMe ? [me, ...others] : others;
    this.me = me;
    this.connected = connected;
    this.draw(true);
    return this.names.length;
  }

  /** Rows drawn now: the first index and one past the last. */
  get drawn(): [number, number] {
    return [this.first, this.last];
  }

  private draw(force: boolean): void {
    const n = this.names.length;
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
    for (let i = first; i < last; i++) rows.push(this.row(this.names[i], i, n));
    this.el.replaceChildren(...rows);
  }

  private row(name: string, index: number, size: number): HTMLLIElement {
    const li = el('li', 'person');
    li.setAttribute('aria-setsize', String(size));
    li.setAttribute('aria-posinset', String(index + 1));
    const dot = el('span', 'presence');
    dot.setAttribute('aria-hidden', 'true');
    const label = el('bdi', 'person-name', name);
    if (name === this.me) {
      li.classList.add('me');
      li.append(dot, label, el('span', 'person-you', '(you)'));
      li.setAttribute('aria-label', `${name} (you), online`);
    } else {
      const b = el('button', 'person-btn');
      b.type = 'button';
      b.dataset.person = name;
      b.setAttribute('aria-label', `${name}, online. Send a direct message`);
      b.title = `Message ${name}`;
      b.append(dot, label);
      li.append(b);
    }
    return li;
  }
}
