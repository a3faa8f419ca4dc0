import type { DOMPurify } from 'dompurify';
import type { ChatMessage, SnippetStatusMsg, SystemLine } from '../shared/panelProtocol';
import { formatDay, formatFullTime, formatTime } from './formatTime';
import { renderMarkdown } from './renderMarkdown';
import { renderSnippet } from './snippetView';
import { renderActions, renderPicker, renderQuote, renderReactions } from './messageExtras';
import { fromGuest } from './personText';

export interface RowBase {
  key: string;
  /** Estimated until `measured`, then the real rendered height in px. */
  h: number;
  measured: boolean;
}
export interface TopRow extends RowBase {
  kind: 'top';
}
export interface DayRow extends RowBase {
  kind: 'day';
  day: string;
}
export interface MsgRow extends RowBase {
  kind: 'msg';
  msg: ChatMessage;
  /** Same sender shortly after the previous message: drawn without a header. */
  cont: boolean;
  html?: string;
}
export interface SysRow extends RowBase {
  kind: 'sys';
  line: SystemLine;
}
/** The "new messages" line above the first message that arrived unseen. */
export interface UnreadRow extends RowBase {
  kind: 'unread';
}
export type Row = TopRow | DayRow | MsgRow | SysRow | UnreadRow;

/** What drawing a row needs from the list around it. */
export interface RowContext {
  me(): string | null;
  purify(): DOMPurify;
  /** Whether the user expanded this row's clipped body. */
  expanded(key: string): boolean;
  snippetStatus(seq: number): SnippetStatusMsg | undefined;
  /** Fill the "start of the conversation" row (it changes while older pages load). */
  fillTop(node: HTMLElement): void;
  /** Whether this row's reaction picker is open. */
  picking(key: string): boolean;
  /** Whether this row waits for a second click on Delete. */
  confirmingDelete(key: string): boolean;
}

function senderHue(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
  return Math.abs(h) % 6;
}

/** The DOM for one row of the list. */
export function buildRow(row: Row, ctx: RowContext): HTMLElement {
  const node = document.createElement('div');
  node.dataset.key = row.key;
  switch (row.kind) {
    case 'top':
      node.className = 'row top';
      ctx.fillTop(node);
      return node;
    case 'day': {
      node.className = 'row day';
      node.setAttribute('role', 'separator');
      const label = document.createElement('span');
      label.textContent = formatDay(row.day);
      node.appendChild(label);
      return node;
    }
    case 'unread': {
      node.className = 'row unread';
      node.setAttribute('role', 'separator');
      node.append(document.createElement('span'));
      node.lastElementChild!.textContent = 'new messages';
      return node;
    }
    case 'sys': {
      node.className = 'row sys';
      const text = document.createElement('span');
      text.className = 'sys-text';
      text.dir = 'auto';
      text.textContent = String(row.line.text);
      const time = timeElement(row.line.ts);
      node.append(text, time);
      return node;
    }
    case 'msg':
      return buildMsg(node, row, ctx);
  }
}

function timeElement(ts: string): HTMLTimeElement {
  const t = document.createElement('time');
  t.className = 'msg-time';
  t.dateTime = ts;
  t.textContent = formatTime(ts);
  t.title = formatFullTime(ts);
  return t;
}

function buildMsg(node: HTMLElement, row: MsgRow, ctx: RowContext): HTMLElement {
  const m = row.msg;
  const own = m.sender === ctx.me();
  node.className = `row msg${own ? ' own' : ''}${row.cont ? ' cont' : ''}${ctx.expanded(row.key) ? ' expanded' : ''}`;
  node.dataset.id = String(m.id);

  const avatar = document.createElement('div');
  avatar.className = `msg-avatar c${senderHue(m.sender)}`;
  avatar.setAttribute('aria-hidden', 'true');
  // First grapheme-ish character: enough for an initial, and a combining-mark flood stays one code point.
  avatar.textContent = (Array.from(String(m.sender))[0] ?? '?').toUpperCase();

  const main = document.createElement('div');
  main.className = 'msg-main';
  const head = document.createElement('div');
  head.className = 'msg-head';
  const sender = document.createElement('bdi');
  sender.className = 'msg-sender';
  sender.textContent = String(m.sender);
  // Its hover text is filled in when hovered, from the people online then (see ChatView).
  if (typeof m.author === 'string') sender.dataset.author = m.author;
  head.append(sender);
  // A guest proved no key: the same name may be someone else tomorrow.
  if (fromGuest(m)) {
    const guest = document.createElement('span');
    guest.className = 'msg-guest';
    guest.textContent = 'guest';
    guest.title = `${String(m.sender)} proved no identity key: anyone may use this name once they leave`;
    head.append(guest);
  }
  if (own) {
    const you = document.createElement('span');
    you.className = 'msg-you';
    you.textContent = 'you';
    head.append(you);
  }
  head.append(timeElement(m.ts));
  main.append(head);
  const quote = renderQuote(m);
  if (quote) main.append(quote);

  // Always present (empty for a bare snippet): the UI tests find every message's body by class.
  const body = document.createElement('div');
  body.dir = 'auto';
  if (m.deleted) {
    body.className = 'msg-body deleted';
    body.textContent = 'message deleted';
    node.classList.add('deleted');
  } else {
    body.className = m.text ? 'msg-body' : 'msg-body empty';
    if (m.text) {
      row.html ??= renderMarkdown(String(m.text), ctx.purify());
      body.innerHTML = row.html;
    }
  }
  main.append(body);
  // Below the text, not in the header: a continuation row hides its header.
  if (m.edited && !m.deleted) {
    const edited = document.createElement('div');
    edited.className = 'msg-edited';
    edited.textContent = '(edited)';
    edited.title = `Edited ${formatFullTime(String(m.edited))}`;
    main.append(edited);
  }
  if (!m.deleted && m.snippet && typeof m.snippet.code === 'string') main.append(renderSnippet(m, ctx.purify(), ctx.snippetStatus(m.seq)));
  const reactions = renderReactions(m, ctx.me());
  if (reactions) main.append(reactions);
  if (ctx.picking(row.key)) main.append(renderPicker());
  const actions = renderActions(m, own);
  if (ctx.confirmingDelete(row.key)) {
    const del = actions.querySelector<HTMLButtonElement>('.act-delete');
    if (del) {
      del.classList.add('confirm');
      del.setAttribute('aria-label', 'Click again to delete this message for everyone');
      del.title = del.getAttribute('aria-label')!;
    }
  }
  node.append(avatar, main, actions);
  return node;
}
