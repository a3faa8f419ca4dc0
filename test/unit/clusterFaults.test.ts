import * as assert from 'node:assert/strict';
import { Harness, framesOf, nextEvent } from '../support/harness';
import type { RawClient } from '../support/rawClient';
import { ensureCliBuilt } from '../support/cliProcess';
import { Crowd, eventually, startNode, type ClusterNode } from '../support/clusterNodes';
import { startPostgres, startRedis, type RealPostgres, type RealRedis } from '../support/realServers';
import { ChatClient } from '../../src/engine/client/chatClient';
import { RedisBus } from '../../src/engine/buses/redisBus';
import type { BusStatus } from '../../src/engine/buses/bus';
import { PostgresStore } from '../../src/engine/stores/postgresStore';
import type { ChatMessage } from '../../src/engine/protocol';

/**
 * The faults of docs/scaling.md, each on real servers: PostgreSQL stopped,
 * Redis killed and restarted, a node killed with SIGKILL mid-stream.
 */
describe('cluster faults on real PostgreSQL and Redis', function () {
  this.timeout(120_000);
  const h = new Harness();
  let pg: RealPostgres;
  let redis: RealRedis;
  before(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  });
  after(async () => {
    await Promise.all([pg?.dispose(), redis?.dispose()]);
  });
  afterEach(() => h.cleanup());

  const quiet = { onWarning: () => undefined };

  function client(port: number, name: string): ChatClient {
    const c = new ChatClient({ host: '127.0.0.1', port, name, minBackoff: 100, maxBackoff: 1000 });
    h.own(() => c.dispose());
    return c;
  }

  /** The room messages a raw client got, in arrival order. */
  const general = (c: RawClient) => framesOf(c, 'message').filter((f) => f.room === 'general') as unknown as ChatMessage[];

  /** A round trip: what the server queued for the client before is in by then. */
  async function settle(c: RawClient, id: string): Promise<void> {
    c.send({ type: 'ping', id });
    await c.waitFor((f) => f.type === 'pong' && f.id === id, 10_000);
  }

  it('PostgreSQL unreachable: new messages get store_failed and are not acknowledged; outboxes resend them when it is back, and nothing acknowledged is lost', async () => {
    // A server of its own: this test stops it, and a failure half-way must not leave the others without one.
    const ownPg = await startPostgres();
    h.own(() => ownPg.dispose());
    const store = await PostgresStore.open(await ownPg.createDatabase(), quiet);
    const { port } = await h.server({ store });
    const alice = client(port, 'alice');
    const bob = client(port, 'bob');
    await Promise.all([alice.connect(), bob.connect()]);
    const atBob: ChatMessage[] = [];
    bob.onMessage((m) => atBob.push(m));
    for (let i = 0; i < 5; i++) alice.send(`before ${i}`);
    await eventually(() => alice.unacked === 0 && atBob.length === 5, () => `${alice.unacked} unacknowledged, bob has ${atBob.length}`, 10_000);

    const waits: boolean[] = [];
    alice.onStoreWait((w) => waits.push(w));
    await ownPg.stop();
    const refused = nextEvent(alice.onServerError, (e) => e.code === 'store_failed', 20_000);
    for (let i = 0; i < 5; i++) alice.send(`during ${i}`);
    await refused;
    assert.equal(alice.unacked, 5, 'nothing sent while PostgreSQL is down is acknowledged');
    assert.deepEqual(waits, [true], 'the wait is reported once, however many messages are refused');
    await bob.who();
    assert.equal(atBob.length, 5, 'nor delivered');

    await ownPg.start();
    await eventually(() => alice.unacked === 0 && atBob.length === 10, () => `${alice.unacked} unacknowledged, bob has ${atBob.length}`, 60_000);
    assert.deepEqual(waits, [true, false], 'and its end once, when the last resend is acknowledged');
    // One order, each once. The resends are stored in the order the store took them: when PostgreSQL
    // comes back half-way through a resend, a later message can be taken before an earlier one
    // (docs/reliability.md, "Order after a store outage").
    assert.deepEqual(
      atBob.map((m) => m.seq),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    assert.deepEqual(
      atBob.slice(0, 5).map((m) => m.text),
      [0, 1, 2, 3, 4].map((i) => `before ${i}`),
    );
    assert.deepEqual(
      atBob.slice(5).map((m) => m.text).sort(),
      [0, 1, 2, 3, 4].map((i) => `during ${i}`),
    );
    const stored = (await store.history('general', { limit: 100 })).messages;
    assert.deepEqual(
      stored.map((m) => m.text),
      atBob.map((m) => m.text),
      'stored once each, resends and all',
    );
  });

  it('Redis unreachable: each node keeps serving its own clients, fills gaps from PostgreSQL, and catches up when Redis is back; nobody is taken offline', async () => {
    const url = await pg.createDatabase();
    // A Redis of its own: this test kills it.
    const ownRedis = await startRedis();
    h.own(() => ownRedis.dispose());
    const buses = [await RedisBus.open(ownRedis.url, quiet), await RedisBus.open(ownRedis.url, quiet)];
    const timings = { cluster: { heartbeatMs: 200, nodeTimeoutMs: 1500, gapWaitMs: 100 } };
    const a = await h.server({ store: await PostgresStore.open(url, quiet), bus: buses[0], ...timings });
    const b = await h.server({ store: await PostgresStore.open(url, quiet), bus: buses[1], ...timings });
    const alice = (await h.raw(a.port, 'alice')).client;
    const carol = (await h.raw(a.port, 'carol')).client;
    const bob = (await h.raw(b.port, 'bob')).client;
    const dan = (await h.raw(b.port, 'dan')).client;
    await eventually(() => a.server.users().length === 4 && b.server.users().length === 4, () => `A knows ${a.server.users()}, B knows ${b.server.users()}`, 10_000);
    const status = (want: BusStatus) => Promise.all(buses.map((bus) => new Promise<void>((resolve) => bus.onStatus((s) => s === want && resolve()))));

    const down = status('down');
    await ownRedis.stop('SIGKILL');
    await down;
    for (const id of ['a1', 'a2', 'a3']) alice.send({ type: 'message', id, text: id });
    alice.send({ type: 'message', id: 'dm', to: 'bob', text: 'while Redis is down' });
    assert.equal((await alice.waitFor((f) => f.id === 'dm', 10_000)).type, 'message', 'the DM is stored and acknowledged');
    await eventually(() => general(carol).length === 3, () => `carol has ${general(carol).map((m) => m.id)}`, 10_000);
    for (const id of ['b1', 'b2', 'b3']) bob.send({ type: 'message', id, text: id });
    // Node B sees a gap before b1 (seqs 1-3 never came over the bus) and reads it from PostgreSQL.
    await eventually(() => general(dan).length === 6, () => `dan has ${general(dan).map((m) => m.id)}`, 10_000);
    // Longer than the node timeout, so the heartbeat would have expired the other node by now, were it not the link's fault.
    await new Promise((r) => setTimeout(r, 2000));
    await settle(carol, 'c1');
    assert.deepEqual(
      general(carol).map((m) => m.id),
      ['a1', 'a2', 'a3'],
      'node A cannot know of b1-b3 yet: nothing after them would show the gap',
    );
    await settle(bob, 'b1');
    assert.equal(framesOf(bob, 'message').filter((f) => f.id === 'dm').length, 0, 'the DM is stuck on node A');

    const up = status('up');
    await ownRedis.start();
    await up;
    await eventually(() => general(carol).length === 6 && general(alice).length === 6 && framesOf(bob, 'message').some((f) => f.id === 'dm'), () => `carol ${general(carol).map((m) => m.id)}`, 15_000);
    await new Promise((r) => setTimeout(r, 500)); // anything doubled would show up by now
    for (const c of [alice, carol, bob, dan]) {
      await settle(c, 'end');
      assert.deepEqual(
        general(c).map((m) => [m.seq, m.id]),
        ['a1', 'a2', 'a3', 'b1', 'b2', 'b3'].map((id, i) => [i + 1, id]),
      );
      assert.deepEqual(framesOf(c, 'presence').filter((f) => f.event === 'offline' || f.event === 'leave'), [], 'nobody was taken offline');
    }
    assert.equal(framesOf(bob, 'message').filter((f) => f.id === 'dm').length, 1, 'the DM arrived once');
  });

  describe('a node killed with SIGKILL mid-stream', () => {
    let nodes: ClusterNode[] = [];
    let crowd: Crowd;
    before(() => ensureCliBuilt());
    afterEach(async () => {
      crowd?.dispose();
      await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
      nodes = [];
    });

    it('its clients move to the other node with their names; every acknowledged message reaches every client once, in one order; its people who do not come back go offline within about 15 s', async () => {
      const url = await pg.createDatabase();
      nodes = [await startNode('A', url, redis.url), await startNode('B', url, redis.url)];
      const [A, B] = nodes;
      crowd = new Crowd();
      const movers = [await crowd.add('ann', A, nodes), await crowd.add('amy', A, nodes)];
      const stayers = [await crowd.add('ben', B, nodes), await crowd.add('bea', B, nodes)];
      // Someone on A whose client does not reconnect: the others see them go when A is found dead.
      const zoe = new ChatClient({ ...A.endpoint, name: 'zoe', reconnect: false });
      h.own(() => zoe.dispose());
      await zoe.connect();
      await eventually(() => stayers.every((c) => c.users.includes('zoe')), () => 'zoe online on B', 10_000);
      for (const c of movers) assert.equal(c.node, 'A');

      crowd.send(25);
      await eventually(() => crowd.acked() >= 30, () => `${crowd.acked()} acknowledged`, 30_000);
      const zoeGone = nextEvent(stayers[0].onPresence, (p) => p.event === 'offline' && p.name === 'zoe', 40_000);
      const t0 = Date.now();
      await A.kill('SIGKILL');
      await crowd.settle(60_000);
      crowd.check();
      for (const c of movers) {
        assert.equal(c.node, 'B', `${c.name} moved to the live node`);
        assert.ok(['ann', 'amy'].includes(c.name), `kept the name, not ${c.name}`);
      }
      await zoeGone;
      const took = Date.now() - t0;
      assert.ok(took < 22_000, `zoe went offline on B ${took} ms after node A died`);
    });
  });
});
