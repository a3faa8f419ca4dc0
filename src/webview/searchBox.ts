import type { DOMPurify } from 'dompurify';
import type { SearchResultsMsg } from '../shared/panelProtocol';
import { el, iconButton } from './dom';
import { dayKey, formatDay, formatFullTime, formatTime } from './formatTime';
import { renderMarkdown } from './renderMarkdown';

/**
 * The history search: a form that opens above the messages, and its
 * results. Result text is remote, so it goes through the sanitizing
 * Markdown renderer like any message.
 */
export class SearchBox {
  /** The form; hidden until opened. */
  readonly form: HTMLFormElement;
  /** The results, below the form. */
  readonly results: HTMLElement;
  private readonly input: HTMLInputElement;

  constructor(
    private readonly purify: DOMPurify,
    private readonly host: { search(query: string): void; closed(): void },
  ) {
    this.form = el('form', 'search');
    this.form.setAttribute('role', 'search');
    this.form.hidden = true;
    this.input = el('input');
    this.input.type = 'search';
    this.input.id = 'search';
    this.input.placeholder = 'Search history';
    this.input.setAttribute('aria-label', 'Search message history');
    const go = el('button', 'btn', 'Search');
    go.type = 'submit';
    const close = iconButton('close', 'Close search');
    close.addEventListener('click', () => this.close());
    this.form.append(this.input, go, close);
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      const q = this.input.value.trim();
      if (!q) return;
      this.results.hidden = false;
      this.results.replaceChildren(el('p', 'search-note', 'Searching…'));
      this.host.search(q);
    });
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.close();
    });
    this.results = el('section', 'search-results');
    this.results.setAttribute('aria-label', 'Search results');
    this.results.hidden = true;
  }

  /** Show the form with `query` (if any) selected, ready to type. */
  open(query: string): void {
    this.form.hidden = false;
    if (query) this.input.value = query;
    this.input.focus();
    this.input.select();
  }

  /** Open with `query` and run it at once (Chat: Search Message History). */
  openAndRun(query: string): void {
    this.open(query);
    if (this.input.value.trim()) this.form.requestSubmit();
  }

  close(): void {
    this.form.hidden = true;
    this.results.hidden = true;
    this.results.replaceChildren();
    this.host.closed();
  }

  render(msg: SearchResultsMsg): void {
    this.form.hidden = false;
    this.results.hidden = false;
    const head = el('p', 'search-note');
    const items = Array.isArray(msg.items) ? msg.items : [];
    if (msg.error) head.textContent = `Search failed: ${msg.error}`;
    else head.textContent = items.length ? `${items.length} result${items.length === 1 ? '' : 's'} for “${msg.query}”` : `No messages match “${msg.query}”`;
    head.setAttribute('role', 'status');
    const list = el('ol', 'search-list');
    for (const m of items) {
      const li = el('li', 'search-hit');
      const meta = el('div', 'search-meta');
      const room = String(m.room);
      const where = el('span', 'search-room', room.startsWith('@') ? 'direct message' : `#${room}`);
      const who = el('bdi', 'msg-sender', String(m.sender));
      const day = formatDay(dayKey(m.ts));
      const when = el('time', 'msg-time', day === 'Today' ? formatTime(m.ts) : `${day}, ${formatTime(m.ts)}`);
      when.title = formatFullTime(m.ts);
      when.dateTime = m.ts;
      meta.append(who, where, when);
      const body = el('div', 'msg-body');
      body.dir = 'auto';
      body.innerHTML = renderMarkdown(String(m.text), this.purify);
      li.append(meta, body);
      list.append(li);
    }
    this.results.replaceChildren(head, list);
  }
}
