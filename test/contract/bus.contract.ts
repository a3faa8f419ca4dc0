import * as assert from 'node:assert/strict';
import type { Bus, BusEvent } from '../../src/engine/buses/bus';

/**
 * Two buses on one backend, as two server nodes would hold them (for Redis:
 * two connections to one server; for LocalBus: two instances on one hub).
 */
export interface BusFixture {
  a: Bus;
  b: Bus;
  /** Close both buses (either may already be closed) and stop the backend. */
  cleanup: () => Promise<void>;
}

/** Collects what one listener receives, and waits for it. */
class Inbox {
  readonly events: Array<{ event: BusEvent; from: string }> = [];
  private waiters: Array<() => void> = [];

  readonly listener = (event: BusEvent, from: string): void => {
    this.events.push({ event, from });
    for (const w of this.waiters.splice(0)) w();
  };

  /** Resolves once `n` events have arrived, or fails after a timeout. */
  async count(n: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`got ${this.events.length} of ${n} events within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

/** Subscribe, and return once the bus says the subscription is live (Bus.settled). */
async function subscribed(_pub: Bus, sub: Bus, topic: string, inbox: Inbox): Promise<() => void> {
  const off = sub.subscribe(topic, inbox.listener);
  await sub.settled();
  return off;
}

/** Polls until `check` resolves true (a lease running out has no event to wait for). */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The behaviour every Bus must have (docs/storage.md describes the seam; bus.ts the promises). */
export function describeBusContract(label: string, make: () => Promise<BusFixture>): void {
  describe(`Bus contract: ${label}`, function () {
    this.timeout(30_000);
    let f: BusFixture;
    beforeEach(async () => {
      f = await make();
    });
    afterEach(() => f.cleanup());

    describe('events', () => {
      it('delivers an event published by another node as soon as settled() has resolved', async () => {
        const inbox = new Inbox();
        f.b.subscribe('room:settled', inbox.listener);
        await f.b.settled();
        f.a.publish('room:settled', { n: 1 });
        await inbox.count(1);
        assert.deepEqual(inbox.events[0].event, { n: 1 });
      });

      it('reaches subscribers on every node in publish order, with the publisher\'s nodeId', async () => {
        assert.notEqual(f.a.nodeId, f.b.nodeId, 'each bus has its own nodeId');
        const here = new Inbox();
        const there = new Inbox();
        await subscribed(f.a, f.a, 'room:general', here);
        await subscribed(f.a, f.b, 'room:general', there);
        for (let n = 0; n < 100; n++) f.a.publish('room:general', { n });
        await here.count(100);
        await there.count(100);
        const expected = Array.from({ length: 100 }, (_, n) => n);
        assert.deepEqual(here.events.map((e) => e.event.n), expected);
        assert.deepEqual(there.events.map((e) => e.event.n), expected);
        assert.ok([...here.events, ...there.events].every((e) => e.from === f.a.nodeId));

        f.b.publish('room:general', { n: 100 });
        await there.count(101);
        assert.equal(there.events[100].from, f.b.nodeId);
      });

      it('keeps publish order when a listener publishes while it is being called', async () => {
        const log = new Inbox();
        // The responder subscribes first, so a bus that delivered nested events at once would show the reply first.
        f.a.subscribe('t', (event) => {
          if (typeof event.ask === 'number') f.a.publish('t', { reply: event.ask });
        });
        await subscribed(f.a, f.b, 't', log);
        for (let i = 0; i < 3; i++) f.a.publish('t', { ask: i });
        await log.count(6);
        const seen = log.events.map((e) => ('ask' in e.event ? `ask${e.event.ask}` : `reply${e.event.reply}`));
        for (let i = 0; i < 3; i++) {
          assert.ok(seen.indexOf(`ask${i}`) < seen.indexOf(`reply${i}`), `ask${i} before reply${i} in ${seen.join(' ')}`);
          if (i > 0) assert.ok(seen.indexOf(`ask${i - 1}`) < seen.indexOf(`ask${i}`) && seen.indexOf(`reply${i - 1}`) < seen.indexOf(`reply${i}`), seen.join(' '));
        }
      });

      it('stops delivering to a listener once it unsubscribes', async () => {
        const gone = new Inbox();
        const stays = new Inbox();
        const off = await subscribed(f.a, f.b, 't', gone);
        await subscribed(f.a, f.b, 't', stays);
        f.a.publish('t', { n: 1 });
        await stays.count(1);
        await gone.count(1);
        off();
        f.a.publish('t', { n: 2 });
        await stays.count(2);
        // Both were published in order by one node: once the second has arrived, the first would have.
        assert.deepEqual(gone.events.map((e) => e.event.n), [1]);
      });

      it('keeps topics apart', async () => {
        const one = new Inbox();
        const two = new Inbox();
        await subscribed(f.a, f.b, 'room:one', one);
        await subscribed(f.a, f.b, 'room:two', two);
        f.a.publish('room:one', { n: 1 });
        f.a.publish('room:two', { n: 2 });
        await one.count(1);
        await two.count(1);
        assert.deepEqual(one.events.map((e) => e.event.n), [1]);
        assert.deepEqual(two.events.map((e) => e.event.n), [2]);
      });

      it('hands every listener an event that no listener, and not the publisher, can change', async () => {
        const event = { text: 'original', nested: { list: [1, 2] } };
        const expected = structuredClone(event);
        const first = new Inbox();
        const second = new Inbox();
        const other = new Inbox();
        const vandal = (e: BusEvent) => {
          // Either refused (a frozen object) or done to a private copy: nobody else may see it.
          const nested = e.nested as { list: number[] };
          Reflect.set(e, 'text', 'changed by a listener');
          Reflect.set(nested, 'extra', true);
          Reflect.set(nested.list, 0, 99);
        };
        await subscribed(f.a, f.b, 'room:one', first);
        f.b.subscribe('room:one', vandal);
        await subscribed(f.a, f.b, 'room:one', second);
        await subscribed(f.a, f.b, 'room:two', other);
        f.a.publish('room:one', event);
        f.a.publish('room:two', event);
        try {
          // The publisher reusing its object must not reach what was sent.
          event.text = 'changed by the publisher';
        } catch {
          // a bus may freeze what it was given
        }
        await first.count(1);
        await second.count(1);
        await other.count(1);
        for (const inbox of [first, second, other]) assert.deepEqual(inbox.events[0].event, expected);
      });

      it('delivers nothing to a bus after it closes', async () => {
        const closed = new Inbox();
        const open = new Inbox();
        await subscribed(f.a, f.b, 't', closed);
        await subscribed(f.a, f.a, 't', open);
        await f.b.close();
        f.a.publish('t', { n: 1 });
        await open.count(1);
        assert.deepEqual(closed.events, []);
      });
    });

    describe('leases', () => {
      it('goes to the first node, renews for it, and refuses the other until given up', async () => {
        assert.equal(await f.a.lease('name:alice', 10_000), true);
        assert.equal(await f.a.lease('name:alice', 10_000), true, 'the holder renews');
        assert.equal(await f.b.lease('name:alice', 10_000), false, 'another node is refused');
        assert.equal(await f.b.lease('name:bob', 10_000), true, 'other keys are free');
        await f.b.unlease('name:alice');
        assert.equal(await f.a.lease('name:alice', 10_000), true, 'unlease by a non-holder changes nothing');
        assert.equal(await f.b.lease('name:alice', 10_000), false);
        await f.a.unlease('name:alice');
        assert.equal(await f.b.lease('name:alice', 10_000), true, 'unlease frees it');
        assert.equal(await f.a.lease('name:alice', 10_000), false);
      });

      it('frees a lease when it runs out', async () => {
        const t0 = Date.now();
        assert.equal(await f.a.lease('name:carol', 200), true);
        assert.equal(await f.b.lease('name:carol', 10_000), false);
        await until(() => f.b.lease('name:carol', 10_000), 'the lease runs out');
        assert.ok(Date.now() - t0 >= 195, `taken over after ${Date.now() - t0} ms, before the 200 ms lease ran out`);
        assert.equal(await f.a.lease('name:carol', 10_000), false, 'now the other node holds it');
      });

      it('is taken over by another node, whose lease then holds and runs out like any other', async () => {
        assert.equal(await f.a.lease('name:erin', 60_000), true);
        await f.b.takeLease('name:erin', 200);
        assert.equal(await f.a.lease('name:erin', 60_000), false, 'the old holder can no longer renew');
        await f.a.unlease('name:erin');
        assert.equal(await f.b.lease('name:erin', 200), true, 'the old holder cannot give it up either');
        await until(() => f.a.lease('name:erin', 10_000), 'the taken-over lease runs out');
      });

      it('takes the ttl of a renewal', async () => {
        assert.equal(await f.a.lease('name:dave', 60_000), true);
        const t0 = Date.now();
        assert.equal(await f.a.lease('name:dave', 150), true);
        assert.equal(await f.b.lease('name:dave', 10_000), false);
        await until(() => f.b.lease('name:dave', 10_000), 'the shortened lease runs out');
        assert.ok(Date.now() - t0 >= 145, `taken over after ${Date.now() - t0} ms`);
      });
    });
  });
}
