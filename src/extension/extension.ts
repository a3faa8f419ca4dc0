import * as vscode from 'vscode';
import { ChatSession } from './chatSession';
import { ServerHost } from './serverHost';
import { ChatStatusBar } from './statusBar';
import { ChatPanel } from './chatPanel';
import { ServerTrust } from './serverTrust';
import { readSettings } from './settings';
import { formatBytes } from './incomingFiles';
import * as path from 'node:path';
import { ConnectError } from '../engine/client/connectError';
import { isLoopback } from '../engine/exposure';
import { nameProblem, roomProblem, type ChatMessage, type Snippet } from '../engine/protocol';

/** What `activate` returns: a small read-only view used by the integration tests. */
export interface TcpChatApi {
  status(): {
    serving?: { host: string; port: number };
    state: 'disconnected' | 'connecting' | 'connected' | 'reconnecting';
    name?: string;
    address?: string;
    statusText: string;
    /** The status bar tooltip's Markdown source. */
    tooltip: string;
    unread: number;
  };
  received(): ChatMessage[];
  /** Texts of the notifications raised so far (mentions, direct messages). */
  notifications(): string[];
  /** Whether the chat panel exists and is visible. */
  panel(): { open: boolean; visible: boolean; title?: string; viewColumn?: number };
}

const RECENT_KEY = 'tcpChat.recentServers';
/** The server to rejoin when a window reloads with the chat open; cleared by Chat: Disconnect. */
const LAST_KEY = 'tcpChat.lastConnection';
/** The largest snippet that fits a default 64 KiB line with room for JSON escaping. */
const MAX_SNIPPET_CHARS = 24_000;

