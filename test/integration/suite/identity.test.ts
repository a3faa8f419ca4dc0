/**
 * Identities in a real extension host (issue 10): the key is made once and
 * kept in SecretStorage, never in settings or the workspace; a fresh
 * activation reads the same one; another key (a second window, a terminal
 * client) cannot take the name; direct conversations follow renames and
 * never reach a stranger; a changed key is warned about in the conversation.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ChatClient } from '../../../src/engine/client/chatClient';
import { generateIdentity } from '../../../src/engine/identity';
import { ChatServer } from '../../../src/engine/server/chatServer';
import { activated, freePort, waitFor } from './helpers';
import type { TcpChatApi } from '../../../src/extension/extension';

/** Every file under `dir` (the workspace is small: settings and a few test files). */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('identities in the extension', function () {
  this.timeout(60_000);
  let api: TcpChatApi;
  let port: number;
  let server: ChatServer;
  const clients: ChatClient[] = [];

  /** A terminal client (or another window) with a key of its own. */
  async function other(name: string, opts: { identity?: boolean; insist?: boolean } = {}): Promise<ChatClient> {
    const c = new ChatClient({ host: '127.0.0.1', port, name, reconnect: false, ...(opts.identity !== false && { identity: generateIdentity() }), ...(opts.insist && { insist: true }) });
    clients.push(c);
    await c.connect();
    return c;
  }

  async function connectAs(name: string): Promise<void> {
    const ok = await vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port, name });
    assert.equal(ok, true, `connect as ${name}`);
  }

  before(async () => {
    ({ api } = await activated());
    port = await freePort();
    server = new ChatServer({ host: '127.0.0.1', port, rate: 0 });
    await server.listen();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.dispose();
    await vscode.commands.executeCommand('tcpChat.disconnect');
  });

  after(async () => {
    await server?.close();
  });

  it('makes the identity key once, keeps it in SecretStorage (never in settings or the workspace), proves it on every connect, and a reload reads the same', async () => {
    await connectAs('id-owner');
    const id = api.status().id;
    assert.match(id ?? '', /^ed25519:[A-Za-z0-9_-]{43}$/);
    assert.equal(api.status().guest, false);
    const kept = await api.identity();
    assert.equal(kept.stored, id, 'the key the server checked is the one in SecretStorage');
    assert.equal(kept.afterReload, id, 'a fresh activation reads the same key');
    const watcher = await other('id-watcher');
    await waitFor(async () => (await watcher.who()).includes('id-owner'), 'id-owner online');
    assert.equal(watcher.person('id-owner')?.id, id, 'the server knows the editor by that key');

    await vscode.commands.executeCommand('tcpChat.disconnect');
    await connectAs('id-owner');
    assert.equal(api.status().id, id, 'the same key again: it was not made twice');
    assert.equal((await api.identity()).stored, id);

    const publicKey = id!.slice('ed25519:'.length);
    const settings = JSON.stringify(vscode.workspace.getConfiguration('tcpChat')) + JSON.stringify(vscode.workspace.getConfiguration());
    assert.ok(!settings.includes(publicKey) && !settings.includes('PRIVATE KEY'), 'the key is not in settings');
    for (const f of filesUnder(vscode.workspace.workspaceFolders![0].uri.fsPath)) {
      const text = fs.readFileSync(f, 'utf8');
      assert.ok(!text.includes('PRIVATE KEY') && !text.includes(publicKey), `the key is in the workspace file ${f}`);
    }
  });

  it('another key cannot take the name: it gets another name and a notice, or name_claimed when it insists; a guest too; the owner gets it back', async () => {
    await connectAs('id-owner');
    const ownerId = api.status().id;
    await vscode.commands.executeCommand('tcpChat.disconnect');

    const stranger = await other('id-owner');
    assert.notEqual(stranger.name, 'id-owner');
    assert.match(stranger.notice ?? '', /id-owner belongs to another identity/);
    await assert.rejects(other('id-owner', { insist: true }), (err: Error & { code?: string }) => err.code === 'name_claimed');
    const guest = await other('id-owner', { identity: false });
    assert.notEqual(guest.name, 'id-owner');
    assert.equal(guest.guest, true);

    await connectAs('id-owner');
    assert.equal(api.status().name, 'id-owner', 'the owner’s key still gets its name');
    assert.equal(api.status().id, ownerId);
    // The people list marks the guest, and gives keyed people a fingerprint to compare.
    await waitFor(() => api.people().some((p) => p.name === guest.name), 'the guest in the people list');
    assert.equal(api.people().find((p) => p.name === guest.name)?.guest, true);
    assert.match(api.people().find((p) => p.name === stranger.name)?.fingerprint ?? '', /^[0-9a-f]{4}( [0-9a-f]{4}){3}$/);
  });

  it('shows the server’s notice in the conversation when the name asked for belongs to someone else', async () => {
    await other('id-taken');
    await connectAs('id-taken');
    const name = api.status().name;
    assert.notEqual(name, 'id-taken');
    assert.ok(
      api.systemLines(api.status().room).some((l) => l.includes('id-taken belongs to another identity') && l.includes(name!)),
      api.systemLines(api.status().room).join(' | '),
    );
  });

  it('a direct conversation follows a rename; a released name that comes back with another key is warned about, and the old conversation never reaches it', async () => {
    const bob = await other('id-bob');
    await connectAs('id-me');
    await waitFor(() => api.people().some((p) => p.name === 'id-bob'), 'bob in the people list');
    await vscode.commands.executeCommand('tcpChat.directMessage', 'id-bob');
    const key = api.status().room;
    assert.ok(key.startsWith('@') && key.includes(bob.id!), `the DM is keyed by identities: ${key}`);
    const got: string[] = [];
    bob.onMessage((m) => got.push(`${m.room} ${m.text}`));

    bob.rename('id-robert');
    await waitFor(() => api.people().some((p) => p.name === 'id-robert'), 'the rename in the people list');
    assert.equal(api.status().room, key, 'still the same conversation');
    api.send('after the rename');
    await waitFor(() => got.includes(`${key} after the rename`), 'the DM at bob, under his new name');

    // bob's key is lost: the operator releases his name, and someone else's key takes it.
    bob.dispose();
    await waitFor(() => !api.people().some((p) => p.name === 'id-robert'), 'bob gone');
    assert.ok(await server.releaseName('id-robert'), 'released');
    const mallory = await other('id-robert');
    assert.equal(mallory.name, 'id-robert');
    const seen: string[] = [];
    mallory.onMessage((m) => seen.push(m.text));
    await waitFor(() => api.systemLines('general').some((l) => /id-robert now has a different identity key \(was [0-9a-f ]+, now [0-9a-f ]+\)/.test(l)), 'the changed-key warning');
    assert.ok(api.systemLines(key).some((l) => l.includes('different identity key')), 'warned in the old conversation too');

    api.send('for bob only');
    await waitFor(() => api.systemLines(key).some((l) => l.includes('id-robert is someone else now')), 'the refusal in the old conversation');
    await mallory.who();
    assert.deepEqual(seen, [], 'nothing reached the new holder of the name');
  });
});
