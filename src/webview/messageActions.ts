import type { ChatMessage } from '../shared/panelProtocol';
import type { MessageListHost } from './messageList';

/** What MessageActions needs from the list that shows the rows. */
export interface MessageActionsView {
  /** Scroll to a loaded message and flash it; false when it is not loaded. */
  jumpTo(seq: number): boolean;
  /** Rebuild one row's DOM (its picker or its Delete changed). */
  redraw(key: string): void;
  /** The row's DOM node, when it is rendered. */
  node(key: string): HTMLElement | undefined;
}

/**
 * Clicks on a message's quote, its reactions and its row actions (reply,
 * edit, link, react, delete), and the two bits of state they keep per row:
 * an open reaction picker, and a Delete waiting for its second click. The
 * list owns the scrolling; this owns what a click on a message asks for.
 */
export class MessageActions {
  /** Rows whose reaction picker is open, and whose Delete waits for a second click. */
  private readonly picking = new Set<string>();
  private readonly confirming = new Set<string>();

  constructor(
    private readonly host: MessageListHost,
    private readonly view: MessageActionsView,
  ) {}

  /** The reaction picker is open on this row. */
  isPicking(key: string): boolean {
    return this.picking.has(key);
  }

  /** This row's Delete waits for a second click. */
  isConfirming(key: string): boolean {
    return this.confirming.has(key);
  }

  /** Another conversation is shown: no picker open, no Delete pending. */
  clear(): void {
    this.picking.clear();
    this.confirming.clear();
  }

  /** The message was deleted: nothing left to react to or delete. */
  forget(key: string): void {
    this.picking.delete(key);
    this.confirming.delete(key);
  }

  /** Clicks on a quote, a reaction or a row action; true when handled. */
  click(target: Element, key: string, m: ChatMessage): boolean {
    const quote = target.closest<HTMLElement>('.msg-quote');
    if (quote) {
      const seq = Number(quote.dataset.seq);
      if (!this.view.jumpTo(seq)) {
        this.host.announce('Loading the original message…');
        this.host.showMessage(seq);
      }
      return true;
    }
    const emoji = target.closest<HTMLElement>('.reaction, .pick-emoji');
    if (emoji?.dataset.emoji) {
      const mine = emoji.classList.contains('reaction') ? emoji.getAttribute('aria-pressed') === 'true' : m.reactions?.some((r) => r.emoji === emoji.dataset.emoji && r.people.includes(this.host.me() ?? '')) === true;
      this.host.react(m.seq, emoji.dataset.emoji, !mine);
      if (this.picking.delete(key)) this.view.redraw(key);
      return true;
    }
    const act = target.closest<HTMLElement>('.msg-actions button');
    if (!act) return false;
    if (act.classList.contains('act-reply')) this.host.reply(m);
    else if (act.classList.contains('act-edit')) this.host.edit(m);
    else if (act.classList.contains('act-link')) this.host.copyLink(m.seq);
    else if (act.classList.contains('act-react')) {
      if (!this.picking.delete(key)) this.picking.add(key);
      this.view.redraw(key);
      this.view.node(key)?.querySelector<HTMLButtonElement>('.pick-emoji')?.focus();
    } else if (act.classList.contains('act-delete')) {
      // A second click confirms: a delete cannot be undone.
      if (this.confirming.delete(key)) this.host.remove(m.seq);
      else {
        this.confirming.add(key);
        this.host.announce('Click Delete again to delete this message for everyone.');
      }
      this.view.redraw(key);
      this.view.node(key)?.querySelector<HTMLButtonElement>('.act-delete')?.focus();
    }
    return true;
  }
}
