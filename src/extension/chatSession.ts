import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChatClient } from '../engine/client/chatClient';
import type { ClientOptions, ClientState } from '../engine/client/clientOptions';
import { ConnectError } from '../engine/client/connectError';
import { DEFAULT_ROOM, isDmKey, type ChatMessage, type Snippet } from '../engine/protocol';
import { Conversation, TYPING_MS, type SavedConversation } from './conversation';
import { ChatPanel, type PanelHandler } from './chatPanel';
import { readSettings } from './settings';
import { IncomingFiles, formatBytes } from './incomingFiles';
import type { FileOfferView, HostToPanel, PanelConnState, PanelToHost } from '../shared/panelProtocol';
import { assertNever } from '../shared/assertNever';

/** Messages the test API keeps (the newest). */
const RECEIVED_CAP = 10_000;

/**
 * One connection to a chat server and the conversation it feeds. It bridges
 * the engine's ChatClient to the panel and the notifications; commands call
 * it, and it never renders anything itself.
 */
export class ChatSession implements PanelHandler, vscode.Disposable {
  private client?: ChatClient;
  readonly convo = new Conversation();
  private readonly receivedLog: ChatMessage[] = [];
  /** Texts of the notifications raised, newest last (read by the test API). */
  readonly notified: string[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** Connection state, unread count or identity changed (the status bar listens). */
  readonly onDidChange = this.changed.event;
  private panelVisible = false;
  private typingTimers = new Map<string, NodeJS.Timeout>();
  private readonly subs: { dispose(): void }[] = [];
  readonly incoming = new IncomingFiles(() => readSettings().maxFileSize);

  private saveTimer?: NodeJS.Timeout;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    /**
     * A file where the conversation is kept between window reloads. A plain
     * file rather than workspace state: a reload ends the extension host at
     * once, and state updates from its last moments can be lost.
     */
    private readonly saveFile?: string,
  ) {
    if (!saveFile) return;
    try {
      const saved = JSON.parse(fs.readFileSync(saveFile, 'utf8')) as SavedConversation;
      if (saved && Array.isArray(saved.rooms)) this.convo.restore(saved);
    } catch {
      // nothing saved yet, or unreadable: start empty
    }
  }

  /** Save the conversation soon: at most every two seconds, and once more, synchronously, on dispose. */
  private saveSoon(): void {
    if (!this.saveFile || this.saveTimer) return;
    this.saveTimer = setTimeout(() => this.saveNow(), 2000);
  }

