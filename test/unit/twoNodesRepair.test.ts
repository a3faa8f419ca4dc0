import * as assert from 'node:assert/strict';
import { Harness, framesOf } from '../support/harness';
import { RawClient } from '../support/rawClient';
import { LocalBus, LocalBusHub } from '../../src/engine/buses/localBus';
import type { BusEvent } from '../../src/engine/buses/bus';
import { MemoryStore } from '../../src/engine/stores/memoryStore';

/**
 * A node's bus that can lose events, or the whole node's voice: the faults a
 * network bus has, on the in-process one (the same repairs run on a real
 * Redis in clusterFaults.test.ts).
 */
class Lossy extends LocalBus {
  /** Drops everything this node publishes, and leaves its leases as a dead node would. */
  severed = false;
  /** Drops the next events for which this returns true. */
  drop?: (topic: string, event: BusEvent) => boolean;
  override publish(topic: string, event: BusEvent): void {
    if (this.severed || this.drop?.(topic, event)) return;
    super.publish(topic, event);
  }
  override async unlease(key: string): Promise<void> {
    if (!this.severed) await super.unlease(key);
  }
}

describe('two nodes repair what the bus loses', function () {
  this.timeout(20_000);
  const h = new Harness();
  afterEach(() => h.cleanup());

  const fast = { cluster: { heartbeatMs: 200, nodeTimeoutMs: 1500, gapWaitMs: 100 } };

  async function cluster() {
    const hub = new LocalBusHub();
    const store = new MemoryStore();
    const busA = new Lossy(hub);
    const busB = new Lossy(hub);
    const a = await h.server({ bus: busA, store, ...fast });
    const b = await h.server({ bus: busB, store, ...fast });
    return { a, b, busA, busB };
  }

  it('a room message the bus dropped reaches the other node in seq order, read from the store', async () => {
    const { a, b, busA, busB } = await cluster();
    const alice = await h.raw(a.port, 'alice');
    const bob = await h.raw(b.port, 'bob');
    await alice.client.waitFor((f) => f.type === 'presence' && f.event === 'online' && f.name === 'bob');
    let dropped = 0;
    // On whichever node publishes it: the room's leader (server/roomAppender.ts) may be either.
    busA.drop = busB.drop = (topic, e) => {
      if (dropped > 0 || topic !== 'room:general' || e.kind !== 'message' || (e.message as { id: string }).id !== 'm2') return false;
      dropped++;
      return true;
    };
    for (const id of ['m1', 'm2', 'm3']) alice.client.send({ type: 'message', id, text: id });
    const got = [];
    for (let i = 0; i < 3; i++) got.push(await bob.client.waitFor((f) => f.type === 'message'));
    assert.equal(dropped, 1, 'the bus lost m2 on its way to node B');
    assert.deepEqual(
      got.map((m) => [m.id, m.seq]),
      [
        ['m1', 1],
        ['m2', 2],
        ['m3', 3],
      ],
    );
    // Alice got each once, in order, as always.
    const own = [];
    for (let i = 0; i < 3; i++) own.push(await alice.client.waitFor((f) => f.type === 'message'));
    assert.deepEqual(
      own.map((m) => m.seq),
      [1, 2, 3],
    );
  });

  it('the people of a node that went silent leave their rooms and go offline on the others', async () => {
    const { a, b, busA } = await cluster();
    const alice = await h.raw(a.port, 'alice');
    alice.client.send({ type: 'join', room: 'dev' });
    await alice.client.waitFor((f) => f.type === 'joined');
    const bob = await h.raw(b.port, 'bob');
    bob.client.send({ type: 'join', room: 'dev' });
    assert.deepEqual((await bob.client.waitFor((f) => f.type === 'joined')).members, ['bob', 'alice']);
    const t0 = Date.now();
    busA.severed = true; // node A dies: not a word more from it
    await bob.client.waitFor((f) => f.type === 'presence' && f.event === 'leave' && f.name === 'alice' && f.room === 'dev', 5000);
    await bob.client.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'alice', 5000);
    const took = Date.now() - t0;
    assert.ok(took >= 1000 && took < 4000, `offline after ${took} ms with a 1.5 s timeout`);
    bob.client.send({ type: 'who', id: 'w' });
    assert.deepEqual((await bob.client.waitFor((f) => f.type === 'users')).users, ['bob']);
  });

  it('a session whose node died reconnects on the other node with its name, and does not wait for the lease', async () => {
    const { a, b, busA } = await cluster();
    const alice = await h.raw(a.port, 'alice');
    await h.raw(b.port, 'bob');
    await alice.client.waitFor((f) => f.type === 'presence' && f.event === 'online' && f.name === 'bob');
    busA.severed = true;
    alice.client.close(); // node A is gone for everyone; its lease on "alice" still stands
    const stranger = await h.raw(b.port, 'alice');
    assert.equal(stranger.welcome.name, 'alice2', 'someone else cannot take the name');
    const again = await RawClient.connect(b.port);
    h.own(() => again.close());
    again.send({ type: 'hello', v: 1, name: 'alice', session: alice.welcome.session });
    const welcome = await again.waitFor((f) => f.type === 'welcome');
    assert.equal(welcome.name, 'alice', 'the same session keeps its name');
    assert.equal(welcome.session, alice.welcome.session);
  });

  it('a session that moved while its old socket lingers is closed on the old node, and nobody sees it leave', async () => {
    const { a, b } = await cluster();
    const alice = await h.raw(a.port, 'alice');
    const bob = await h.raw(a.port, 'bob');
    const carol = await h.raw(b.port, 'carol');
    await bob.client.waitFor((f) => f.type === 'presence' && f.event === 'online' && f.name === 'carol');
    const moved = await RawClient.connect(b.port);
    h.own(() => moved.close());
    moved.send({ type: 'hello', v: 1, name: 'alice', session: alice.welcome.session });
    assert.equal((await moved.waitFor((f) => f.type === 'welcome')).name, 'alice');
    const replaced = await alice.client.waitFor((f) => f.type === 'error');
    assert.equal(replaced.code, 'replaced');
    // Bob, on the old node, and carol, on the new one, still see alice online.
    for (const c of [bob.client, carol.client]) {
      c.send({ type: 'ping', id: 'p' });
      await c.waitFor((f) => f.type === 'pong');
      assert.equal(framesOf(c, 'presence').filter((f) => f.event === 'offline').length, 0);
      c.send({ type: 'who', id: 'w' });
      assert.ok(((await c.waitFor((f) => f.type === 'users')).users as string[]).includes('alice'));
    }
    moved.send({ type: 'message', id: 'hi', text: 'from my new node' });
    assert.equal((await bob.client.waitFor((f) => f.type === 'message' && f.id === 'hi')).sender, 'alice');
  });

  it('the away status of someone on a node that went silent ends with them', async () => {
    const { a, b, busA } = await cluster();
    const alice = await h.raw(a.port, 'alice');
    const bob = await h.raw(b.port, 'bob');
    alice.client.send({ type: 'away', message: 'lunch' });
    await bob.client.waitFor((f) => f.type === 'presence' && f.event === 'away');
    busA.severed = true;
    await bob.client.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'alice', 5000);
    const carol = await h.raw(b.port, 'carol');
    assert.equal(carol.welcome.away, undefined, 'alice is offline, so not away');
    carol.client.send({ type: 'who', id: 'w' });
    assert.equal((await carol.client.waitFor((f) => f.type === 'users')).away, undefined);
  });

  it('room settings whose events the bus lost are read again from the store on a resync', async () => {
    const { a, b, busA } = await cluster();
    const alice = await h.raw(a.port, 'alice');
    const mallory = await h.raw(b.port, 'mallory');
    for (const c of [alice, mallory]) {
      c.client.send({ type: 'join', room: 'dev' });
      await c.client.waitFor((f) => f.type === 'joined');
    }
    let ids = 0;
    const say = async (text: string): Promise<string> => {
      const id = `s${++ids}`;
      mallory.client.send({ type: 'message', id, room: 'dev', text });
      const f = await mallory.client.waitFor((x) => (x.type === 'message' && x.id === id) || (x.type === 'error' && x.ref === id));
      return f.type === 'message' ? 'sent' : String(f.code);
    };
    busA.drop = (topic, e) => topic === 'people' && e.kind === 'room_state';
    alice.client.send({ type: 'mode', room: 'dev', changes: [{ mode: '+b', arg: 'mal*' }] });
    // A connection's frames are handled in order: this answer comes after the ban was stored (its event lost on the way).
    alice.client.send({ type: 'room_info', id: 'r', room: 'dev' });
    assert.deepEqual(((await alice.client.waitFor((f) => f.type === 'room_info')).bans as Array<{ mask: string }>).map((x) => x.mask), ['mal*']);
    assert.equal(await say('node B never heard of the ban'), 'sent');
    busA.drop = undefined;
    // What node A sends when its link comes back (see BusRouter.onStatus).
    busA.publish('people', { kind: 'resync' });
    let outcome = await say('and now?');
    for (let i = 0; i < 50 && outcome === 'sent'; i++) outcome = await say('and now?');
    assert.equal(outcome, 'banned', 'node B read the ban from the store');
  });
});
