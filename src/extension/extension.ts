import * as vscode from 'vscode';
import { ChatSession } from './chatSession';
import { ServerHost } from './serverHost';
import { ChatStatusBar } from './statusBar';
import { ChatPanel } from './chatPanel';
import { PanelHost } from './panelHost';
import { ServerTrust } from './serverTrust';
import { Connector } from './connector';
import { DisposableStore } from './disposableStore';
import { InviteUriHandler, type InviteOutcome } from './inviteUriHandler';
import { SnippetOpener } from './snippetOpener';
import { describeMigration, migrateSettings, type MovedSetting } from './settingsMigration';
import { registerCommands } from './commands/registerCommands';
import { CommandId } from './commandIds';
import { IDENTITY_SECRET, IdentityKeeper } from './identityKeeper';
import type { ChatMessage } from '../engine/protocol';
import type { HostToPanel, PersonView } from '../shared/panelProtocol';

/** What `activate` returns: a small view used by the integration tests. */
export interface TcpChatApi {
  /** The extension's version, as package.json says. */
  version: string;
  status(): {
    serving?: { host: string; port: number };
    state: 'disconnected' | 'connecting' | 'connected' | 'reconnecting';
    name?: string;
    address?: string;
    statusText: string;
    /** The status bar tooltip's Markdown source. */
    tooltip: string;
    unread: number;
    /** The room or DM key the panel shows. */
    room: string;
    /** Your identity id on the server (`ed25519:…`, or `guest:…`), once welcomed. */
    id?: string;
    guest: boolean;
    /** What the panel header shows of that room: its topic ('' for none), and whether this user may set it or moderate the room. */
    roomSettings: { topic: string; canSetTopic: boolean; operator: boolean };
  };
  /** The identity key kept in SecretStorage (its id), if one was made; and what a fresh activation (a reload) reads there. */
  identity(): Promise<{ stored?: string; afterReload?: string }>;
  /** Who is online as the panel lists them (guests marked, keyed people with a fingerprint). */
  people(): PersonView[];
  /** The texts of a conversation's quiet lines (notices, warnings, renames), oldest first. */
  systemLines(room: string): string[];
  /** Sends to the conversation the panel shows, as the panel's composer does. */
  send(text: string): void;
  received(): ChatMessage[];
  /** Texts of the notifications raised so far (mentions, direct messages). */
  notifications(): string[];
  /** Whether the chat panel exists and is visible. */
  panel(): { open: boolean; visible: boolean; title?: string; viewColumn?: number };
  /** What the settings migration at activation moved, and the one message it showed. */
  migration(): Promise<{ moved: MovedSetting[]; message?: string }>;
  /** Runs the settings migration again (it must find nothing the second time). */
  migrateSettings(): Promise<MovedSetting[]>;
  /** Opens an invite link (or a message link) as the URI handler does, and says what became of it. */
  openInvite(uri: string): Promise<InviteOutcome>;
  /** Speak for the panel: a message as the webview would post it (checked the same way); false when refused. */
  panelSays(msg: unknown): boolean;
  /** What the host posted to the panel lately, oldest first. */
  panelPosts(): HostToPanel[];
  /** The messages this window holds for a room (latest states) and the room's members. */
  conversation(room: string): { messages: ChatMessage[]; members: string[] };
}

export function activate(context: vscode.ExtensionContext): TcpChatApi {
  const version = String((context.extension.packageJSON as { version?: unknown }).version ?? '');
  const store = new DisposableStore();
  // The store goes last: disposed newest first, the log outlives everything that writes to it.
  context.subscriptions.push(store);
  const log = store.add(vscode.window.createOutputChannel('TCP Chat', { log: true }));
  const panels = store.add(new PanelHost(context.extensionUri));
  const snippets = store.add(new SnippetOpener(() => panels.panel?.panel.viewColumn));
  const session = store.add(
    new ChatSession({ panels, log, snippets, knownPeople: context.globalState, conversationFile: vscode.Uri.joinPath(context.storageUri ?? context.globalStorageUri, 'conversation.json').fsPath }),
  );
  const host = store.add(new ServerHost(context.globalStorageUri, log));
  const status = store.add(new ChatStatusBar(session, host));
  const trust = new ServerTrust(context.globalState, context.secrets);
  const identities = new IdentityKeeper(context.secrets);
  // An import in another window replaced the key: the next connect here uses it too.
  store.add(
    context.secrets.onDidChange((e) => {
      if (e.key === IDENTITY_SECRET) identities.forget();
    }),
  );
  const connector = new Connector(context.globalState, session, host, trust, log, identities);

  // Settings moved from chat.* to tcpChat.*: move the user's values once, and say so once.
  const migration = migrateSettings(context.globalState, context.workspaceState, log).then(
    (moved) => {
      const message = moved.length ? describeMigration(moved) : undefined;
      if (message) void vscode.window.showInformationMessage(message);
      return { moved, message };
    },
    (err: Error) => {
      log.warn(`settings migration failed: ${err.message}`);
      return { moved: [] as MovedSetting[] };
    },
  );

  registerCommands(store, { session, host, trust, connector, identities, log, ready: migration });
  const invites = new InviteUriHandler(connector, session, log);
  store.add(vscode.window.registerUriHandler(invites));
  store.add(
    vscode.window.registerWebviewPanelSerializer(ChatPanel.viewType, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel) {
        panels.revive(panel);
        // The chat was open when the window reloaded: pick the conversation up where it was.
        const last = connector.last;
        // Quietly: a server that went away with the window is not worth an error.
        if (last && !session.connected) void vscode.commands.executeCommand(CommandId.connect, { ...last, quiet: true });
      },
    }),
  );

  log.info(`TCP Chat ${version} activated`);
  return {
    version,
    status: () => ({
      serving: host.address,
      state: session.state,
      name: session.name,
      address: session.address,
      statusText: status.text,
      tooltip: status.tooltip,
      unread: session.convo.unread,
      room: session.convo.active,
      id: session.convo.myId ?? undefined,
      guest: session.convo.guest,
      roomSettings: (({ topic, canSetTopic, operator }) => ({ topic, canSetTopic, operator }))(session.roomSettings()),
    }),
    identity: async () => ({
      stored: (await identities.peek())?.id,
      // What activate() does after a reload: a new keeper over the same SecretStorage.
      afterReload: (await new IdentityKeeper(context.secrets).peek())?.id,
    }),
    people: () => session.convo.people.views(),
    send: (text) => session.sendToActive(text),
    systemLines: (room) => session.convo.items(room).flatMap((i) => (i.type === 'system' ? [i.text] : [])),
    received: () => session.received(),
    notifications: () => session.notifier.shown.slice(),
    panel: () => {
      const p = panels.panel?.panel;
      return { open: p !== undefined, visible: p?.visible ?? false, title: p?.title, viewColumn: p?.viewColumn };
    },
    migration: () => migration,
    migrateSettings: () => migrateSettings(context.globalState, context.workspaceState, log),
    openInvite: (uri) => invites.open(vscode.Uri.parse(uri, true)),
    panelSays: (msg) => panels.receive(msg),
    panelPosts: () => panels.recent.slice(),
    conversation: (room) => ({ messages: session.convo.items(room).filter((i): i is ChatMessage => i.type === 'message'), members: session.convo.membersOf(room) }),
  };
}

export function deactivate(): void {
  // context.subscriptions disposes the store, and with it the session, server and panel.
}