export function activate(context: vscode.ExtensionContext): TcpChatApi {
  const log = vscode.window.createOutputChannel('TCP Chat', { log: true });
  const session = new ChatSession(context.extensionUri, log, vscode.Uri.joinPath(context.storageUri ?? context.globalStorageUri, 'conversation.json').fsPath);
  const host = new ServerHost(context.globalStorageUri, log);
  const status = new ChatStatusBar(session, host);
  const trust = new ServerTrust(context.globalState, context.secrets);
  // Disposed in this order: the log last, so closing the session and server can still write to it.
  context.subscriptions.push(session, host, status, log);

  const command = (id: string, fn: (...args: never[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: never[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          // A command never throws at the user: log the detail, show a sentence.
          log.error(`${id} failed: ${(err as Error).stack ?? err}`);
          void vscode.window.showErrorMessage(`Chat: ${(err as Error).message}`);
          return undefined;
        }
      }),
    );

  command('chat.startServer', async (args?: { host?: string; port?: number }) => {
    const s = readSettings();
    const bindHost = args?.host ?? s.serverHost;
    const port = args?.port ?? s.serverPort;
    const password = await trust.serverPassword();
    if (!isLoopback(bindHost) && (!s.serverTls || !password)) {
      const go = 'Start Anyway';
      const missing = !s.serverTls && !password ? 'neither encrypted nor password protected' : !s.serverTls ? 'not encrypted (a password is set, and it never crosses the wire)' : 'encrypted, but not password protected';
      const pick = await vscode.window.showWarningMessage(
        `Serving on ${bindHost} lets other machines connect, and traffic is ${missing}.`,
        {
          modal: true,
          detail: 'Anyone who can reach this port could read or post messages. Turn on the setting chat.server.tls and set a password with Chat: Set Server Password, or bind to 127.0.0.1 to keep it on this machine.',
        },
        go,
      );
      if (pick !== go) return undefined;
    }
    try {
      const addr = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Starting chat server…' }, () =>
        host.start(bindHost, port, { tls: s.serverTls, certFile: s.serverCertFile || undefined, keyFile: s.serverKeyFile || undefined, password }),
      );
      const extra = host.fingerprint ? ` TLS fingerprint ${host.fingerprint}` : '';
      void vscode.window.showInformationMessage(`Chat server listening on ${addr.host}:${addr.port}.${extra}`, 'Connect').then((p) => {
        if (p) void vscode.commands.executeCommand('chat.connect', { host: connectHostFor(addr.host), port: addr.port });
      });
      return addr;
    } catch (err) {
      log.warn(`start server failed: ${(err as Error).message}`);
      const change = 'Change Port';
      const inUse = (err as { code?: string }).code === 'EADDRINUSE';
      void vscode.window.showErrorMessage(`Chat: ${(err as Error).message}`, ...(inUse ? [change] : [])).then((p) => {
        if (p === change) void vscode.commands.executeCommand('workbench.action.openSettings', 'chat.server.port');
      });
      return undefined;
    }
  });

  command('chat.setServerPassword', async (arg?: string) => {
    const pw =
      arg ??
      (await vscode.window.showInputBox({
        title: 'Chat: Set Server Password',
        prompt: 'The password people need to join the server this window starts. Leave empty to remove it. Kept in the system keychain (SecretStorage), never in settings.',
        password: true,
      }));
    if (pw === undefined) return;
    await trust.setServerPassword(pw || undefined);
    void vscode.window.showInformationMessage(pw ? 'Chat: server password set. It applies the next time you start the server.' : 'Chat: server password removed.');
  });

  command('chat.stopServer', async () => {
    if (!host.running) {
      void vscode.window.showInformationMessage('Chat: no server is running in this window.');
      return;
    }
    await host.stop();
    void vscode.window.setStatusBarMessage('Chat server stopped', 3000);
  });

  command('chat.connect', async (args?: { host?: string; port?: number; name?: string; quiet?: boolean }) => {
    let target: { host: string; port: number } | undefined;
    if (args?.host !== undefined && args.port !== undefined) target = { host: args.host, port: args.port };
    else target = await pickServer(context, host);
    if (!target) return false;
    const s = readSettings();
    const name = args?.name ?? s.displayName;
    const why = nameProblem(name);
    if (why) {
      void vscode.window.showErrorMessage(`Chat: your display name "${name}" cannot be used: ${why}. Change it with Chat: Set Display Name.`);
      return false;
    }
    const ok = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Connecting to ${target.host}:${target.port}…`, cancellable: false },
      () => connectSecurely(target.host, target.port, name, args?.quiet === true),
    );
    if (!ok) return false;
    await remember(context, `${target.host}:${target.port}`);
    await context.globalState.update(LAST_KEY, { host: target.host, port: target.port, name: args?.name });
    session.openPanel(true);
    return true;
  });

  /**
   * Connect, finding out on the way whether the server wants TLS (it says so)
   * and a password (it challenges), asking the person only what they must
   * decide: trusting a certificate, and typing a password once.
   */
  async function connectSecurely(h: string, port: number, name: string, quiet = false): Promise<boolean> {
    const address = `${h}:${port}`;
    let useTls = trust.usesTls(address);
    let typed: string | undefined;
    for (let attempt = 0; attempt < 4; attempt++) {
      const stored = await trust.password(address);
      try {
        await session.connect(h, port, name, {
          tls: useTls ? { fingerprint: trust.pin(address), verify: (fp) => trust.askFirstUse(address, fp) } : undefined,
          password: async () => {
            if (typed !== undefined) return typed;
            if (stored !== undefined) return stored;
            typed = await vscode.window.showInputBox({ title: `Password for ${address}`, prompt: 'This server needs a password. It is kept in the system keychain, and never sent: only a proof of it is.', password: true, ignoreFocusOut: true });
            return typed;
          },
        });
        await trust.setUsesTls(address, useTls);
        if (typed) await trust.setPassword(address, typed);
        return true;
      } catch (err) {
        const e = err as ConnectError;
        switch (e.code) {
          case 'tls_required':
            useTls = true;
            continue;
          case 'tls_unsupported':
            useTls = false;
            continue;
          case 'cert_changed':
            if (e.expected && e.fingerprint && (await trust.askChanged(address, e.expected, e.fingerprint))) continue;
            void vscode.window.showErrorMessage(`Chat: not connected to ${address}: its certificate changed and was not trusted.`);
            return false;
          case 'cert_rejected':
            void vscode.window.showInformationMessage(`Chat: not connected: you did not trust the certificate of ${address}.`);
            return false;
          case 'auth_failed':
            await trust.setPassword(address, undefined);
            void vscode.window.showErrorMessage(`Chat: wrong password for ${address}. Connect again to type it anew.${e.retryAfter ? ` The server asks to wait ${Math.ceil(e.retryAfter / 1000)} s.` : ''}`);
            return false;
          case 'auth_required':
            if (typed === undefined) {
              void vscode.window.showErrorMessage(`Chat: ${address} needs a password; none was given.`);
              return false;
            }
            continue;
          case 'handshake_timeout':
            // Typing the password took longer than the server waits; try again with what was typed.
            if (typed !== undefined) continue;
            break;
        }
        const text = e instanceof ConnectError ? e.message : String(e);
        if (quiet) log.info(`reconnect after reload: ${text}`);
        else void vscode.window.showErrorMessage(`Chat: ${text}`);
        return false;
      }
    }
    void vscode.window.showErrorMessage(`Chat: could not settle how to talk to ${address}; see Chat: Show Log.`);
    return false;
  }

  command('chat.disconnect', async () => {
    session.disconnect();
    // Disconnecting on purpose also means: do not reconnect when the window reloads.
    await context.globalState.update(LAST_KEY, undefined);
  });

  command('chat.openChat', async () => {
    if (!session.connected) {
      const p = await vscode.window.showInformationMessage('Chat is not connected.', 'Connect');
      if (p) await vscode.commands.executeCommand('chat.connect');
      if (!session.connected) return;
    }
    session.openPanel().post({ type: 'focus' });
  });

  command('chat.setName', async (arg?: string) => {
    const name =
      arg ??
      (await vscode.window.showInputBox({
        title: 'Chat: Set Display Name',
        prompt: 'The name others see',
        value: session.name ?? readSettings().displayName,
        validateInput: (v) => nameProblem(v) ?? null,
      }));
    if (name === undefined) return;
    const why = nameProblem(name);
    if (why) return void vscode.window.showErrorMessage(`Chat: ${why}`);
    await vscode.workspace.getConfiguration('chat').update('displayName', name, vscode.ConfigurationTarget.Global);
    if (session.connected) session.rename(name);
  });

  command('chat.joinRoom', async (arg?: string) => {
    const room =
      arg ??
      (await vscode.window.showInputBox({
        title: 'Chat: Join Room',
        prompt: 'Room name (a-z, 0-9, - and _)',
        placeHolder: 'design',
        validateInput: (v) => roomProblem(v.replace(/^#/, '')) ?? null,
      }));
    if (room === undefined) return;
    const clean = room.replace(/^#/, '');
    const why = roomProblem(clean);
    if (why) return void vscode.window.showErrorMessage(`Chat: ${why}`);
    if (!session.connected) return void vscode.window.showWarningMessage('Chat: connect first (Chat: Connect).');
    session.join(clean);
    session.openPanel(true);
  });

  command('chat.directMessage', async (arg?: string) => {
    if (!session.connected) return void vscode.window.showWarningMessage('Chat: connect first (Chat: Connect).');
    const others = session.users.filter((u) => u !== session.name);
    let name = arg;
    if (name === undefined) {
      if (others.length === 0) return void vscode.window.showInformationMessage('Chat: nobody else is online right now.');
      name = await vscode.window.showQuickPick(others, { title: 'Chat: Direct Message', placeHolder: 'Who do you want to write to?' });
    }
    if (!name) return;
    session.openDm(name);
    session.openPanel().post({ type: 'focus' });
  });

  command('chat.shareSelection', async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return void vscode.window.showInformationMessage('Chat: open a file and select some code to share.');
    if (!session.connected) return void vscode.window.showWarningMessage('Chat: connect first (Chat: Connect).');
    const sel = editor.selection;
    const range = sel.isEmpty ? editor.document.lineAt(sel.active.line).range : sel;
    const code = editor.document.getText(range);
    if (code.length > MAX_SNIPPET_CHARS) {
      return void vscode.window.showErrorMessage(`Chat: the selection has ${code.length} characters; share at most ${MAX_SNIPPET_CHARS}, or send the file with Chat: Send File.`);
    }
    const doc = editor.document;
    const file = doc.isUntitled ? doc.uri.path : vscode.workspace.asRelativePath(doc.uri, false);
    const snippet: Snippet = { lang: doc.languageId, file, startLine: range.start.line + 1, endLine: range.end.line + 1, code };
    const lines = snippet.startLine === snippet.endLine ? `line ${snippet.startLine}` : `lines ${snippet.startLine}–${snippet.endLine}`;
    session.sendToActive(`shared ${file}, ${lines}`, snippet);
    session.openPanel(true);
  });

  command('chat.searchHistory', async (arg?: string) => {
    if (!session.connected) return void vscode.window.showWarningMessage('Chat: connect first (Chat: Connect).');
    const query = arg ?? (await vscode.window.showInputBox({ title: 'Chat: Search History', prompt: 'Find messages containing…' }));
    if (!query) return;
    const results = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Searching chat history…' }, () => session.search(query));
    if (results.length === 0) return void vscode.window.showInformationMessage(`Chat: no messages contain "${query}".`);
    const pick = await vscode.window.showQuickPick(
      results.map((m) => ({ label: m.text.split('\n')[0].slice(0, 120), description: `${m.sender} · ${m.room.startsWith('@') ? 'direct' : '#' + m.room}`, detail: new Date(m.ts).toLocaleString(), m })),
      { title: `${results.length} messages contain "${query}"`, matchOnDescription: true },
    );
    if (pick) {
      session.switchRoom(pick.m.room);
      session.openPanel().post({ type: 'showSearch', query });
    }
    return results.length;
  });

  command('chat.sendFile', async (arg?: vscode.Uri) => {
    if (!session.connected) return void vscode.window.showWarningMessage('Chat: connect first (Chat: Connect).');
    const uri = arg ?? (await vscode.window.showOpenDialog({ title: 'Chat: Send File', canSelectMany: false, openLabel: 'Send' }))?.[0];
    if (!uri) return;
    const cap = readSettings().maxFileSize;
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.size > cap) {
      return void vscode.window.showErrorMessage(`Chat: ${path.basename(uri.fsPath)} is ${formatBytes(stat.size)}; the limit is ${formatBytes(cap)} (setting chat.maxFileSize).`);
    }
    const data = Buffer.from(await vscode.workspace.fs.readFile(uri));
    const name = path.basename(uri.path);
    const room = session.convo.active;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Sending ${name}`, cancellable: false }, async (progress) => {
      let last = 0;
      await session.sendFile(room, name, data, (sent) => {
        const pct = data.length ? (sent / data.length) * 100 : 100;
        progress.report({ increment: pct - last, message: `${formatBytes(sent)} of ${formatBytes(data.length)}` });
        last = pct;
      });
    });
    return true;
  });

  command('chat.saveFile', async (fileId?: string, target?: vscode.Uri) => {
    if (!fileId) return;
    const f = session.incoming.data(fileId);
    if (!f) return void vscode.window.showWarningMessage('Chat: that file is not available (it failed its checks, or the window reloaded since).');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri =
      target ??
      (await vscode.window.showSaveDialog({
        title: `Save ${f.view.name} from ${f.view.sender}`,
        defaultUri: folder ? vscode.Uri.joinPath(folder, f.view.name) : undefined,
        saveLabel: 'Save',
      }));
    if (!uri) return;
    await vscode.workspace.fs.writeFile(uri, f.data);
    const view = session.incoming.markSaved(fileId, uri.fsPath);
    if (view) session.onFileChanged(view);
    void vscode.window.setStatusBarMessage(`Saved ${f.view.name}`, 3000);
    return uri.fsPath;
  });

  command('chat.showLog', () => log.show(true));

  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(ChatPanel.viewType, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel) {
        ChatPanel.revive(panel, context.extensionUri, session);
        // The chat was open when the window reloaded: pick the conversation up where it was.
        const last = context.globalState.get<{ host: string; port: number; name?: string }>(LAST_KEY);
        // Quietly: a server that went away with the window is not worth an error.
        if (last && !session.connected) void vscode.commands.executeCommand('chat.connect', { ...last, quiet: true });
      },
    }),
  );

  log.info('TCP Chat activated');
  return {
    status: () => ({
      serving: host.address,
      state: session.state,
      name: session.name,
      address: session.address,
      statusText: status.text,
      tooltip: status.tooltip,
      unread: session.convo.unread,
    }),
    received: () => session.received(),
    notifications: () => session.notified.slice(),
    panel: () => {
      const p = ChatPanel.current?.panel;
      return { open: p !== undefined, visible: p?.visible ?? false, title: p?.title, viewColumn: p?.viewColumn };
    },
  };
}

