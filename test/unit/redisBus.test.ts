import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import type { BusEvent, BusStatus } from '../../src/engine/buses/bus';
import { RedisBus } from '../../src/engine/buses/redisBus';
import { startRedis, type RealRedis } from '../support/realServers';

/**
 * The parts of RedisBus that only a real Redis can show: two nodes, order per
 * publisher, leases owned by one node, and the link going down and up when
 * redis-server is killed and started again. The Bus contract suite runs
 * against it too (test/contract).
 */

/** Resolves when `cond()` holds, checking after every event a test feeds in; rejects after `ms`. */
function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

function nextStatus(bus: RedisBus, want: BusStatus, ms = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no '${want}' within ${ms} ms`));
    }, ms);
    const off = bus.onStatus((s) => {
      if (s !== want) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

describe('RedisBus (real redis-server)', function () {
  this.timeout(60_000);
  let redis: RealRedis;
  const buses: RedisBus[] = [];
  const warnings: string[] = [];

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.dispose();
  });
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
    warnings.length = 0;
    // A test that stopped the server and failed half-way must not take the next tests down with it.
    if (redis.pid === undefined) await redis.start();
  });

  async function bus(url = redis.url): Promise<RedisBus> {
    const b = await RedisBus.open(url, { onWarning: (m) => warnings.push(m) });
    buses.push(b);
    return b;
  }

  it('carries events between nodes in publish order, marked with the publisher, and delivers a node its own events once', async () => {
    const [a, b] = [await bus(), await bus()];
    assert.notEqual(a.nodeId, b.nodeId);
    const atB: Array<[BusEvent, string]> = [];
    const atA: Array<[BusEvent, string]> = [];
    b.subscribe('room:general', (e, from) => atB.push([e, from]));
    a.subscribe('room:general', (e, from) => atA.push([e, from]));
    await Promise.all([a.settled(), b.settled()]);
    const count = 500;
    for (let i = 0; i < count; i++) a.publish('room:general', { kind: 'message', i, nested: { text: `hello ${i}`, tags: ['x', null, true] } });
    await waitUntil(() => atB.length >= count, 20_000, 'every event at the other node');
    assert.deepEqual(atB.map(([e]) => e.i), Array.from({ length: count }, (_, i) => i), 'in publish order');
    assert.ok(atB.every(([, from]) => from === a.nodeId));
    assert.deepEqual(atB[7][0], { kind: 'message', i: 7, nested: { text: 'hello 7', tags: ['x', null, true] } });
    // Give Redis time to echo a's own events back: a must skip the echo. A marker from b arrives after them.
    b.publish('room:general', { kind: 'marker' });
    await waitUntil(() => atA.some(([e]) => e.kind === 'marker'), 20_000, 'the marker at a');
    assert.equal(atA.filter(([e]) => e.kind === 'message').length, count, 'own events once, not again from Redis');
  });

  it("keeps each publisher's order when two nodes publish on one topic at once", async () => {
    const [a, b, c] = [await bus(), await bus(), await bus()];
    const got: Array<{ from: string; i: number }> = [];
    c.subscribe('t', (e, from) => got.push({ from, i: e.i as number }));
    await c.settled();
    for (let i = 0; i < 300; i++) {
      a.publish('t', { i });
      b.publish('t', { i });
    }
    await waitUntil(() => got.length >= 600, 20_000, '600 events');
    for (const node of [a.nodeId, b.nodeId]) {
      assert.deepEqual(got.filter((g) => g.from === node).map((g) => g.i), Array.from({ length: 300 }, (_, i) => i));
    }
  });

  it('delivers in order when a listener publishes from inside a delivery', async () => {
    const a = await bus();
    const first: number[] = [];
    const second: number[] = [];
    a.subscribe('t', (e) => {
      first.push(e.i as number);
      if (e.i === 0) a.publish('t', { i: 1 });
    });
    a.subscribe('t', (e) => second.push(e.i as number));
    a.publish('t', { i: 0 });
    assert.deepEqual(first, [0, 1]);
    assert.deepEqual(second, [0, 1], 'the second listener sees 0 before the 1 published in reaction to it');
  });

  it('hands out frozen events: neither the publisher nor a listener can change what others get', async () => {
    const [a, b] = [await bus(), await bus()];
    const atB: BusEvent[] = [];
    const atA: BusEvent[] = [];
    const changed: boolean[] = [];
    b.subscribe('t', (e) => changed.push(Reflect.set(e, 'text', 'vandal'), Reflect.set(e.nested as object, 'x', 1)));
    b.subscribe('t', (e) => atB.push(e));
    a.subscribe('t', (e) => atA.push(e));
    await b.settled();
    const event = { text: 'original', nested: { list: [1, 2] } };
    a.publish('t', event);
    assert.throws(() => {
      event.nested.list[0] = 99;
    }, TypeError, 'the published object is frozen for its publisher too');
    await waitUntil(() => atB.length > 0, 10_000, 'the event at b');
    assert.deepEqual(changed, [false, false], 'a remote event is frozen, deeply');
    assert.deepEqual(atB[0], { text: 'original', nested: { list: [1, 2] } });
    assert.deepEqual(atA[0], { text: 'original', nested: { list: [1, 2] } });
  });

  it('stops delivering after unsubscribe, and keeps other topics and databases apart', async () => {
    const [a, b] = [await bus(), await bus()];
    const other = await bus(redis.url + '/1');
    const got: string[] = [];
    const off = b.subscribe('t', (e) => got.push(`t:${String(e.v)}`));
    b.subscribe('u', (e) => got.push(`u:${String(e.v)}`));
    other.subscribe('t', (e) => got.push(`db1:${String(e.v)}`));
    await Promise.all([b.settled(), other.settled()]);
    a.publish('t', { v: 1 });
    await waitUntil(() => got.includes('t:1'), 10_000, 't:1');
    off();
    await b.settled();
    a.publish('t', { v: 2 });
    a.publish('u', { v: 3 });
    await waitUntil(() => got.includes('u:3'), 10_000, 'u:3');
    assert.deepEqual(got, ['t:1', 'u:3'], 'nothing after unsubscribe; a bus on /1 hears nothing from /0');
  });

  it('skips a malformed event with a warning and keeps delivering', async () => {
    const [a, b] = [await bus(), await bus()];
    const got: unknown[] = [];
    b.subscribe('t', (e) => got.push(e.v));
    await b.settled();
    const raw = new Redis(redis.url);
    try {
      await raw.publish('tcp-chat:0:t', 'not json');
      await raw.publish('tcp-chat:0:t', JSON.stringify({ n: 'x', e: [1, 2] }));
    } finally {
      await raw.quit();
    }
    a.publish('t', { v: 'fine' });
    await waitUntil(() => got.length > 0, 10_000, 'the good event');
    assert.deepEqual(got, ['fine']);
    assert.equal(warnings.filter((w) => /malformed event/.test(w)).length, 2);
  });

  describe('leases', () => {
    it('belong to one node: others cannot take, renew or release them', async () => {
      const [a, b] = [await bus(), await bus()];
      assert.equal(await a.lease('name:alice', 30_000), true);
      assert.equal(await b.lease('name:alice', 30_000), false);
      assert.equal(await a.lease('name:alice', 30_000), true, 'the holder renews');
      await b.unlease('name:alice');
      assert.equal(await b.lease('name:alice', 30_000), false, "b's unlease did not release a's lease");
      await a.unlease('name:alice');
      assert.equal(await b.lease('name:alice', 30_000), true, 'free once its holder gives it up');
      await assert.rejects(a.lease('x', 0), RangeError);
    });

    it('renewing pushes the expiry out, and a lease that is not renewed runs out by itself', async () => {
      const [a, b] = [await bus(), await bus()];
      const raw = new Redis(redis.url);
      try {
        assert.equal(await a.lease('k', 1000), true);
        assert.ok((await raw.pttl('tcp-chat:0:lease:k')) <= 1000);
        assert.equal(await a.lease('k', 60_000), true);
        assert.ok((await raw.pttl('tcp-chat:0:lease:k')) > 1000, 'renewal set the new ttl');
        assert.equal(await a.lease('short', 150), true);
        const started = Date.now();
        let taken = false;
        while (!taken && Date.now() - started < 10_000) {
          taken = await b.lease('short', 60_000);
          if (!taken) await new Promise((r) => setTimeout(r, 10));
        }
        assert.ok(taken, "b takes the lease after a's ran out");
        assert.ok(Date.now() - started >= 100, 'not before its ttl');
      } finally {
        await raw.quit();
      }
    });
  });

  describe('link status', () => {
    it('reports down when redis-server dies and up when it is back; a node keeps serving itself meanwhile', async () => {
      const [a, b] = [await bus(), await bus()];
      const atB: unknown[] = [];
      const atA: unknown[] = [];
      b.subscribe('t', (e) => atB.push(e.v));
      a.subscribe('t', (e) => atA.push(e.v));
      await Promise.all([a.settled(), b.settled()]);
      const statuses: BusStatus[] = [];
      a.onStatus((s) => statuses.push(s));

      const down = Promise.all([nextStatus(a, 'down'), nextStatus(b, 'down')]);
      await redis.stop('SIGKILL');
      await down;
      const dropped = a.dropped;
      a.publish('t', { v: 'while down' });
      assert.deepEqual(atA, ['while down'], "a's own listeners still get its events");
      assert.equal(a.dropped, dropped + 1, 'the event for other nodes was dropped, not queued');
      await assert.rejects(a.lease('k', 1000), /cannot take a lease: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1/);

      const up = Promise.all([nextStatus(a, 'up'), nextStatus(b, 'up')]);
      await redis.start();
      await up;
      assert.deepEqual(statuses, ['down', 'up']);
      // Subscriptions came back by themselves: b hears a again without subscribing anew.
      a.publish('t', { v: 'after' });
      await waitUntil(() => atB.includes('after'), 10_000, "b hearing a after the restart");
      assert.deepEqual(atB, ['after'], 'nothing published while down arrives late');
      assert.equal(warnings.filter((w) => /link to/.test(w)).length <= 2, true, 'one warning per node per outage, not one per retry');
      assert.ok(warnings.every((w) => !w.includes(new URL(redis.url).password)), 'no password in warnings');
    });

    it('closes promptly while Redis is down', async () => {
      const a = await bus();
      const down = nextStatus(a, 'down');
      await redis.stop();
      await down;
      await a.close();
      buses.splice(buses.indexOf(a), 1);
      await redis.start();
    });
  });

  describe('opening', () => {
    it('names the server without its password when the password is wrong or nobody listens', async () => {
      const wrong = new URL(redis.url);
      wrong.password = 'wrong-password-456';
      await assert.rejects(RedisBus.open(wrong.toString()), (err: Error) => {
        assert.match(err.message, /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
        assert.match(err.message, /WRONGPASS|invalid password/i);
        assert.ok(!err.message.includes('wrong-password-456'), err.message);
        return true;
      });
      const nobody = new URL(redis.url);
      nobody.port = '1';
      await assert.rejects(RedisBus.open(nobody.toString()), /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1: .*ECONNREFUSED/);
    });
  });
});
