/**
 * The everyday chat experience in a real extension host: every command,
 * reconnecting with the status bar following, sharing a selection, a file
 * round trip with its checksum, the size cap, and mention notifications.
 * The other side is always a raw socket speaking the documented JSON lines.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import { ChatServer } from '../../../src/engine/server/chatServer';
import { RawClient } from '../../support/rawClient';
import { activated, capturingErrors, closeAll, freePort, waitFor } from './helpers';
import type { TcpChatApi } from '../../../src/extension/extension';

type Frame = Record<string, unknown>;

describe('the chat experience', function () {
  this.timeout(30_000);
  let api: TcpChatApi;
  let port: number;
  let server: ChatServer;
  let bob: RawClient;
  let me: string;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-chat-exp-'));

  before(async () => {
    ({ api } = await activated());
    port = await freePort();
    server = new ChatServer({ host: '127.0.0.1', port, rate: 0 });
    await server.listen();
    const ok = await vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port, name: 'exp-user' });
    assert.equal(ok, true, 'connect through the extension');
    me = api.status().name ?? '';
    bob = (await RawClient.hello(port, 'bob')).client;
  });

  after(async () => {
    bob?.close();
    await vscode.commands.executeCommand('tcpChat.disconnect');
    await server?.close();
    await closeAll();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('Chat: Set Display Name renames you on the server', async () => {
    await vscode.commands.executeCommand('tcpChat.setName', 'exp-renamed');
    const p = await bob.waitFor((f) => f.type === 'presence' && f.event === 'rename');
    assert.equal(p.from, me);
    assert.equal(p.name, 'exp-renamed');
    await waitFor(() => api.status().name === 'exp-renamed', 'the new name in the extension');
    me = 'exp-renamed';
    await vscode.workspace.getConfiguration('tcpChat').update('displayName', undefined, vscode.ConfigurationTarget.Global);
  });

  it('Chat: Join Room joins, and messages in it reach the room', async () => {
    bob.send({ type: 'join', room: 'design' });
    await bob.waitFor((f) => f.type === 'joined' && f.room === 'design');
    await vscode.commands.executeCommand('tcpChat.joinRoom', 'design');
    await bob.waitFor((f) => f.type === 'presence' && f.event === 'join' && f.room === 'design' && f.name === me);
    bob.send({ type: 'message', id: 'd1', room: 'design', text: 'in design' });
    await waitFor(() => api.received().some((m) => m.room === 'design' && m.text === 'in design'), 'the room message in the extension');
  });

  it('Chat: Direct Message opens a private conversation that only bob sees', async () => {
    const carol = (await RawClient.hello(port, 'carol')).client;
    try {
      await vscode.commands.executeCommand('tcpChat.directMessage', 'bob');
      await vscode.commands.executeCommand('tcpChat.openChat');
      // Panel sends go to the active conversation, now the DM; type through the same path the panel uses.
      bob.send({ type: 'message', id: 'dm1', to: me, text: 'psst' });
      await waitFor(() => api.received().some((m) => m.text === 'psst' && m.to === me), 'the DM in the extension');
      carol.send({ type: 'ping', id: 'c' });
      await carol.waitFor((f) => f.type === 'pong');
      assert.ok(!carol.frames.some((f) => f.type === 'message' && f.text === 'psst'), 'carol never sees the DM');
    } finally {
      carol.close();
    }
  });

  it('Chat: Search Message History finds stored messages', async () => {
    bob.send({ type: 'message', id: 's1', room: 'general', text: 'the quokka sentence' });
    await waitFor(() => api.received().some((m) => m.text === 'the quokka sentence'), 'the message');
    const qp = vscode.window as { showQuickPick: (...a: unknown[]) => Thenable<unknown> };
    const original = qp.showQuickPick;
    let shown: { label: string }[] = [];
    qp.showQuickPick = async (items: unknown) => {
      shown = (await items) as { label: string }[];
      return undefined;
    };
    try {
      const n = await vscode.commands.executeCommand<number>('tcpChat.searchHistory', 'QUOKKA');
      assert.equal(n, 1);
      assert.equal(shown[0]?.label, 'the quokka sentence');
    } finally {
      qp.showQuickPick = original;
    }
  });

  it('Chat: Share Selection sends the code with its language, file and lines', async () => {
    const file = path.join(tmp, 'sample.ts');
    fs.writeFileSync(file, 'const a = 1;\nfunction add(x: number) {\n  return x + a;\n}\n');
    const doc = await vscode.workspace.openTextDocument(file);
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    editor.selection = new vscode.Selection(1, 0, 2, 15);
    await vscode.commands.executeCommand('tcpChat.shareSelection');
    const m = await bob.waitFor((f) => f.type === 'message' && typeof f.snippet === 'object' && f.snippet !== null);
    const snip = m.snippet as Frame;
    assert.equal(snip.lang, 'typescript');
    assert.equal(snip.startLine, 2);
    assert.equal(snip.endLine, 3);
    assert.equal(snip.code, 'function add(x: number) {\n  return x + a;');
    assert.match(String(snip.file), /sample\.ts$/);
    assert.equal(m.sender, me);
  });

  it('Chat: Send File delivers the bytes with a matching SHA-256', async () => {
    const data = Buffer.alloc(100_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    const file = path.join(tmp, 'blob.bin');
    fs.writeFileSync(file, data);
    const sent = vscode.commands.executeCommand<boolean>('tcpChat.sendFile', vscode.Uri.file(file));
    const offer = await bob.waitFor((f) => f.type === 'file_offer', 10_000);
    assert.equal(offer.name, 'blob.bin');
    assert.equal(offer.size, data.length);
    await bob.waitFor((f) => f.type === 'file_done' && f.id === offer.id, 10_000);
    const chunks = bob.frames.filter((f) => f.type === 'file_chunk' && f.id === offer.id).sort((a, b) => Number(a.index) - Number(b.index));
    const got = Buffer.concat(chunks.map((c) => Buffer.from(String(c.data), 'base64')));
    assert.equal(createHash('sha256').update(got).digest('hex'), offer.sha256);
    assert.deepEqual(got, data);
    assert.equal(await sent, true);
  });

  it('a file from someone else is saved only when asked, and arrives intact', async () => {
    const data = Buffer.from('a file from bob\n'.repeat(5000));
    const sha = createHash('sha256').update(data).digest('hex');
    bob.send({ type: 'file_offer', id: 'bf1', room: 'general', name: '../../evil/notes.txt', size: data.length, sha256: sha });
    for (let i = 0, off = 0; off < data.length; i++, off += 32768) bob.send({ type: 'file_chunk', id: 'bf1', index: i, data: data.subarray(off, off + 32768).toString('base64') });
    await bob.waitFor((f) => f.type === 'file_done' && f.id === 'bf1');
    const target = vscode.Uri.file(path.join(tmp, 'saved-notes.txt'));
    assert.equal(fs.existsSync(target.fsPath), false, 'nothing saved by itself');
    let saved: string | undefined;
    await waitFor(async () => {
      saved = await vscode.commands.executeCommand<string>('tcpChat.saveFile', 'bob/bf1', target);
      return saved !== undefined;
    }, 'the file to be ready to save');
    const back = fs.readFileSync(target.fsPath);
    assert.equal(createHash('sha256').update(back).digest('hex'), sha);
  });

  it('an oversized file is refused with a message that names the limit', async () => {
    const cfg = vscode.workspace.getConfiguration('tcpChat');
    await cfg.update('maxFileSize', 2048, vscode.ConfigurationTarget.Global);
    try {
      const file = path.join(tmp, 'big.bin');
      fs.writeFileSync(file, Buffer.alloc(10_000));
      const { result, errors } = await capturingErrors(() => vscode.commands.executeCommand('tcpChat.sendFile', vscode.Uri.file(file)));
      assert.equal(result, undefined);
      assert.equal(errors.length, 1);
      assert.match(errors[0], /big\.bin is 9\.8 KB; the limit is 2\.0 KB \(setting tcpChat\.maxFileSize\)/);
    } finally {
      await cfg.update('maxFileSize', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('an @mention raises a notification while the panel is hidden', async () => {
    await closeAll();
    await waitFor(() => !api.panel().open, 'the panel to close');
    const before = api.notifications().length;
    bob.send({ type: 'message', id: 'mention1', room: 'general', text: `hey @${me} look at this` });
    await waitFor(() => api.notifications().length > before, 'a notification');
    assert.match(api.notifications().at(-1) ?? '', new RegExp(`^bob \\(#general\\): hey @${me} look at this$`));
    bob.send({ type: 'message', id: 'plain1', room: 'general', text: 'no mention here' });
    await waitFor(() => api.received().some((m) => m.id === 'plain1'), 'the plain message');
    assert.ok(!api.notifications().some((n) => n.includes('no mention here')), 'a plain message does not notify by default');
  });

  it('the panel title shows the unread count while it is hidden', async () => {
    await vscode.commands.executeCommand('tcpChat.openChat');
    await waitFor(() => api.panel().visible, 'the panel');
    // Open an editor in the panel's group so the panel is hidden but still exists.
    const doc = await vscode.workspace.openTextDocument({ content: 'x' });
    await vscode.window.showTextDocument(doc, { viewColumn: api.panel().viewColumn, preview: false });
    await waitFor(() => api.panel().open && !api.panel().visible, 'the panel to be hidden');
    bob.send({ type: 'message', id: 'u1', room: 'general', text: 'unread one' });
    await waitFor(() => /^Chat \(\d+\)$/.test(api.panel().title ?? ''), 'an unread count in the title');
    assert.match(api.status().statusText, /unread/);
  });

  it('reconnects by itself after the server restarts, and the status bar follows', async () => {
    await server.close();
    await waitFor(() => api.status().state === 'reconnecting', 'the reconnecting state', 10_000);
    assert.match(api.status().statusText, /reconnecting/);
    server = new ChatServer({ host: '127.0.0.1', port, rate: 0 });
    await server.listen();
    await waitFor(() => api.status().state === 'connected', 'the connection to come back', 20_000);
    assert.match(api.status().statusText, new RegExp(`${me} @ 127\\.0\\.0\\.1:${port}`));
    bob = (await RawClient.hello(port, 'bob')).client;
    bob.send({ type: 'message', id: 'after1', room: 'general', text: 'after the restart' });
    await waitFor(() => api.received().some((m) => m.id === 'after1'), 'a message after the restart');
  });

  it('Chat: Show Connection Log, Chat: Disconnect and Chat: Stop Server do what they say', async () => {
    await vscode.commands.executeCommand('tcpChat.showLog');
    await vscode.commands.executeCommand('tcpChat.disconnect');
    assert.equal(api.status().state, 'disconnected');
    assert.match(api.status().statusText, /disconnected/);
    const p = await freePort();
    const addr = await vscode.commands.executeCommand<{ port: number }>('tcpChat.startServer', { host: '127.0.0.1', port: p });
    assert.equal(addr?.port, p);
    assert.match(api.status().statusText, new RegExp(`serving :${p}`));
    await vscode.commands.executeCommand('tcpChat.stopServer');
    assert.equal(api.status().serving, undefined);
  });
});
