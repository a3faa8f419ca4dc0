import * as assert from 'node:assert/strict';
import type { ChatMessage } from '../../src/engine/protocol';
import { FileStore } from '../../src/engine/stores/fileStore';
import { Harness, nextEvent } from '../support/harness';
import type { RawClient } from '../support/rawClient';

/** Replies, reactions, edits and deletes over real sockets (issue 15). */
describe('Replies, reactions, edits and deletes', function () {
  this.timeout(20_000);
  const h = new Harness();
  afterEach(() => h.cleanup());

  async function say(c: RawClient, id: string, text: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    c.send({ type: 'message', id, room: 'general', text, ...extra });
    return c.waitFor((f) => f.type === 'message' && f.id === id);
  }

  /** The refusal of the frame with this id. */
  function refusal(c: RawClient, id: string): Promise<Record<string, unknown>> {
    return c.waitFor((f) => f.type === 'error' && f.ref === id);
  }

  function update(c: RawClient, match: (m: ChatMessage) => boolean = () => true): Promise<ChatMessage> {
    return c.waitFor((f) => f.type === 'update' && match(f.message as ChatMessage)).then((f) => f.message as ChatMessage);
  }

  async function history(c: RawClient, room = 'general'): Promise<ChatMessage[]> {
    const id = `h${Math.random()}`;
    c.send({ type: 'history', id, room });
    return (await c.waitFor((f) => f.type === 'history' && f.id === id)).messages as ChatMessage[];
  }

  async function search(c: RawClient, query: string): Promise<ChatMessage[]> {
    const id = `s${Math.random()}`;
    c.send({ type: 'search', id, query });
    return (await c.waitFor((f) => f.type === 'search_results' && f.id === id)).messages as ChatMessage[];
  }

  /** Three people in general: alice writes, bob answers, mallory tries what she may not. */
  async function room() {
    const { port, server } = await h.server();
    const alice = (await h.raw(port, 'alice')).client;
    const bob = (await h.raw(port, 'bob')).client;
    const mallory = (await h.raw(port, 'mallory')).client;
    return { port, server, alice, bob, mallory };
  }

  it('a reply names the seq it answers and quotes the original as it reads now', async () => {
    const { alice, bob } = await room();
    const original = await say(alice, 'a1', 'shall we ship on Friday?');
    const reply = await say(bob, 'b1', 'yes', { replyTo: original.seq });
    assert.equal(reply.replyTo, original.seq);
    assert.deepEqual(reply.reply, { seq: original.seq, sender: 'alice', excerpt: 'shall we ship on Friday?' });
    const atAlice = await alice.waitFor((f) => f.type === 'message' && f.id === 'b1');
    assert.deepEqual(atAlice.reply, reply.reply);

    alice.send({ type: 'edit', id: 'e1', room: 'general', seq: original.seq, text: 'shall we ship on Monday?' });
    await update(bob);
    const [, second] = await history(bob);
    assert.deepEqual(second.reply, { seq: original.seq, sender: 'alice', excerpt: 'shall we ship on Monday?' }, 'history quotes the current text');

    bob.send({ type: 'message', id: 'b2', room: 'general', text: 'to nothing', replyTo: 99 });
    assert.equal((await refusal(bob, 'b2')).code, 'bad_target');
    const long = await say(alice, 'a2', 'x'.repeat(500));
    const quoted = await say(bob, 'b3', 'long one', { replyTo: long.seq });
    assert.equal([...((quoted.reply as { excerpt: string }).excerpt ?? '')].length, 140, 'a quote is an excerpt');
  });

  it('only the author edits; the edit reaches everyone, and history and search show the latest text', async () => {
    const { alice, bob, mallory } = await room();
    const m = await say(alice, 'a1', 'the deploy key is in teh vault');
    mallory.send({ type: 'edit', id: 'x1', room: 'general', seq: m.seq, text: 'send the key to mallory' });
    assert.equal((await refusal(mallory, 'x1')).code, 'not_allowed');
    alice.send({ type: 'edit', id: 'e1', room: 'general', seq: m.seq, text: 'x'.repeat(16_001) });
    assert.equal((await refusal(alice, 'e1')).code, 'too_long', 'an edit is held to the message size limit');
    alice.send({ type: 'edit', id: 'e2', room: 'general', seq: m.seq, text: 'the deploy key is in the vault' });
    const [frame, atAlice] = await Promise.all([bob.waitFor((f) => f.type === 'update'), update(alice)]);
    const atBob = frame.message as ChatMessage;
    assert.deepEqual(frame.change, { kind: 'edit', by: 'alice' }, 'an update says what changed and who changed it');
    assert.equal(atBob.text, 'the deploy key is in the vault');
    assert.ok(atBob.edited, 'it says when it was edited');
    assert.equal(atBob.rev, 1);
    assert.deepEqual(atAlice, atBob);
    const [stored] = await history(mallory);
    assert.deepEqual([stored.text, stored.edited, stored.rev], [atBob.text, atBob.edited, 1]);
    assert.deepEqual(
      (await search(bob, 'vault')).map((x) => x.text),
      ['the deploy key is in the vault'],
    );
    assert.deepEqual(await search(bob, 'teh'), [], 'the old text is not searchable');
  });

  it('a guest changes its messages only within its session: a newcomer under the same name cannot', async () => {
    // bob, not alice: alice came first and operates general, and operators are listed by name (docs/security.md).
    const { port, alice, bob } = await room();
    const m = await say(bob, 'b1', 'guest words');
    bob.close();
    await alice.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'bob');
    const impostor = (await h.raw(port, 'bob')).client;
    impostor.send({ type: 'edit', id: 'x1', room: 'general', seq: m.seq, text: 'not mine' });
    assert.equal((await refusal(impostor, 'x1')).code, 'not_allowed');
    impostor.send({ type: 'delete', id: 'x2', room: 'general', seq: m.seq });
    assert.equal((await refusal(impostor, 'x2')).code, 'not_allowed');
  });

  it('a guest that reconnects with its session token is still the author', async () => {
    const { port, bob } = await room();
    const first = await h.raw(port, 'carol');
    const m = await say(first.client, 'c1', 'carol was here');
    first.client.close();
    await bob.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'carol');
    const again = await h.rawNoHello(port);
    again.send({ type: 'hello', v: 1, name: 'carol', session: first.welcome.session });
    await again.waitFor((f) => f.type === 'welcome');
    again.send({ type: 'edit', id: 'e1', room: 'general', seq: m.seq, text: 'carol is back' });
    assert.equal((await update(bob)).text, 'carol is back');
  });

  it('only the author deletes; a delete erases the text from history and search and leaves "deleted"', async () => {
    const { alice, bob, mallory } = await room();
    const m = await say(alice, 'a1', 'oops, my password is hunter2');
    const reply = await say(bob, 'b1', 'you should delete that', { replyTo: m.seq });
    mallory.send({ type: 'delete', id: 'x1', room: 'general', seq: m.seq });
    assert.equal((await refusal(mallory, 'x1')).code, 'not_allowed');
    bob.send({ type: 'delete', id: 'x2', room: 'general', seq: m.seq });
    assert.equal((await refusal(bob, 'x2')).code, 'not_allowed', 'replying gives no right to delete');
    assert.equal((await search(bob, 'hunter2')).length, 1, 'still there after the refusals');

    alice.send({ type: 'delete', id: 'd1', room: 'general', seq: m.seq });
    const gone = await update(mallory);
    assert.deepEqual([gone.seq, gone.text, gone.deleted, gone.sender], [m.seq, '', true, 'alice']);
    const [first, second] = await history(bob);
    assert.deepEqual([first.text, first.deleted], ['', true]);
    assert.deepEqual(second.reply, { seq: m.seq, sender: 'alice', deleted: true }, 'the reply quotes a deleted message as deleted');
    assert.equal(second.id, reply.id);
    assert.deepEqual(await search(bob, 'hunter2'), []);
    assert.deepEqual(await search(alice, 'password'), []);

    alice.send({ type: 'edit', id: 'e1', room: 'general', seq: m.seq, text: 'back from the dead' });
    assert.equal((await refusal(alice, 'e1')).code, 'bad_target');
    bob.send({ type: 'react', id: 'r1', room: 'general', seq: m.seq, emoji: '👍', on: true });
    assert.equal((await refusal(bob, 'r1')).code, 'bad_target');
    const stillReplyable = await say(bob, 'b2', 'noted', { replyTo: m.seq });
    assert.deepEqual(stillReplyable.reply, { seq: m.seq, sender: 'alice', deleted: true });
  });

  it("a room operator deletes anyone's message in that room; a member who is not one cannot", async () => {
    const { alice, bob } = await room();
    alice.send({ type: 'join', room: 'ops-room' });
    const joined = await alice.waitFor((f) => f.type === 'joined' && f.room === 'ops-room');
    assert.deepEqual(joined.ops, ['alice'], 'the first to join a new room operates it');
    bob.send({ type: 'join', room: 'ops-room' });
    await bob.waitFor((f) => f.type === 'joined' && f.room === 'ops-room');
    alice.send({ type: 'message', id: 'a-op', room: 'ops-room', text: 'house rules' });
    const mine = await bob.waitFor((f) => f.type === 'message' && f.id === 'a-op');
    bob.send({ type: 'message', id: 'b-spam', room: 'ops-room', text: 'buy cheap watches' });
    const spam = await alice.waitFor((f) => f.type === 'message' && f.id === 'b-spam');
    bob.send({ type: 'delete', id: 'x1', room: 'ops-room', seq: mine.seq });
    assert.equal((await refusal(bob, 'x1')).code, 'not_allowed');
    alice.send({ type: 'edit', id: 'x2', room: 'ops-room', seq: spam.seq, text: 'edited by an operator' });
    assert.equal((await refusal(alice, 'x2')).code, 'not_allowed', 'operators delete; they do not edit');
    alice.send({ type: 'delete', id: 'd1', room: 'ops-room', seq: spam.seq });
    const gone = await update(bob, (m) => m.seq === spam.seq);
    assert.deepEqual([gone.deleted, gone.sender], [true, 'bob']);
  });

  it('reactions: counted, named, toggled by their reactor only, and refused where the reactor cannot see', async () => {
    const { alice, bob, mallory } = await room();
    const m = await say(alice, 'a1', 'ship it?');
    bob.send({ type: 'react', id: 'r1', room: 'general', seq: m.seq, emoji: '👍', on: true });
    assert.deepEqual((await update(alice)).reactions, [{ emoji: '👍', count: 1, people: ['bob'] }]);
    mallory.send({ type: 'react', id: 'r2', room: 'general', seq: m.seq, emoji: '👍', on: false });
    mallory.send({ type: 'react', id: 'r3', room: 'general', seq: m.seq, emoji: ':tada:', on: true });
    const after = await update(alice, (x) => x.rev === 2);
    assert.deepEqual(
      after.reactions,
      [
        { emoji: '👍', count: 1, people: ['bob'] },
        { emoji: ':tada:', count: 1, people: ['mallory'] },
      ],
      "mallory's 'off' could not take bob's reaction back",
    );
    bob.send({ type: 'react', id: 'r4', room: 'general', seq: m.seq, emoji: '👍', on: false });
    assert.deepEqual((await update(alice, (x) => x.rev === 3)).reactions, [{ emoji: ':tada:', count: 1, people: ['mallory'] }]);

    for (const emoji of ['not an emoji', '👍\u202e', '', 'x'.repeat(40), '👍👍']) {
      bob.send({ type: 'react', id: 'bad', room: 'general', seq: m.seq, emoji, on: true });
      assert.equal((await refusal(bob, 'bad')).code, 'bad_frame', `refused: ${JSON.stringify(emoji)}`);
    }
    alice.send({ type: 'join', room: 'dev' });
    await alice.waitFor((f) => f.type === 'joined');
    alice.send({ type: 'message', id: 'd1', room: 'dev', text: 'dev only' });
    const dev = await alice.waitFor((f) => f.type === 'message' && f.id === 'd1');
    mallory.send({ type: 'react', id: 'r5', room: 'dev', seq: dev.seq, emoji: '👍', on: true });
    assert.equal((await refusal(mallory, 'r5')).code, 'not_in_room');
    mallory.send({ type: 'delete', id: 'r6', room: 'dev', seq: dev.seq });
    assert.equal((await refusal(mallory, 'r6')).code, 'not_in_room');
  });

  it('in a direct conversation, changes reach both people and nobody else', async () => {
    const { alice, bob, mallory } = await room();
    alice.send({ type: 'message', id: 'dm1', to: 'bob', text: 'just between us' });
    const m = (await bob.waitFor((f) => f.type === 'message' && f.id === 'dm1')) as unknown as ChatMessage;
    bob.send({ type: 'react', id: 'r1', room: m.room, seq: m.seq, emoji: '🤫', on: true });
    const [atAlice, atBob] = await Promise.all([update(alice), update(bob)]);
    assert.deepEqual(atAlice.reactions, [{ emoji: '🤫', count: 1, people: ['bob'] }]);
    assert.deepEqual(atBob, atAlice);
    mallory.send({ type: 'react', id: 'r2', room: m.room, seq: m.seq, emoji: '👀', on: true });
    assert.equal((await refusal(mallory, 'r2')).code, 'not_in_room');
    assert.equal(mallory.frames.filter((f) => f.type === 'update').length, 0);
  });

  it('rate-limits reactions like messages and caps distinct reactions per message', async () => {
    const { port } = await h.server({ rate: 1, burst: 3 });
    const alice = (await h.raw(port, 'alice')).client;
    const m = await say(alice, 'a1', 'react');
    for (const [i, emoji] of ['👍', '🎉', '🚀'].entries()) alice.send({ type: 'react', id: `r${i}`, room: 'general', seq: m.seq, emoji, on: true });
    const limited = await refusal(alice, 'r2');
    assert.equal(limited.code, 'rate_limited');
    assert.ok((limited.retryAfter as number) > 0);

    const roomy = await h.server({ rate: 1000, burst: 1000 });
    const bob = (await h.raw(roomy.port, 'bob')).client;
    const n = await say(bob, 'b1', 'react a lot');
    for (let i = 0; i < 20; i++) bob.send({ type: 'react', id: `q${i}`, room: 'general', seq: n.seq, emoji: `:r${i}:`, on: true });
    await update(bob, (x) => x.reactions?.length === 20);
    bob.send({ type: 'react', id: 'q20', room: 'general', seq: n.seq, emoji: ':one-too-many:', on: true });
    assert.equal((await refusal(bob, 'q20')).code, 'too_many_reactions');
  });

  it('answers changes since a rev with the latest states, and a joined reply carries the rev', async () => {
    const { alice, bob } = await room();
    const a = await say(alice, 'a1', 'one');
    const b = await say(alice, 'a2', 'two');
    alice.send({ type: 'edit', id: 'e1', room: 'general', seq: a.seq, text: 'one!' });
    alice.send({ type: 'delete', id: 'd1', room: 'general', seq: b.seq });
    await update(bob, (x) => x.rev === 2);
    bob.send({ type: 'react', id: 'r1', room: 'general', seq: a.seq, emoji: '👍', on: true });
    await update(alice, (x) => x.rev === 3);
    bob.send({ type: 'changes', id: 'c1', room: 'general', since: 1 });
    const page = await bob.waitFor((f) => f.type === 'changes' && f.id === 'c1');
    assert.deepEqual(
      (page.messages as ChatMessage[]).map((m) => [m.seq, m.rev, m.text]),
      [
        [b.seq, 2, ''],
        [a.seq, 3, 'one!'],
      ],
    );
    assert.deepEqual([page.rev, page.more], [3, false]);
    const mallory = (await h.raw((await h.server()).port, 'mallory')).client;
    mallory.send({ type: 'changes', id: 'c2', room: 'dev', since: 0 });
    assert.equal((await refusal(mallory, 'c2')).code, 'not_in_room');
    bob.send({ type: 'join', room: 'general' });
    assert.equal((await bob.waitFor((f) => f.type === 'joined')).rev, 3);
  });

  it('a client catches up on edits, deletes and reactions made while it was away', async () => {
    const dir = h.tmpDir();
    const first = await h.server({ store: await FileStore.open(dir) });
    const port = first.port;
    const c = h.chatClient(port, 'alice');
    const updates: ChatMessage[] = [];
    c.onUpdate((m) => updates.push(m));
    await c.connect();
    c.join('dev');
    await nextEvent(c.onJoined);
    const ids = [c.send('first draft'), c.send('regrettable'), c.send('in dev', { room: 'dev' })];
    const echoed = new Map<string, ChatMessage>();
    await new Promise<void>((resolve) => {
      const sub = c.onMessage((m) => {
        echoed.set(m.id, m);
        if (ids.every((id) => echoed.has(id))) {
          sub.dispose();
          resolve();
        }
      });
    });
    const [one, two, dev] = ids.map((id) => echoed.get(id)!);
    // A DM too: it has no joined reply to carry its rev after a reconnect.
    await h.raw(port, 'bob');
    const dmId = c.send('between us', { to: 'bob' });
    const dm = await new Promise<ChatMessage>((resolve) => {
      const sub = c.onMessage((m) => {
        if (m.id !== dmId) return;
        sub.dispose();
        resolve(m);
      });
    });
    c.edit('general', one.seq, 'first, edited live');
    const live = await nextEvent(c.onUpdate);
    assert.equal(live.text, 'first, edited live');
    assert.equal(c.rev('general'), 1);

    const dropped = nextEvent(c.onState, (s) => s === 'reconnecting');
    await h.stop(first.server);
    await dropped;
    // While alice is away, others change things: straight into the data directory, so nothing can race her return.
    const store = await FileStore.open(dir);
    await store.mutate('general', one.seq, { kind: 'edit', text: 'first, edited while away', ts: new Date().toISOString() }, 'bob');
    await store.mutate('general', two.seq, { kind: 'delete', ts: new Date().toISOString() }, 'alice');
    await store.mutate('dev', dev.seq, { kind: 'react', emoji: '🎉', on: true, name: 'bob' }, 'bob');
    await store.mutate(dm.room, dm.seq, { kind: 'edit', text: 'between us, edited', ts: new Date().toISOString() }, 'alice');
    await store.close();

    const caughtUp = new Promise<void>((resolve) => {
      const sub = c.onUpdate(() => {
        if (updates.length >= 5) {
          sub.dispose();
          resolve();
        }
      });
    });
    await h.server({ port, store: await FileStore.open(dir) });
    await caughtUp;
    const latest = new Map(updates.map((m) => [`${m.room}/${m.seq}`, m]));
    assert.equal(latest.get(`general/${one.seq}`)?.text, 'first, edited while away');
    assert.equal(latest.get(`general/${two.seq}`)?.deleted, true);
    assert.deepEqual(latest.get(`dev/${dev.seq}`)?.reactions, [{ emoji: '🎉', count: 1, people: ['bob'] }]);
    assert.equal(latest.get(`${dm.room}/${dm.seq}`)?.text, 'between us, edited', 'the DM caught up too');
    assert.equal(updates.length, 5, 'each change once');
    assert.equal(c.rev('general'), 3);
    assert.equal(c.rev('dev'), 1);
  });
});
