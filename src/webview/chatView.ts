import type { DOMPurify } from 'dompurify';
import type { ChatMessage, HostToPanel, InitMsg, PanelConnState, PanelToHost, PersonView, RoomSettingsMsg, RoomView, SnippetStatusMsg, StatusMsg, ViewItem } from '../shared/panelProtocol';
import { assertNever } from '../shared/assertNever';
import { Composer } from './composer';
import { el, iconButton, roomTitle } from './dom';
import { FileOffers } from './fileOffers';
import { icon } from './icons';
import { MessageList } from './messageList';
import { RoomPageCache } from './roomPageCache';
import { RoomTopic } from './roomTopic';
import { cleanPeople, senderHover } from './personText';
import { isSafeHref } from './sanitizeHtml';
import { SearchBox } from './searchBox';
import { Sidebar } from './sidebar';
import { TypingLine } from './typingLine';
import type { PanelState, VsCodeApi } from './vscodeApi';

const HOST_TYPES = new Set<string>(['init', 'items', 'room', 'rooms', 'users', 'typing', 'status', 'searchResults', 'file', 'focus', 'showSearch', 'snippetStatus', 'roomSettings', 'update', 'members', 'memberMatches', 'jump']);

function numberOrUndefined(v: unknown): number | undefined {
  return Number.isSafeInteger(v) ? (v as number) : undefined;
}

/** Input from the host is data until this accepts its shape. */
function isHostMessage(v: unknown): v is HostToPanel {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string' && HOST_TYPES.has((v as { type: string }).type);
}

/**
 * The chat panel's page. It puts together the sidebar, the header, the
 * search box, the message list, the file offers and the composer; renders
 * what the host sends and posts the user's intents. It owns no conversation
 * state beyond scroll positions, drafts and a cache of pages already loaded.
 */
export class ChatView {
  private me: string | null = null;
  private address: string | null = null;
  private conn: PanelConnState = 'disconnected';
  private rooms: RoomView[] = [];
  private active = '';
  private people: PersonView[] = [];
  /** Who is away: name → their message (remote text). */
  private away: Record<string, string> = {};
  /** You proved no identity key; and your key's fingerprint when you did. */
  private guest = false;
  private fingerprint?: string;
  /** How many are online, when the server names only some of them. */
  private usersCount?: number;
  /** The active room's members, for @-completion; and how many there are, when more than these (a large room). */
  private members: string[] = [];
  private memberCount?: number;
  private state: PanelState;
  private saveTimer = 0;
  /** Loaded items per room, so switching back keeps older pages already fetched. */
  private readonly cache = new RoomPageCache();
  /** The active room's topic and what this user may do there (see RoomSettingsMsg). */
  private settings?: RoomSettingsMsg;
  /** What "Open in My Editor" found for a snippet, by `room/seq`. */
  private snippetStatus = new Map<string, SnippetStatusMsg>();

  private readonly app: HTMLElement;
  private readonly sidebar: Sidebar;
  private readonly search: SearchBox;
  private readonly list: MessageList;
  private readonly files: FileOffers;
  private readonly composer: Composer;
  private readonly title: HTMLHeadingElement;
  private readonly topic: RoomTopic;
  private readonly connLabel: HTMLSpanElement;
  private readonly connectBtn: HTMLButtonElement;
  private readonly sideToggle: HTMLButtonElement;
  private readonly typing = new TypingLine();
  private readonly announcer: HTMLElement;

