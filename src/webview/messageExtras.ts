import type { ChatMessage } from '../shared/panelProtocol';
import { el, iconButton } from './dom';

/**
 * The parts of a message row that replies, reactions, edits and deletes add:
 * the quote above a reply, the reactions bar, and the row's actions. Every
 * remote string goes in through textContent or an attribute, never markup.
 */

/** The emoji the quick picker offers; any other emoji or :shortcode: can still arrive from others. */
export const QUICK_REACTIONS = ['👍', '❤️', '😄', '🎉', '👀', '🚀'] as const;

/** The quote above a reply: a button that jumps to the original. */
export function renderQuote(m: ChatMessage): HTMLElement | undefined {
  if (!Number.isSafeInteger(m.replyTo)) return undefined;
  const q = m.reply;
  const b = el('button', 'msg-quote');
  b.type = 'button';
  b.dataset.seq = String(m.replyTo);
  if (!q || q.deleted || typeof q.excerpt !== 'string') {
    b.classList.add('deleted');
    b.append(el('span', 'quote-text', 'message deleted'));
  } else {
    const who = el('bdi', 'quote-sender', String(q.sender));
    const text = el('span', 'quote-text', q.excerpt.replace(/\s+/g, ' '));
    text.dir = 'auto';
    b.append(who, text);
  }
  // The visible text is the accessible name (axe: label-content-name-mismatch); the title says what a click does.
  b.title = 'Show the original message';
  return b;
}

/** The reactions under a message: one toggle per emoji, pressed when one of them is yours. */
export function renderReactions(m: ChatMessage, me: string | null): HTMLElement | undefined {
  if (!Array.isArray(m.reactions) || m.reactions.length === 0 || m.deleted) return undefined;
  const bar = el('div', 'msg-reactions');
  bar.setAttribute('role', 'group');
  bar.setAttribute('aria-label', 'Reactions');
  for (const r of m.reactions) {
    if (!r || typeof r.emoji !== 'string') continue;
    const people = Array.isArray(r.people) ? r.people.map(String) : [];
    const count = Number.isSafeInteger(r.count) ? r.count : people.length;
    const mine = me !== null && people.includes(me);
    const b = el('button', 'reaction');
    b.type = 'button';
    b.dataset.emoji = r.emoji;
    b.setAttribute('aria-pressed', String(mine));
    const others = count - people.length;
    const who = people.join(', ') + (others > 0 ? ` and ${others} more` : '');
    b.title = `${who} reacted with ${r.emoji}`;
    b.setAttribute('aria-label', `${r.emoji} ${count}: ${b.title}. ${mine ? 'Click to take yours back' : 'Click to add yours'}`);
    b.append(el('span', 'reaction-emoji', r.emoji), el('span', 'reaction-count', String(count)));
    bar.append(b);
  }
  return bar;
}

/** The row's actions, shown on hover and focus: reply, react, copy link, and for your own message edit and delete. */
export function renderActions(m: ChatMessage, own: boolean): HTMLElement {
  const bar = el('div', 'msg-actions');
  bar.setAttribute('role', 'toolbar');
  bar.setAttribute('aria-label', 'Message actions');
  if (m.deleted) {
    bar.append(action('link', 'Copy Link to Message', 'act-link'));
    return bar;
  }
  bar.append(action('reply', 'Reply', 'act-reply'), action('smile', 'Add reaction', 'act-react'));
  if (own) bar.append(action('edit', 'Edit message', 'act-edit'), action('trash', 'Delete message', 'act-delete'));
  bar.append(action('link', 'Copy Link to Message', 'act-link'));
  return bar;
}

/** The quick reaction picker under a row. */
export function renderPicker(): HTMLElement {
  const picker = el('div', 'reaction-picker');
  picker.setAttribute('role', 'group');
  picker.setAttribute('aria-label', 'Pick a reaction');
  for (const emoji of QUICK_REACTIONS) {
    const b = el('button', 'pick-emoji', emoji);
    b.type = 'button';
    b.dataset.emoji = emoji;
    b.setAttribute('aria-label', `React with ${emoji}`);
    picker.append(b);
  }
  return picker;
}

function action(name: Parameters<typeof iconButton>[0], label: string, cls: string): HTMLButtonElement {
  return iconButton(name, label, `icon-btn ${cls}`);
}
