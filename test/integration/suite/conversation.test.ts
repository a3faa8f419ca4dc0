/**
 * Replies, reactions, edits, deletes, @-completion members, the unread line
 * and Copy Link to Message in a real extension host (issue 15). The test
 * speaks for the webview through the same checked entry point its messages
 * take (api.panelSays), and reads what the host posts back to it; the other
 * side is a raw socket speaking the documented JSON lines.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ChatMessage } from '../../../src/engine/protocol';
import { ChatServer } from '../../../src/engine/server/chatServer';
import type { TcpChatApi } from '../../../src/extension/extension';
import { RawClient } from '../../support/rawClient';
import { activated, closeAll, freePort, waitFor } from './helpers';

type Frame = Record<string, unknown>;

describe('replies, reactions, edits and deletes in the extension', function () {
  this.timeout(30_000);
  let api: TcpChatApi;
  let port: number;
  let server: ChatServer;
  let bob: RawClient;
  let me: string;

  before(async () => {
    ({ api } = await activated());
    port = await freePort();
    server = new ChatServer({ host: '127.0.0.1', port, rate: 0 });
    await server.listen();
    bob = (await RawClient.hello(port, 'bob')).client;
    const ok = await vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port, name: 'convo-user' });
    assert.equal(ok, true, 'connect through the extension');
    me = api.status().name ?? '';
    await vscode.commands.executeCommand('tcpChat.openChat');
  });

  after(async () => {
    bob?.close();
    await vscode.commands.executeCommand('tcpChat.disconnect');
    await server?.close();
    await closeAll();
  });

  /** Bob says something in general; resolves with the stored message once the extension holds it. */
  async function bobSays(id: string, text: string, extra: Frame = {}): Promise<ChatMessage> {
    bob.send({ type: 'message', id, room: 'general', text, ...extra });
    const m = (await bob.waitFor((f) => f.type === 'message' && f.id === id)) as unknown as ChatMessage;
    await waitFor(() => held(m.seq) !== undefined, `message ${id} in the extension`);
    return m;
  }

  function held(seq: number, room = 'general'): ChatMessage | undefined {
    return api.conversation(room).messages.find((m) => m.seq === seq);
  }

  it('a reaction from the panel reaches others; a click again takes it back', async () => {
    const m = await bobSays('b1', 'ship it?');
    assert.ok(api.panelSays({ type: 'react', room: 'general', seq: m.seq, emoji: '👍', on: true }));
    const on = await bob.waitFor((f) => f.type === 'update');
    assert.deepEqual((on.message as ChatMessage).reactions, [{ emoji: '👍', count: 1, people: [me] }]);
    await waitFor(() => held(m.seq)?.reactions?.[0]?.count === 1, 'the reaction in the extension');
    assert.ok(api.panelPosts().some((p) => p.type === 'update' && p.message.seq === m.seq), 'the panel was told');
    api.panelSays({ type: 'react', room: 'general', seq: m.seq, emoji: '👍', on: false });
    const off = await bob.waitFor((f) => f.type === 'update');
    assert.equal((off.message as ChatMessage).reactions, undefined);
    await waitFor(() => held(m.seq)?.reactions === undefined, 'the reaction gone in the extension');
  });

  it('a reply from the panel carries the quote; edit and delete of your own reach everyone', async () => {
    const original = await bobSays('b2', 'can you review #42?');
    api.panelSays({ type: 'send', room: 'general', text: 'on it', replyTo: original.seq });
    const reply = (await bob.waitFor((f) => f.type === 'message' && f.text === 'on it')) as unknown as ChatMessage;
    assert.equal(reply.replyTo, original.seq);
    assert.deepEqual(reply.reply, { seq: original.seq, sender: 'bob', excerpt: 'can you review #42?' });
    await waitFor(() => held(reply.seq) !== undefined, 'the reply in the extension');

    api.panelSays({ type: 'edit', room: 'general', seq: reply.seq, text: 'on it, after lunch' });
    const edited = (await bob.waitFor((f) => f.type === 'update')).message as ChatMessage;
    assert.deepEqual([edited.text, typeof edited.edited], ['on it, after lunch', 'string']);
    await waitFor(() => held(reply.seq)?.edited !== undefined, '(edited) in the extension');

    api.panelSays({ type: 'delete', room: 'general', seq: reply.seq });
    const gone = (await bob.waitFor((f) => f.type === 'update')).message as ChatMessage;
    assert.deepEqual([gone.deleted, gone.text], [true, '']);
    await waitFor(() => held(reply.seq)?.deleted === true, '"message deleted" in the extension');
  });

  it("cannot edit or delete bob's message, and shows bob's own edit", async () => {
    const m = await bobSays('b3', 'teh typo');
    api.panelSays({ type: 'edit', room: 'general', seq: m.seq, text: 'hijacked' });
    api.panelSays({ type: 'delete', room: 'general', seq: m.seq });
    const refusals = () => api.panelPosts().filter((p) => p.type === 'items' && p.items.some((i) => i.type === 'system' && /only its author/.test(i.text))).length;
    await waitFor(() => refusals() >= 2, 'both refusals shown in the room');
    assert.equal(held(m.seq)?.text, 'teh typo');
    bob.send({ type: 'edit', id: 'e3', room: 'general', seq: m.seq, text: 'the typo, fixed' });
    await waitFor(() => held(m.seq)?.text === 'the typo, fixed', "bob's edit in the extension");
  });

  it("lists the room's members for @-completion", async () => {
    await waitFor(() => api.conversation('general').members.includes('bob'), 'bob among the members of general');
    bob.send({ type: 'join', room: 'convo-dev' });
    await bob.waitFor((f) => f.type === 'joined' && f.room === 'convo-dev');
    await vscode.commands.executeCommand('tcpChat.joinRoom', 'convo-dev');
    await waitFor(() => api.conversation('convo-dev').members.includes('bob') && api.conversation('convo-dev').members.includes(me), 'members of convo-dev');
    const carol = (await RawClient.hello(port, 'carol')).client;
    try {
      carol.send({ type: 'join', room: 'convo-dev' });
      await waitFor(() => api.conversation('convo-dev').members.includes('carol'), 'carol joined convo-dev');
      carol.send({ type: 'leave', room: 'convo-dev' });
      await waitFor(() => !api.conversation('convo-dev').members.includes('carol'), 'carol left convo-dev');
    } finally {
      carol.close();
    }
  });

  it('marks where unread messages start when you come back to a room', async () => {
    api.panelSays({ type: 'switchRoom', room: 'convo-dev' });
    await waitFor(() => api.status().room === 'convo-dev', 'looking at convo-dev');
    const first = await bobSays('b4', 'while you were away');
    await bobSays('b5', 'and this too');
    api.panelSays({ type: 'switchRoom', room: 'general' });
    await waitFor(() => api.panelPosts().some((p) => p.type === 'room' && p.active === 'general' && p.unreadFrom === first.seq), 'the room switch names the first unread message');
    const back = api.panelPosts().filter((p) => p.type === 'room' && p.active === 'general').pop();
    assert.ok(back && back.type === 'room' && back.unreadFrom === first.seq);
  });

  it('Copy Link to Message puts a link on the clipboard that opens the panel at the message', async () => {
    const m = await bobSays('b6', 'link to me');
    api.panelSays({ type: 'copyLink', room: 'general', seq: m.seq });
    await waitFor(async () => (await vscode.env.clipboard.readText()).includes(`seq=${m.seq}`), 'the link on the clipboard');
    const link = await vscode.env.clipboard.readText();
    assert.equal(link, `vscode://tcp-chat.tcp-chat/message?server=127.0.0.1%3A${port}&room=general&seq=${m.seq}`);
    api.panelSays({ type: 'switchRoom', room: 'convo-dev' });
    await waitFor(() => api.status().room === 'convo-dev', 'elsewhere first');
    assert.equal(await api.openInvite(link), 'shown');
    assert.equal(api.status().room, 'general');
    assert.ok(api.panel().visible, 'the panel is open');
    assert.ok(api.panelPosts().some((p) => p.type === 'jump' && p.room === 'general' && p.seq === m.seq), 'the panel is told to jump to it');
    assert.equal(await api.openInvite(link.replace(`%3A${port}`, '%3A1')), 'elsewhere', 'a link to another server does not open here');
    assert.equal(await api.openInvite(link.replace(`seq=${m.seq}`, 'seq=zero')), 'invalid');
  });

  it("a reply's quote follows an edit and a delete of its original", async () => {
    const original = await bobSays('b7', 'teh release is friday');
    const reply = await bobSays('b8', 'noted', { replyTo: original.seq });
    assert.deepEqual(held(reply.seq)?.reply, { seq: original.seq, sender: 'bob', excerpt: 'teh release is friday' });
    bob.send({ type: 'edit', id: 'e7', room: 'general', seq: original.seq, text: 'the release is friday' });
    await waitFor(() => held(reply.seq)?.reply?.excerpt === 'the release is friday', 'the quote shows the edited text');
    assert.ok(api.panelPosts().some((p) => p.type === 'update' && p.message.seq === reply.seq && p.message.reply?.excerpt === 'the release is friday'), 'the panel redraws the reply');
    bob.send({ type: 'delete', id: 'd7', room: 'general', seq: original.seq });
    await waitFor(() => held(reply.seq)?.reply?.deleted === true, 'the quote says the original was deleted');
    assert.ok(api.panelPosts().some((p) => p.type === 'update' && p.message.seq === reply.seq && p.message.reply?.deleted === true));
  });

  it('a click on the quote of an original that is not loaded loads it and jumps there; a deleted one says so', async () => {
    bob.send({ type: 'join', room: 'convo-long' });
    await bob.waitFor((f) => f.type === 'joined' && f.room === 'convo-long');
    const say = async (id: string, text: string, extra: Frame = {}) => {
      bob.send({ type: 'message', id, room: 'convo-long', text, ...extra });
      return (await bob.waitFor((f) => f.type === 'message' && f.id === id)) as unknown as ChatMessage;
    };
    const original = await say('l0', 'the plan, long ago');
    const doomed = await say('l1', 'to be deleted');
    for (let i = 0; i < 80; i++) bob.send({ type: 'message', id: `lf${i}`, room: 'convo-long', text: `filler ${i}` });
    await bob.waitFor((f) => f.type === 'message' && f.id === 'lf79');
    bob.send({ type: 'delete', id: 'ld1', room: 'convo-long', seq: doomed.seq });
    await bob.waitFor((f) => f.type === 'update');
    const reply = await say('l2', 'about that plan', { replyTo: original.seq });
    await vscode.commands.executeCommand('tcpChat.joinRoom', 'convo-long');
    await waitFor(() => held(reply.seq, 'convo-long') !== undefined, 'the room and its last messages');
    assert.equal(held(original.seq, 'convo-long'), undefined, 'the original is older than what the join brought');

    api.panelSays({ type: 'showMessage', room: 'convo-long', seq: original.seq });
    await waitFor(() => api.panelPosts().some((p) => p.type === 'jump' && p.room === 'convo-long' && p.seq === original.seq), 'the panel is told to jump to it', 15_000);
    assert.equal(held(original.seq, 'convo-long')?.text, 'the plan, long ago');
    const seqs = api.conversation('convo-long').messages.map((m) => m.seq);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => seqs[0] + i), 'the room holds an unbroken run of messages');
    const page = api.panelPosts().find((p) => p.type === 'items' && p.room === 'convo-long' && p.position === 'prepend');
    assert.ok(page && page.type === 'items' && page.items.some((i) => i.type === 'message' && i.seq === original.seq), 'the loaded page went to the panel before the jump');
    const jump = api.panelPosts().find((p) => p.type === 'jump' && p.seq === original.seq);
    assert.ok(jump && jump.type === 'jump' && jump.note === undefined);
    assert.ok(api.panelPosts().some((p) => p.type === 'jump' && p.room === 'convo-long' && p.seq === doomed.seq) === false);
    api.panelSays({ type: 'showMessage', room: 'convo-long', seq: doomed.seq });
    await waitFor(() => api.panelPosts().some((p) => p.type === 'jump' && p.seq === doomed.seq && p.note === 'That message was deleted.'), 'a deleted original: the jump says so');
    api.panelSays({ type: 'showMessage', room: 'convo-long', seq: 5000 });
    await waitFor(() => api.panelPosts().some((p) => p.type === 'items' && p.items.some((i) => i.type === 'system' && /message 5000 of #convo-long is not on the server/.test(i.text))), 'a message that does not exist: said in the room');
    // A link into a room this window has not joined: said, and no room appears for it.
    const elsewhere = `vscode://tcp-chat.tcp-chat/message?server=127.0.0.1%3A${port}&room=convo-unjoined&seq=1`;
    assert.equal(await api.openInvite(elsewhere), 'shown');
    await waitFor(() => api.panelPosts().some((p) => p.type === 'items' && p.items.some((i) => i.type === 'system' && /in #convo-unjoined, which you have not joined/.test(i.text))), 'the link into an unjoined room is explained');
    assert.ok(!api.panelPosts().some((p) => p.type === 'rooms' && p.rooms.some((r) => r.key === 'convo-unjoined')), 'no room for it in the list');
  });
});

describe('@-completion in a large room, in the extension', function () {
  this.timeout(30_000);
  let api: TcpChatApi;
  let server: ChatServer;
  const others: RawClient[] = [];

  before(async () => {
    ({ api } = await activated());
    const port = await freePort();
    // Above 3 people the welcome names only you and the latest speakers (docs/protocol.md).
    server = new ChatServer({ host: '127.0.0.1', port, rate: 0, largeRoom: 3 });
    await server.listen();
    for (const n of ['zoe', 'zack', 'yan', 'xu']) others.push((await RawClient.hello(port, n)).client);
    const ok = await vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port, name: 'large-user' });
    assert.equal(ok, true, 'connect through the extension');
    await vscode.commands.executeCommand('tcpChat.openChat');
  });

  after(async () => {
    for (const c of others) c.close();
    await vscode.commands.executeCommand('tcpChat.disconnect');
    await server?.close();
    await closeAll();
  });

  it('asks the server with the prefix and finds a member the panel does not know', async () => {
    await waitFor(() => api.panelPosts().some((p) => (p.type === 'init' || p.type === 'room') && p.active === 'general' && (p.memberCount ?? 0) >= 5), 'the panel learns the room is larger than its list');
    assert.ok(!api.conversation('general').members.includes('zoe'), `zoe is not among the members the panel knows: ${api.conversation('general').members.join(', ')}`);
    assert.ok(api.panelSays({ type: 'findMembers', id: 41, room: 'general', prefix: 'Z' }));
    await waitFor(() => api.panelPosts().some((p) => p.type === 'memberMatches' && p.id === 41), 'the answer');
    const found = api.panelPosts().find((p) => p.type === 'memberMatches' && p.id === 41);
    assert.deepEqual(found && found.type === 'memberMatches' && [found.room, found.prefix, found.names, found.error], ['general', 'Z', ['zack', 'zoe'], undefined]);
    // A refusal is an answer too: the composer keeps what it shows.
    api.panelSays({ type: 'findMembers', id: 42, room: 'nowhere', prefix: 'z' });
    await waitFor(() => api.panelPosts().some((p) => p.type === 'memberMatches' && p.id === 42), 'the refusal');
    const refused = api.panelPosts().find((p) => p.type === 'memberMatches' && p.id === 42);
    assert.ok(refused && refused.type === 'memberMatches' && refused.names.length === 0 && /nowhere/.test(refused.error ?? ''), JSON.stringify(refused));
  });
});
