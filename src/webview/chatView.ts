import type { DOMPurify } from 'dompurify';
import type {
  ChatMessage,
  FileOfferView,
  HostToPanel,
  InitMsg,
  PanelConnState,
  PanelToHost,
  RoomView,
  SearchResultsMsg,
  ViewItem,
} from '../shared/panelProtocol';
import { assertNever } from '../shared/assertNever';
import { dayKey, formatDay, formatFullTime, formatTime } from './formatTime';
import { icon, type IconName } from './icons';
import { MessageList } from './messageList';
import { renderMarkdown } from './renderMarkdown';
import { isSafeHref } from './sanitizeHtml';
import type { PanelState, VsCodeApi } from './vscodeApi';

const HOST_TYPES = new Set<string>(['init', 'items', 'room', 'rooms', 'users', 'typing', 'status', 'searchResults', 'file', 'focus', 'showSearch']);
const TYPING_INTERVAL_MS = 2_000;
// The host should clear typing itself; this only bounds a stale indicator if it never does.
const TYPING_STALE_MS = 8_000;
// The server's MAX_TEXT_CHARS; longer text would be refused after the user pressed Enter.
const MAX_TEXT_CHARS = 16_000;
// Rooms whose loaded pages are kept in memory for switching back.
const MAX_CACHED_ROOMS = 20;

