import * as assert from 'node:assert/strict';
import { Outbox, headroom } from '../../src/engine/client/outbox';
import type { SendFrame } from '../../src/engine/protocol';

function frame(i: number): SendFrame {
  return { type: 'message', id: `m${i}`, room: 'general', text: `#${i}` };
}

/** Records each write with its time, and resolves waiters once `n` writes happened. */
class Wire {
  readonly writes: Array<{ id: string; at: number }> = [];
  up = true;
  private watchers: Array<{ n: number; resolve(): void }> = [];
  readonly write = (f: SendFrame): boolean => {
    if (!this.up) return false;
    this.writes.push({ id: f.id, at: performance.now() });
    this.watchers = this.watchers.filter((w) => (this.writes.length >= w.n ? (w.resolve(), false) : true));
    return true;
  };
  count(n: number): Promise<void> {
    if (this.writes.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.watchers.push({ n, resolve }));
  }
  get ids(): string[] {
    return this.writes.map((w) => w.id);
  }
}

describe('Outbox', () => {
  let box: Outbox;
  afterEach(() => box.offline());

  it('keeps messages while offline and sends them in order once online', () => {
    box = new Outbox();
    for (let i = 0; i < 5; i++) box.add(frame(i));
    assert.equal(box.size, 5);
    const wire = new Wire();
    box.online(wire.write, { rate: 0, burst: 30 });
    assert.deepEqual(wire.ids, ['m0', 'm1', 'm2', 'm3', 'm4'], 'a server without a limit gets everything at once');
    assert.ok(box.ack('m2'));
    assert.ok(!box.ack('m2'));
    assert.equal(box.size, 4);
  });

  it("paces a long queue under the server's rate and burst, keeping some burst in reserve", async () => {
    box = new Outbox();
    const total = 40;
    for (let i = 0; i < total; i++) box.add(frame(i));
    const wire = new Wire();
    const limits = { rate: 100, burst: 10 };
    const t0 = performance.now();
    box.online(wire.write, limits);
    const upFront = limits.burst - headroom(limits.burst);
    assert.equal(wire.writes.length, upFront, 'the burst, less the reserve, goes at once');
    await wire.count(total);
    assert.deepEqual(
      wire.ids,
      Array.from({ length: total }, (_, i) => `m${i}`),
      'in order, once each',
    );
    // The rest followed at no more than `rate` per second: write i waits for its token.
    for (let i = upFront; i < total; i++) {
      const due = ((i + 1 - upFront) / limits.rate) * 1000;
      assert.ok(wire.writes[i].at - t0 >= due - 5, `write ${i} at ${(wire.writes[i].at - t0).toFixed(1)} ms, due at ${due} ms`);
    }
  });

  it('resends a message the server could not take first, after the wait it names', async () => {
    box = new Outbox();
    const wire = new Wire();
    box.online(wire.write, { rate: 1000, burst: 100 });
    for (let i = 0; i < 3; i++) box.add(frame(i));
    assert.deepEqual(wire.ids, ['m0', 'm1', 'm2']);
    const t0 = performance.now();
    box.retry('m1', 80);
    box.add(frame(3));
    assert.equal(wire.writes.length, 3, 'nothing goes out while the server asked us to wait');
    await wire.count(5);
    assert.deepEqual(wire.ids.slice(3), ['m1', 'm3'], 'the refused message goes before later ones');
    assert.ok(wire.writes[3].at - t0 >= 75);
  });

  it('after a drop, resends everything unacknowledged, in order, on the next link', () => {
    box = new Outbox();
    const first = new Wire();
    box.online(first.write, { rate: 0, burst: 1 });
    for (let i = 0; i < 4; i++) box.add(frame(i));
    box.ack('m0');
    box.ack('m2');
    box.offline();
    box.add(frame(4));
    assert.equal(first.writes.length, 4, 'nothing is written while offline');
    const second = new Wire();
    box.online(second.write, { rate: 0, burst: 1 });
    assert.deepEqual(second.ids, ['m1', 'm3', 'm4']);
  });

  it('drops a message refused for good, and stops at a link that is gone', () => {
    box = new Outbox();
    const wire = new Wire();
    wire.up = false;
    box.online(wire.write, undefined);
    box.add(frame(0));
    box.add(frame(1));
    assert.equal(wire.writes.length, 0);
    assert.deepEqual(box.drop('m0'), frame(0));
    assert.equal(box.drop('m0'), undefined);
    wire.up = true;
    box.online(wire.write, undefined);
    assert.deepEqual(wire.ids, ['m1']);
  });

  it('keeps a reserve of the burst that grows with it, and never all of it', () => {
    assert.equal(headroom(1), 0);
    assert.equal(headroom(2), 1);
    assert.equal(headroom(30), 3);
    assert.equal(headroom(100), 10);
  });
});
