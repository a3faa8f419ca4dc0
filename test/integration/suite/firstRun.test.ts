/**
 * A first run as a new user has it, in a real extension host: the default
 * display name (git's user.name, then the login name; asked for, with a valid
 * suggestion, when it is `root`), the chat kept beside the code, and Share
 * Selection with nothing selected.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ChatServer } from '../../../src/engine/server/chatServer';
import { nameProblem } from '../../../src/engine/protocol';
import { suggestedName } from '../../../src/engine/defaultName';
import { RawClient } from '../../support/rawClient';
import { activated, capturingErrors, closeAll, waitFor } from './helpers';

type Win = Record<string, (...a: unknown[]) => Thenable<unknown>>;

/** Replaces one window function while `fn` runs. */
async function replacing<T>(name: 'showInputBox' | 'showInformationMessage', impl: (...a: unknown[]) => Thenable<unknown>, fn: () => Thenable<T>): Promise<T> {
  const win = vscode.window as unknown as Win;
  const saved = win[name];
  win[name] = impl;
  try {
    return await fn();
  } finally {
    win[name] = saved;
  }
}

/** The chat webview's tab group, if the panel is open. */
function panelColumn(): vscode.ViewColumn | undefined {
  for (const g of vscode.window.tabGroups.all) for (const t of g.tabs) if (t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('tcpChat.panel')) return g.viewColumn;
  return undefined;
}