  private saveNow(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (!this.saveFile) return;
    try {
      fs.mkdirSync(path.dirname(this.saveFile), { recursive: true });
      const tmp = `${this.saveFile}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(this.convo.snapshot()), { mode: 0o600 });
      fs.renameSync(tmp, this.saveFile);
    } catch (err) {
      this.log.warn(`could not save the conversation for the next reload: ${(err as Error).message}`);
    }
  }

  get state(): PanelConnState {
    return this.convo.state;
  }
  get name(): string | undefined {
    return this.convo.me ?? undefined;
  }
  get address(): string | undefined {
    return this.convo.address ?? undefined;
  }
  get connected(): boolean {
    return this.client !== undefined && this.convo.state !== 'disconnected';
  }
  get users(): readonly string[] {
    return this.convo.users;
  }
  /** The SHA-256 fingerprint of the server's certificate, when connected over TLS. */
  get fingerprint(): string | undefined {
    return this.client?.fingerprint;
  }
  get rooms(): readonly string[] {
    return this.client?.rooms ?? [];
  }
  /** Every message delivered to this window, oldest first (for the test API). */
  received(): ChatMessage[] {
    return this.receivedLog.slice();
  }

  /** Connect (replacing any current connection). Rejects with a ConnectError that says what to do. */
  async connect(host: string, port: number, name: string, security: Pick<ClientOptions, 'tls' | 'password'> = {}): Promise<void> {
    this.disconnect();
    const client = new ChatClient({ host, port, name, ...security });
    this.client = client;
    // Rooms, unread counts and the active room belong to one server; never carry them to another.
    if (this.convo.address !== `${host}:${port}`) {
      this.convo.reset();
      this.incoming.clear();
    }
    this.convo.address = `${host}:${port}`;
    this.post(this.snapshot());
    this.wire(client, { host, port });
    this.log.info(`connecting to ${host}:${port} as ${name}`);
    try {
      await client.connect();
    } catch (err) {
      if (this.client === client) {
        this.client = undefined;
        this.setState('disconnected');
      }
      client.dispose();
      this.log.warn(`connect to ${host}:${port} failed: ${(err as Error).message}`);
      throw err;
    }
  }

  disconnect(): void {
    const c = this.client;
    if (!c) return;
    this.client = undefined;
    for (const s of this.subs.splice(0)) s.dispose();
    c.dispose();
    this.log.info(`disconnected from ${this.convo.address}`);
    this.setState('disconnected');
    this.convo.users = [];
    this.post({ type: 'users', users: [] });
  }

  /** Send text to a room or DM key. */
  send(room: string, text: string, snippet?: Snippet): void {
    const c = this.requireClient();
    if (!c) return;
    if (isDmKey(room)) {
      const other = room.slice(1).split(',').find((n) => n !== this.convo.me);
      if (!other) return;
      c.send(text, { to: other, snippet });
    } else {
      c.send(text, { room, snippet });
    }
  }

  /** Send to the room the panel shows. */
  sendToActive(text: string, snippet?: Snippet): void {
    this.send(this.convo.active, text, snippet);
  }

  /** Send a file to a room or DM key; resolves when the server relayed all of it. */
  async sendFile(room: string, name: string, data: Buffer, onProgress?: (sent: number) => void): Promise<void> {
    const c = this.requireClient();
    if (!c) throw new ConnectError('not connected');
    const target = isDmKey(room) ? { to: room.slice(1).split(',').find((n) => n !== this.convo.me) } : { room };
    await c.sendFile(data, name, target, onProgress);
    this.system(room, `you sent ${name} (${formatBytes(data.length)})`);
  }

  join(room: string): void {
    const c = this.requireClient();
    if (!c) return;
    this.pendingSwitch = room;
    c.join(room);
  }
  private pendingSwitch?: string;

  /** Open the direct conversation with someone. */
  openDm(name: string): void {
    if (!this.convo.me) return;
    const key = this.convo.dmWith(name);
    this.convo.room(key);
    this.switchRoom(key);
  }

  rename(name: string): void {
    this.requireClient()?.rename(name);
  }

  async search(query: string): Promise<ChatMessage[]> {
    const c = this.requireClient();
    if (!c) return [];
    const r = await c.search(query, { limit: 100 });
    return r.messages;
  }

  switchRoom(room: string): void {
    this.convo.switchTo(room);
    this.post({ type: 'room', active: room, items: this.convo.items(room), more: this.convo.hasMore(room), typing: this.convo.typingIn(room) });
    this.postRooms();
    this.changed.fire();
  }

  openPanel(preserveFocus = false): ChatPanel {
    const panel = ChatPanel.createOrShow(this.extensionUri, this, preserveFocus);
    this.panelVisible = panel.visible;
    return panel;
  }

  // ------------------------------------------------------------ panel

  onPanelMessage(msg: PanelToHost): void {
    switch (msg.type) {
      case 'ready':
        return this.post(this.snapshot());
      case 'send':
        if (msg.text.trim()) this.send(msg.room, msg.text);
        return;
      case 'switchRoom':
        return this.switchRoom(msg.room);
      case 'loadOlder':
        return void this.loadOlder(msg.room, msg.before);
      case 'search':
        return void this.search(msg.query).then(
          (items) => this.post({ type: 'searchResults', query: msg.query, items }),
          (err: Error) => this.post({ type: 'searchResults', query: msg.query, items: [], error: err.message }),
        );
      case 'typing': {
        const c = this.client;
        if (!c || c.state !== 'connected') return;
        if (isDmKey(msg.room)) {
          const other = msg.room.slice(1).split(',').find((n) => n !== this.convo.me);
          if (other) c.typing({ to: other });
        } else c.typing({ room: msg.room });
        return;
      }
      case 'openLink':
        return void this.openLink(msg.url);
      case 'copy':
        return void vscode.env.clipboard.writeText(msg.text).then(() => vscode.window.setStatusBarMessage('Copied to the clipboard', 2000));
      case 'saveFile':
        return void vscode.commands.executeCommand('chat.saveFile', msg.fileId);
      case 'command':
        return void vscode.commands.executeCommand(`chat.${msg.command}`);
      case 'openDm':
        return this.openDm(msg.name);
      default:
        return assertNever(msg);
    }
  }

  /** A file's status changed outside the session (saved by a command). */
  onFileChanged(view: FileOfferView): void {
    this.post({ type: 'file', file: view });
  }

  onVisibility(visible: boolean): void {
    this.panelVisible = visible;
    if (visible) {
      this.convo.markRead(this.convo.active);
      this.postRooms();
    }
    ChatPanel.current?.setTitle(this.convo.unread);
    this.changed.fire();
  }

  private snapshot(): HostToPanel {
    const room = this.convo.active;
    return {
      type: 'init',
      me: this.convo.me,
      address: this.convo.address,
      state: this.convo.state,
      rooms: this.convo.roomViews(),
      active: room,
      items: this.convo.items(room),
      more: this.convo.hasMore(room),
      users: this.convo.users,
      typing: this.convo.typingIn(room),
      files: this.incoming.views(),
    };
  }

  private async loadOlder(room: string, before: number): Promise<void> {
    const c = this.client;
    if (!c || c.state !== 'connected') {
      // The panel waits for an answer to every loadOlder; an empty page ends the wait.
      this.post({ type: 'items', room, items: [], position: 'prepend', more: this.convo.hasMore(room) });
      return;
    }
    try {
      const page = await c.history(room, { before, limit: readSettings().historyPageSize });
      const added = this.convo.addOlder(room, page.messages, page.more);
      this.post({ type: 'items', room, items: added, position: 'prepend', more: page.more });
    } catch (err) {
      this.log.warn(`history for ${room} failed: ${(err as Error).message}`);
      this.post({ type: 'items', room, items: [], position: 'prepend', more: this.convo.hasMore(room) });
    }
  }

  private async openLink(url: string): Promise<void> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      void vscode.window.showWarningMessage(`Chat opens only http and https links, not ${parsed.protocol} links.`);
      return;
    }
    const open = 'Open Link';
    const pick = await vscode.window.showInformationMessage(`Open this link from the chat?\n\n${parsed.toString()}`, { modal: true }, open);
    if (pick === open) await vscode.env.openExternal(vscode.Uri.parse(parsed.toString(), true));
  }

  // ------------------------------------------------------------ engine events

  private wire(c: ChatClient, target: { host: string; port: number }): void {
    this.subs.push(
      c.onState((s) => {
        if (this.client === c) this.setState(mapState(s));
      }),
      c.onWelcome((w) => {
        this.convo.me = w.name;
        this.convo.users = [...w.users];
        const first = w.history[0];
        this.convo.setBacklog(DEFAULT_ROOM, w.history, first !== undefined && first.seq > 1);
        this.log.info(`connected to ${c.address} as ${w.name}`);
        this.post(this.snapshot());
        this.changed.fire();
      }),
      c.onJoined((j) => {
        const first = j.history[0];
        if (!this.convo.hasRoom(j.room) || this.convo.items(j.room).length === 0) this.convo.setBacklog(j.room, j.history, first !== undefined && first.seq > 1);
        if (this.pendingSwitch === j.room) {
          this.pendingSwitch = undefined;
          this.switchRoom(j.room);
        } else this.postRooms();
      }),
      c.onLeft((room) => {
        this.convo.forget(room);
        this.switchRoom(this.convo.active);
      }),
      c.onMessage((m) => this.onMessage(m)),
      c.onPresence((p) => {
        switch (p.event) {
          case 'online':
            if (!this.convo.users.includes(p.name)) this.convo.users = [...this.convo.users, p.name];
            break;
          case 'offline':
            this.convo.users = this.convo.users.filter((u) => u !== p.name);
            break;
          case 'rename':
            if (p.from) {
              this.convo.rename(p.from, p.name);
              this.system(DEFAULT_ROOM, `${p.from} is now ${p.name}`);
            }
            break;
          case 'join':
          case 'leave':
            if (p.room) this.system(p.room, `${p.name} ${p.event === 'join' ? 'joined' : 'left'}`);
            break;
        }
        this.post({ type: 'users', users: this.convo.users });
        this.changed.fire();
      }),
      c.onTyping((t) => {
        const room = t.to !== undefined ? this.convo.dmWith(t.name) : (t.room ?? DEFAULT_ROOM);
        this.convo.setTyping(room, t.name);
        this.postTyping(room);
        clearTimeout(this.typingTimers.get(room));
        this.typingTimers.set(
          room,
          setTimeout(() => this.postTyping(room), TYPING_MS + 50),
        );
      }),
      c.onServerError((e) => {
        if (e.ref === undefined) this.system(this.convo.active, `server: ${e.message}`);
        this.log.warn(`server error ${e.code}: ${e.message}`);
      }),
      c.onFileOffer((o) => {
        const view = this.incoming.offer(o);
        this.convo.room(o.room);
        this.post({ type: 'file', file: view });
        this.system(o.room, `${o.sender} offers the file ${view.name} (${formatBytes(o.size)})`);
        if (view.status === 'failed') this.system(o.room, `${view.name}: ${view.detail}`);
      }),
      c.onFileChunk((ch) => {
        const view = this.incoming.chunk(ch);
        if (view) this.post({ type: 'file', file: view });
      }),
      c.onFileDone((d) => {
        const view = this.incoming.done(d);
        if (!view) return;
        this.post({ type: 'file', file: view });
        if (view.status === 'ready') this.system(view.room, `${view.name} from ${view.sender} is ready: use its Save button to choose where to keep it`);
        else this.system(view.room, `${view.name}: ${view.detail}`);
      }),
      c.onSendFailed((f) => this.system(this.convo.active, `not sent: ${f.error.message}`)),
      c.onRefused((err) => {
        // A reconnect met something retrying cannot fix (a changed certificate, a new password).
        this.log.warn(`reconnect refused: ${err.message}`);
        this.system(this.convo.active, `not reconnecting: ${err.message}`);
        void vscode.window.showErrorMessage(`Chat: ${err.message}`, 'Connect Again').then((p) => {
          if (p) void vscode.commands.executeCommand('chat.connect', target);
        });
      }),
      c.onDropped((why) => {
        this.system(this.convo.active, `${why}; reconnecting…`);
        this.log.warn(why);
      }),
    );
  }

  private onMessage(m: ChatMessage): void {
    this.receivedLog.push(m);
    if (this.receivedLog.length > RECEIVED_CAP) this.receivedLog.splice(0, this.receivedLog.length - RECEIVED_CAP);
    const panel = ChatPanel.current;
    const wasKnown = this.convo.hasRoom(m.room);
    this.convo.addMessage(m, this.panelVisible);
    this.post({ type: 'items', room: m.room, items: [m], position: 'append' });
    this.postRooms();
    if (!wasKnown && isDmKey(m.room) && m.sender === this.convo.me) this.switchRoom(m.room);
    panel?.setTitle(this.convo.unread);
    this.changed.fire();
    this.maybeNotify(m, panel);
  }

  private maybeNotify(m: ChatMessage, panel: ChatPanel | undefined): void {
    const me = this.convo.me;
    if (!me || m.sender === me) return;
    const level = readSettings().notifications;
    if (level === 'none') return;
    const lookingAtIt = panel !== undefined && panel.visible && panel.active && vscode.window.state.focused && this.convo.active === m.room;
    if (lookingAtIt) return;
    const isDm = isDmKey(m.room);
    const mentioned = new RegExp(`(^|[^\\p{L}\\p{N}_])@${escapeRegExp(me)}(?![\\p{L}\\p{N}_])`, 'iu').test(m.text);
    if (level === 'mentions' && !isDm && !mentioned) return;
    const where = isDm ? 'direct message' : `#${m.room}`;
    const preview = m.text.length > 140 ? m.text.slice(0, 139) + '…' : m.text;
    const text = `${m.sender} (${where}): ${preview}`;
    this.notified.push(text);
    if (this.notified.length > 100) this.notified.shift();
    void vscode.window.showInformationMessage(text, 'Open Chat').then((pick) => {
      if (pick !== 'Open Chat') return;
      this.switchRoom(m.room);
      this.openPanel();
    });
  }

  private system(room: string, text: string): void {
    const line = this.convo.addSystem(room, text);
    this.post({ type: 'items', room, items: [line], position: 'append' });
  }

  private setState(s: PanelConnState): void {
    if (this.convo.state === s) return;
    this.convo.state = s;
    this.post({ type: 'status', state: s, me: this.convo.me, address: this.convo.address });
    this.changed.fire();
  }

  private postRooms(): void {
    this.post({ type: 'rooms', rooms: this.convo.roomViews(), active: this.convo.active });
  }

  private postTyping(room: string): void {
    this.post({ type: 'typing', room, names: this.convo.typingIn(room) });
  }

  private post(msg: HostToPanel): void {
    ChatPanel.current?.post(msg);
    this.saveSoon();
  }

  private requireClient(): ChatClient | undefined {
    if (this.client) return this.client;
    void vscode.window.showWarningMessage('Chat is not connected.', 'Connect').then((p) => {
      if (p) void vscode.commands.executeCommand('chat.connect');
    });
    return undefined;
  }

  dispose(): void {
    this.disconnect();
    this.saveNow();
    for (const t of this.typingTimers.values()) clearTimeout(t);
    this.changed.dispose();
  }
}

function mapState(s: ClientState): PanelConnState {
  switch (s) {
    case 'connecting':
      return 'connecting';
    case 'connected':
      return 'connected';
    case 'reconnecting':
      return 'reconnecting';
    default:
      return 'disconnected';
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}