export function deactivate(): void {
  // context.subscriptions disposes the session, server and panel.
}

/** Where to connect to reach a server bound to `h`. */
function connectHostFor(h: string): string {
  return h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h;
}

/** Ask for host:port, offering recent servers and the one this window hosts. */
async function pickServer(context: vscode.ExtensionContext, host: ServerHost): Promise<{ host: string; port: number } | undefined> {
  const recent = context.globalState.get<string[]>(RECENT_KEY, []);
  const local = host.address ? `${connectHostFor(host.address.host)}:${host.address.port}` : undefined;
  const s = readSettings();
  const suggestions = [...new Set([...(local ? [local] : []), ...recent, `127.0.0.1:${s.serverPort}`])];
  const qp = vscode.window.createQuickPick();
  qp.title = 'Chat: Connect';
  qp.placeholder = 'host:port of a TCP Chat server, e.g. 192.168.1.20:12345';
  const base = suggestions.map((label) => ({ label, description: label === local ? 'this window’s server' : recent.includes(label) ? 'recent' : 'default' }));
  qp.items = base;
  qp.onDidChangeValue((v) => {
    qp.items = v && !suggestions.includes(v) ? [{ label: v, description: 'connect' }, ...base] : base;
  });
  const chosen = await new Promise<string | undefined>((resolve) => {
    qp.onDidAccept(() => {
      resolve(qp.selectedItems[0]?.label ?? qp.value);
      qp.hide();
    });
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  if (!chosen) return undefined;
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(chosen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) {
    void vscode.window.showErrorMessage(`Chat: "${chosen}" is not host:port. Type something like 127.0.0.1:12345.`);
    return undefined;
  }
  return { host: m[1] ?? m[2], port };
}

async function remember(context: vscode.ExtensionContext, address: string): Promise<void> {
  const recent = context.globalState.get<string[]>(RECENT_KEY, []);
  await context.globalState.update(RECENT_KEY, [address, ...recent.filter((r) => r !== address)].slice(0, 8));
}
