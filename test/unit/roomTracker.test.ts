import * as assert from 'node:assert/strict';
import { RoomTracker, type Page } from '../../src/engine/client/roomTracker';
import type { ChatMessage } from '../../src/engine/protocol';

function msg(seq: number, room = 'general'): ChatMessage {
  return { type: 'message', id: `m${seq}`, seq, room, sender: 'bob', text: `#${seq}`, ts: '2026-01-01T00:00:00.000Z' };
}

/**
 * A fetcher that records each request and answers it when the test says, so
 * every step of gap filling can be checked without a socket.
 */
class FakeFetcher {
  readonly asked: Array<{ room: string; after: number; limit: number }> = [];
  private waiting: Array<{ resolve(p: Page): void; reject(e: unknown): void }> = [];
  private watchers: Array<() => void> = [];

  readonly fetch = (room: string, after: number, limit: number): Promise<Page> => {
    this.asked.push({ room, after, limit });
    for (const w of this.watchers.splice(0)) w();
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  };

  /** Resolves when the tracker has asked `n` times in all. */
  asks(n: number): Promise<void> {
    if (this.asked.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.watchers.push(() => void this.asks(n).then(resolve)));
  }

  get open(): number {
    return this.waiting.length;
  }

  /** Answer the oldest open request, and let the tracker act on it. */
  async answer(page: Page): Promise<void> {
    const w = this.waiting.shift();
    assert.ok(w, 'a fetch is waiting for an answer');
    w.resolve(page);
    await settled();
  }

  async fail(err: unknown): Promise<void> {
    const w = this.waiting.shift();
    assert.ok(w, 'a fetch is waiting for an answer');
    w.reject(err);
    await settled();
  }
}

/** Lets the promise callbacks queued by an answer run. */
function settled(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

describe('RoomTracker', () => {
  let fetcher: FakeFetcher;
  let got: number[];
  let tracker: RoomTracker;
  beforeEach(() => {
    fetcher = new FakeFetcher();
    got = [];
    tracker = new RoomTracker((m) => got.push(m.seq), fetcher.fetch, 3);
  });
  afterEach(() => tracker.stop());

  it('a room heard of first in a welcome starts at its seq; its history is not delivered', () => {
    tracker.sync('general', 5, [msg(4), msg(5)]);
    assert.equal(tracker.last('general'), 5);
    assert.deepEqual(got, []);
    tracker.accept(msg(6));
    tracker.accept(msg(6));
    tracker.accept(msg(5));
    assert.deepEqual(got, [6], 'once each, nothing old');
    assert.equal(fetcher.open, 0);
  });

  it('holds messages after a gap, fetches the gap page by page, then delivers in order', async () => {
    tracker.sync('general', 1);
    tracker.accept(msg(8));
    tracker.accept(msg(9));
    assert.deepEqual(got, []);
    assert.deepEqual(fetcher.asked, [{ room: 'general', after: 1, limit: 3 }]);
    tracker.accept(msg(10));
    assert.equal(fetcher.open, 1, 'one fetch at a time per room');
    await fetcher.answer({ messages: [msg(2), msg(3), msg(4)], more: true });
    assert.deepEqual(fetcher.asked[1], { room: 'general', after: 4, limit: 3 });
    await fetcher.answer({ messages: [msg(5), msg(6), msg(7)], more: true });
    assert.deepEqual(got, [2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // The page said "more", so it asks past what it held, until the server says that was all.
    assert.deepEqual(fetcher.asked[2], { room: 'general', after: 10, limit: 3 });
    await fetcher.answer({ messages: [], more: false });
    assert.equal(fetcher.open, 0);
    assert.equal(fetcher.asked.length, 3);
  });

  it('a known room catches up from the history it is given and fetches the rest', async () => {
    tracker.sync('dev', 2);
    tracker.sync('dev', 6, [msg(3, 'dev'), msg(4, 'dev')]);
    assert.deepEqual(got, [3, 4]);
    assert.deepEqual(fetcher.asked, [{ room: 'dev', after: 4, limit: 3 }]);
    await fetcher.answer({ messages: [msg(5, 'dev'), msg(6, 'dev')], more: false });
    assert.deepEqual(got, [3, 4, 5, 6]);
  });

  it('an empty page that says "more" does not silence the room', async () => {
    // The server says there is more after seq 3 but sends nothing, and nothing is held.
    tracker.sync('general', 3);
    tracker.sync('general', 7);
    await fetcher.answer({ messages: [], more: true });
    assert.equal(tracker.last('general'), 3, 'nothing to skip to: stay where we are');
    // Later messages still arrive: the next one that follows on is delivered at once.
    tracker.accept(msg(4));
    assert.deepEqual(got, [4]);
    tracker.accept(msg(5));
    assert.deepEqual(got, [4, 5]);
  });

  it('skips what the server cannot supply and delivers what it holds', async () => {
    tracker.sync('general', 1);
    tracker.accept(msg(5));
    tracker.accept(msg(6));
    await fetcher.answer({ messages: [], more: false });
    assert.deepEqual(got, [5, 6]);
    tracker.accept(msg(7));
    assert.deepEqual(got, [5, 6, 7]);
  });

  it('a page with nothing new stops fetching instead of asking the same thing forever', async () => {
    tracker.sync('general', 4);
    tracker.sync('general', 9);
    await fetcher.answer({ messages: [msg(3), msg(4)], more: true });
    assert.equal(fetcher.asked.length, 1);
    assert.equal(fetcher.open, 0);
    assert.deepEqual(got, []);
  });

  it('asks again after the wait a busy server names, and gives up on other failures until told to catch up', async () => {
    tracker.sync('general', 1);
    tracker.accept(msg(3));
    await fetcher.fail(Object.assign(new Error('slow down'), { code: 'rate_limited', retryAfter: 60 }));
    assert.equal(fetcher.asked.length, 1);
    await fetcher.asks(2);
    await fetcher.fail(new Error('the connection dropped'));
    assert.equal(fetcher.open, 0);
    tracker.catchUp('general');
    assert.equal(fetcher.asked.length, 3);
    await fetcher.answer({ messages: [msg(2)], more: false });
    assert.deepEqual(got, [2, 3]);
  });

  it('restart() counts every room from 0 again (a server that lost its history)', async () => {
    tracker.sync('general', 40);
    tracker.accept(msg(41));
    tracker.restart();
    tracker.sync('general', 2, [msg(1), msg(2)]);
    assert.deepEqual(got, [41, 1, 2]);
    assert.equal(fetcher.open, 0);
  });

  it('catchUp() leaves rooms it never heard of alone', () => {
    tracker.catchUp('@alice,bob');
    assert.equal(fetcher.asked.length, 0);
    tracker.accept(msg(1, '@alice,bob'));
    assert.deepEqual(got, [1]);
    tracker.catchUp('@alice,bob');
    assert.deepEqual(fetcher.asked, [{ room: '@alice,bob', after: 1, limit: 3 }]);
  });
});