/** Input from the host is data until this accepts its shape. */
function isHostMessage(v: unknown): v is HostToPanel {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string' && HOST_TYPES.has((v as { type: string }).type);
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function iconButton(name: IconName, label: string, cls = 'icon-btn'): HTMLButtonElement {
  const b = el('button', cls);
  b.type = 'button';
  b.setAttribute('aria-label', label);
  b.title = label;
  b.append(icon(name));
  return b;
}

function formatSize(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function roomTitle(key: string, rooms: RoomView[]): string {
  const r = rooms.find((x) => x.key === key);
  if (r) return r.kind === 'dm' ? `@${r.label}` : r.label.startsWith('#') ? r.label : `#${r.label}`;
  return key.startsWith('@') ? key : `#${key}`;
}

/**
 * The chat panel's page: room list, conversation, people, composer, search and
 * file offers. It renders what the host sends and posts the user's intents;
 * it owns no conversation state beyond scroll positions and drafts.
 */
export class ChatView {
  private me: string | null = null;
  private address: string | null = null;
  private conn: PanelConnState = 'disconnected';
  private rooms: RoomView[] = [];
  private active = '';
  private users: string[] = [];
  private typingNames: string[] = [];
  private typingTimer = 0;
  private files = new Map<string, FileOfferView>();
  private lastTypingSent = 0;
  private state: PanelState;
  private saveTimer = 0;
  /** Loaded items per room, so switching back keeps older pages already fetched. */
  private cache = new Map<string, { items: ViewItem[]; more: boolean }>();

  private readonly list: MessageList;
  private readonly roomList: HTMLUListElement;
  private readonly dmList: HTMLUListElement;
  private readonly people: HTMLUListElement;
  private readonly peopleCount: HTMLSpanElement;
  private readonly title: HTMLHeadingElement;
  private readonly connLabel: HTMLSpanElement;
  private readonly connectBtn: HTMLButtonElement;
  private readonly searchForm: HTMLFormElement;
  private readonly searchInput: HTMLInputElement;
  private readonly searchResults: HTMLElement;
  private readonly filesBox: HTMLElement;
  private readonly typing: HTMLElement;
  private readonly composer: HTMLTextAreaElement;
  private readonly announcer: HTMLElement;
  private readonly app: HTMLElement;
  private readonly sideToggle: HTMLButtonElement;

  constructor(
    root: HTMLElement,
    private readonly vscode: VsCodeApi,
    private readonly purify: DOMPurify,
  ) {
    this.state = vscode.getState() ?? {};
    this.state.scroll ??= {};
    this.state.drafts ??= {};

    this.app = el('div', 'app');
    // ---- sidebar
    const side = el('aside', 'side');
    side.id = 'side';
    side.setAttribute('aria-label', 'Rooms and people');
    const roomsHead = this.sideHead('Rooms', iconButton('plus', 'Join a room'), 'joinRoom');
    this.roomList = el('ul', 'rooms');
    this.roomList.setAttribute('role', 'listbox');
    this.roomList.setAttribute('aria-label', 'Rooms');
    const dmHead = this.sideHead('Direct messages', iconButton('plus', 'Start a direct message'), 'directMessage');
    this.dmList = el('ul', 'rooms');
    this.dmList.setAttribute('role', 'listbox');
    this.dmList.setAttribute('aria-label', 'Direct messages');
    const peopleHead = el('div', 'side-head');
    const peopleTitle = el('h2', undefined, 'People');
    peopleTitle.id = 'people-title';
    this.peopleCount = el('span', 'count');
    peopleHead.append(peopleTitle, this.peopleCount);
    this.people = el('ul', 'people');
    this.people.setAttribute('aria-labelledby', 'people-title');
    side.append(roomsHead, this.roomList, dmHead, this.dmList, peopleHead, this.people);
    side.addEventListener('keydown', (e) => this.onRoomKey(e));
    side.addEventListener('click', (e) => this.onRoomClick(e));

    // ---- header
    const main = el('main', 'main');
    const header = el('header', 'top');
    this.sideToggle = iconButton('menu', 'Show rooms and people', 'icon-btn side-toggle');
    this.sideToggle.setAttribute('aria-controls', 'side');
    this.sideToggle.setAttribute('aria-expanded', 'false');
    this.sideToggle.addEventListener('click', () => this.toggleSide());
    this.title = el('h1', 'room-title');
    this.connLabel = el('span', 'conn');
    this.connLabel.setAttribute('role', 'status');
    this.connectBtn = el('button', 'btn primary connect', 'Connect');
    this.connectBtn.type = 'button';
    this.connectBtn.addEventListener('click', () => this.post({ type: 'command', command: 'connect' }));
    const searchBtn = iconButton('search', 'Search history');
    searchBtn.addEventListener('click', () => this.openSearch(''));
    const fileBtn = iconButton('file', 'Send a file');
    fileBtn.addEventListener('click', () => this.post({ type: 'command', command: 'sendFile' }));
    const nameBtn = iconButton('person', 'Set display name');
    nameBtn.addEventListener('click', () => this.post({ type: 'command', command: 'setName' }));
    const tools = el('div', 'tools');
    tools.append(this.connectBtn, searchBtn, fileBtn, nameBtn);
    header.append(this.sideToggle, this.title, this.connLabel, tools);

    // ---- search
    this.searchForm = el('form', 'search');
    this.searchForm.setAttribute('role', 'search');
    this.searchForm.hidden = true;
    this.searchInput = el('input');
    this.searchInput.type = 'search';
    this.searchInput.id = 'search';
    this.searchInput.placeholder = 'Search history';
    this.searchInput.setAttribute('aria-label', 'Search message history');
    const searchGo = el('button', 'btn', 'Search');
    searchGo.type = 'submit';
    const searchClose = iconButton('close', 'Close search');
    searchClose.addEventListener('click', () => this.closeSearch());
    this.searchForm.append(this.searchInput, searchGo, searchClose);
    this.searchForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const q = this.searchInput.value.trim();
      if (q) {
        this.searchResults.hidden = false;
        this.searchResults.replaceChildren(el('p', 'search-note', 'Searching…'));
        this.post({ type: 'search', query: q });
      }
    });
    this.searchInput.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.closeSearch();
    });
    this.searchResults = el('section', 'search-results');
    this.searchResults.setAttribute('aria-label', 'Search results');
    this.searchResults.hidden = true;

    // ---- messages
    const msgWrap = el('div', 'msg-wrap');
    const messages = el('div', 'messages');
    messages.id = 'messages';
    messages.tabIndex = 0;
    messages.setAttribute('role', 'region');
    messages.setAttribute('aria-label', 'Messages');
    const jump = el('button', 'jump');
    jump.type = 'button';
    jump.hidden = true;
    jump.append(icon('down'), el('span'));
    msgWrap.append(messages, jump);
    this.list = new MessageList(messages, jump, {
      purify,
      me: () => this.me,
      copy: (text) => this.post({ type: 'copy', text }),
      loadOlder: (before) => this.post({ type: 'loadOlder', room: this.active, before }),
      scrolled: () => this.saveSoon(),
    });

    // ---- files, typing, composer
    this.filesBox = el('section', 'files');
    this.filesBox.setAttribute('aria-label', 'Files offered in this conversation');
    this.filesBox.addEventListener('click', (e) => {
      const b = (e.target as Element).closest<HTMLButtonElement>('button[data-file]');
      if (b) this.post({ type: 'saveFile', fileId: b.dataset.file! });
    });
    this.typing = el('div', 'typing');
    const compose = el('form', 'compose');
    this.composer = el('textarea');
    this.composer.id = 'composer';
    this.composer.rows = 1;
    this.composer.maxLength = MAX_TEXT_CHARS;
    this.composer.setAttribute('aria-label', 'Message');
    this.composer.setAttribute('aria-describedby', 'compose-hint');
    const hint = el('span', 'sr-only', 'Enter sends, Shift+Enter starts a new line.');
    hint.id = 'compose-hint';
    const send = iconButton('send', 'Send message', 'icon-btn send');
    send.type = 'submit';
    compose.append(this.composer, send, hint);
    compose.addEventListener('submit', (e) => {
      e.preventDefault();
      this.send();
    });
    this.composer.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        this.send();
      }
    });
    this.composer.addEventListener('input', () => this.onInput());

    this.announcer = el('div', 'sr-only');
    this.announcer.setAttribute('aria-live', 'polite');
    this.announcer.setAttribute('aria-atomic', 'true');

    // The drawer (narrow panels) closes on a click beside it or on Escape, like any overlay.
    main.addEventListener('click', (e) => {
      if (this.app.classList.contains('side-open') && !(e.target as Element).closest('.side-toggle')) this.toggleSide(false);
    });
    this.app.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.app.classList.contains('side-open')) {
        this.toggleSide(false);
        this.sideToggle.focus();
      }
    });
    main.append(header, this.searchForm, this.searchResults, msgWrap, this.filesBox, this.typing, compose);
    this.app.append(side, main, this.announcer);
    root.replaceChildren(this.app);

    // Links never navigate the webview: the host checks them and asks before opening.
    document.addEventListener('click', (e) => this.onLinkClick(e), true);
    document.addEventListener('auxclick', (e) => this.onLinkClick(e), true);
    window.addEventListener('message', (e: MessageEvent<unknown>) => {
      if (isHostMessage(e.data)) this.handle(e.data);
    });
    this.renderStatus();
  }

  /** Tells the host we are ready for the `init` snapshot. */
  start(): void {
    this.post({ type: 'ready' });
  }

  /** Applies one message from the host. */
  handle(msg: HostToPanel): void {
    switch (msg.type) {
      case 'init':
        this.onInit(msg);
        return;
      case 'items':
        if (!Array.isArray(msg.items)) return;
        if (msg.room !== this.active) {
          this.cacheAppend(msg.room, msg.items, msg.position);
          return;
        }
        if (msg.position === 'prepend') this.list.prepend(msg.items, !!msg.more);
        else this.announce(this.list.append(msg.items));
        this.cache.delete(this.active);
        // The scroll mark changes with content too (pinned to the newest, say), not only on scroll events.
        this.saveSoon();
        return;
      case 'room':
        this.switchTo(String(msg.active), Array.isArray(msg.items) ? msg.items : [], !!msg.more);
        this.setTyping(msg.typing);
        return;
      case 'rooms':
        // The active room only changes with a `room` message, which brings its items.
        this.rooms = Array.isArray(msg.rooms) ? msg.rooms : [];
        this.renderRooms();
        return;
      case 'users':
        this.users = Array.isArray(msg.users) ? msg.users : [];
        this.renderPeople();
        return;
      case 'typing':
        if (msg.room === this.active) this.setTyping(msg.names);
        return;
      case 'status':
        this.setStatus(msg.state, msg.me, msg.address);
        return;
      case 'searchResults':
        this.renderSearch(msg);
        return;
      case 'file':
        if (msg.file && typeof msg.file.fileId === 'string') this.files.set(msg.file.fileId, msg.file);
        this.renderFiles();
        return;
      case 'focus':
        this.composer.focus();
        return;
      case 'showSearch':
        this.openSearch(String(msg.query ?? ''));
        if (this.searchInput.value.trim()) this.searchForm.requestSubmit();
        return;
      default:
        return assertNever(msg);
    }
  }

  // ------------------------------------------------------------------ host messages

  private onInit(msg: InitMsg): void {
    this.rooms = Array.isArray(msg.rooms) ? msg.rooms : [];
    this.users = Array.isArray(msg.users) ? msg.users : [];
    this.files = new Map((Array.isArray(msg.files) ? msg.files : []).map((f) => [f.fileId, f]));
    this.cache.clear();
    // setItems below draws every row anew, so no refresh for the name here.
    this.me = typeof msg.me === 'string' ? msg.me : null;
    this.setStatus(msg.state, msg.me, msg.address);
    this.active = '';
    this.switchTo(msg.active, Array.isArray(msg.items) ? msg.items : [], !!msg.more);
    this.setTyping(msg.typing);
    this.renderPeople();
  }

  private switchTo(room: string, items: ViewItem[], more: boolean): void {
    if (this.active && this.active !== room) {
      this.state.scroll![this.active] = this.list.mark();
      this.state.drafts![this.active] = this.composer.value;
      this.cacheRoom(this.active, { items: this.list.allItems(), more: this.list.hasMore() });
    }
    const same = this.active === room;
    this.active = room;
    // Keep older pages already fetched when the host's fresh page continues them.
    const cached = this.cache.get(room);
    let all = items;
    let hasMore = more;
    if (cached && items.length) {
      const first = items[0];
      const cut = first.type === 'message' ? cached.items.findIndex((x) => x.type === 'message' && x.seq === first.seq) : -1;
      if (cut > 0) {
        all = [...cached.items.slice(0, cut), ...items];
        hasMore = cached.more;
      }
    }
    const mark = same ? this.list.mark() : this.state.scroll![room];
    this.list.setItems(room, all, hasMore, mark);
    if (!same) {
      this.composer.value = this.state.drafts![room] ?? '';
      this.autosize();
      this.typingNames = [];
    }
    this.renderRooms();
    this.renderFiles();
    this.renderTyping();
    this.save();
  }

  private cacheRoom(room: string, entry: { items: ViewItem[]; more: boolean }): void {
    this.cache.delete(room);
    this.cache.set(room, entry);
    // Map iteration is insertion order: the first key is the least recently used.
    if (this.cache.size > MAX_CACHED_ROOMS) this.cache.delete(this.cache.keys().next().value!);
  }

  private cacheAppend(room: string, items: ViewItem[], position: 'append' | 'prepend'): void {
    const c = this.cache.get(room);
    if (!c || position !== 'append') return;
    c.items.push(...items);
  }

  private setStatus(state: PanelConnState, me: string | null, address: string | null): void {
    const meChanged = me !== this.me;
    this.conn = state;
    this.me = typeof me === 'string' ? me : null;
    this.address = typeof address === 'string' ? address : null;
    this.renderStatus();
    if (meChanged) {
      this.list.refresh();
      this.renderPeople();
    }
  }

  private setTyping(names: string[] | undefined): void {
    this.typingNames = (Array.isArray(names) ? names : []).filter((n) => n !== this.me);
    clearTimeout(this.typingTimer);
    if (this.typingNames.length) {
      this.typingTimer = window.setTimeout(() => {
        this.typingNames = [];
        this.renderTyping();
      }, TYPING_STALE_MS);
    }
    this.renderTyping();
  }

  private announce(added: ChatMessage[]): void {
    const others = added.filter((m) => m.sender !== this.me);
    if (!others.length) return;
    const last = others[others.length - 1];
    const text = String(last.text).slice(0, 200) + (last.snippet ? ' (code snippet)' : '');
    this.announcer.textContent = others.length === 1 ? `${last.sender}: ${text}` : `${others.length} new messages. Last from ${last.sender}: ${text}`;
  }

  // ------------------------------------------------------------------ rendering

  private sideHead(title: string, btn: HTMLButtonElement, command: 'joinRoom' | 'directMessage'): HTMLElement {
    const head = el('div', 'side-head');
    head.append(el('h2', undefined, title), btn);
    btn.addEventListener('click', () => this.post({ type: 'command', command }));
    return head;
  }

  private renderStatus(): void {
    const labels: Record<PanelConnState, string> = {
      connected: this.me ? `${this.me}${this.address ? ` @ ${this.address}` : ''}` : 'connected',
      connecting: 'connecting…',
      reconnecting: 'reconnecting…',
      disconnected: 'disconnected',
    };
    this.connLabel.textContent = labels[this.conn] ?? this.conn;
    this.connLabel.dataset.state = this.conn;
    this.connLabel.title = this.conn === 'connected' ? `Connected as ${this.me ?? '?'}${this.address ? ` to ${this.address}` : ''}` : `Connection: ${this.conn}`;
    this.connectBtn.hidden = this.conn !== 'disconnected';
    this.app.dataset.state = this.conn;
    this.composer.placeholder = this.conn === 'disconnected' ? 'Disconnected — connect to send' : `Message ${roomTitle(this.active, this.rooms)}`;
  }

  private renderRooms(): void {
    const title = roomTitle(this.active, this.rooms);
    this.title.textContent = title;
    this.title.title = title;
    this.list.el.setAttribute('aria-label', `Messages in ${title}`);
    this.composer.setAttribute('aria-label', `Message ${title}`);
    this.renderStatus();
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.room : undefined;
    const build = (list: HTMLUListElement, kind: RoomView['kind']) => {
      const items = this.rooms.filter((r) => r.kind === kind);
      list.replaceChildren(
        ...items.map((r) => {
          const li = el('li', 'room');
          li.setAttribute('role', 'option');
          li.dataset.room = r.key;
          const selected = r.key === this.active;
          li.setAttribute('aria-selected', String(selected));
          li.tabIndex = -1;
          const unread = Number.isFinite(r.unread) && r.unread > 0 && !selected ? r.unread : 0;
          const sigil = el('span', 'room-sigil', kind === 'dm' ? '@' : '#');
          sigil.setAttribute('aria-hidden', 'true');
          const label = el('bdi', 'room-label', kind === 'room' ? r.label.replace(/^#/, '') : r.label);
          li.append(sigil, label);
          if (unread) {
            const badge = el('span', 'badge', unread > 99 ? '99+' : String(unread));
            li.append(badge);
            li.classList.add('unread');
          }
          li.setAttribute('aria-label', `${kind === 'dm' ? 'Direct messages with' : 'Room'} ${r.label}${unread ? `, ${unread} unread` : ''}`);
          return li;
        }),
      );
      if (!items.length) {
        const empty = el('li', 'room-empty', kind === 'dm' ? 'No conversations yet' : 'No rooms');
        empty.setAttribute('role', 'presentation');
        list.append(empty);
      }
    };
    build(this.roomList, 'room');
    build(this.dmList, 'dm');
    // Roving tabindex: one stop for the whole list, on the active room (or the first).
    const opts = this.options();
    const stop = opts.find((o) => o.dataset.room === (focused ?? this.active)) ?? opts.find((o) => o.getAttribute('aria-selected') === 'true') ?? opts[0];
    if (stop) stop.tabIndex = 0;
    if (focused && stop?.dataset.room === focused) stop.focus();
  }

  private options(): HTMLElement[] {
    return Array.from(this.app.querySelectorAll<HTMLElement>('.side [role="option"]'));
  }

  private onRoomKey(e: KeyboardEvent): void {
    const cur = (e.target as Element).closest<HTMLElement>('[role="option"]');
    if (!cur) return;
    const opts = this.options();
    const i = opts.indexOf(cur);
    let next: HTMLElement | undefined;
    switch (e.key) {
      case 'ArrowDown':
        next = opts[Math.min(opts.length - 1, i + 1)];
        break;
      case 'ArrowUp':
        next = opts[Math.max(0, i - 1)];
        break;
      case 'Home':
        next = opts[0];
        break;
      case 'End':
        next = opts[opts.length - 1];
        break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.pickRoom(cur.dataset.room!);
        return;
      default:
        return;
    }
    e.preventDefault();
    if (next) {
      for (const o of opts) o.tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
    }
  }

  private onRoomClick(e: MouseEvent): void {
    const opt = (e.target as Element).closest<HTMLElement>('[role="option"]');
    if (opt?.dataset.room) {
      this.pickRoom(opt.dataset.room);
      return;
    }
    const person = (e.target as Element).closest<HTMLElement>('button[data-person]');
    if (person) this.post({ type: 'openDm', name: person.dataset.person! });
  }

  private pickRoom(room: string): void {
    if (room !== this.active) this.post({ type: 'switchRoom', room });
    if (this.app.classList.contains('side-open')) this.toggleSide(false);
    this.composer.focus();
  }

  private toggleSide(open = !this.app.classList.contains('side-open')): void {
    this.app.classList.toggle('side-open', open);
    this.sideToggle.setAttribute('aria-expanded', String(open));
    this.sideToggle.setAttribute('aria-label', open ? 'Hide rooms and people' : 'Show rooms and people');
    if (open) (this.options().find((o) => o.tabIndex === 0) ?? this.options()[0])?.focus();
  }

  private renderPeople(): void {
    const names = [...new Set(this.users.filter((u) => typeof u === 'string'))].sort((a, b) => (a === this.me ? -1 : b === this.me ? 1 : a.localeCompare(b)));
    this.peopleCount.textContent = String(names.length);
    this.peopleCount.setAttribute('aria-label', `${names.length} online`);
    this.people.replaceChildren(
      ...names.map((name) => {
        const li = el('li', 'person');
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
      }),
    );
    if (!names.length) this.people.append(el('li', 'room-empty', this.conn === 'connected' ? 'Nobody else here' : 'Not connected'));
  }

  private renderTyping(): void {
    const n = this.typingNames;
    this.typing.textContent =
      n.length === 0 ? '' : n.length === 1 ? `${n[0]} is typing…` : n.length === 2 ? `${n[0]} and ${n[1]} are typing…` : `${n.length} people are typing…`;
    this.typing.classList.toggle('on', n.length > 0);
  }

  private renderFiles(): void {
    const mine = [...this.files.values()].filter((f) => f.room === this.active);
    this.filesBox.hidden = mine.length === 0;
    this.filesBox.replaceChildren(
      ...mine.map((f) => {
        const card = el('div', `file ${f.status}`);
        const ic = icon('file');
        const info = el('div', 'file-info');
        const name = el('bdi', 'file-name', String(f.name));
        const meta = el('span', 'file-meta', `${formatSize(f.size)} · from ${f.sender} · ${formatTime(f.ts)}`);
        info.append(name, meta);
        card.append(ic, info);
        if (f.status === 'ready') {
          const b = el('button', 'btn primary');
          b.type = 'button';
          b.dataset.file = f.fileId;
          b.setAttribute('aria-label', `Save ${f.name}`);
          b.append(icon('save'), document.createTextNode('Save…'));
          card.append(b);
        } else {
          const s = el('span', 'file-status', f.status === 'receiving' ? 'receiving…' : f.status === 'saved' ? 'saved' : `failed${f.detail ? `: ${f.detail}` : ''}`);
          card.append(s);
        }
        return card;
      }),
    );
  }

  private openSearch(query: string): void {
    this.searchForm.hidden = false;
    if (query) this.searchInput.value = query;
    this.searchInput.focus();
    this.searchInput.select();
  }

  private closeSearch(): void {
    this.searchForm.hidden = true;
    this.searchResults.hidden = true;
    this.searchResults.replaceChildren();
    this.composer.focus();
  }

  private renderSearch(msg: SearchResultsMsg): void {
    this.searchForm.hidden = false;
    this.searchResults.hidden = false;
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
      (when as HTMLTimeElement).dateTime = m.ts;
      meta.append(who, where, when);
      const body = el('div', 'msg-body');
      body.dir = 'auto';
      body.innerHTML = renderMarkdown(String(m.text), this.purify);
      li.append(meta, body);
      list.append(li);
    }
    this.searchResults.replaceChildren(head, list);
  }

  // ------------------------------------------------------------------ user input

  private send(): void {
    const text = this.composer.value;
    if (!text.trim() || !this.active) return;
    if (this.conn === 'disconnected') {
      this.announcer.textContent = 'Not connected. Use the Connect button first.';
      this.connectBtn.focus();
      return;
    }
    this.post({ type: 'send', room: this.active, text });
    this.composer.value = '';
    this.lastTypingSent = 0;
    this.autosize();
    this.state.drafts![this.active] = '';
    this.list.scrollToBottom();
    this.save();
  }

  private onInput(): void {
    this.autosize();
    this.state.drafts![this.active] = this.composer.value;
    this.saveSoon();
    const now = Date.now();
    if (this.composer.value && this.conn === 'connected' && now - this.lastTypingSent >= TYPING_INTERVAL_MS) {
      this.lastTypingSent = now;
      this.post({ type: 'typing', room: this.active });
    }
  }

  private autosize(): void {
    const c = this.composer;
    c.style.height = 'auto';
    c.style.height = `${Math.min(c.scrollHeight, 200)}px`;
  }

  private onLinkClick(e: MouseEvent): void {
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a) return;
    e.preventDefault();
    e.stopPropagation();
    if (e.type === 'auxclick' && e.button !== 1) return;
    const href = a.getAttribute('href');
    if (href && isSafeHref(href)) this.post({ type: 'openLink', url: href });
  }

  // ------------------------------------------------------------------ plumbing

  private post(msg: PanelToHost): void {
    this.vscode.postMessage(msg);
  }

  private saveSoon(): void {
    if (!this.saveTimer) this.saveTimer = window.setTimeout(() => this.save(), 250);
  }

  private save(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = 0;
    if (this.active) this.state.scroll![this.active] = this.list.mark();
    this.state.active = this.active;
    this.vscode.setState(this.state);
  }
}
