import { el } from './dom';
import { namesStartingWith } from '../engine/client/mentionCompletion';

/** Names the picker lists at most. */
const MAX_SHOWN = 8;
/** A large room's server is asked once typing pauses this long, not on every key. */
export const ASK_AFTER_MS = 200;

/** Where the picker's names come from. */
export interface MentionSource {
  /** The room's members this panel knows (without the user). */
  members(): readonly string[];
  /** True when the room has more members than `members` names (a large room): the server is asked too. */
  partial(): boolean;
  /** Ask the server for members starting with `prefix`; the answer comes back through `answer` with the same id. */
  find(id: number, prefix: string): void;
  /** Say something to screen reader users (the server could not be asked). */
  announce(text: string): void;
}

/**
 * @-completion in the composer: typing `@` and the start of a name lists the
 * room's members that begin with it (case-insensitive); ArrowUp/ArrowDown
 * move, Enter or Tab takes one, Escape closes. The list is an ARIA listbox
 * tied to the textarea (aria-activedescendant), so screen readers follow it.
 * Members come from the host (the room's joined list, kept up to date by
 * presence). A large room's list names only some members, so there the
 * server is asked too, once typing pauses, and only the answer to the latest
 * question counts: an answer to an older prefix is dropped, and an error
 * leaves the names already shown (typing never waits for the server).
 */
export class MentionPicker {
  readonly el: HTMLUListElement;
  private matches: string[] = [];
  private selected = 0;
  /** Where the `@` of the word being completed is. */
  private start = -1;
  /** The prefix being completed, and the id of the latest question to the server. */
  private prefix = '';
  private asked = 0;
  private askTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly textarea: HTMLTextAreaElement,
    private readonly source: MentionSource,
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
    this.prefix = m[2];
    this.show(namesStartingWith(this.source.members(), this.prefix, MAX_SHOWN));
    if (this.source.partial()) {
      clearTimeout(this.askTimer);
      const prefix = this.prefix;
      this.askTimer = setTimeout(() => this.source.find(++this.asked, prefix), ASK_AFTER_MS);
    }
  }

  /** The server's answer to `find`: added to the names known here, unless the user has typed on since. */
  answer(id: number, prefix: string, names: readonly string[], error?: string): void {
    if (id !== this.asked || prefix !== this.prefix || this.start < 0) return;
    if (error !== undefined) this.source.announce(`Could not ask the server for more names: ${error}`);
    const keep = this.matches[this.selected];
    this.show(namesStartingWith([...this.matches, ...names], prefix, MAX_SHOWN), keep);
  }

  /** Show these names (the one named `keep` stays selected), or close when there are none. */
  private show(names: string[], keep?: string): void {
    if (names.length === 0) {
      this.matches = [];
      this.el.hidden = true;
      this.textarea.removeAttribute('aria-activedescendant');
      return;
    }
    this.matches = names;
    this.selected = Math.max(0, keep === undefined ? 0 : names.indexOf(keep));
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
    clearTimeout(this.askTimer);
    // A question still on its way is answered into nothing.
    this.asked++;
    this.start = -1;
    this.prefix = '';
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
