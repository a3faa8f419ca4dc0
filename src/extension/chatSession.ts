import * as vscode from 'vscode';
import { ChatClient } from '../engine/client/chatClient';
import type { ClientOptions } from '../engine/client/clientOptions';
import { ConnectError } from '../engine/client/connectError';
import { DEFAULT_ROOM, dmKey, isDmKey, type ChatMessage, type Person, type Snippet } from '../engine/protocol';
import { keyChangeWarning } from '../engine/knownPeople';
import { KeyChangeWatch } from './keyChangeWatch';
import { Conversation, TYPING_MS, panelState } from './conversation';
import { openChatLink } from './linkOpener';
import { messageLink } from '../shared/messageLink';
import { MessageNavigator } from './messageNavigator';
import { ConversationFile } from './conversationFile';
import { Notifier } from './notifier';
import type { PanelHost } from './panelHost';
import { readSettings } from './settings';
import { IncomingFiles, formatBytes } from './incomingFiles';
import { roomSettingsView } from './roomSettingsView';
import { wireRoomEventLines } from './roomEventLines';
import { wireFileEvents } from './fileEventLines';
import { CommandId } from './commandIds';
import type { FileOfferView, HostToPanel, PanelConnState, PanelToHost, RoomSettingsMsg, SnippetStatusMsg } from '../shared/panelProtocol';
import { assertNever } from '../shared/assertNever';

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
  private typingTimers = new Map<string, NodeJS.Timeout>();
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
    this.notifier = new Notifier((room) => {
      this.switchRoom(room);
      this.openPanel();
    });
    if (deps.knownPeople) this.keys = new KeyChangeWatch(deps.knownPeople, (m) => this.log.warn(m));
    this.panelSubs = [this.panels.onDidReceiveMessage((m) => this.onPanelMessage(m)), this.panels.onDidChangeVisibility((v) => this.onVisibility(v))];
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

  private onPanelMessage(msg: PanelToHost): void {
    switch (msg.type) {
      case 'ready':
        this.post(this.initMessage());
        this.postUsers();
        return this.post(this.roomSettings());
      case 'send':
        if (msg.text.trim()) this.send(msg.room, msg.text, undefined, msg.replyTo);
        return;
      case 'react':
      case 'edit':
      case 'delete':
        return this.change(msg);
      case 'copyLink': {
        const link = this.linkTo(msg.room, msg.seq);
        if (link) void vscode.env.clipboard.writeText(link).then(() => vscode.window.setStatusBarMessage(vscode.l10n.t('Link to the message copied'), 2000));
        return;
      }
      case 'showMessage':
        return void this.showMessage(msg.room, msg.seq);
      case 'findMembers':
        return void this.nav.findMembers(msg);
      case 'switchRoom':
        return this.switchRoom(msg.room);
      case 'loadOlder':
        return void this.nav.loadOlder(msg.room, msg.before);
      case 'search':
        return void this.search(msg.query).then(
          (items) => this.post({ type: 'searchResults', query: msg.query, items }),
          (err: Error) => this.post({ type: 'searchResults', query: msg.query, items: [], error: err.message }),
        );
      case 'typing': {
        const c = this.client;
        if (!c || c.state !== 'connected') return;
        const to = this.target(msg.room);
        if (!('problem' in to)) c.typing(to);
        return;
      }
      case 'openLink':
        return void openChatLink(msg.url);
      case 'copy':
        return void vscode.env.clipboard.writeText(msg.text).then(() => vscode.window.setStatusBarMessage('Copied to the clipboard', 2000));
      case 'saveFile':
        return void vscode.commands.executeCommand(CommandId.saveFile, msg.fileId);
      case 'command':
        return void vscode.commands.executeCommand(CommandId[msg.command]);
      case 'openDm':
        return this.openDm(msg.name);
      case 'openSnippet':
      case 'compareSnippet':
        return void this.snippetAction(msg.type, msg.room, msg.seq);
      case 'moderate':
        // The commands ask first (a kick's reason, a ban's confirmation).
        return void vscode.commands.executeCommand(msg.action === 'kick' ? CommandId.kickUser : CommandId.banUser, msg.name);
      default:
        return assertNever(msg);
    }
  }

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

  private wire(c: ChatClient, target: { host: string; port: number }): void {
    this.subs.push(
      c.onState((s) => {
        if (this.client === c) this.setState(panelState(s));
      }),
      c.onWelcome((w) => {
        this.convo.me = w.name;
        this.convo.myId = w.id ?? null;
        this.convo.people.reset(w.users, w.people);
        const first = w.history[0];
        this.convo.setBacklog(DEFAULT_ROOM, w.history, first !== undefined && first.seq > 1);
        this.log.info(`connected to ${c.address} as ${w.name}${w.id ? ` (${w.guest ? 'guest' : 'identity ' + w.id})` : ''}`);
        // Why the server gave another name than the one asked for (taken by another key, say): said where the person looks.
        if (w.notice) {
          this.convo.addSystem(this.convo.active, w.notice);
          this.log.info(`server notice: ${w.notice}`);
        }
        this.post(this.initMessage());
        this.checkKeys(w.people ?? []);
        this.postUsers();
        this.post(this.roomSettings());
        this.changed.fire();
      }),
      c.onJoined((j) => {
        this.convo.setMembers(j.room, j.members);
        this.post({ type: 'members', room: j.room, ...this.nav.members(j.room) });
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
      c.onUpdate((m) => {
        // The message itself, and the quote in each reply to it.
        for (const changed of this.convo.applyUpdate(m)) this.post({ type: 'update', room: changed.room, message: changed });
      }),
      c.onPresence((p) => {
        const line = this.convo.applyPresence(p);
        if (line) this.system(line.room, line.text);
        if (p.id !== undefined && p.event !== 'offline' && p.event !== 'leave') this.checkKeys([p.guest ? { name: p.name, id: p.id, guest: true } : { name: p.name, id: p.id }]);
        this.postUsers();
        if (p.event === 'rename') this.postRooms(); // a direct conversation's label follows its person
        // Who @-completion offers: the room someone joined or left, or (a rename) the room in view.
        const membersOf = p.room ?? (p.event === 'rename' ? this.convo.active : undefined);
        if (membersOf !== undefined) this.post({ type: 'members', room: membersOf, ...this.nav.members(membersOf) });
        this.changed.fire();
      }),
      // A large server names nobody in its arrivals: only the count changes.
      c.onPeople((f) => {
        if (f.room === undefined && f.online === undefined && f.offline === undefined) this.postUsers();
        // Its count decides whether @-completion asks the server.
        if (f.room !== undefined) this.post({ type: 'members', room: f.room, ...this.nav.members(f.room) });
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
        if (e.ref === undefined || this.changesSent.delete(e.ref)) this.system(this.convo.active, `server: ${e.message}`);
        this.log.warn(`server error ${e.code}: ${e.message}`);
      }),
      ...wireFileEvents(c, this.incoming, {
        post: (msg) => this.post(msg),
        system: (room, text) => this.system(room, text),
        known: (room) => void this.convo.room(room),
      }),
      c.onSendFailed((f) => this.system(this.convo.active, `not sent: ${f.error.message}`)),
      // Said once each way, not on every retry of the outbox.
      c.onStoreWait((waiting) => this.system(this.convo.active, waiting ? 'the server cannot save messages right now; yours are kept and sent again until it can' : 'the server saves messages again; everything you wrote was sent')),
      c.onRefused((err) => {
        // A reconnect met something retrying cannot fix (a changed certificate, a new password).
        this.log.warn(`reconnect refused: ${err.message}`);
        this.system(this.convo.active, `not reconnecting: ${err.message}`);
        void vscode.window.showErrorMessage(`Chat: ${err.message}`, 'Connect Again').then((p) => {
          if (p) void vscode.commands.executeCommand(CommandId.connect, target);
        });
      }),
      c.onDropped((why) => {
        this.system(this.convo.active, `${why}; reconnecting…`);
        this.log.warn(why);
      }),
      ...wireRoomEventLines(c, {
        me: () => this.name,
        active: () => this.convo.active,
        system: (room, text) => this.system(room, text),
        settingsChanged: (room) => {
          if (room === this.convo.active) this.post(this.roomSettings(room));
        },
        kickedFrom: (room) => {
          this.convo.forget(room);
          this.switchRoom(this.convo.active);
        },
      }),
    );
  }

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

  /**
   * Someone appeared under a name this editor knew with another identity key
   * (the operator released it, or a guest holds it now): a warning line, like
   * SSH's for a changed host key, where the person looks and in the old
   * direct conversation. Remembered per server in global state.
   */
  private checkKeys(people: readonly Person[]): void {
    const server = this.convo.address;
    if (!server || !this.keys) return;
    for (const change of this.keys.see(server, people, this.convo.myId ?? undefined)) {
      const text = keyChangeWarning(change);
      this.log.warn(text);
      const rooms = new Set([this.convo.active, DEFAULT_ROOM]);
      const myId = this.convo.myId;
      if (myId !== null && this.convo.hasRoom(dmKey(myId, change.was))) rooms.add(dmKey(myId, change.was));
      for (const room of rooms) this.system(room, text);
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
