import * as vscode from 'vscode';
import { ChatClient } from '../engine/client/chatClient';
import type { ClientOptions } from '../engine/client/clientOptions';
import { ConnectError } from '../engine/client/connectError';
import { isDmKey, type ChatMessage, type Snippet } from '../engine/protocol';
import { KeyChangeWatch } from './keyChangeWatch';
import { Conversation } from './conversation';
import { messageLink } from '../shared/messageLink';
import { MessageNavigator } from './messageNavigator';
import { ConversationFile } from './conversationFile';
import { Notifier } from './notifier';
import type { PanelHost } from './panelHost';
import { readSettings } from './settings';
import { IncomingFiles, formatBytes } from './incomingFiles';
import { roomSettingsView } from './roomSettingsView';
import { handlePanelMessage, type PanelMessageHost } from './handlePanelMessage';
import { wireClientEvents, type ClientEventsHost } from './wireClientEvents';
import { CommandId } from './commandIds';
import type { FileOfferView, HostToPanel, PanelConnState, RoomSettingsMsg, SnippetStatusMsg } from '../shared/panelProtocol';

/** What the session needs from outside; injected so nothing is reached through a global. */
export interface SessionDeps {
  panels: PanelHost;
  log: vscode.LogOutputChannel;
  /** Where the conversation is kept between window reloads; none keeps nothing. */
  conversationFile?: string;
  /** Opens a shared snippet in the user's own editor, or compares it with their copy. */
  snippets?: { open(s: Snippet): Promise<Omit<SnippetStatusMsg, 'type' | 'room' | 'seq'>>; compare(s: Snippet, from: string): Promise<void> };
  /** Where the identity last seen behind each name is kept, per server (global state), to warn when a key changes. */
  knownPeople?: Pick<vscode.Memento, 'get' | 'update'>;
}

/** Messages the test API keeps (the newest). */
const RECEIVED_CAP = 10_000;

/**
 * One connection to a chat server and the conversation it feeds. It bridges
 * the engine's ChatClient to the panel (injected as a PanelHost); commands
 * call it, and it never renders anything itself. Notifications and the
 * conversation file are modules of their own.
 */
