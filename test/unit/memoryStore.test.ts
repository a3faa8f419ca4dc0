import * as assert from 'node:assert/strict';
import { MemoryStore } from '../../src/engine/stores/memoryStore';
import { draft, searchAll } from '../contract/store.contract';

/** What the built-in stores do beyond the contract: the search budget, yielding, time order within a room. */
describe('MemoryStore (stores/)', () => {
  it('answers a search within its budget, with a cursor that goes on where it stopped', async () => {
    const store = new MemoryStore({ search: { perCall: 10, perSlice: 5 } });
    await store.append(draft('general', 'the needle'));
    for (let i = 0; i < 95; i++) await store.append(draft('general', `hay ${i}`));
    const first = await store.search({ text: 'needle', rooms: ['general'], limit: 10 });
    assert.deepEqual(first.messages, [], 'nothing within the newest 10');
    assert.ok(first.next, 'the budget ran out: a cursor says where to go on');
    let calls = 1;
    let page = first;
    while (page.next && page.messages.length === 0) {
      page = await store.search({ text: 'needle', rooms: ['general'], limit: 10, cursor: page.next });
      calls++;
    }
    assert.deepEqual(page.messages.map((m) => m.text), ['the needle']);
    assert.equal(calls, 10, '96 messages at 10 per call');
    assert.equal(page.next, undefined, 'nothing older is left');
  });

  it('lets other work run while 300 searches scan 100,000 messages', async function () {
    this.timeout(60_000);
    const store = new MemoryStore();
    for (let i = 0; i < 100_000; i++) await store.append(draft('general', `an ordinary line ${i}`));
    let ticks = 0;
    let maxLag = 0;
    let running = true;
    const tick = () => {
      const t = performance.now();
      setTimeout(() => {
        maxLag = Math.max(maxLag, performance.now() - t);
        if (running) {
          ticks++;
          tick();
        }
      }, 1);
    };
    tick();
    const t0 = performance.now();
    const pages = await Promise.all(Array.from({ length: 300 }, () => store.search({ text: 'walrus', rooms: ['general'], limit: 50 })));
    running = false;
    const ms = performance.now() - t0;
    // One more turn so a timer held up until now is counted.
    await new Promise((r) => setTimeout(r, 2));
    assert.ok(pages.every((p) => p.messages.length === 0 && p.next !== undefined), 'each search stopped at its budget');
    assert.ok(ticks >= 10, `a timer ran ${ticks} times during ${Math.round(ms)} ms of searching`);
    assert.ok(maxLag < 1000, `the event loop was held up for ${Math.round(maxLag)} ms at once`);
  });

  it('never lets time go back within a room, so search pages stay in order after a clock step', async () => {
    const store = new MemoryStore({ search: { perCall: 2, perSlice: 1 } });
    const late = '2026-03-01T12:00:00.000Z';
    const early = '2026-03-01T11:00:00.000Z';
    await store.append(draft('general', 'match one', { ts: late }));
    const stepped = await store.append(draft('general', 'match two', { ts: early }));
    assert.equal(stepped.message.ts, late, 'the clock stepped back; the room keeps its newest time');
    await store.append(draft('general', 'match three', { ts: early }));
    const all = await searchAll(store, { text: 'match', rooms: ['general'], limit: 1 });
    assert.deepEqual(all.map((m) => m.text), ['match three', 'match two', 'match one']);
  });

  it('forgets the oldest ids beyond maxIds, and only those', async () => {
    const store = new MemoryStore({ retention: { maxPerRoom: 0, maxIds: 3 } });
    for (let i = 1; i <= 5; i++) await store.append(draft('general', `n${i}`, { id: `id${i}` }));
    assert.equal((await store.append(draft('general', 'again', { id: 'id5' }))).duplicate, true);
    assert.equal((await store.append(draft('general', 'again', { id: 'id3' }))).duplicate, true);
    assert.equal((await store.append(draft('general', 'again', { id: 'id2' }))).duplicate, false, 'id2 was forgotten');
  });

  it('keeps a search on its place when retention trims the room while it yields', async () => {
    const seqsOf = async (max: number, later: number) => {
      const store = new MemoryStore({ retention: { maxPerRoom: max, maxIds: 10_000 }, search: { perCall: 100_000, perSlice: 10 } });
      for (let i = 0; i < max; i++) await store.append(draft('general', `word ${i}`));
      const searching = store.search({ text: 'word', rooms: ['general'], limit: 10_000 });
      // These appends all run before the search's first yield is over.
      for (let i = 0; i < later; i++) await store.append(draft('general', `word later ${i}`));
      return (await searching).messages.map((m) => m.seq);
    };
    const range = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => from - i);
    // 500 trimmed from the front: the search goes on down to the oldest message still kept.
    assert.deepEqual(await seqsOf(1_000, 500), range(1_000, 501));
    // 1,201 trimmed: the arrays are re-based, and everything older than the first slice is gone.
    assert.deepEqual(await seqsOf(1_200, 1_300), range(1_200, 1_191));
  });
});
