/**
 * Snippets that open in the receiver's own editor, in a real extension host:
 * Open in My Editor at the snippet's lines, a copy that differs, Compare in a
 * diff editor, a path that is not in the workspace, and Share Selection
 * sending the git remote and commit.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ChatServer } from '../../../src/engine/server/chatServer';
import type { ChatMessage } from '../../../src/engine/protocol';
import { RawClient } from '../../support/rawClient';
import { activated, closeAll, waitFor } from './helpers';
import type { TcpChatApi } from '../../../src/extension/extension';

const SAMPLE = 'export function add(a: number, b: number) {\n  return a + b;\n}\n\nexport const two = add(1, 1);\n';

describe('snippets in your own editor', function () {
  this.timeout(60_000);
  let api: TcpChatApi;
  let server: ChatServer;
  let peer: RawClient;
  let dir: string;
  let n = 0;

  /** The peer shares a snippet; resolves with the message as the extension received it. */
  async function share(snippet: Record<string, unknown>): Promise<ChatMessage> {
    const id = `snip-${++n}`;
    peer.send({ type: 'message', id, room: 'general', text: 'look', snippet: { lang: 'typescript', ...snippet } });
    await waitFor(() => api.received().some((m) => m.id === id), `the snippet ${id} in the extension`, 10_000);
    return api.received().find((m) => m.id === id)!;
  }

  before(async () => {
    ({ api } = await activated());
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(folder, 'the suite needs a workspace folder');
    dir = path.join(folder, 'snippet-src');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'sample.ts'), SAMPLE);
    server = new ChatServer({ host: '127.0.0.1', port: 0, rate: 0 });
    const { port } = await server.listen();
    assert.equal(await vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port, name: 'receiver' }), true);
    peer = (await RawClient.hello(port, 'sharer')).client;
    await vscode.commands.executeCommand('tcpChat.joinRoom', 'general');
  });

  after(async () => {
    peer?.close();
    await vscode.commands.executeCommand('tcpChat.disconnect');
    await server?.close();
    await closeAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('Open in My Editor opens the same relative path at those lines, and says the copy matches', async () => {
    const m = await share({ file: 'snippet-src/sample.ts', startLine: 1, endLine: 3, code: 'export function add(a: number, b: number) {\n  return a + b;\n}' });
    const status = await vscode.commands.executeCommand<string>('tcpChat.openSnippet', { room: 'general', seq: m.seq });
    assert.equal(status, 'same');
    const ed = vscode.window.activeTextEditor;
    assert.ok(ed, 'no editor is active');
    assert.equal(ed.document.uri.fsPath, path.join(dir, 'sample.ts'));
    assert.equal(ed.selection.start.line, 0);
    assert.equal(ed.selection.end.line, 2);
    // Not over the chat: the file opened in another group.
    assert.notEqual(ed.viewColumn, api.panel().viewColumn);
  });

  it('when the receiver’s lines differ, it says so, and Compare shows the snippet against those lines in a diff editor', async () => {
    const theirs = 'export function add(a: number, b: number) {\n  return a + b + 0;\n}';
    const m = await share({ file: 'snippet-src/sample.ts', startLine: 1, endLine: 3, code: theirs });
    assert.equal(await vscode.commands.executeCommand<string>('tcpChat.openSnippet', { room: 'general', seq: m.seq }), 'differs');
    assert.equal(await vscode.commands.executeCommand<string>('tcpChat.compareSnippet', { room: 'general', seq: m.seq }), 'compared');
    let diff: vscode.TabInputTextDiff | undefined;
    await waitFor(() => {
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
      diff = tab?.input instanceof vscode.TabInputTextDiff ? tab.input : undefined;
      return diff !== undefined;
    }, 'a diff editor');
    assert.equal(diff!.original.scheme, 'tcp-chat-snippet');
    assert.equal((await vscode.workspace.openTextDocument(diff!.original)).getText(), theirs);
    assert.equal((await vscode.workspace.openTextDocument(diff!.modified)).getText(), SAMPLE.split('\n').slice(0, 3).join('\n'));
    assert.match(vscode.window.tabGroups.activeTabGroup.activeTab?.label ?? '', /sample\.ts.*sharer/);
  });

  it('a path that is not in the workspace, or that climbs out of it, is not opened', async () => {
    const missing = await share({ file: 'snippet-src/nope.ts', startLine: 1, endLine: 1, code: 'x' });
    assert.equal(await vscode.commands.executeCommand<string>('tcpChat.openSnippet', { room: 'general', seq: missing.seq }), 'missing');
    const climbing = await share({ file: '../../../etc/passwd', startLine: 1, endLine: 1, code: 'root' });
    assert.equal(await vscode.commands.executeCommand<string>('tcpChat.openSnippet', { room: 'general', seq: climbing.seq }), 'missing');
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.fsPath === '/etc/passwd'), '/etc/passwd was opened');
  });

  it('Share Selection sends the git remote (without credentials) and the commit', async () => {
    const repo = path.join(dir, 'repo');
    fs.mkdirSync(repo, { recursive: true });
    const git = (...a: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...a], { cwd: repo, stdio: 'pipe' }).toString().trim();
    git('init', '-q');
    fs.writeFileSync(path.join(repo, 'lib.ts'), 'export const lib = 1;\n');
    git('add', '.');
    git('commit', '-qm', 'one');
    git('remote', 'add', 'origin', 'https://someone:s3cret@git.example.invalid/team/app.git');
    const commit = git('rev-parse', 'HEAD');
    const doc = await vscode.workspace.openTextDocument(path.join(repo, 'lib.ts'));
    const ed = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    ed.selection = new vscode.Selection(0, 0, 0, 21);
    const sent = await vscode.commands.executeCommand<{ remote?: string; commit?: string; code: string }>('tcpChat.shareSelection');
    // What the extension put on the wire (the command returns the snippet it sent).
    assert.equal(sent?.commit, commit);
    assert.equal(sent?.remote, 'https://git.example.invalid/team/app.git', 'the credentials were not removed from the remote');
    // The snippet itself arrives; relaying the two new fields is the server's part (see docs/protocol.md).
    await peer.waitFor((x) => x.type === 'message' && x.sender === 'receiver' && (x.snippet as { code?: string })?.code === 'export const lib = 1;', 10_000);
  });
});
