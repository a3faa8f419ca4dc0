import * as assert from 'node:assert/strict';
import { ChangeTracker } from '../../src/engine/client/changeTracker';
import type { ChangesFrame, ChatMessage } from '../../src/engine/protocol';

const msg = (seq: number, rev: number, text = `m${seq} r${rev}`): ChatMessage => ({ type: 'message', id: `i${seq}`, seq, room: 'general', sender: 'bob', text, ts: '2026-01-01T00:00:00.000Z', rev });

/** A fetch the test answers by hand, one page at a time. */
function manualFetch() {
  const asked: Array<{ since: number; answer: (f: Omit<ChangesFrame, 'type' | 'room'>) => void }> = [];
  const fetch = (room: string, since: number) =>
    new Promise<ChangesFrame>((resolve) => asked.push({ since, answer: (f) => resolve({ type: 'changes', room, ...f }) }));
  return { asked, fetch };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('ChangeTracker (client)', () => {
  it('takes the first rev it hears as seen, and fetches what a higher one says was missed, in pages', async () => {
    const got: ChatMessage[] = [];
    const { asked, fetch } = manualFetch();
    const t = new ChangeTracker((m) => got.push(m), fetch);
    t.sync('general', 3);
    assert.equal(asked.length, 0);
    t.sync('general', 7);
    assert.deepEqual(asked.map((a) => a.since), [3]);
    asked[0].answer({ rev: 7, messages: [msg(1, 4), msg(2, 5)], more: true });
    await settle();
    assert.deepEqual(asked.map((a) => a.since), [3, 5]);
    asked[1].answer({ rev: 7, messages: [msg(1, 7)], more: false });
    await settle();
    assert.deepEqual(got.map((m) => [m.seq, m.rev]), [[1, 4], [2, 5], [1, 7]]);
    assert.equal(t.rev('general'), 7);
  });

  it('never delivers an older state after a newer one, whichever way they arrive', async () => {
    const got: ChatMessage[] = [];
    const { asked, fetch } = manualFetch();
    const t = new ChangeTracker((m) => got.push(m), fetch);
    t.sync('general', 1);
    t.update('general', 4, msg(1, 4, 'newest')); // skipped 2 and 3: fetched
    assert.deepEqual(asked.map((a) => a.since), [1]);
    asked[0].answer({ rev: 4, messages: [msg(2, 2), msg(1, 4, 'newest')], more: false });
    await settle();
    t.update('general', 3, msg(1, 3, 'stale'));
    assert.deepEqual(got.map((m) => m.text), ['newest', 'm2 r2']);
    assert.equal(t.rev('general'), 4);
  });

  it('after a history restart counts revs from 0 again', () => {
    const got: ChatMessage[] = [];
    const t = new ChangeTracker((m) => got.push(m), () => Promise.reject(new Error('offline')));
    t.sync('general', 9);
    t.update('general', 10, msg(1, 10));
    t.restart();
    assert.equal(t.rev('general'), 0);
    t.update('general', 1, msg(1, 1, 'new history'));
    assert.deepEqual(got.map((m) => m.text), ['m1 r10', 'new history']);
  });
});
