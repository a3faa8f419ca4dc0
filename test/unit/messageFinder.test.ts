import * as assert from 'node:assert/strict';
import { ChatClient } from '../../src/engine/client/chatClient';
import type { ChatMessage } from '../../src/engine/protocol';
import { Conversation } from '../../src/extension/conversation';
import { MAX_LOAD_BACK, findMessage } from '../../src/extension/messageFinder';
import { Harness } from '../support/harness';
import type { RawClient } from '../support/rawClient';

/** Jumping to a message the panel does not hold: a reply's original, a message link (issue 15); over real sockets. */
describe('finding a message to show', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  /** Bob says `n` messages in general; resolves with the last one. */
  async function say(bob: RawClient, n: number, from = 1): Promise<Record<string, unknown>> {
    for (let i = from; i < from + n; i++) bob.send({ type: 'message', id: `b${i}`, room: 'general', text: `line ${i}` });
    return bob.waitFor((f) => f.type === 'message' && f.id === `b${from + n - 1}`, 20_000);
  }

  /** Ann, connected, and her conversation as the panel's host keeps it (the welcome's history). */
  async function ann(port: number): Promise<{ c: ChatClient; convo: Conversation }> {
    const c = h.chatClient(port, 'ann');
    const w = await c.connect();
    const convo = new Conversation();
    convo.setBacklog('general', w.history, (w.history[0]?.seq ?? 1) > 1);
    return { c, convo };
  }

  const seqs = (convo: Conversation) => convo.items('general').filter((i): i is ChatMessage => i.type === 'message').map((m) => m.seq);

  it('loads every page between the oldest held and the message, so the conversation stays unbroken', async () => {
    const { port } = await h.server({ rate: 0 });
    const { client: bob } = await h.raw(port, 'bob');
    await say(bob, 700);
    bob.send({ type: 'delete', id: 'd3', room: 'general', seq: 3 });
    await bob.waitFor((f) => f.type === 'update');
    const { c, convo } = await ann(port);
    assert.equal(seqs(convo)[0], 651, 'the welcome holds the last 50');
    const found = await findMessage(convo, c, 'general', 5);
    assert.ok('message' in found, JSON.stringify(found));
    assert.equal(found.message.text, 'line 5');
    const held = seqs(convo);
    assert.ok(held[0] < 5, 'some messages before it, for context');
    assert.deepEqual(held, Array.from({ length: held.length }, (_, i) => held[0] + i), 'no gaps, no duplicates');
    assert.equal(held[held.length - 1], 700);
    assert.deepEqual(found.added.map((m) => m.seq), held.slice(0, held.length - 50));
    assert.equal(found.more, held[0] > 1);
    // Held now: no request at all.
    const again = await findMessage(convo, { history: () => Promise.reject(new Error('asked')) }, 'general', 5);
    assert.ok('message' in again && again.added.length === 0);
    // A deleted message is found, as what is left of it.
    const gone = await findMessage(convo, c, 'general', 3);
    assert.ok('message' in gone && gone.message.deleted === true);
  });

  it('says plainly when the message is not there, not readable, or too far back', async () => {
    const { port } = await h.server({ rate: 0 });
    const { client: bob } = await h.raw(port, 'bob');
    bob.send({ type: 'join', room: 'secret' });
    await bob.waitFor((f) => f.type === 'joined');
    bob.send({ type: 'message', id: 's1', room: 'secret', text: 'hidden' });
    await bob.waitFor((f) => f.type === 'message' && f.id === 's1');
    await say(bob, MAX_LOAD_BACK + 60);
    const { c, convo } = await ann(port);
    const missing = await findMessage(convo, c, 'general', 99_999);
    assert.match('problem' in missing ? missing.problem : '', /message 99999 of #general is not on the server/);
    const hidden = await findMessage(convo, c, 'secret', 1);
    assert.match('problem' in hidden ? hidden.problem : '', /cannot show message 1 of #secret: .*join secret/);
    const far = await findMessage(convo, c, 'general', 2);
    assert.match('problem' in far ? far.problem : '', /more than the panel loads at once \(2000\): Chat: Search History/);
    assert.equal(seqs(convo).length, 50, 'nothing was loaded for a refusal');
  });
});
