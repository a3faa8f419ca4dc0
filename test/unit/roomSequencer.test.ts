import * as assert from 'node:assert/strict';
import type { ChatMessage } from '../../src/engine/protocol';
import { MemoryStore } from '../../src/engine/stores/memoryStore';
import type { Store } from '../../src/engine/stores/store';
import { RoomSequencer } from '../../src/engine/server/roomSequencer';

/**
 * The per-room sequencer of a cluster node, against a real MemoryStore: what
 * the bus brings out of order or not at all still reaches the room in seq
 * order, once.
 */
describe('RoomSequencer', () => {
  const WAIT = 40;
  let store: MemoryStore;
  let delivered: ChatMessage[];
  let warnings: string[];
  let arrived: () => void;
  let seq: RoomSequencer;

  function make(s: Store = store): RoomSequencer {
    return new RoomSequencer(s, { deliver: (_room, m) => (delivered.push(m), arrived()), settled: async () => undefined, warn: (w) => warnings.push(w) }, WAIT);
  }

  beforeEach(() => {
    store = new MemoryStore();
    delivered = [];
    warnings = [];
    arrived = () => undefined;
    seq = make();
  });

  async function post(room: string, n: number): Promise<ChatMessage[]> {
    const out: ChatMessage[] = [];
    for (let i = 0; i < n; i++) out.push((await store.append({ id: `${room}-${Date.now()}-${Math.random()}`, room, sender: 'a', author: 'a', text: `m${i}`, ts: new Date().toISOString() })).message);
    return out;
  }

  /** Resolves once `n` messages have been delivered in all. */
  function deliveredCount(n: number, timeoutMs = 3000): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${delivered.length} of ${n} delivered within ${timeoutMs} ms: ${delivered.map((m) => m.seq)}`)), timeoutMs);
      arrived = () => {
        if (delivered.length < n) return;
        clearTimeout(t);
        resolve();
      };
      arrived();
    });
  }

  const seqs = () => delivered.map((m) => m.seq);

  it('starts from the store\'s newest seq, then delivers in order what arrives in order, and nothing twice', async () => {
    await post('r', 3); // said before anyone here joined: history, not news
    seq.open('r');
    await seq.ready('r');
    const fresh = await post('r', 3);
    for (const m of fresh) seq.accept('r', m, undefined);
    seq.accept('r', fresh[1], undefined);
    assert.deepEqual(seqs(), [4, 5, 6]);
  });

  it('holds a message whose predecessor is late, and delivers both in order when it comes', async () => {
    seq.open('r');
    await seq.ready('r');
    const [a, b, c] = await post('r', 3);
    seq.accept('r', c, undefined);
    seq.accept('r', b, undefined);
    assert.deepEqual(seqs(), [], 'held behind the missing first');
    seq.accept('r', a, undefined);
    assert.deepEqual(seqs(), [1, 2, 3]);
  });

  it('fills a gap the bus never fills from the store, after a short wait', async () => {
    seq.open('r');
    await seq.ready('r');
    const ms = await post('r', 5);
    const t0 = Date.now();
    seq.accept('r', ms[0], undefined);
    seq.accept('r', ms[4], undefined); // 2, 3 and 4 were dropped
    await deliveredCount(5);
    assert.deepEqual(seqs(), [1, 2, 3, 4, 5]);
    assert.ok(Date.now() - t0 >= WAIT - 5, 'it waited for the bus first');
    seq.accept('r', ms[2], undefined); // the bus brings a dropped one after all
    assert.deepEqual(seqs(), [1, 2, 3, 4, 5]);
  });

  it('catches every room up from the store when asked (the bus came back), without waiting for a next message', async () => {
    for (const room of ['r', 's']) {
      seq.open(room);
      await seq.ready(room);
    }
    await post('r', 2);
    await post('s', 3);
    seq.catchUp();
    await deliveredCount(5);
    assert.deepEqual(delivered.filter((m) => m.room === 'r').map((m) => m.seq), [1, 2]);
    assert.deepEqual(delivered.filter((m) => m.room === 's').map((m) => m.seq), [1, 2, 3]);
  });

  it('holds what arrives before it knows where the room stands, then delivers only what is newer', async () => {
    await post('r', 2);
    const late = await post('r', 1);
    seq.open('r');
    seq.accept('r', late[0], undefined); // a message on the wire as the room opened
    await seq.ready('r'); // the base is 3: message 3 is history for whoever joined
    assert.deepEqual(seqs(), []);
    const next = await post('r', 1);
    seq.accept('r', next[0], undefined);
    assert.deepEqual(seqs(), [4]);
  });

  it('skips what the store no longer has, rather than waiting forever', async () => {
    const small = new MemoryStore({ retention: { maxPerRoom: 2, maxIds: 1000 } });
    seq = make(small);
    seq.open('r');
    await seq.ready('r');
    const ms: ChatMessage[] = [];
    for (let i = 0; i < 5; i++) ms.push((await small.append({ id: `x${i}`, room: 'r', sender: 'a', author: 'a', text: 't', ts: new Date().toISOString() })).message);
    seq.accept('r', ms[4], undefined); // 1-3 were dropped by the bus, and 1-3 are gone from the store too
    await deliveredCount(2);
    assert.deepEqual(seqs(), [4, 5]);
  });

  it('retries a gap when the store fails, and says so', async () => {
    let failing = true;
    const flaky = Object.create(store) as Store;
    flaky.history = (room, q) => (failing ? Promise.reject(new Error('store down')) : store.history(room, q));
    seq = make(flaky);
    seq.open('r');
    await seq.ready('r');
    const ms = await post('r', 3);
    seq.accept('r', ms[2], undefined);
    while (warnings.length === 0) await new Promise((r) => setTimeout(r, 10));
    assert.match(warnings[0], /store down/);
    failing = false;
    await deliveredCount(3);
    assert.deepEqual(seqs(), [1, 2, 3]);
  });

  it('forgets a room once its last member left', async () => {
    seq.open('r');
    await seq.ready('r');
    seq.close('r');
    const ms = await post('r', 2);
    seq.accept('r', ms[1], undefined);
    seq.catchUp();
    await new Promise((r) => setTimeout(r, WAIT * 3));
    assert.deepEqual(seqs(), []);
    assert.equal(seq.size, 0);
  });
});
