import * as assert from 'node:assert/strict';
import type { ChatMessage } from '../../src/engine/protocol';
import type { NodeEvent } from '../../src/engine/server/busEvents';
import { RoomAppender } from '../../src/engine/server/roomAppender';
import { MemoryStore } from '../../src/engine/stores/memoryStore';
import { StoreError, type MessageDraft, type Store } from '../../src/engine/stores/store';

/**
 * Room messages stored through the room's leader, with nodes wired by an
 * in-process stand-in for the bus (events go through JSON, as on Redis) and
 * one real MemoryStore shared as the cluster's store. The same path over
 * real Redis and PostgreSQL, a leader killed included, is covered by
 * threeNodes.test.ts, clusterFaults.test.ts and clusterLeader.test.ts.
 */
describe('RoomAppender: a room leader stores every node’s messages', () => {
  const WAIT = 60;
  let store: MemoryStore;
  let nodes: Map<string, Node>;

  interface Node {
    id: string;
    appender: RoomAppender;
    /** Which node's appender called the store, per call. */
    storedBy: string[];
    /** What this node sent, to which node. */
    sent: { to: string; kind: NodeEvent['kind'] }[];
    warnings: string[];
    state: {
      /** While false, events sent to this node are lost (it died). */
      listening: boolean;
      linkUp: boolean;
      failStore: boolean;
    };
  }

  function makeNodes(ids: string[]): void {
    store = new MemoryStore();
    nodes = new Map();
    const storedBy: string[] = [];
    for (const id of ids) {
      const state = { listening: true, linkUp: true, failStore: false };
      const sent: Node['sent'] = [];
      const warnings: string[] = [];
      const nodeStore: Pick<Store, 'append'> = {
        append: async (draft) => {
          if (state.failStore) throw new StoreError('cannot reach PostgreSQL');
          storedBy.push(id);
          return store.append(draft);
        },
      };
      const appender = new RoomAppender(
        nodeStore,
        {
          nodeId: id,
          nodes: () => ids.filter((n) => n !== id),
          linkUp: () => state.linkUp,
          send: (to, e) => {
            sent.push({ to, kind: e.kind });
            const copy = JSON.parse(JSON.stringify(e)) as NodeEvent;
            setImmediate(() => {
              const target = nodes.get(to)!;
              if (target.state.listening) target.appender.onNode(copy, id);
            });
          },
          publish: (message, originNode) => {
            const copy = JSON.parse(JSON.stringify(message)) as ChatMessage;
            setImmediate(() => {
              for (const n of nodes.values()) n.appender.published(copy, originNode);
            });
          },
          seen: () => undefined,
          missed: () => undefined,
          warn: (w) => warnings.push(w),
        },
        WAIT,
      );
      nodes.set(id, { id, appender, storedBy, sent, warnings, state });
    }
  }

  const draft = (room: string, id: string, author = 'guest:ann'): MessageDraft => ({ id, room, sender: 'ann', author, text: `text ${id}`, ts: new Date().toISOString() });
  const node = (id: string): Node => nodes.get(id)!;
  /** A node that does not lead `room`, and the one that does. */
  function roles(room: string): { leader: Node; other: Node } {
    const leader = node(node('a').appender.leader(room));
    const other = [...nodes.values()].find((n) => n !== leader)!;
    return { leader, other };
  }

  beforeEach(() => makeNodes(['a', 'b', 'c']));

  it('every node names the same leader for a room, and the rooms spread over the nodes', () => {
    const led = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const room = `#room${i}`;
      const picks = new Set([...nodes.values()].map((n) => n.appender.leader(room)));
      assert.equal(picks.size, 1, `${room}: ${[...picks].join(', ')}`);
      const [leader] = picks;
      led.set(leader, (led.get(leader) ?? 0) + 1);
    }
    assert.deepEqual([...led.keys()].sort(), ['a', 'b', 'c'], `leaders: ${JSON.stringify([...led])}`);
  });

  it('a message sent on another node is stored by the leader alone and published for the sender', async () => {
    const { leader, other } = roles('general');
    const r = await other.appender.append(draft('general', 'm1'), 7);
    assert.equal(r.published, true);
    assert.equal(r.duplicate, false);
    assert.equal(r.message.seq, 1);
    assert.deepEqual(other.storedBy, [leader.id], 'only the leader called the store');
    assert.deepEqual(other.sent, [{ to: leader.id, kind: 'append' }]);
  });

  it('the leader stores its own messages itself, and the caller publishes them', async () => {
    const { leader } = roles('general');
    const r = await leader.appender.append(draft('general', 'm1'), 1);
    assert.equal(r.published, undefined);
    assert.deepEqual(leader.storedBy, [leader.id]);
    assert.equal(leader.sent.length, 0);
  });

  it('a resend the store already has comes back as a duplicate, not published again', async () => {
    const { leader, other } = roles('general');
    const first = await other.appender.append(draft('general', 'm1'), 7);
    const again = await other.appender.append(draft('general', 'm1'), 8);
    assert.equal(again.duplicate, true);
    assert.equal(again.message.seq, first.message.seq);
    assert.deepEqual(other.storedBy, [leader.id, leader.id]);
  });

  it('a leader that does not answer: the node stores the message itself after the wait, and then stops asking that leader', async () => {
    const { leader, other } = roles('general');
    leader.state.listening = false; // it died
    const t0 = Date.now();
    const r = await other.appender.append(draft('general', 'm1'), 7);
    assert.ok(Date.now() - t0 >= WAIT - 5, 'it waited for the leader first');
    assert.equal(r.published, undefined, 'so the caller publishes it');
    assert.deepEqual(other.storedBy, [other.id]);
    assert.equal(other.warnings.length, 1);
    assert.match(other.warnings[0], new RegExp(`node ${leader.id} did not store a message for general`));
    const second = await other.appender.append(draft('general', 'm2'), 7);
    assert.equal(second.message.seq, 2);
    assert.equal(other.sent.filter((e) => e.to === leader.id).length, 1, 'the second was not sent to the silent leader');
    assert.notEqual(other.appender.leader('general'), leader.id);
  });

  it('the leader’s store failure reaches the sender’s node as a StoreError', async () => {
    const { leader, other } = roles('general');
    leader.state.failStore = true;
    await assert.rejects(other.appender.append(draft('general', 'm1'), 7), (err: Error) => err instanceof StoreError && /cannot reach PostgreSQL/.test(err.message));
    assert.equal(other.storedBy.length, 0);
  });

  it('with the link down every node stores its own messages', async () => {
    const { leader, other } = roles('general');
    other.state.linkUp = false;
    const r = await other.appender.append(draft('general', 'm1'), 7);
    assert.equal(r.published, undefined);
    assert.deepEqual(other.storedBy, [other.id]);
    assert.equal(other.sent.length, 0);
    assert.notEqual(leader.id, other.id);
  });

  it('the same message sent again while the first is still with the leader is stored here, once in all', async () => {
    const { leader, other } = roles('general');
    const first = other.appender.append(draft('general', 'm1'), 7);
    const second = other.appender.append(draft('general', 'm1'), 8);
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.message.seq, 1);
    assert.equal(b.message.seq, 1);
    assert.equal([a, b].filter((r) => r.duplicate).length, 1, 'one of the two is the duplicate');
    assert.deepEqual(other.sent, [{ to: leader.id, kind: 'append' }], 'only the first was forwarded');
    assert.deepEqual([...other.storedBy].sort(), [leader.id, other.id].sort());
  });

  it('stop() hands every forwarded message back to be stored here', async () => {
    const { leader, other } = roles('general');
    leader.state.listening = false;
    const pending = other.appender.append(draft('general', 'm1'), 7);
    other.appender.stop();
    const r = await pending;
    assert.equal(r.published, undefined);
    assert.deepEqual(other.storedBy, [other.id]);
    assert.equal(other.warnings.length, 0, 'no leader was blamed');
  });
});
