/**
 * The extension inside a real VS Code extension host: activation, the
 * commands it contributes, hosting a server, connecting as a client, the
 * panel's placement, and a port clash. Peers are raw sockets speaking the
 * documented JSON lines, so the wire format is proven, not just the engine.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ChatServer } from '../../../src/engine/server/chatServer';
import { RawClient } from '../../support/rawClient';
import { activated, capturingErrors, closeAll, freePort, isListening, waitFor } from './helpers';

/** The commands the extension promises (docs and the panel buttons rely on them). */
const PROMISED_COMMANDS = [
  'tcpChat.startServer',
  'tcpChat.stopServer',
  'tcpChat.connect',
  'tcpChat.disconnect',
  'tcpChat.openChat',
  'tcpChat.setName',
  'tcpChat.joinRoom',
  'tcpChat.directMessage',
  'tcpChat.shareSelection',
  'tcpChat.sendFile',
  'tcpChat.searchHistory',
  'tcpChat.showLog',
  'tcpChat.copyInviteLink',
];

describe('TCP Chat in a real extension host', () => {
  describe('activation', () => {
    it('activates without error and returns its test API', async () => {
      const { ext, api } = await activated();
      assert.equal(ext.isActive, true);
      assert.equal(typeof api.status, 'function');
      assert.equal(typeof api.received, 'function');
      assert.equal(api.status().state, 'disconnected');
    });

    it('registers every command it contributes in package.json', async () => {
      const { ext } = await activated();
      const manifest = JSON.parse(fs.readFileSync(path.join(ext.extensionPath, 'package.json'), 'utf8')) as {
        contributes: { commands: { command: string }[] };
      };
      const contributed = manifest.contributes.commands.map((c) => c.command);
      for (const id of PROMISED_COMMANDS) assert.ok(contributed.includes(id), `package.json does not contribute ${id}`);
      const registered = new Set(await vscode.commands.getCommands(true));
      const missing = contributed.filter((id) => !registered.has(id));
      assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
    });
  });

  describe('Chat: Start Server', () => {
    let port: number;
    const clients: RawClient[] = [];

    before(async () => {
      port = await freePort();
      // The command reads tcpChat.server.port when given no arguments, as it does from the palette.
      await vscode.workspace.getConfiguration('tcpChat').update('server.port', port, vscode.ConfigurationTarget.Global);
      await vscode.workspace.getConfiguration('tcpChat').update('server.host', '127.0.0.1', vscode.ConfigurationTarget.Global);
    });

    after(async () => {
      for (const c of clients) c.close();
      await vscode.commands.executeCommand('tcpChat.stopServer');
      await vscode.workspace.getConfiguration('tcpChat').update('server.port', undefined, vscode.ConfigurationTarget.Global);
      await vscode.workspace.getConfiguration('tcpChat').update('server.host', undefined, vscode.ConfigurationTarget.Global);
    });

    it('listens on the configured port, a raw client completes the handshake, and Stop Server frees the port', async () => {
      const { api } = await activated();
      const addr = await vscode.commands.executeCommand<{ host: string; port: number } | undefined>('tcpChat.startServer');
      assert.deepEqual(addr, { host: '127.0.0.1', port });
      assert.deepEqual(api.status().serving, { host: '127.0.0.1', port });
      assert.match(api.status().statusText, new RegExp(`serving :${port}\\b`));

      const { client, welcome } = await RawClient.hello(port, 'raw-one');
      clients.push(client);
      assert.equal(welcome.v, 1);
      assert.equal(welcome.name, 'raw-one');
      assert.ok(Array.isArray(welcome.users) && (welcome.users as string[]).includes('raw-one'));

      await vscode.commands.executeCommand('tcpChat.stopServer');
      await client.waitClosed(5000);
      assert.equal(api.status().serving, undefined);
      assert.doesNotMatch(api.status().statusText, /serving/);
      assert.equal(await isListening(port), false, 'something still accepts connections on the port');
      // Freed means another program can bind it now, not merely that connects fail.
      await new Promise<void>((resolve, reject) => {
        const s = net.createServer();
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => s.close(() => resolve()));
      });
    });

    it('on a port that is already taken shows an error that says what to do, and does not throw', async () => {
      const { api } = await activated();
      const blocker = net.createServer();
      await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
      try {
        const { result, errors } = await capturingErrors(() => vscode.commands.executeCommand('tcpChat.startServer'));
        assert.equal(result, undefined);
        assert.equal(errors.length, 1, `expected one error message, got ${JSON.stringify(errors)}`);
        assert.match(errors[0], new RegExp(`${port}`));
        assert.match(errors[0], /already in use/);
        // It tells the user what to do about it.
        assert.match(errors[0], /pick another port|stop the program/);
        assert.equal(api.status().serving, undefined);
      } finally {
        await new Promise<void>((resolve) => blocker.close(() => resolve()));
      }
    });
  });

  describe('Chat: Connect to a server the test runs', () => {
    let server: ChatServer;
    let port: number;
    let raw: RawClient;
    let doc: vscode.TextDocument;

    before(async () => {
      await closeAll();
      server = new ChatServer({ host: '127.0.0.1', port: 0 });
      port = (await server.listen()).port;
      raw = (await RawClient.hello(port, 'raw-peer')).client;
      // An editor is open first, so the panel has something to open beside.
      doc = await vscode.workspace.openTextDocument({ language: 'typescript', content: 'const answer = 42;\nconsole.log(answer);\n' });
      await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    });

    after(async () => {
      await vscode.commands.executeCommand('tcpChat.disconnect');
      raw?.close();
      await server?.close();
      await closeAll();
    });

    it('connects with tcpChat.connect and shows the connection in the status bar', async () => {
      const { api } = await activated();
      const ok = await vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port, name: 'it-user' });
      assert.equal(ok, true);
      const st = api.status();
      assert.equal(st.state, 'connected');
      assert.equal(st.name, 'it-user');
      assert.equal(st.address, `127.0.0.1:${port}`);
      assert.ok(st.statusText.includes(`it-user @ 127.0.0.1:${port}`), `status bar says "${st.statusText}"`);
      const online = await raw.waitFor((f) => f.type === 'presence' && f.event === 'online' && f.name === 'it-user');
      assert.equal(online.name, 'it-user');
    });

    it('opens the chat panel beside the editor, not over it', async () => {
      await waitFor(() => findPanelTab() !== undefined, 'the chat panel tab', 10_000);
      const panelTab = findPanelTab()!;
      const editorGroup = vscode.window.tabGroups.all.find((g) =>
        g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === doc.uri.toString()),
      );
      assert.ok(editorGroup, 'the text editor is no longer open');
      assert.notEqual(panelTab.group.viewColumn, editorGroup.viewColumn, 'the panel opened in the same group as the editor');
      // Both are on screen: the editor was not covered.
      assert.ok(
        vscode.window.visibleTextEditors.some((e) => e.document === doc),
        'the text editor is not visible any more',
      );
      assert.equal(panelTab.tab.isActive, true);
    });

    it('delivers a message sent through the extension to a raw client, with the right sender', async () => {
      // Other suites leave the extension in some other room; make #general active the way a user would.
      await vscode.commands.executeCommand('tcpChat.joinRoom', 'general');
      const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
      editor.selection = new vscode.Selection(0, 0, 0, 18);
      await vscode.commands.executeCommand('tcpChat.shareSelection');
      const msg = await raw.waitFor((f) => f.type === 'message' && f.sender === 'it-user', 5000);
      assert.equal(msg.room, 'general');
      const snippet = msg.snippet as { code: string; startLine: number; lang: string };
      assert.equal(snippet.code, 'const answer = 42;');
      assert.equal(snippet.startLine, 1);
      assert.equal(snippet.lang, 'typescript');
    });

    it('delivers a message from a raw client to the extension', async () => {
      const { api } = await activated();
      const text = `hello from the raw side ${Date.now()}`;
      raw.send({ type: 'message', id: 'raw-1', room: 'general', text });
      await waitFor(() => api.received().some((m) => m.text === text), 'the extension to receive the message');
      const got = api.received().find((m) => m.text === text)!;
      assert.equal(got.sender, 'raw-peer');
      assert.equal(got.room, 'general');
    });

    it('starts a new server connection in that server\'s default room, not a room of the previous server', async () => {
      const { api } = await activated();
      // First leave the active room somewhere this server will not have it: a room on another server.
      const other = new ChatServer({ host: '127.0.0.1', port: 0 });
      const otherPort = (await other.listen()).port;
      try {
        assert.equal(await vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port: otherPort, name: 'it-user' }), true);
        await vscode.commands.executeCommand('tcpChat.joinRoom', 'only-on-the-other-server');
        await waitFor(() => other.users().includes('it-user'), 'the login on the other server');
        // The join's answer makes that room the active one: wait for it rather than for time.
        await waitFor(() => api.status().room === 'only-on-the-other-server', 'the room on the other server to become active', 10_000);
        // Back to the test's server: what the user sends now must land in its #general, where raw-peer is.
        assert.equal(await vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port, name: 'it-user' }), true);
        await waitFor(() => api.status().state === 'connected', 'the reconnection');
      } finally {
        await other.close();
      }
      const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
      editor.selection = new vscode.Selection(1, 0, 1, 20);
      await vscode.commands.executeCommand('tcpChat.shareSelection');
      const msg = await raw.waitFor((f) => f.type === 'message' && f.sender === 'it-user' && (f.snippet as { code?: string })?.code === 'console.log(answer);', 5000);
      assert.equal(msg.room, 'general');
    });

    it('disconnects with tcpChat.disconnect', async () => {
      const { api } = await activated();
      await vscode.commands.executeCommand('tcpChat.disconnect');
      await waitFor(() => api.status().state === 'disconnected', 'the disconnected state');
      const off = await raw.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'it-user');
      assert.equal(off.name, 'it-user');
    });
  });
});

/** The chat webview's tab and its group, if open. */
function findPanelTab(): { tab: vscode.Tab; group: vscode.TabGroup } | undefined {
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      // The tab's viewType carries a prefix added by the workbench (e.g. "mainThreadWebview-tcpChat.panel").
      if (tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('tcpChat.panel')) return { tab, group };
    }
  }
  return undefined;
}
