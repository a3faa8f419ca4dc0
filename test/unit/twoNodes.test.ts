import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Harness, framesOf } from '../support/harness';
import type { RawClient } from '../support/rawClient';
import { LocalBus, LocalBusHub } from '../../src/engine/buses/localBus';
import type { BusEvent } from '../../src/engine/buses/bus';
import { MemoryStore } from '../../src/engine/stores/memoryStore';
import { dmKey } from '../../src/engine/protocol';

/**
 * Two server nodes on one bus (two LocalBus instances on one hub) and one
 * store: everything that travels between connections must reach the other
 * node's people too.
 */
describe('two nodes on one bus', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  async function cluster(extra: Record<string, unknown> = {}) {
    const hub = new LocalBusHub();
    const store = new MemoryStore();
    const a = await h.server({ bus: new LocalBus(hub), store, ...extra });
    const b = await h.server({ bus: new LocalBus(hub), store, ...extra });
    return { a, b, hub, store };
  }

  /** A round trip on a client's own connection: whatever the server queued for it before is in by then. */
  async function settle(c: RawClient, id: string): Promise<void> {
    c.send({ type: 'ping', id });
    await c.waitFor((f) => f.type === 'pong' && f.id === id);
  }

  it('room messages, joins and typing reach members on the other node, in one seq order', async () => {
    const { a, b } = await cluster();
    const alice = await h.raw(a.port, 'alice');
    const bob = await h.raw(b.port, 'bob');
    await alice.client.waitFor((f) => f.type === 'presence' && f.event === 'online' && f.name === 'bob');
    await alice.client.waitFor((f) => f.type === 'presence' && f.event === 'join' && f.name === 'bob' && f.room === 'general');
    alice.client.send({ type: 'message', id: 'a1', text: 'from A' });
    bob.client.send({ type: 'message', id: 'b1', text: 'from B' });
    for (const c of [alice.client, bob.client]) {
      const got = [await c.waitFor((f) => f.type === 'message'), await c.waitFor((f) => f.type === 'message')];
      assert.deepEqual(got.map((m) => [m.id, m.seq]).sort(), [
        ['a1', 1],
        ['b1', 2],
      ]);
    }
    bob.client.send({ type: 'join', room: 'dev' });
    await bob.client.waitFor((f) => f.type === 'joined');
    alice.client.send({ type: 'join', room: 'dev' });
    const joined = await alice.client.waitFor((f) => f.type === 'joined');
    assert.deepEqual(joined.members, ['alice', 'bob'], 'members on both nodes');
    assert.deepEqual(await bob.client.waitFor((f) => f.type === 'presence' && f.event === 'join' && f.room === 'dev'), { type: 'presence', event: 'join', name: 'alice', room: 'dev', id: alice.welcome.id, guest: true });
    alice.client.send({ type: 'typing', room: 'dev' });
    assert.deepEqual(await bob.client.waitFor((f) => f.type === 'typing'), { type: 'typing', name: 'alice', room: 'dev' });
    await settle(alice.client, 'p');
    assert.equal(framesOf(alice.client, 'typing').length, 0, 'the typist is not told');
    bob.client.send({ type: 'leave', room: 'dev' });
    assert.deepEqual(await alice.client.waitFor((f) => f.type === 'presence' && f.event === 'leave'), { type: 'presence', event: 'leave', name: 'bob', room: 'dev' });
  });

  it('direct messages and DM typing cross nodes; a name nobody holds anywhere is no_such_user', async () => {
    const { a, b } = await cluster();
    const alice = await h.raw(a.port, 'alice');
    const bob = await h.raw(b.port, 'bob');
    alice.client.send({ type: 'message', id: 'd1', to: 'BOB', text: 'psst' });
    const atBob = await bob.client.waitFor((f) => f.type === 'message');
    const atAlice = await alice.client.waitFor((f) => f.type === 'message');
    for (const m of [atBob, atAlice]) {
      assert.equal(m.room, dmKey(alice.welcome.id as string, bob.welcome.id as string), 'kept under the two identities');
      assert.equal(m.to, 'bob', 'the recipient under its own spelling');
    }
    alice.client.send({ type: 'typing', to: 'bob' });
    assert.deepEqual(await bob.client.waitFor((f) => f.type === 'typing'), { type: 'typing', name: 'alice', to: 'bob' });
    alice.client.send({ type: 'message', id: 'd2', to: 'carol', text: '?' });
    assert.equal((await alice.client.waitFor((f) => f.type === 'error')).code, 'no_such_user');
  });

  it('names are unique across nodes, people lists span them, and renames and departures are seen everywhere', async () => {
    const { a, b } = await cluster();
    const first = await h.raw(a.port, 'alice');
    const second = await h.raw(b.port, 'Alice');
    assert.equal(second.welcome.name, 'Alice2', 'the other node holds alice');
    assert.deepEqual(second.welcome.users, ['Alice2', 'alice']);
    const general = (second.welcome.rooms as Array<{ name: string; count: number }>).find((r) => r.name === 'general');
    assert.equal(general?.count, 2);
    first.client.send({ type: 'who', id: 'w' });
    assert.deepEqual((await first.client.waitFor((f) => f.type === 'users')).users, ['alice', 'Alice2']);
    second.client.send({ type: 'nick', name: 'ALICE' });
    assert.equal((await second.client.waitFor((f) => f.type === 'error')).code, 'bad_name', 'taken on the other node');
    second.client.send({ type: 'nick', name: 'bea' });
    assert.deepEqual(await first.client.waitFor((f) => f.type === 'presence' && f.event === 'rename'), { type: 'presence', event: 'rename', name: 'bea', from: 'Alice2', id: second.welcome.id, guest: true });
    // The old name is free again everywhere, the new one is not.
    const third = await h.raw(a.port, 'alice2');
    assert.equal(third.welcome.name, 'alice2');
    const fourth = await h.raw(a.port, 'bea');
    assert.equal(fourth.welcome.name, 'bea2');
    second.client.close();
    await first.client.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'bea');
    const fifth = await h.raw(a.port, 'bea');
    assert.equal(fifth.welcome.name, 'bea', 'free once its holder left the other node');
  });

  it('a node that starts later learns who is on the others', async () => {
    const hub = new LocalBusHub();
    const store = new MemoryStore();
    const a = await h.server({ bus: new LocalBus(hub), store });
    const alice = await h.raw(a.port, 'alice');
    alice.client.send({ type: 'join', room: 'dev' });
    await alice.client.waitFor((f) => f.type === 'joined');
    const b = await h.server({ bus: new LocalBus(hub), store });
    const bob = await h.raw(b.port, 'bob');
    assert.deepEqual(bob.welcome.users, ['bob', 'alice']);
    const dev = (bob.welcome.rooms as Array<{ name: string; count: number }>).find((r) => r.name === 'dev');
    assert.equal(dev?.count, 1);
    assert.deepEqual(b.server.users(), ['bob', 'alice']);
  });

  it('files offered to a room or a person reach recipients on the other node, chunk by chunk', async () => {
    const { a, b } = await cluster();
    const alice = await h.raw(a.port, 'alice');
    const bob = await h.raw(b.port, 'bob');
    const carol = await h.raw(a.port, 'carol');
    const data = Buffer.from('hello over the bus');
    const sha256 = createHash('sha256').update(data).digest('hex');
    for (const target of [{}, { to: 'bob' }]) {
      const id = 'to' in target ? 'fdm' : 'froom';
      alice.client.send({ type: 'file_offer', id, name: 'x.txt', size: data.length, sha256, ...target });
      alice.client.send({ type: 'file_chunk', id, index: 0, data: data.toString('base64') });
      const offer = await bob.client.waitFor((f) => f.type === 'file_offer' && f.id === id);
      assert.equal(offer.sender, 'alice');
      const chunk = await bob.client.waitFor((f) => f.type === 'file_chunk' && f.id === id);
      assert.equal(Buffer.from(chunk.data as string, 'base64').toString(), data.toString());
      await bob.client.waitFor((f) => f.type === 'file_done' && f.id === id);
      await alice.client.waitFor((f) => f.type === 'file_done' && f.id === id);
    }
    await settle(carol.client, 'c');
    assert.deepEqual(
      framesOf(carol.client, 'file_offer').map((f) => f.id),
      ['froom'],
      'carol, on the sender’s node, got the room file and not the DM',
    );
  });

  it("receivers of a file whose node went silent get file_abort once the transfer is stale", async function () {
    this.timeout(10_000);
    const hub = new LocalBusHub();
    const store = new MemoryStore();
    /** Node A's bus, which can stop publishing (its node is cut off, or dead). */
    class Severable extends LocalBus {
      severed = false;
      override publish(topic: string, event: BusEvent): void {
        if (!this.severed) super.publish(topic, event);
      }
    }
    const busA = new Severable(hub);
    const a = await h.server({ bus: busA, store, fileIdleTimeout: 200 });
    const b = await h.server({ bus: new LocalBus(hub), store, fileIdleTimeout: 200 });
    const alice = await h.raw(a.port, 'alice');
    const bob = await h.raw(b.port, 'bob');
    const data = Buffer.alloc(50_000, 1);
    alice.client.send({ type: 'file_offer', id: 'f', name: 'x.bin', size: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    await bob.client.waitFor((f) => f.type === 'file_offer');
    busA.severed = true;
    alice.client.close(); // its abort never leaves node A
    const abort = await bob.client.waitFor((f) => f.type === 'file_abort', 5000);
    assert.deepEqual(abort, { type: 'file_abort', id: 'f', sender: 'alice', reason: 'the transfer stalled' });
  });
});