  constructor(
    root: HTMLElement,
    private readonly vscode: VsCodeApi,
    purify: DOMPurify,
  ) {
    this.state = vscode.getState() ?? {};
    this.state.scroll ??= {};
    this.state.drafts ??= {};
    this.app = el('div', 'app');

    this.sidebar = new Sidebar({
      pick: (room) => this.pickRoom(room),
      command: (command) => this.post({ type: 'command', command }),
      openDm: (name) => this.post({ type: 'openDm', name }),
      moderate: (action, name) => this.post({ type: 'moderate', action, name }),
    });

    const main = el('main', 'main');
    const header = el('header', 'top');
    this.sideToggle = iconButton('menu', 'Show rooms and people', 'icon-btn side-toggle');
    this.sideToggle.setAttribute('aria-controls', 'side');
    this.sideToggle.setAttribute('aria-expanded', 'false');
    this.sideToggle.addEventListener('click', () => this.toggleSide());
    this.topic = new RoomTopic(() => this.post({ type: 'command', command: 'setTopic' }));
    this.title = this.topic.title;
    this.connLabel = el('span', 'conn');
    this.connLabel.setAttribute('role', 'status');
    this.connectBtn = el('button', 'btn primary connect', 'Connect');
    this.connectBtn.type = 'button';
    this.connectBtn.addEventListener('click', () => this.post({ type: 'command', command: 'connect' }));
    const searchBtn = iconButton('search', 'Search history');
    searchBtn.addEventListener('click', () => this.search.open(''));
    const fileBtn = iconButton('file', 'Send a file');
    fileBtn.addEventListener('click', () => this.post({ type: 'command', command: 'sendFile' }));
    const nameBtn = iconButton('person', 'Set display name');
    nameBtn.addEventListener('click', () => this.post({ type: 'command', command: 'setName' }));
    const tools = el('div', 'tools');
    tools.append(this.connectBtn, this.topic.button, searchBtn, fileBtn, nameBtn);
    header.append(this.sideToggle, this.topic.heading, this.connLabel, tools);

    this.search = new SearchBox(purify, { search: (query) => this.post({ type: 'search', query }), closed: () => this.composer.focus() });

    const msgWrap = el('div', 'msg-wrap');
    const messages = el('div', 'messages');
    messages.id = 'messages';
    messages.tabIndex = 0;
    messages.setAttribute('role', 'region');
    messages.setAttribute('aria-label', 'Messages');
    // A sender's hover card: the key that wrote the message, as the people list knows it right now.
    messages.addEventListener('mouseover', (e) => {
      const s = (e.target as Element).closest?.<HTMLElement>('.msg-sender[data-author]');
      if (s) s.title = senderHover(s.textContent ?? '', s.dataset.author, this.people);
    });
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
      openSnippet: (seq) => this.post({ type: 'openSnippet', room: this.active, seq }),
      compareSnippet: (seq) => this.post({ type: 'compareSnippet', room: this.active, seq }),
      snippetStatus: (seq) => this.snippetStatus.get(`${this.active}/${seq}`),
      reply: (m) => this.composer.setMode({ kind: 'reply', seq: m.seq, sender: String(m.sender), excerpt: m.deleted ? 'message deleted' : String(m.text) }),
      react: (seq, emoji, on) => this.post({ type: 'react', room: this.active, seq, emoji, on }),
      edit: (m) => this.composer.setMode({ kind: 'edit', seq: m.seq }, String(m.text)),
      remove: (seq) => this.post({ type: 'delete', room: this.active, seq }),
      copyLink: (seq) => this.post({ type: 'copyLink', room: this.active, seq }),
      showMessage: (seq) => this.post({ type: 'showMessage', room: this.active, seq }),
      announce: (text) => (this.announcer.textContent = text),
    });

    this.files = new FileOffers((fileId) => this.post({ type: 'saveFile', fileId }));
    this.composer = new Composer({
      send: (text) => this.send(text),
      typing: () => this.post({ type: 'typing', room: this.active }),
      draft: (text) => {
        if (this.composer.mode?.kind === 'edit') return; // the draft waits aside while editing
        this.state.drafts![this.active] = text;
        this.saveSoon();
      },
      mentions: {
        members: () => this.members.filter((n) => n !== this.me),
        partial: () => this.memberCount !== undefined && this.memberCount > this.members.length,
        find: (id, prefix) => this.post({ type: 'findMembers', id, room: this.active, prefix }),
        announce: (text) => (this.announcer.textContent = text),
      },
    });

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
    main.append(header, this.search.form, this.search.results, msgWrap, this.files.el, this.typing.el, this.composer.form);
    this.app.append(this.sidebar.el, main, this.announcer);
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
        return this.onInit(msg);
      case 'items':
        if (!Array.isArray(msg.items)) return;
        if (msg.room !== this.active) return this.cache.add(msg.room, msg.items, msg.position);
        if (msg.position === 'prepend') this.list.prepend(msg.items, !!msg.more);
        else this.announce(this.list.append(msg.items));
        this.cache.delete(this.active);
        // The scroll mark changes with content too (pinned to the newest, say), not only on scroll events.
        return this.saveSoon();
      case 'room':
        this.setMembers(msg);
        this.switchTo(String(msg.active), Array.isArray(msg.items) ? msg.items : [], !!msg.more, numberOrUndefined(msg.unreadFrom));
        return this.setTyping(msg.typing);
      case 'update':
        if (!msg.message || typeof msg.message !== 'object') return;
        if (msg.room === this.active) this.list.update(msg.message);
        else this.cache.update(msg.room, msg.message);
        return;
      case 'members':
        if (msg.room === this.active) this.setMembers(msg);
        return;
      case 'memberMatches':
        if (msg.room === this.active && Array.isArray(msg.names)) {
          this.composer.mentions.answer(msg.id, String(msg.prefix), msg.names.map(String).filter((n) => n !== this.me), typeof msg.error === 'string' ? msg.error : undefined);
        }
        return;
      case 'jump':
        if (msg.room !== this.active) return;
        if (!this.list.jumpTo(msg.seq)) this.announcer.textContent = 'That message is not loaded: scroll up to load earlier messages.';
        else if (typeof msg.note === 'string') this.announcer.textContent = msg.note;
        return;
      case 'rooms':
        // The active room only changes with a `room` message, which brings its items.
        this.rooms = Array.isArray(msg.rooms) ? msg.rooms : [];
        return this.renderRooms();
      case 'users':
        this.people = cleanPeople(msg.people);
        this.away = typeof msg.away === 'object' && msg.away !== null ? msg.away : {};
        this.usersCount = typeof msg.count === 'number' ? msg.count : undefined;
        return this.renderPeople();
      case 'typing':
        if (msg.room === this.active) this.setTyping(msg.names);
        return;
      case 'status':
        return this.setStatus(msg);
      case 'searchResults':
        return this.search.render(msg);
      case 'file':
        this.files.update(msg.file);
        return this.files.render(this.active);
      case 'focus':
        return this.composer.focus();
      case 'showSearch':
        return this.search.openAndRun(String(msg.query ?? ''));
      case 'snippetStatus':
        this.snippetStatus.set(`${msg.room}/${msg.seq}`, msg);
        if (msg.room === this.active) {
          this.list.refresh();
          this.announcer.textContent = String(msg.detail ?? '');
        }
        return;
      case 'roomSettings':
        this.settings = msg;
        this.renderTopic();
        return this.renderPeople();
      default:
        return assertNever(msg);
    }
  }

  // ------------------------------------------------------------------ host messages

  private onInit(msg: InitMsg): void {
    this.rooms = Array.isArray(msg.rooms) ? msg.rooms : [];
    this.people = cleanPeople(msg.people);
    this.files.reset(Array.isArray(msg.files) ? msg.files : []);
    this.cache.clear();
    // setItems below draws every row anew, so no refresh for the name here.
    this.me = typeof msg.me === 'string' ? msg.me : null;
    this.setStatus(msg);
    this.active = '';
    this.members = [];
    this.setMembers(msg);
    this.switchTo(msg.active, Array.isArray(msg.items) ? msg.items : [], !!msg.more, numberOrUndefined(msg.unreadFrom));
    this.setTyping(msg.typing);
    this.renderPeople();
  }

  /** Who @-completion offers, from an init, room or members message. */
  private setMembers(msg: { members?: unknown; memberCount?: unknown }): void {
    if (Array.isArray(msg.members)) this.members = msg.members.map(String);
    this.memberCount = numberOrUndefined(msg.memberCount);
  }

  private switchTo(room: string, items: ViewItem[], more: boolean, unreadFrom?: number): void {
    if (this.active && this.active !== room) {
      this.state.scroll![this.active] = this.list.mark();
      this.state.drafts![this.active] = this.composer.value;
      this.cache.keep(this.active, { items: this.list.allItems(), more: this.list.hasMore() });
    }
    const same = this.active === room;
    this.active = room;
    // The host follows a `room` with the new room's settings; until then, show none.
    if (!same) {
      this.settings = undefined;
      this.renderTopic();
      this.renderPeople();
    }
    // Keep older pages already fetched when the host's fresh page continues them.
    const page = this.cache.join(room, items, more);
    const mark = same ? this.list.mark() : this.state.scroll![room];
    this.list.setItems(room, page.items, page.more, mark, unreadFrom);
    if (!same) {
      if (this.composer.mode) this.composer.setMode(undefined);
      this.composer.value = this.state.drafts![room] ?? '';
      this.typing.forget();
    }
    this.renderRooms();
    this.files.render(this.active);
    this.typing.render();
    this.save();
  }

  private setStatus({ state, me, address, guest, fingerprint }: Pick<StatusMsg, 'state' | 'me' | 'address' | 'guest' | 'fingerprint'>): void {
    const meChanged = me !== this.me;
    this.conn = state;
    this.me = typeof me === 'string' ? me : null;
    this.address = typeof address === 'string' ? address : null;
    this.guest = guest === true;
    this.fingerprint = typeof fingerprint === 'string' ? fingerprint : undefined;
    this.renderStatus();
    if (meChanged) {
      this.list.refresh();
      this.renderPeople();
    }
  }

  private setTyping(names: string[] | undefined): void {
    this.typing.set((Array.isArray(names) ? names : []).filter((n) => n !== this.me));
  }

  private announce(added: ChatMessage[]): void {
    const others = added.filter((m) => m.sender !== this.me);
    if (!others.length) return;
    const last = others[others.length - 1];
    const text = String(last.text).slice(0, 200) + (last.snippet ? ' (code snippet)' : '');
    this.announcer.textContent = others.length === 1 ? `${last.sender}: ${text}` : `${others.length} new messages. Last from ${last.sender}: ${text}`;
  }

  // ------------------------------------------------------------------ rendering

  private renderStatus(): void {
    const labels: Record<PanelConnState, string> = {
      connected: this.me ? `${this.me}${this.guest ? ' (guest)' : ''}${this.address ? ` @ ${this.address}` : ''}` : 'connected',
      connecting: 'connecting…',
      reconnecting: 'reconnecting…',
      disconnected: 'disconnected',
    };
    this.connLabel.textContent = labels[this.conn] ?? this.conn;
    this.connLabel.dataset.state = this.conn;
    const who = this.guest ? 'as a guest, with no identity key' : this.fingerprint ? `with identity key ${this.fingerprint}` : '';
    this.connLabel.title = this.conn === 'connected' ? `Connected as ${this.me ?? '?'}${this.address ? ` to ${this.address}` : ''}${who ? `, ${who}` : ''}` : `Connection: ${this.conn}`;
    this.connectBtn.hidden = this.conn !== 'disconnected';
    this.app.dataset.state = this.conn;
    this.composer.setTarget(this.conn, roomTitle(this.active, this.rooms));
  }

  private renderRooms(): void {
    const title = roomTitle(this.active, this.rooms);
    this.title.textContent = title;
    this.title.title = title;
    this.list.el.setAttribute('aria-label', `Messages in ${title}`);
    this.renderStatus();
    this.sidebar.renderRooms(this.rooms, this.active);
  }

  private renderPeople(): void {
    const s = this.settings;
    const moderation = s && s.room === this.active && s.operator === true && this.conn === 'connected' ? { room: this.active } : undefined;
    this.sidebar.renderPeople(this.people, this.me, this.conn === 'connected', moderation, this.away, this.usersCount);
  }

  private renderTopic(): void {
    this.topic.render(this.settings?.room === this.active ? this.settings : undefined);
  }

  // ------------------------------------------------------------------ user input

  private pickRoom(room: string): void {
    if (room !== this.active) this.post({ type: 'switchRoom', room });
    if (this.app.classList.contains('side-open')) this.toggleSide(false);
    this.composer.focus();
  }

  private toggleSide(open = !this.app.classList.contains('side-open')): void {
    this.app.classList.toggle('side-open', open);
    this.sideToggle.setAttribute('aria-expanded', String(open));
    this.sideToggle.setAttribute('aria-label', open ? 'Hide rooms and people' : 'Show rooms and people');
    if (open) this.sidebar.focusCurrent();
  }

  /** The composer's Enter: false keeps the text in the box (nothing was sent). */
  private send(text: string): boolean {
    if (!this.active) return false;
    if (this.conn === 'disconnected') {
      this.announcer.textContent = 'Not connected. Use the Connect button first.';
      this.connectBtn.focus();
      return false;
    }
    const mode = this.composer.mode;
    if (mode?.kind === 'edit') {
      this.post({ type: 'edit', room: this.active, seq: mode.seq, text });
      this.save();
      return true;
    }
    this.post({ type: 'send', room: this.active, text, ...(mode?.kind === 'reply' && { replyTo: mode.seq }) });
    this.state.drafts![this.active] = '';
    this.list.scrollToBottom();
    this.save();
    return true;
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
