import * as assert from 'node:assert/strict';
import type { BusEvent } from '../../src/engine/buses/bus';
import { LocalBus, LocalBusHub } from '../../src/engine/buses/localBus';
import { PostgresStore } from '../../src/engine/stores/postgresStore';
import type { MessageDraft } from '../../src/engine/stores/store';
import { Harness } from '../support/harness';
import { startPostgres, type RealPostgres } from '../support/realServers';

/**
 * Store.append's `seen` on PostgreSQL (chat_append_seen, migration 6): an
 * append hands back what other nodes committed to the room after the
 * caller's seq and before its own message, so a node delivers its own
 * message without waiting for theirs on the bus.
 */

let n = 0;
function draft(room: string, text: string, author = 'key:alice'): MessageDraft {
  n++;
  return { id: `s${n}`, room, sender: author.slice(4), author, text, ts: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, n)).toISOString() };
}

/** A node's in-process bus that drops what `drop` picks. */
class Lossy extends LocalBus {
  drop?: (topic: string, event: BusEvent) => boolean;
  override publish(topic: string, event: BusEvent): void {
    if (!this.drop?.(topic, event)) super.publish(topic, event);
  }
}

describe('PostgresStore appends hand back what the node missed (real PostgreSQL)', function () {
  this.timeout(60_000);
  let pg: RealPostgres;
  const open: PostgresStore[] = [];
  const h = new Harness();

  before(async () => {
    pg = await startPostgres();
  });
  after(async () => {
    await pg?.dispose();
  });
  afterEach(async () => {
    await h.cleanup();
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  async function node(url: string): Promise<PostgresStore> {
    const s = await PostgresStore.open(url, { onWarning: (m) => assert.fail(`unexpected warning: ${m}`) });
    open.push(s);
    return s;
  }

  it('gives the messages other nodes committed after `seen`, in order, and none of the batch\'s own', async () => {
    const url = await pg.createDatabase();
    const [a, b] = [await node(url), await node(url)];
    for (const text of ['one', 'two', 'three']) await a.append(draft('general', text));
    await a.append(draft('dev', 'elsewhere'));
    let asked = 0;
    const r = await b.append(draft('general', 'four', 'key:bob'), () => (asked++, 1));
    assert.equal(asked, 1, 'seen is asked once, as the write goes out');
    assert.equal(r.message.seq, 4);
    assert.deepEqual(r.missed?.map((m) => [m.seq, m.text, m.author, m.room]), [
      [2, 'two', 'key:alice', 'general'],
      [3, 'three', 'key:alice', 'general'],
    ]);
    // Up to date: nothing missed. Without seen: the store does not say.
    assert.equal((await b.append(draft('general', 'five', 'key:bob'), () => 4)).missed, undefined);
    assert.equal((await b.append(draft('general', 'six', 'key:bob'))).missed, undefined);
    // Two appends in one batch: the room's missed messages go to the first, the batch's own messages to nobody.
    await a.append(draft('general', 'seven'));
    const [x, y] = await Promise.all([b.append(draft('general', 'eight', 'key:bob'), () => 6), b.append(draft('general', 'nine', 'key:bob'), () => 6)]);
    assert.deepEqual([x.message.seq, y.message.seq], [8, 9]);
    assert.deepEqual(x.missed?.map((m) => m.text), ['seven']);
    assert.equal(y.missed, undefined);
  });

  it('stops before a reply or a changed message, which wait for their published copy', async () => {
    const url = await pg.createDatabase();
    const [a, b] = [await node(url), await node(url)];
    await a.append(draft('general', 'one'));
    await a.append(draft('general', 'two'));
    await a.mutate('general', 2, { kind: 'edit', text: 'two, edited', ts: new Date().toISOString() }, 'key:alice');
    await a.append(draft('general', 'three'));
    assert.deepEqual((await b.append(draft('general', 'four', 'key:bob'), () => 0)).missed?.map((m) => m.text), ['one']);
    await a.append({ ...draft('general', 'a reply'), replyTo: 1 });
    assert.equal((await b.append(draft('general', 'six', 'key:bob'), () => 4)).missed, undefined);
  });

  it('lets a node deliver its own message at once when the bus lost the one before it', async () => {
    const url = await pg.createDatabase();
    const hub = new LocalBusHub();
    const busA = new Lossy(hub);
    // The gap wait is a minute: what arrives sooner was not read by the sequencer's gap fill.
    const slow = { cluster: { gapWaitMs: 60_000 } };
    const storeA = await node(url);
    const a = await h.server({ bus: busA, store: storeA, ...slow });
    const b = await h.server({ bus: new LocalBus(hub), store: await node(url), ...slow });
    const alice = await h.raw(a.port, 'alice');
    const bob = await h.raw(b.port, 'bob');
    await alice.client.waitFor((f) => f.type === 'presence' && f.event === 'join' && f.name === 'bob');
    // Node A's room messages go nowhere, not even to its own clients: only the store has them.
    busA.drop = (topic, e) => topic === 'room:general' && e.kind === 'message';
    alice.client.send({ type: 'message', id: 'a1', text: 'lost on the bus' });
    while ((await storeA.lastSeq('general')) < 1) await new Promise((resolve) => setTimeout(resolve, 10));
    bob.client.send({ type: 'message', id: 'b1', text: 'after it' });
    const first = await bob.client.waitFor((f) => f.type === 'message', 10_000);
    const second = await bob.client.waitFor((f) => f.type === 'message', 10_000);
    assert.deepEqual([first.id, first.seq, second.id, second.seq], ['a1', 1, 'b1', 2]);
  });
});
