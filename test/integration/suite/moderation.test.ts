/**
 * Room moderation in a real extension host: Chat: Set Topic (and what the
 * panel header is told), the refusal under +t for a non-operator, and Kick
 * and Ban for an operator. The other side is a raw socket speaking the
 * documented JSON lines.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ChatServer } from '../../../src/engine/server/chatServer';
import { RawClient } from '../../support/rawClient';
import { activated, closeAll, freePort, waitFor } from './helpers';
import type { TcpChatApi } from '../../../src/extension/extension';

describe('room moderation: Chat: Set Topic, kick and ban', function () {
  this.timeout(30_000);
  let api: TcpChatApi;
  let server: ChatServer;
  let bob: RawClient;
  let me: string;

  before(async () => {
    ({ api } = await activated());
    const port = await freePort();
    server = new ChatServer({ host: '127.0.0.1', port, rate: 0 });
    await server.listen();
    // First on a new server: this window's user made general, so is its operator.
    const ok = await vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port, name: 'topic-setter' });
    assert.equal(ok, true, 'connect through the extension');
    me = api.status().name ?? '';
    bob = (await RawClient.hello(port, 'bob')).client;
    await vscode.commands.executeCommand('tcpChat.openChat');
  });

  after(async () => {
    bob?.close();
    await vscode.commands.executeCommand('tcpChat.disconnect');
    await server?.close();
    await closeAll();
  });

  it('Chat: Set Topic sets the topic of the room the panel shows; members see it, and so does the header', async () => {
    await waitFor(() => api.status().room === 'general' && api.status().roomSettings.operator, 'operator status in general');
    assert.equal(api.status().roomSettings.canSetTopic, true);
    await vscode.commands.executeCommand('tcpChat.setTopic', 'Release on Friday 🚀');
    const t = await bob.waitFor((f) => f.type === 'topic');
    assert.deepEqual([t.room, t.text, t.by], ['general', 'Release on Friday 🚀', me]);
    await waitFor(() => api.status().roomSettings.topic === 'Release on Friday 🚀', 'the topic in the panel header');

    await vscode.commands.executeCommand('tcpChat.setTopic', '');
    assert.equal((await bob.waitFor((f) => f.type === 'topic')).text, '', 'an empty topic clears it');
    await waitFor(() => api.status().roomSettings.topic === '', 'the header without a topic');
  });

  it('in a +t room someone else made, only its operators set the topic; the header shows theirs', async () => {
    bob.send({ type: 'join', room: 'design' });
    await bob.waitFor((f) => f.type === 'joined' && f.room === 'design');
    bob.send({ type: 'topic', room: 'design', topic: 'Mockups due Monday' });
    await bob.waitFor((f) => f.type === 'topic' && f.room === 'design');
    await vscode.commands.executeCommand('tcpChat.joinRoom', 'design');
    await waitFor(() => api.status().room === 'design' && api.status().roomSettings.topic === 'Mockups due Monday', 'the topic of design in the header');
    assert.deepEqual(api.status().roomSettings, { topic: 'Mockups due Monday', canSetTopic: false, operator: false });

    // Refused before anything is sent: bob hears no topic change.
    await vscode.commands.executeCommand('tcpChat.setTopic', 'mine now');
    bob.send({ type: 'mode', room: 'design', changes: [{ mode: '-t' }] });
    await bob.waitFor((f) => f.type === 'mode' && f.room === 'design');
    await waitFor(() => api.status().roomSettings.canSetTopic, 'Set Topic allowed once the room is -t');
    await vscode.commands.executeCommand('tcpChat.setTopic', 'anyone may now');
    const t = await bob.waitFor((f) => f.type === 'topic' && f.room === 'design');
    assert.deepEqual([t.text, t.by], ['anyone may now', me], 'the only topic change bob saw is the allowed one');
  });

  it('an operator kicks and bans from the room the panel shows', async () => {
    await vscode.commands.executeCommand('tcpChat.joinRoom', 'ops');
    await waitFor(() => api.status().room === 'ops' && api.status().roomSettings.operator, 'operator status in the room this window made');
    bob.send({ type: 'join', room: 'ops' });
    await bob.waitFor((f) => f.type === 'joined' && f.room === 'ops');

    await vscode.commands.executeCommand('tcpChat.kickUser', 'bob', 'cleaning up');
    assert.deepEqual(await bob.waitFor((f) => f.type === 'kick'), { type: 'kick', room: 'ops', name: 'bob', by: me, reason: 'cleaning up' });

    // A ban asks first (a modal); answer it the way a person would, with its Ban button.
    const win = vscode.window as { showWarningMessage: (...a: unknown[]) => Thenable<unknown> };
    const original = win.showWarningMessage;
    const asked: string[] = [];
    win.showWarningMessage = (...a: unknown[]) => {
      asked.push(String(a[0]));
      return Promise.resolve(a[2]);
    };
    try {
      await vscode.commands.executeCommand('tcpChat.banUser', 'bob');
    } finally {
      win.showWarningMessage = original;
    }
    assert.deepEqual(asked, ['Ban bob from #ops?']);
    bob.send({ type: 'join', room: 'ops' });
    const refused = await bob.waitFor((f) => f.type === 'error' && f.room === 'ops');
    assert.equal(refused.code, 'banned');
  });
});
