import * as assert from 'node:assert/strict';
import { ensureCliBuilt } from '../support/cliProcess';
import { Crowd, eventually, startNode, type ClusterNode } from '../support/clusterNodes';
import { startPostgres, startRedis, type RealPostgres, type RealRedis } from '../support/realServers';

/** What one run of the three-node test saw, for its report line. */
interface ThreeNodesReport {
  clients: number;
  messages: number;
  /** Messages acknowledged when node B was killed, and when Redis was killed. */
  ackedAtKill: number;
  ackedAtRedisRestart: number;
  /** How the killed node's clients spread over the live ones. */
  movedTo: Record<string, number>;
  redisDownMs: number;
  totalMs: number;
  deliveriesChecked: number;
}

/**
 * The three-node test of issue 11: three `tcp-chat serve` nodes on one PostgreSQL and one Redis, `perNode`
 * clients on each that know all three, `perClient` messages from each into
 * one room. A third of the way in, node B is killed with SIGKILL; two thirds
 * in, Redis is killed and started again. Then every client must hold every
 * message exactly once, with the same seq order everywhere.
 *
 * `redis` is killed here: give the run a Redis of its own.
 */
async function runThreeNodes(pg: RealPostgres, redis: RealRedis, perNode: number, perClient: number): Promise<ThreeNodesReport> {
  ensureCliBuilt();
  const t0 = Date.now();
  const url = await pg.createDatabase();
  const nodes: ClusterNode[] = [];
  const crowd = new Crowd();
  try {
    for (const name of ['A', 'B', 'C']) nodes.push(await startNode(name, url, redis.url));
    const [, B] = nodes;
    for (let i = 0; i < perNode; i++) for (const n of nodes) await crowd.add(`${n.name.toLowerCase()}${i}`, n, nodes);
    const onB = crowd.clients.filter((c) => c.node === 'B');
    assert.equal(onB.length, perNode, 'each client is on the node it was given first');
    // Everyone's roster is complete, so no presence is still in flight when the stream starts.
    await eventually(() => crowd.clients.every((c) => c.users.length === crowd.clients.length), () => 'every client sees everyone online', 30_000);

    crowd.send(perClient);
    const total = crowd.total;
    await eventually(() => crowd.acked() >= total / 3, () => `${crowd.acked()} of ${total} acknowledged before the kill`, 120_000);
    const ackedAtKill = crowd.acked();
    await B.kill('SIGKILL');

    await eventually(() => crowd.acked() >= (2 * total) / 3, () => `${crowd.acked()} of ${total} acknowledged before Redis restarts`, 120_000);
    const ackedAtRedisRestart = crowd.acked();
    const down = Date.now();
    await redis.stop('SIGKILL');
    await redis.start();
    const redisDownMs = Date.now() - down;

    await crowd.settle(240_000);
    // Anything delivered twice would arrive soon after the last first copy: give it a round trip on every client.
    await Promise.all(crowd.clients.map((c) => c.who()));
    crowd.check();

    const movedTo: Record<string, number> = {};
    for (const c of onB) movedTo[c.node ?? '?'] = (movedTo[c.node ?? '?'] ?? 0) + 1;
    assert.equal(movedTo.B, undefined, 'no client is left on the dead node');
    return {
      clients: crowd.clients.length,
      messages: total,
      ackedAtKill,
      ackedAtRedisRestart,
      movedTo,
      redisDownMs,
      totalMs: Date.now() - t0,
      deliveriesChecked: total * crowd.clients.length,
    };
  } finally {
    crowd.dispose();
    await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
  }
}

describe('cluster: three nodes, one killed and Redis restarted mid-stream', function () {
  this.timeout(300_000);
  let pg: RealPostgres;
  let redis: RealRedis;
  before(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  });
  after(async () => {
    await Promise.all([pg?.dispose(), redis?.dispose()]);
  });

  it('30 clients on 3 nodes, 3,000 messages: every client gets every message exactly once, in one seq order', async () => {
    const r = await runThreeNodes(pg, redis, 10, 100);
    console.log(`      [cluster] three nodes: ${JSON.stringify(r)}`);
  });
});
