import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Harness } from '../support/harness';
import { startRedis, type RealRedis } from '../support/realServers';
import { RedisBus } from '../../src/engine/buses/redisBus';
import { MemoryStore } from '../../src/engine/stores/memoryStore';
import { dmKey } from '../../src/engine/protocol';

/**
 * The server's bus events over a real network bus: two nodes, each with its
 * own RedisBus to one redis-server, sharing one store. Everything a person
 * does on one node reaches the people on the other.
 */
describe('two nodes on a real Redis', function () {
  this.timeout(60_000);
  const h = new Harness();
  let redis: RealRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.dispose();
  });
  afterEach(() => h.cleanup());

  async function cluster() {
    const store = new MemoryStore();
    const a = await h.server({ bus: await RedisBus.open(redis.url), store });
    const b = await h.server({ bus: await RedisBus.open(redis.url), store });
    return { a, b };
  }

  it('room messages, DMs, presence, names and files cross the network bus', async () => {
    const { a, b } = await cluster();
    const alice = await h.raw(a.port, 'alice');
    const bob = await h.raw(b.port, 'bob');
    await alice.client.waitFor((f) => f.type === 'presence' && f.event === 'online' && f.name === 'bob', 10_000);
    // One order per room: the shared store gives the seqs, the bus carries them.
    alice.client.send({ type: 'message', id: 'a1', text: 'from A' });
    const atBob = await bob.client.waitFor((f) => f.type === 'message', 10_000);
    assert.deepEqual([atBob.id, atBob.seq, atBob.sender], ['a1', 1, 'alice']);
    bob.client.send({ type: 'message', id: 'b1', text: 'from B' });
    const atAlice = await alice.client.waitFor((f) => f.type === 'message' && f.id === 'b1', 10_000);
    assert.equal(atAlice.seq, 2);
    // A direct message to someone on the other node.
    alice.client.send({ type: 'message', id: 'd1', to: 'bob', text: 'psst' });
    assert.equal((await bob.client.waitFor((f) => f.type === 'message' && f.id === 'd1', 10_000)).room, dmKey(alice.welcome.id as string, bob.welcome.id as string));
    // The name is held on node A: node B gives the next one.
    const second = await h.raw(b.port, 'ALICE');
    assert.equal(second.welcome.name, 'ALICE2');
    // Node A learns of the arrival through Redis; ask who is online once it has.
    await alice.client.waitFor((f) => f.type === 'presence' && f.event === 'online' && f.name === 'ALICE2', 10_000);
    alice.client.send({ type: 'who', id: 'w' });
    assert.deepEqual(((await alice.client.waitFor((f) => f.type === 'users', 10_000)).users as string[]).sort(), ['ALICE2', 'alice', 'bob']);
    // A file offered on node A, relayed chunk by chunk to node B.
    const data = Buffer.from('over redis');
    alice.client.send({ type: 'file_offer', id: 'f', name: 'x.txt', size: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    alice.client.send({ type: 'file_chunk', id: 'f', index: 0, data: data.toString('base64') });
    await bob.client.waitFor((f) => f.type === 'file_offer' && f.id === 'f', 10_000);
    assert.equal(Buffer.from((await bob.client.waitFor((f) => f.type === 'file_chunk', 10_000)).data as string, 'base64').toString(), 'over redis');
    await bob.client.waitFor((f) => f.type === 'file_done', 10_000);
    // Leaving is seen on the other node.
    bob.client.close();
    await alice.client.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'bob', 10_000);
  });
});