describe('a first run that just works', function () {
  this.timeout(60_000);
  let server: ChatServer;
  let port: number;
  let raw: RawClient;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-chat-first-'));
  const env = { global: process.env.GIT_CONFIG_GLOBAL, nosystem: process.env.GIT_CONFIG_NOSYSTEM };
  const cfg = () => vscode.workspace.getConfiguration('tcpChat');

  before(async () => {
    await activated();
    server = new ChatServer({ host: '127.0.0.1', port: 0, rate: 0 });
    port = (await server.listen()).port;
    raw = (await RawClient.hello(port, 'first-peer')).client;
    // The extension runs git in this very process's environment: give it a git with no user.name.
    fs.writeFileSync(path.join(tmp, 'empty.gitconfig'), '');
    process.env.GIT_CONFIG_GLOBAL = path.join(tmp, 'empty.gitconfig');
    process.env.GIT_CONFIG_NOSYSTEM = '1';
  });

  after(async () => {
    if (env.global === undefined) delete process.env.GIT_CONFIG_GLOBAL;
    else process.env.GIT_CONFIG_GLOBAL = env.global;
    if (env.nosystem === undefined) delete process.env.GIT_CONFIG_NOSYSTEM;
    else process.env.GIT_CONFIG_NOSYSTEM = env.nosystem;
    await vscode.commands.executeCommand('tcpChat.disconnect');
    await cfg().update('displayName', undefined, vscode.ConfigurationTarget.Global);
    raw?.close();
    await server?.close();
    await closeAll();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('tcpChat.disconnect');
  });

  it('uses git’s user.name when the setting is empty', async () => {
    await cfg().update('displayName', undefined, vscode.ConfigurationTarget.Global);
    fs.writeFileSync(path.join(tmp, 'named.gitconfig'), '[user]\n\tname = Ada Lovelace\n');
    process.env.GIT_CONFIG_GLOBAL = path.join(tmp, 'named.gitconfig');
    try {
      const { api } = await activated();
      const ok = await vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port });
      assert.equal(ok, true);
      assert.equal(api.status().name, 'Ada Lovelace');
    } finally {
      process.env.GIT_CONFIG_GLOBAL = path.join(tmp, 'empty.gitconfig');
    }
  });

  it('when the login name is root and git has no name, Connect asks with a valid suggestion filled in, and connects with it', async function () {
    // os.userInfo() is the one source here no test can change; this machine (and CI on it) runs as root.
    if (os.userInfo().username !== 'root') this.skip();
    await cfg().update('displayName', undefined, vscode.ConfigurationTarget.Global);
    const { api } = await activated();
    const asked: vscode.InputBoxOptions[] = [];
    const { result, errors } = await capturingErrors(() =>
      replacing(
        'showInputBox',
        async (o: unknown) => {
          asked.push(o as vscode.InputBoxOptions);
          return (o as vscode.InputBoxOptions).value;
        },
        () => vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port }),
      ),
    );
    assert.deepEqual(errors, [], 'Connect failed because of the default name');
    assert.equal(result, true);
    assert.equal(asked.length, 1, 'asked once for a name');
    const suggestion = asked[0].value ?? '';
    assert.notEqual(suggestion, 'root');
    // The same suggestion the terminal client makes for the same key: user- and four hex digits of its fingerprint, never "guest".
    assert.equal(suggestion, suggestedName(undefined, (await api.identity()).stored));
    assert.match(suggestion, /^user-[0-9a-f]{4}$/);
    assert.equal(nameProblem(suggestion), undefined, `the suggestion "${suggestion}" is not a valid name`);
    assert.match(asked[0].prompt ?? '', /"root" cannot be used/);
    // The box checks what is typed, with the same rules the server applies.
    assert.ok(await asked[0].validateInput?.('root'), 'the input box accepts "root"');
    assert.equal(await asked[0].validateInput?.(suggestion), null);
    assert.equal(api.status().name, suggestion);
    await raw.waitFor((f) => f.type === 'presence' && f.event === 'online' && f.name === suggestion, 10_000);
    // Kept, so the next Connect does not ask again.
    assert.equal(cfg().inspect('displayName')?.globalValue, suggestion);
    await vscode.commands.executeCommand('tcpChat.disconnect');
    const again: unknown[] = [];
    const ok = await replacing(
      'showInputBox',
      async (o: unknown) => {
        again.push(o);
        return undefined;
      },
      () => vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port }),
    );
    assert.equal(ok, true);
    assert.deepEqual(again, []);
  });

  it('when the user cancels the name question, nothing fails loudly and nothing connects', async function () {
    // The question is asked only when the login name cannot serve (root, as on this machine and CI); see above.
    if (os.userInfo().username !== 'root') this.skip();
    await cfg().update('displayName', undefined, vscode.ConfigurationTarget.Global);
    const { api } = await activated();
    const { result, errors } = await capturingErrors(() => replacing('showInputBox', async () => undefined, () => vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port })));
    assert.equal(result, false);
    assert.deepEqual(errors, []);
    assert.equal(api.status().state, 'disconnected');
  });

  describe('beside the editor, always', () => {
    let doc: vscode.TextDocument;

    before(async () => {
      await closeAll();
      await cfg().update('displayName', 'beside-user', vscode.ConfigurationTarget.Global);
      const file = path.join(tmp, 'hello.ts');
      fs.writeFileSync(file, 'export const hello = 1;\n\nconsole.log(hello);\n');
      doc = await vscode.workspace.openTextDocument(file);
    });

    it('Connect with no editor open, then a file opened over the chat: Share Selection brings the chat back beside the code, not over it', async () => {
      const { api } = await activated();
      // (The Output panel counts as a visible text editor; only files matter here.)
      assert.deepEqual(vscode.window.visibleTextEditors.filter((e) => e.document.uri.scheme === 'file').map((e) => e.document.fileName), []);
      assert.equal(await vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port }), true);
      await waitFor(() => panelColumn() !== undefined, 'the chat panel');
      const chatColumn = panelColumn()!;
      // The file opens in the chat's group, hiding the chat, as VS Code does with the active group.
      const editor = await vscode.window.showTextDocument(doc, { viewColumn: chatColumn, preview: false });
      await waitFor(() => !api.panel().visible, 'the chat to be hidden behind the file');
      editor.selection = new vscode.Selection(0, 0, 0, 23);
      await vscode.commands.executeCommand('tcpChat.shareSelection');
      await raw.waitFor((f) => f.type === 'message' && (f.snippet as { code?: string } | undefined)?.code === 'export const hello = 1;', 10_000);
      await waitFor(() => api.panel().visible, 'the chat to show again');
      assert.notEqual(api.panel().viewColumn, editor.viewColumn, 'the chat opened in the code’s group');
      assert.ok(vscode.window.visibleTextEditors.some((e) => e.document === doc), 'the code is no longer in view');
      // The keyboard stays where the user was typing.
      assert.equal(vscode.window.activeTextEditor?.document, doc);
    });

    it('Share Selection with nothing selected shares the current line', async () => {
      // (Each test of this file ends disconnected.)
      assert.equal(await vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port }), true);
      const editor = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preview: false });
      editor.selection = new vscode.Selection(2, 4, 2, 4);
      await vscode.commands.executeCommand('tcpChat.shareSelection');
      const m = await raw.waitFor((f) => f.type === 'message' && (f.snippet as { code?: string } | undefined)?.code === 'console.log(hello);', 10_000);
      assert.equal((m.snippet as { startLine: number }).startLine, 3);
      assert.match(String(m.text), /line 3$/);
    });

    it('Share Selection on an empty line says nothing is selected, and sends nothing', async () => {
      assert.equal(await vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port }), true);
      const editor = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preview: false });
      editor.selection = new vscode.Selection(1, 0, 1, 0);
      const told: string[] = [];
      await replacing(
        'showInformationMessage',
        async (m: unknown) => {
          told.push(String(m));
          return undefined;
        },
        () => vscode.commands.executeCommand('tcpChat.shareSelection'),
      );
      assert.equal(told.length, 1, JSON.stringify(told));
      assert.match(told[0], /nothing is selected/);
      // A ping round trip: anything the share had sent would have arrived before the pong.
      raw.send({ type: 'ping', id: 'after-empty-share' });
      await raw.waitFor((f) => f.type === 'pong' && f.id === 'after-empty-share', 10_000);
      assert.ok(!raw.frames.some((f) => f.type === 'message' && f.sender === 'beside-user'), 'an empty line was shared');
    });
  });
});
