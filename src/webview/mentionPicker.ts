import { el } from './dom';

/** Names the picker lists at most. */
const MAX_SHOWN = 8;

/**
 * @-completion in the composer: typing `@` and the start of a name lists the
 * room's members that begin with it (case-insensitive); ArrowUp/ArrowDown
 * move, Enter or Tab takes one, Escape closes. The list is an ARIA listbox
 * tied to the textarea (aria-activedescendant), so screen readers follow it.
 * Members come from the host (the room's joined list, kept up to date by
 * presence); a server-side prefix query for very large rooms waits for member
 * paging (issue 13).
 */
export class MentionPicker {
  readonly el: HTMLUListElement;
  private matches: string[] = [];
  private selected = 0;
  /** Where the `@` of the word being completed is. */
  private start = -1;

  constructor(
    private readonly textarea: HTMLTextAreaElement,
    private readonly members: () => readonly string[],
    private readonly changed: () => void,
  ) {
    this.el = el('ul', 'mentions');
    this.el.id = 'mention-list';
    this.el.setAttribute('role', 'listbox');
    this.el.setAttribute('aria-label', 'People to mention');
    this.el.hidden = true;
    this.el.addEventListener('mousedown', (e) => {
      // Keep the focus in the textarea; take the name that was clicked.
      e.preventDefault();
      const li = (e.target as Element).closest<HTMLElement>('li');
      if (li?.dataset.i) this.take(Number(li.dataset.i));
    });
  }

  get open(): boolean {
    return !this.el.hidden;
  }

  /** After each input: is the caret at the end of an `@word`? */
  update(): void {
    const t = this.textarea;
    const upTo = t.value.slice(0, t.selectionStart ?? t.value.length);
    const m = /(^|\s)@([^\s@]{0,32})$/.exec(upTo);
    if (!m) return this.close();
    this.start = upTo.length - m[2].length - 1;
    const prefix = m[2].toLowerCase();
    this.matches = [...new Set(this.members())].filter((n) => n.toLowerCase().startsWith(prefix)).sort((a, b) => a.localeCompare(b)).slice(0, MAX_SHOWN);
    if (this.matches.length === 0) return this.close();
    this.selected = 0;
    this.render();
  }

  /** Keys while the list is open; true when the picker used the key. */
  key(e: KeyboardEvent): boolean {
    if (!this.open) return false;
    switch (e.key) {
      case 'ArrowDown':
        this.selected = (this.selected + 1) % this.matches.length;
        break;
      case 'ArrowUp':
        this.selected = (this.selected + this.matches.length - 1) % this.matches.length;
        break;
      case 'Enter':
      case 'Tab':
        this.take(this.selected);
        break;
      case 'Escape':
        this.close();
        break;
      default:
        return false;
    }
    e.preventDefault();
    if (this.open) this.render();
    return true;
  }

  close(): void {
    this.el.hidden = true;
    this.matches = [];
    // No aria-expanded: a textarea may not carry it (axe: aria-allowed-attr); the active option says enough.
    this.textarea.removeAttribute('aria-activedescendant');
  }

  private take(i: number): void {
    const name = this.matches[i];
    if (name === undefined) return;
    const t = this.textarea;
    const end = t.selectionStart ?? t.value.length;
    const insert = `@${name} `;
    t.value = t.value.slice(0, this.start) + insert + t.value.slice(end);
    const caret = this.start + insert.length;
    t.setSelectionRange(caret, caret);
    this.close();
    this.changed();
  }

  private render(): void {
    this.el.replaceChildren(
      ...this.matches.map((name, i) => {
        const li = el('li', i === this.selected ? 'mention selected' : 'mention', `@${name}`);
        li.id = `mention-${i}`;
        li.dataset.i = String(i);
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', String(i === this.selected));
        return li;
      }),
    );
    this.el.hidden = false;
    this.textarea.setAttribute('aria-activedescendant', `mention-${this.selected}`);
  }
}
