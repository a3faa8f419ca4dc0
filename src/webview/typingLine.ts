import { el } from './dom';

// The host should clear typing itself; this only bounds a stale indicator if it never does.
const TYPING_STALE_MS = 8_000;

/** "Ann is typing…" under the messages: who types in the room shown, gone by itself when the host goes quiet. */
export class TypingLine {
  readonly el = el('div', 'typing');
  private names: string[] = [];
  private timer = 0;

  /** Who types now (the user's own name already left out). */
  set(names: string[]): void {
    this.names = names;
    clearTimeout(this.timer);
    if (this.names.length) {
      this.timer = window.setTimeout(() => {
        this.names = [];
        this.render();
      }, TYPING_STALE_MS);
    }
    this.render();
  }

  /** Another room is shown: nobody types there as far as we know yet (drawn on the next render). */
  forget(): void {
    this.names = [];
  }

  render(): void {
    const n = this.names;
    this.el.textContent =
      n.length === 0 ? '' : n.length === 1 ? `${n[0]} is typing…` : n.length === 2 ? `${n[0]} and ${n[1]} are typing…` : `${n.length} people are typing…`;
    this.el.classList.toggle('on', n.length > 0);
  }
}
