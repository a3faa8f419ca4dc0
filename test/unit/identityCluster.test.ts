import * as assert from 'node:assert/strict';
import { LocalBus, LocalBusHub } from '../../src/engine/buses/localBus';
import { generateIdentity } from '../../src/engine/identity';
import { dmKey, type ChatMessage } from '../../src/engine/protocol';
import { PostgresStore } from '../../src/engine/stores/postgresStore';
import { Harness } from '../support/harness';
import { startPostgres, type RealPostgres } from '../support/realServers';

/**
 * Identities on a cluster (issue 10 with issue 11): the name claims live in
 * the shared PostgreSQL database, so every node and every restart sees them,
 * and a person's DMs follow their identity's bus topic to each node holding
 * one of their connections. The single-node cases are in identityServer.test.ts.
 */
describe('identities on a cluster over PostgreSQL', function () {
  this.timeout(60_000);
  const h = new Harness();
  let pg: RealPostgres;
  before(async () => {
    pg = await startPostgres();
  });
  after(async () => {
    await pg?.dispose();
  });
  afterEach(() => h.cleanup());

  it('holds a claim made on one node on every node and after every node restarts, and a key\'s DMs reach its windows on both nodes', async () => {
    const url = await pg.createDatabase();
    const hub = new LocalBusHub();
    const a = await h.server({ bus: new LocalBus(hub), store: await PostgresStore.open(url) });
    const b = await h.server({ bus: new LocalBus(hub), store: await PostgresStore.open(url) });
    const aliceKey = generateIdentity();
    const alice = await h.keyed(a.port, 'alice', aliceKey);
    const bob = await h.keyed(b.port, 'bob', generateIdentity());
    assert.deepEqual(bob.welcome.users, ['bob', 'alice'], 'node B knows she is on node A');
    // Her second window, on the other node: a temporary name, and both windows get what bob writes.
    const window2 = await h.keyed(b.port, 'alice', aliceKey);
    assert.equal(window2.welcome.name, 'alice2');
    bob.client.send({ type: 'message', id: 'd1', to: 'alice', text: 'the launch code is 7431' });
    const key = dmKey(aliceKey.id, bob.welcome.id as string);
    for (const w of [alice, window2]) assert.equal((await w.client.waitFor((f) => f.type === 'message' && f.id === 'd1', 10_000)).room, key);
    alice.client.close();
    window2.client.close();
    await bob.client.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'alice');
    await bob.client.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'alice2');

    // A stranger on the other node than the one she claimed it on.
    const stranger = await h.rawNoHello(b.port);
    assert.equal((await stranger.helloWithKey('alice', generateIdentity(), { insist: true })).code, 'name_claimed');
    assert.equal((await stranger.helloWithKey('alice', generateIdentity())).name, 'alice2');
    assert.equal((await stranger.history(key)).code, 'not_in_room');
    assert.deepEqual((await stranger.search('launch')).messages, []);

    await h.stop(a.server);
    await h.stop(b.server);
    const c = await h.server({ store: await PostgresStore.open(url) });
    const guest = await h.raw(c.port, 'alice');
    assert.equal(guest.welcome.name, 'alice3', 'alice is still hers after the restart, and alice2 the keyed stranger\'s');
    const back = await h.keyed(c.port, 'alice', aliceKey);
    assert.equal(back.welcome.name, 'alice');
    assert.deepEqual(((await back.client.history(key)).messages as ChatMessage[]).map((m) => m.id), ['d1']);
  });
});