export class ChatSession implements vscode.Disposable {
  private client?: ChatClient;
  readonly convo = new Conversation();
  private readonly receivedLog: ChatMessage[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** Connection state, unread count or identity changed (the status bar listens). */
  readonly onDidChange = this.changed.event;
  private panelVisible = false;
  private readonly typingTimers = new Map<string, NodeJS.Timeout>();
  /** Listeners on the current client; dropped with it. */
  private readonly subs: { dispose(): void }[] = [];
  /** Listeners on the panel host; dropped with the session. */
  private readonly panelSubs: vscode.Disposable[];
  readonly incoming = new IncomingFiles(() => readSettings().maxFileSize);
  readonly notifier: Notifier;
  private readonly file?: ConversationFile;
  private readonly panels: PanelHost;
  private readonly log: vscode.LogOutputChannel;
  /** Names seen with another key than before (undefined: not watched). */
  private readonly keys?: KeyChangeWatch;
  private readonly nav: MessageNavigator;
  /** What the client's events reach of this session (see wireClientEvents.ts). */
  private readonly eventsHost: ClientEventsHost;
  /** What a panel message reaches of this session (see handlePanelMessage.ts). */
  private readonly panelHost: PanelMessageHost = {
    findMembers: (m) => this.nav.findMembers(m),
    loadOlder: (room, before) => this.nav.loadOlder(room, before),
    post: (msg) => this.post(msg),
    initMessage: () => this.initMessage(),
    postUsers: () => this.postUsers(),
    roomSettings: () => this.roomSettings(),
    typing: (room) => {
      const c = this.client;
      if (!c || c.state !== 'connected') return;
      const to = this.target(room);
      if (!('problem' in to)) c.typing(to);
    },
  };

  constructor(private readonly deps: SessionDeps) {
    this.panels = deps.panels;
    this.log = deps.log;
    this.nav = new MessageNavigator({
      convo: this.convo,
      log: deps.log,
      client: () => this.client,
      post: (msg) => this.post(msg),
      system: (room, text) => this.system(room, text),
      switchRoom: (room) => this.switchRoom(room),
      openPanel: () => void this.openPanel(),
    });
    this.eventsHost = {
      convo: this.convo,
      log: deps.log,
      incoming: this.incoming,
      typingTimers: this.typingTimers,
      isCurrent: (c) => this.client === c,
      name: () => this.name,
      setState: (s) => this.setState(s),
      post: (msg) => this.post(msg),
      system: (room, text) => this.system(room, text),
      changed: () => this.changed.fire(),
      initMessage: () => this.initMessage(),
      roomSettings: (room) => this.roomSettings(room),
      members: (room) => this.nav.members(room),
      checkKeys: (people) => this.keys?.warnIn(this.convo, people, (room, text) => this.system(room, text)),
      postUsers: () => this.postUsers(),
      postRooms: () => this.postRooms(),
      postTyping: (room) => this.postTyping(room),
      switchRoom: (room) => this.switchRoom(room),
      takePendingSwitch: (room) => {
        if (this.pendingSwitch !== room) return false;
        this.pendingSwitch = undefined;
        return true;
      },
      onMessage: (m) => this.onMessage(m),
      ownChange: (ref) => this.changesSent.delete(ref),
    };
    this.notifier = new Notifier((room) => {
      this.switchRoom(room);
      this.openPanel();
    });
    if (deps.knownPeople) this.keys = new KeyChangeWatch(deps.knownPeople, (m) => this.log.warn(m));
    this.panelSubs = [this.panels.onDidReceiveMessage((m) => handlePanelMessage(m, this, this.panelHost)), this.panels.onDidChangeVisibility((v) => this.onVisibility(v))];
    if (deps.conversationFile) {
      this.file = new ConversationFile(deps.conversationFile, () => this.convo.snapshot(), (m) => this.log.warn(m));
      const saved = this.file.load();
      if (saved) this.convo.restore(saved);
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
  /** How many are online: on a large server more than `users` names (it lists only the people relevant to you). */
  get onlineCount(): number {
    return Math.max(this.client?.onlineCount ?? 0, this.convo.users.length);
  }
  /** The node of a cluster this window is connected to, as its welcome named it. */
  get node(): string | undefined {
    return this.client?.node;
  }
  /** The server of the list that answered last (host:port). */
  get server(): string | undefined {
    return this.client?.address;
  }
  /** The SHA-256 fingerprint of the server's certificate, when connected over TLS. */
  get fingerprint(): string | undefined {
    return this.client?.fingerprint;
  }
  /** Every message delivered to this window, oldest first (for the test API). */
  received(): ChatMessage[] {
    return this.receivedLog.slice();
  }

  /** Connect (replacing any current connection). Rejects with a ConnectError that says what to do. */
  async connect(host: string, port: number, name: string, security: Pick<ClientOptions, 'tls' | 'password' | 'servers' | 'identity'> = {}): Promise<void> {
    this.disconnect();
    const client = new ChatClient({ host, port, name, ...security });
    this.client = client;
    // Rooms, unread counts and the active room belong to one server; never carry them to another.
    if (this.convo.address !== `${host}:${port}`) {
      this.convo.reset();
      this.incoming.clear();
    }
    this.convo.address = `${host}:${port}`;
    this.post(this.initMessage());
    this.subs.push(...wireClientEvents(client, { host, port }, this.eventsHost));
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
    this.convo.people.clear();
    this.post({ type: 'users', people: [] });
  }

  /** Send text to a room or DM key, as a reply to `replyTo` (a seq there) when given. */
  send(room: string, text: string, snippet?: Snippet, replyTo?: number): void {
    const c = this.requireClient();
    if (!c) return;
    const to = this.target(room);
    if ('problem' in to) this.system(room, to.problem);
    else c.send(text, { ...to, snippet, ...(replyTo !== undefined && { replyTo }) });
  }

  /** React to, edit or delete a message; the server's answer comes back as an update (or a refusal shown in the room). */
  change(msg: { type: 'react'; room: string; seq: number; emoji: string; on: boolean } | { type: 'edit'; room: string; seq: number; text: string } | { type: 'delete'; room: string; seq: number }): void {
    const c = this.requireClient();
    if (!c) return;
    const id = msg.type === 'react' ? c.react(msg.room, msg.seq, msg.emoji, msg.on) : msg.type === 'edit' ? c.edit(msg.room, msg.seq, msg.text) : c.deleteMessage(msg.room, msg.seq);
    if (id === false) this.system(msg.room, vscode.l10n.t('not connected: try again once reconnected'));
    else {
      this.changesSent.add(id);
      if (this.changesSent.size > 1000) this.changesSent.delete(this.changesSent.values().next().value as string);
    }
  }
  /** Ids of reactions, edits and deletes sent: their refusals are shown in the room. */
  private readonly changesSent = new Set<string>();

  /** A link that opens this window's panel at a message (Copy Link to Message). */
  linkTo(room: string, seq: number): string | undefined {
    return this.convo.address ? messageLink({ server: this.convo.address, room, seq }) : undefined;
  }

  /**
   * Open the panel at a message (a message link, or a reply's quote); see
   * MessageNavigator.showMessage. Resolves when the panel was told.
   */
  showMessage(room: string, seq: number): Promise<void> {
    return this.nav.showMessage(room, seq);
  }

  /** The full snapshot for the panel, with the active room's member count. */
  private initMessage(): HostToPanel {
    return { ...this.convo.initMessage(this.incoming.views()), ...this.nav.members(this.convo.active) };
  }

  /** Send to the room the panel shows. */
  sendToActive(text: string, snippet?: Snippet): void {
    this.send(this.convo.active, text, snippet);
  }

  /** Send a file to a room or DM key; resolves when the server relayed all of it. */
  async sendFile(room: string, name: string, data: Buffer, onProgress?: (sent: number) => void): Promise<void> {
    const c = this.requireClient();
    if (!c) throw new ConnectError('not connected');
    const to = this.target(room);
    if ('problem' in to) throw new ConnectError(to.problem);
    await c.sendFile(data, name, to, onProgress);
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

  /** The topic of a room and what this user may do there, as the panel shows it. */
  roomSettings(room = this.convo.active): RoomSettingsMsg {
    return roomSettingsView(room, this.name, this.client?.settings);
  }

  /** Set a room's topic (empty clears it); a refusal comes back as a line in the panel. */
  setTopic(room: string, topic: string): void {
    this.requireClient()?.setTopic(room, topic);
  }

  /** Put someone out of a room (operators only). */
  kick(room: string, name: string, reason?: string): void {
    this.requireClient()?.kick(room, name, reason);
  }

  /** Ban a name mask from a room (operators only). */
  ban(room: string, mask: string): void {
    this.requireClient()?.setModes(room, [{ mode: '+b', arg: mask }]);
  }

  async search(query: string): Promise<ChatMessage[]> {
    const c = this.requireClient();
    if (!c) return [];
    const r = await c.search(query, { limit: 100 });
    return r.messages;
  }

  switchRoom(room: string): void {
    const unreadFrom = this.convo.switchTo(room);
    this.post({
      type: 'room',
      active: room,
      items: this.convo.items(room),
      more: this.convo.hasMore(room),
      typing: this.convo.typingIn(room),
      ...this.nav.members(room),
      ...(unreadFrom !== undefined && { unreadFrom }),
    });
    this.post(this.roomSettings());
    this.postRooms();
    this.changed.fire();
  }

  /** Show the panel beside the code (see PanelHost.show); returns it for a follow-up post. */
  openPanel(preserveFocus = false): { post(msg: HostToPanel): void } {
    const panel = this.panels.show(preserveFocus);
    this.panelVisible = panel.visible;
    return panel;
  }

  // ------------------------------------------------------------ panel

  /** A file's status changed outside the session (saved by a command). */
  onFileChanged(view: FileOfferView): void {
    this.post({ type: 'file', file: view });
  }

  private onVisibility(visible: boolean): void {
    this.panelVisible = visible;
    if (visible) {
      const room = this.convo.active;
      const unreadFrom = this.convo.markRead(room);
      // What arrived while the panel was hidden gets its "new messages" line.
      if (unreadFrom !== undefined) this.post({ type: 'room', active: room, items: this.convo.items(room), more: this.convo.hasMore(room), typing: this.convo.typingIn(room), ...this.nav.members(room), unreadFrom });
      this.postRooms();
    }
    this.panels.setTitle(this.convo.unread);
    this.changed.fire();
  }

  // ------------------------------------------------------------ engine events

  private onMessage(m: ChatMessage): void {
    this.receivedLog.push(m);
    if (this.receivedLog.length > RECEIVED_CAP) this.receivedLog.splice(0, this.receivedLog.length - RECEIVED_CAP);
    const wasKnown = this.convo.hasRoom(m.room);
    this.convo.addMessage(m, this.panelVisible);
    this.post({ type: 'items', room: m.room, items: [m], position: 'append' });
    this.postRooms();
    if (!wasKnown && isDmKey(m.room) && this.convo.isMine(m)) this.switchRoom(m.room);
    this.panels.setTitle(this.convo.unread);
    this.changed.fire();
    const panel = this.panels.panel;
    const lookingAtIt = panel !== undefined && panel.visible && panel.active && vscode.window.state.focused && this.convo.active === m.room;
    this.notifier.consider(m, this.convo.me, readSettings().notifications, lookingAtIt);
  }

  /** Open a shared snippet in the user's own editor, or compare it with their copy; the panel hears how it went. */
  async snippetAction(kind: 'openSnippet' | 'compareSnippet', room: string, seq: number): Promise<SnippetStatusMsg['status'] | 'compared' | undefined> {
    const m = this.convo.message(room, seq);
    if (!m?.snippet || !this.deps.snippets) return undefined;
    try {
      if (kind === 'compareSnippet') {
        await this.deps.snippets.compare(m.snippet, m.sender);
        return 'compared';
      }
      const status = await this.deps.snippets.open(m.snippet);
      this.post({ type: 'snippetStatus', room, seq, ...status });
      return status.status;
    } catch (err) {
      this.log.warn(`${kind} failed: ${(err as Error).message}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Chat: {0}', (err as Error).message));
      return undefined;
    }
  }

  private system(room: string, text: string): void {
    const line = this.convo.addSystem(room, text);
    this.post({ type: 'items', room, items: [line], position: 'append' });
  }

  private setState(s: PanelConnState): void {
    if (this.convo.state === s) return;
    this.convo.state = s;
    this.post({ type: 'status', state: s, me: this.convo.me, address: this.convo.address, guest: this.convo.guest, ...(this.convo.fingerprint && { fingerprint: this.convo.fingerprint }) });
    this.changed.fire();
  }

  private postRooms(): void {
    this.post({ type: 'rooms', rooms: this.convo.roomViews(), active: this.convo.active });
  }

  /** Who is online, with who of them is away (the people list shows it). */
  private postUsers(): void {
    // A large server names only some people: the count says how many are online.
    const large = this.client?.welcome?.usersCount !== undefined;
    this.post({ type: 'users', people: this.convo.people.views(), away: this.client?.settings.awayNow() ?? {}, ...(large && { count: this.onlineCount }) });
  }

  private postTyping(room: string): void {
    this.post({ type: 'typing', room, names: this.convo.typingIn(room) });
  }

  private post(msg: HostToPanel): void {
    this.panels.post(msg);
    this.file?.saveSoon();
  }

  /**
   * Where a room key sends to: the room itself, or the name the other identity
   * of a DM uses now (yourself in a DM with yourself); a problem to show when
   * that person is not online, or their old name is someone else's now.
   */
  private target(room: string): { room: string } | { to: string } | { problem: string } {
    return isDmKey(room) ? this.convo.dmTarget(room) : { room };
  }

  private requireClient(): ChatClient | undefined {
    if (this.client) return this.client;
    const connect = vscode.l10n.t('Connect');
    void vscode.window.showWarningMessage(vscode.l10n.t('Chat is not connected.'), connect).then((p) => {
      if (p === connect) void vscode.commands.executeCommand(CommandId.connect);
    });
    return undefined;
  }

  dispose(): void {
    this.disconnect();
    this.file?.dispose();
    for (const d of this.panelSubs) d.dispose();
    for (const t of this.typingTimers.values()) clearTimeout(t);
    this.changed.dispose();
  }
}
