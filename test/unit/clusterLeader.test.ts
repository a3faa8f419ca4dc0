import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import { rendezvous } from '../../src/engine/server/roomAppender';
import { ensureCliBuilt } from '../support/cliProcess';
import { Crowd, eventually, startNode, type ClusterNode } from '../support/clusterNodes';
import { startPostgres, startRedis, type RealPostgres, type RealRedis } from '../support/realServers';

/** A room message event as it crosses Redis: who published it, and for which node's connection. */
interface Published {
  publisher: string;
  originNode?: string;
  sender: string;
}

/**
 * Room messages stored through the room's leader (server/roomAppender.ts),
 * on three real `tcp-chat serve` nodes over a real PostgreSQL and Redis. A
 * raw Redis subscriber on the room's channel sees which node published each
 * message: the leader, for every node's clients. When the leader is killed,
 * the other two store their own messages until they agree on a new leader,
 * and nothing is lost or doubled.
 */
describe('cluster: one node stores each room’s messages', function () {
  this.timeout(180_000);
  let pg: RealPostgres;
  let redis: RealRedis;
  let spy: Redis | undefined;
  const nodes: ClusterNode[] = [];
  const crowd = new Crowd();
  const published: Published[] = [];

  before(async () => {
    ensureCliBuilt();
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  });
  after(async () => {
    crowd.dispose();
    spy?.disconnect();
    await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
    await Promise.all([pg?.dispose(), redis?.dispose()]);
  });

  /** Which node each client sent from, by client name. */
  const senderNode = new Map<string, string>();
  /** The node names the publisher ids stand for, learnt from messages each node stored for its own clients. */
  function publisherNames(): Map<string, string> {
    const names = new Map<string, string>();
    for (const p of published) if (p.originNode === undefined) names.set(p.publisher, senderNode.get(p.sender)!);
    return names;
  }

  it('every node’s clients’ messages are published by one node, the room’s leader', async () => {
    const url = await pg.createDatabase();
    for (const name of ['A', 'B', 'C']) nodes.push(await startNode(name, url, redis.url));
    spy = new Redis(redis.url);
    await spy.psubscribe('*room:general');
    spy.on('pmessage', (_pattern, _channel, text: string) => {
      const envelope = JSON.parse(text) as { n: string; e: { kind: string; originNode?: string; message?: { sender: string } } };
      if (envelope.e.kind === 'message') published.push({ publisher: envelope.n, originNode: envelope.e.originNode, sender: envelope.e.message!.sender });
    });
    for (let i = 0; i < 2; i++) {
      for (const n of nodes) {
        const c = await crowd.add(`${n.name.toLowerCase()}${i}`, n, nodes);
        senderNode.set(c.name, n.name);
      }
    }
    await eventually(() => crowd.clients.every((c) => c.users.length === crowd.clients.length), () => 'every client sees everyone online', 30_000);

    crowd.send(10);
    await crowd.settle(60_000);
    crowd.check();
    await eventually(() => published.length === 60, () => `${published.length} of 60 message events seen on Redis`, 10_000);
    const publishers = new Set(published.map((p) => p.publisher));
    assert.equal(publishers.size, 1, `one node published every message, not ${publishers.size}`);
    // Messages of the leader's own clients carry no originNode; the others name their clients' node.
    const forwarded = published.filter((p) => p.originNode !== undefined);
    assert.equal(forwarded.length, 40, 'the other two nodes’ clients’ messages were forwarded to the leader');
    assert.equal(new Set(forwarded.map((p) => p.originNode)).size, 2);
  });

  it('with the leader killed, the others store their own, then agree on a new leader; nothing is lost or doubled', async () => {
    const leaderName = [...publisherNames().values()][0];
    const leader = nodes.find((n) => n.name === leaderName)!;
    await leader.kill('SIGKILL');
    const survivors = nodes.filter((n) => n !== leader);
    published.length = 0;

    crowd.send(10);
    await crowd.settle(90_000);
    crowd.check();
    for (const n of survivors) assert.match(n.output(), /did not store a message for general/, `${n.name} said it stores its own messages`);

    // Settled on a new leader: every message of the next round is published by one node again.
    published.length = 0;
    crowd.send(5);
    await crowd.settle(60_000);
    crowd.check();
    await eventually(() => published.length === 30, () => `${published.length} of 30 message events seen on Redis`, 10_000);
    const publishers = new Set(published.map((p) => p.publisher));
    assert.equal(publishers.size, 1, `one node published every message of the last round, not ${publishers.size}`);
  });

  it('a node of an earlier release (alive, but not saying it leads) is never picked as a room’s leader', async () => {
    const live = [...new Set(published.map((p) => p.publisher))];
    const outputs = nodes.map((n) => n.output().length);
    // An id that would win the room's rendezvous against every live node.
    let old = '';
    for (let i = 0; old === ''; i++) if (live.every((n) => rendezvous(`old-${i}`, 'general') > rendezvous(n, 'general'))) old = `old-${i}`;
    const pub = new Redis(redis.url);
    try {
      await pub.publish('tcp-chat:0:people', JSON.stringify({ n: old, e: { kind: 'alive' } }));
    } finally {
      pub.disconnect();
    }
    published.length = 0;
    crowd.send(5);
    await crowd.settle(60_000);
    crowd.check();
    for (const [i, n] of nodes.entries()) assert.doesNotMatch(n.output().slice(outputs[i]), /did not store a message/, `${n.name} never waited for ${old}`);
    await eventually(() => published.length === 30, () => `${published.length} of 30 message events seen on Redis`, 10_000);
    assert.equal(new Set(published.map((p) => p.publisher)).size, 1);
  });
});
