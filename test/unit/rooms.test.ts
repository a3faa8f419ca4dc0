import * as assert from 'node:assert/strict';
import { Harness } from '../support/harness';
import { RawClient } from '../support/rawClient';
import { generateIdentity } from '../../src/engine/identity';
import { LocalBus, LocalBusHub } from '../../src/engine/buses/localBus';
import { FileStore } from '../../src/engine/stores/fileStore';
import { MemoryStore } from '../../src/engine/stores/memoryStore';

type Frame = Record<string, unknown>;

/**
 * Room moderation over real sockets, with raw clients that speak only the
 * documented JSON lines: operators, topics, modes, invites, keys, limits,
 * bans, kicks and away status, kept across a restart and agreed on by two
 * nodes.
 */
describe('room moderation', function () {
  this.timeout(20_000);
  const h = new Harness();
  afterEach(() => h.cleanup());

  let ids = 0;

  /** Send a frame with a fresh id and wait for the error that answers it. */
  async function refused(c: RawClient, frame: Frame): Promise<string> {
    const id = `x${++ids}`;
    c.send({ ...frame, id });
    const e = await c.waitFor((f) => f.type === 'error' && f.ref === id);
    return String(e.code);
  }

  /** Join a room; resolves with the `joined` reply or the error code. */
  async function join(c: RawClient, room: string, key?: string): Promise<Frame> {
    c.send({ type: 'join', room, ...(key !== undefined && { key }) });
    return c.waitFor((f) => (f.type === 'joined' && f.room === room) || f.type === 'error');
  }

  async function joinRefused(c: RawClient, room: string, key?: string): Promise<string> {
    const r = await join(c, room, key);
    assert.equal(r.type, 'error', `joining ${room} should have been refused, got ${JSON.stringify(r)}`);
    assert.equal(r.room, room, 'a join refusal names its room (a join has no id to refer to)');
    return String(r.code);
  }

  /** A round trip: whatever the server sent this client before is in by then. */
  async function settle(c: RawClient): Promise<void> {
    const id = `p${++ids}`;
    c.send({ type: 'ping', id });
    await c.waitFor((f) => f.type === 'pong' && f.id === id);
  }

  async function roomInfo(c: RawClient, room: string): Promise<Frame> {
    const id = `i${++ids}`;
    c.send({ type: 'room_info', id, room });
    return c.waitFor((f) => f.type === 'room_info' && f.id === id);
  }

  async function whoIs(c: RawClient): Promise<Frame> {
    const id = `w${++ids}`;
    c.send({ type: 'who', id });
    return c.waitFor((f) => f.type === 'users' && f.id === id);
  }

  /** Change modes and wait for the resulting mode frame. */
  async function mode(c: RawClient, room: string, ...changes: Array<{ mode: string; arg?: string }>): Promise<Frame> {
    c.send({ type: 'mode', room, changes });
    return c.waitFor((f) => f.type === 'mode' && f.room === room);
  }

  /** Send a message and resolve with its echo, or the error code. */
  async function say(c: RawClient, room: string, text: string): Promise<string> {
    const id = `m${++ids}`;
    c.send({ type: 'message', id, room, text });
    const f = await c.waitFor((x) => (x.type === 'message' && x.id === id) || (x.type === 'error' && x.ref === id));
    return f.type === 'message' ? 'sent' : String(f.code);
  }

  /**
   * People connected to a fresh server, each joined to #dev in the order
   * named: the first one makes the room, so is its operator.
   */
  async function inDev(...names: string[]): Promise<{ port: number; people: Array<{ client: RawClient; welcome: Frame }> }> {
    const { port } = await h.server();
    const people = [];
    for (const name of names) {
      const person = await h.raw(port, name);
      await join(person.client, 'dev');
      people.push(person);
    }
    return { port, people };
  }

  it('makes the creator of a room its operator, +nt, and tells every joiner', async () => {
    const { port } = await h.server();
    const alice = await h.raw(port, 'alice');
    assert.deepEqual(alice.welcome.ops, ['alice'], 'the first person in general made it');
    assert.deepEqual(alice.welcome.modes, { n: true, t: true, i: false, m: false });
    const bob = await h.raw(port, 'bob');
    assert.deepEqual(bob.welcome.ops, ['alice']);
    const made = await join(bob.client, 'dev');
    assert.deepEqual([made.ops, made.voiced, made.modes, made.topic], [['bob'], [], { n: true, t: true, i: false, m: false }, undefined]);
    const joined = await join(alice.client, 'dev');
    assert.deepEqual(joined.ops, ['bob'], 'the second joiner is not an operator');
  });

  it('+t: only operators set the topic; members see it set and cleared, joiners get it', async () => {
    const { port, people: [alice, bob] } = await inDev('alice', 'bob');
    assert.equal(await refused(bob.client, { type: 'topic', room: 'dev', topic: 'mine now' }), 'not_operator');
    alice.client.send({ type: 'topic', room: 'dev', topic: 'Release on Friday 🚀' });
    for (const c of [alice.client, bob.client]) {
      const t = await c.waitFor((f) => f.type === 'topic');
      assert.deepEqual([t.room, t.text, t.by, typeof t.at], ['dev', 'Release on Friday 🚀', 'alice', 'string']);
    }
    const carol = await h.raw(port, 'carol');
    assert.equal(((await join(carol.client, 'dev')).topic as Frame).text, 'Release on Friday 🚀');
    await mode(alice.client, 'dev', { mode: '-t' });
    bob.client.send({ type: 'topic', room: 'dev', topic: '' });
    const cleared = await carol.client.waitFor((f) => f.type === 'topic');
    assert.deepEqual([cleared.text, cleared.by], ['', 'bob'], 'without +t any member may, and an empty text clears it');
    assert.equal((await roomInfo(carol.client, 'dev')).topic, undefined);
    assert.equal(await refused(bob.client, { type: 'topic', room: 'dev', topic: 'two\nlines' }), 'bad_frame');
    assert.equal(await refused(carol.client, { type: 'topic', room: 'ops', topic: 'not a member' }), 'not_in_room');
  });

  it('+o gives operator status to a member, -o takes it away; only operators change modes', async () => {
    const { people: [alice, bob] } = await inDev('alice', 'bob');
    assert.equal(await refused(bob.client, { type: 'mode', room: 'dev', changes: [{ mode: '+o', arg: 'bob' }] }), 'not_operator');
    const opped = await mode(alice.client, 'dev', { mode: '+o', arg: 'BOB' });
    assert.deepEqual([opped.by, opped.changes], ['alice', [{ mode: '+o', arg: 'bob' }]], 'the name as its holder spells it');
    assert.deepEqual((await bob.client.waitFor((f) => f.type === 'mode')).changes, [{ mode: '+o', arg: 'bob' }]);
    bob.client.send({ type: 'topic', room: 'dev', topic: 'bob can now' });
    assert.equal((await alice.client.waitFor((f) => f.type === 'topic')).by, 'bob');
    await mode(bob.client, 'dev', { mode: '-o', arg: 'alice' });
    assert.deepEqual((await roomInfo(alice.client, 'dev')).ops, ['bob']);
    assert.equal(await refused(alice.client, { type: 'mode', room: 'dev', changes: [{ mode: '+t' }] }), 'not_operator');
    assert.equal(await refused(bob.client, { type: 'mode', room: 'dev', changes: [{ mode: '+o', arg: 'carol' }] }), 'user_not_in_room');
  });

  it('refuses a mode change that cannot be made, and changes nothing of the frame', async () => {
    const { people: [alice] } = await inDev('alice');
    const before = await roomInfo(alice.client, 'dev');
    const tries: Array<[unknown, string]> = [
      [[{ mode: '+i' }, { mode: '-n' }], 'bad_mode'],
      [[{ mode: '+k', arg: 'has space' }], 'bad_mode'],
      [[{ mode: '+l', arg: 'lots' }], 'bad_mode'],
      [[{ mode: '+l', arg: '0' }], 'bad_mode'],
      [[{ mode: '+b', arg: 'id:guest:abc' }], 'bad_mode'],
      [[{ mode: '+x' }], 'bad_frame'],
      [[{ mode: '+k' }], 'bad_frame'],
      [[], 'bad_frame'],
    ];
    for (const [changes, code] of tries) assert.equal(await refused(alice.client, { type: 'mode', room: 'dev', changes }), code, JSON.stringify(changes));
    const after = await roomInfo(alice.client, 'dev');
    assert.deepEqual({ ...after, id: undefined }, { ...before, id: undefined }, 'a refused frame changed nothing, not even its valid part');
    const general = alice.client;
    for (const m of ['+i', '+k', '+l']) {
      assert.equal(await refused(general, { type: 'mode', room: 'general', changes: [{ mode: m, ...(m !== '+i' && { arg: '5' }) }] }), 'bad_mode', `${m} in general`);
    }
    const none = await mode(alice.client, 'dev', { mode: '+n' }, { mode: '+m' });
    assert.deepEqual(none.changes, [{ mode: '+m' }], 'a mode already set is left out of the changes');
  });

  it('+i: only invited people (and operators) join; an invite is used up by its join', async () => {
    const { port, people: [alice, bob] } = await inDev('alice', 'bob');
    const carol = await h.raw(port, 'carol');
    await mode(alice.client, 'dev', { mode: '+i' });
    assert.equal(await joinRefused(carol.client, 'dev'), 'invite_only');
    assert.equal(await refused(bob.client, { type: 'invite', room: 'dev', name: 'carol' }), 'not_operator', 'only operators invite to a +i room');
    assert.equal(await refused(alice.client, { type: 'invite', room: 'dev', name: 'bob' }), 'user_in_room');
    assert.equal(await refused(alice.client, { type: 'invite', room: 'dev', name: 'nobody' }), 'no_such_user');
    assert.equal(await refused(carol.client, { type: 'invite', room: 'dev', name: 'bob' }), 'not_in_room');
    alice.client.send({ type: 'invite', room: 'dev', name: 'CAROL' });
    assert.deepEqual(await carol.client.waitFor((f) => f.type === 'invite'), { type: 'invite', room: 'dev', name: 'carol', by: 'alice' });
    assert.deepEqual(await alice.client.waitFor((f) => f.type === 'invite'), { type: 'invite', room: 'dev', name: 'carol', by: 'alice' }, 'the inviter gets it as its acknowledgement');
    assert.equal((await join(carol.client, 'dev')).type, 'joined');
    carol.client.send({ type: 'leave', room: 'dev' });
    await carol.client.waitFor((f) => f.type === 'left');
    assert.equal(await joinRefused(carol.client, 'dev'), 'invite_only', 'the invite was used up');
    alice.client.send({ type: 'leave', room: 'dev' });
    await alice.client.waitFor((f) => f.type === 'left');
    assert.equal((await join(alice.client, 'dev')).type, 'joined', 'an operator needs no invite');
  });

  it('+k: a join needs the key (or an invite); members see the key, others do not', async () => {
    const { port, people: [alice] } = await inDev('alice');
    const bob = await h.raw(port, 'bob');
    const carol = await h.raw(port, 'carol');
    const set = await mode(alice.client, 'dev', { mode: '+k', arg: 'sesame' });
    assert.deepEqual([set.changes, (set.modes as Frame).k], [[{ mode: '+k', arg: 'sesame' }], 'sesame']);
    assert.equal(await joinRefused(bob.client, 'dev'), 'bad_key');
    assert.equal(await joinRefused(bob.client, 'dev', 'open'), 'bad_key');
    assert.deepEqual((await roomInfo(bob.client, 'dev')).modes, { n: true, t: true, i: false, m: false }, 'a non-member does not see the key');
    const joined = await join(bob.client, 'dev', 'sesame');
    assert.equal((joined.modes as Frame).k, 'sesame');
    alice.client.send({ type: 'invite', room: 'dev', name: 'carol' });
    await carol.client.waitFor((f) => f.type === 'invite');
    assert.equal((await join(carol.client, 'dev')).type, 'joined', 'an invite stands in for the key');
    await mode(alice.client, 'dev', { mode: '-k' });
    const dan = await h.raw(port, 'dan');
    assert.equal((await join(dan.client, 'dev')).type, 'joined');
  });

  it('+l: a room at its member limit takes nobody more but its operators', async () => {
    const { port, people: [alice, bob] } = await inDev('alice', 'bob');
    const carol = await h.raw(port, 'carol');
    assert.deepEqual((await mode(alice.client, 'dev', { mode: '+l', arg: '2' })).modes, { n: true, t: true, i: false, m: false, l: 2 });
    assert.equal(await joinRefused(carol.client, 'dev'), 'room_full');
    bob.client.send({ type: 'leave', room: 'dev' });
    await bob.client.waitFor((f) => f.type === 'left');
    assert.equal((await join(carol.client, 'dev')).type, 'joined');
    assert.equal(await joinRefused(bob.client, 'dev'), 'room_full');
    alice.client.send({ type: 'leave', room: 'dev' });
    await alice.client.waitFor((f) => f.type === 'left');
    assert.equal((await join(bob.client, 'dev')).type, 'joined', 'bob takes the place alice left: full again');
    assert.equal((await join(alice.client, 'dev')).type, 'joined', 'an operator gets in past the limit');
    assert.equal((await roomInfo(alice.client, 'dev')).count, 3);
    await mode(alice.client, 'dev', { mode: '-l' });
    const dan = await h.raw(port, 'dan');
    assert.equal((await join(dan.client, 'dev')).type, 'joined');
  });

  it('bans keep matching names out and silence banned members; -b lifts them', async () => {
    const { port, people: [alice, mallory] } = await inDev('alice', 'Mallory');
    const banned = await mode(alice.client, 'dev', { mode: '+b', arg: 'MAL*' });
    assert.deepEqual(banned.changes, [{ mode: '+b', arg: 'mal*' }], 'kept folded, the form it is matched in');
    assert.equal(await say(mallory.client, 'dev', 'still here?'), 'banned', 'a banned member cannot write');
    assert.equal(await say(alice.client, 'dev', 'operators can'), 'sent');
    const mal2 = await h.raw(port, 'malcolm');
    assert.equal(await joinRefused(mal2.client, 'dev'), 'banned');
    const info = await roomInfo(mal2.client, 'dev');
    assert.deepEqual((info.bans as Frame[]).map((b) => [b.mask, b.by]), [['mal*', 'alice']]);
    await mode(alice.client, 'dev', { mode: '-b', arg: 'mal*' });
    assert.equal((await join(mal2.client, 'dev')).type, 'joined');
    assert.equal(await say(mallory.client, 'dev', 'back'), 'sent');
  });

  it('a ban by identity (id:…) follows a proven key under any name, and no guest', async () => {
    const { port, people: [alice] } = await inDev('alice');
    const key = generateIdentity();
    const carol = await RawClient.connect(port);
    h.own(() => carol.close());
    const w = await carol.helloWithKey('carol', key);
    assert.equal(w.type, 'welcome');
    await join(carol, 'dev');
    const banned = await mode(alice.client, 'dev', { mode: '+b', arg: `id:${String(w.id)}` });
    assert.deepEqual(banned.changes, [{ mode: '+b', arg: `id:${String(w.id)}` }], 'kept as given');
    assert.equal(await say(carol, 'dev', 'hello?'), 'banned');
    carol.close();
    const again = await RawClient.connect(port);
    h.own(() => again.close());
    assert.equal((await again.helloWithKey('caroline', key)).type, 'welcome');
    assert.equal(await joinRefused(again, 'dev'), 'banned', 'another name, the same key');
    const guest = await h.raw(port, 'carol');
    assert.equal(guest.welcome.guest, true);
    assert.equal((await join(guest.client, 'dev')).type, 'joined', `a guest (here ${String(guest.welcome.name)}) is someone else`);
  });

  it('a ban in general silences, but keeps nobody out of it', async () => {
    const { port } = await h.server();
    const alice = await h.raw(port, 'alice');
    const bob = await h.raw(port, 'bob');
    await mode(alice.client, 'general', { mode: '+b', arg: 'bob' });
    assert.equal(await say(bob.client, 'general', 'hello?'), 'banned');
    bob.client.close();
    const again = await h.raw(port, 'bob');
    assert.deepEqual(again.welcome.joined, ['general']);
    assert.equal(await say(again.client, 'general', 'hello?'), 'banned');
  });

  it('kick: the person is out of the room and everyone there is told why; only operators kick', async () => {
    const { people: [alice, bob, carol] } = await inDev('alice', 'bob', 'carol');
    assert.equal(await refused(bob.client, { type: 'kick', room: 'dev', name: 'carol' }), 'not_operator');
    assert.equal(await refused(alice.client, { type: 'kick', room: 'dev', name: 'dan' }), 'user_not_in_room');
    alice.client.send({ type: 'kick', room: 'dev', name: 'Bob', reason: 'off topic' });
    const kick = { type: 'kick', room: 'dev', name: 'bob', by: 'alice', reason: 'off topic' };
    for (const c of [alice, bob, carol]) assert.deepEqual(await c.client.waitFor((f) => f.type === 'kick'), kick);
    assert.equal(await say(bob.client, 'dev', 'wait'), 'not_in_room');
    await settle(carol.client);
    assert.equal(carol.client.frames.filter((f) => f.type === 'presence' && f.event === 'leave').length, 0, 'the kick is the only news of it');
    assert.deepEqual((await roomInfo(alice.client, 'dev')).count, 2);
    assert.deepEqual(((await join(bob.client, 'dev')) as Frame).members, ['alice', 'carol', 'bob'], 'a kick is not a ban: they may come back');
  });

  it('+m: only operators and voiced members write; +v gives a voice', async () => {
    const { people: [alice, bob] } = await inDev('alice', 'bob');
    await mode(alice.client, 'dev', { mode: '+m' });
    assert.equal(await say(bob.client, 'dev', 'may I?'), 'moderated');
    const voiced = await mode(alice.client, 'dev', { mode: '+v', arg: 'bob' });
    assert.deepEqual(voiced.changes, [{ mode: '+v', arg: 'bob' }]);
    assert.equal(await say(bob.client, 'dev', 'thanks'), 'sent');
    assert.deepEqual((await roomInfo(bob.client, 'dev')).voiced, ['bob']);
  });

  it('away: everyone hears it, a welcome lists who is away, and it ends with the person', async () => {
    const { port } = await h.server();
    const alice = await h.raw(port, 'alice');
    const bob = await h.raw(port, 'bob');
    bob.client.send({ type: 'away', message: 'lunch, back at 2' });
    for (const c of [alice.client, bob.client]) {
      assert.deepEqual(await c.waitFor((f) => f.type === 'presence' && f.event === 'away'), { type: 'presence', event: 'away', name: 'bob', message: 'lunch, back at 2' });
    }
    const carol = await h.raw(port, 'carol');
    assert.deepEqual(carol.welcome.away, { bob: 'lunch, back at 2' });
    const who = await whoIs(carol.client);
    assert.deepEqual([who.users, who.away], [['alice', 'bob', 'carol'], { bob: 'lunch, back at 2' }], 'who says who is away (IRC WHOIS 301)');
    bob.client.send({ type: 'away' });
    assert.deepEqual(await carol.client.waitFor((f) => f.type === 'presence' && f.event === 'back'), { type: 'presence', event: 'back', name: 'bob' });
    alice.client.send({ type: 'away', message: 'gone' });
    await carol.client.waitFor((f) => f.type === 'presence' && f.event === 'away');
    alice.client.close();
    await carol.client.waitFor((f) => f.type === 'presence' && f.event === 'offline');
    const dan = await h.raw(port, 'dan');
    assert.equal(dan.welcome.away, undefined, 'nobody is away any more');
    assert.equal((await whoIs(dan.client)).away, undefined);
  });

  it('charges room commands (topic, away) to the rate limit: past it they are refused', async () => {
    const { port } = await h.server({ rate: 1, burst: 3 });
    const alice = await h.raw(port, 'alice');
    await join(alice.client, 'dev');
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const id = `rt${i}`;
      alice.client.send({ type: 'topic', id, room: 'dev', topic: `topic ${i}` });
      codes.push(String((await alice.client.waitFor((f) => (f.type === 'topic' && f.text === `topic ${i}`) || (f.type === 'error' && f.ref === id))).code ?? 'set'));
    }
    assert.deepEqual(codes.slice(0, 3), ['set', 'set', 'set'], 'the burst goes through');
    assert.ok(codes.slice(3).includes('rate_limited'), `then the limit refuses: ${codes.join(' ')}`);
    alice.client.send({ type: 'away', message: 'flooding' });
    assert.equal((await alice.client.waitFor((f) => f.type === 'error' || (f.type === 'presence' && f.event === 'away'))).code, 'rate_limited', 'away too');
  });

  it('an operator who renames stays an operator', async () => {
    const { people: [alice] } = await inDev('alice');
    alice.client.send({ type: 'nick', name: 'alicia' });
    await alice.client.waitFor((f) => f.type === 'presence' && f.event === 'rename');
    // The move is stored in the background; the mode change after it must find alicia an operator.
    for (let i = 0; i < 50 && !((await roomInfo(alice.client, 'dev')).ops as string[]).includes('alicia'); i++) await settle(alice.client);
    assert.deepEqual((await roomInfo(alice.client, 'dev')).ops, ['alicia']);
    assert.deepEqual((await mode(alice.client, 'dev', { mode: '+m' })).by, 'alicia');
  });

  it('keeps topics, modes, operators and bans across a restart with a data directory', async () => {
    const dir = h.tmpDir();
    const first = await h.server({ store: await FileStore.open(dir) });
    const alice = await h.raw(first.port, 'alice');
    await join(alice.client, 'dev');
    alice.client.send({ type: 'topic', room: 'dev', topic: 'kept on disk' });
    await alice.client.waitFor((f) => f.type === 'topic');
    await mode(alice.client, 'dev', { mode: '+k', arg: 'sesame' }, { mode: '+b', arg: 'mallory' });
    await h.stop(first.server);

    const second = await h.server({ store: await FileStore.open(dir) });
    const bob = await h.raw(second.port, 'bob');
    assert.deepEqual(bob.welcome.ops, ['alice'], 'general remembers who made it');
    assert.equal(await joinRefused(bob.client, 'dev'), 'bad_key');
    const joined = await join(bob.client, 'dev', 'sesame');
    assert.deepEqual([(joined.topic as Frame).text, joined.ops], ['kept on disk', ['alice']], 'bob did not become an operator: the room existed');
    const mallory = await h.raw(second.port, 'mallory');
    assert.equal(await joinRefused(mallory.client, 'dev', 'sesame'), 'banned');
    const back = await h.raw(second.port, 'alice');
    await join(back.client, 'dev');
    assert.deepEqual((await mode(back.client, 'dev', { mode: '-k' })).by, 'alice', 'still an operator after the restart');
  });

  it('two nodes changing one room at once lose none of each other\'s changes (compare-and-set)', async () => {
    const hub = new LocalBusHub();
    // A store as slow to answer a read as a database: a write from one node can land between the other's read and write.
    const store = new (class extends MemoryStore {
      override async roomState(room: string) {
        const read = await super.roomState(room);
        await new Promise((r) => setTimeout(r, 2));
        return read;
      }
    })();
    const a = await h.server({ bus: new LocalBus(hub), store });
    const b = await h.server({ bus: new LocalBus(hub), store });
    const alice = await h.raw(a.port, 'alice');
    const bob = await h.raw(b.port, 'bob');
    await join(alice.client, 'dev');
    await join(bob.client, 'dev');
    await mode(alice.client, 'dev', { mode: '+o', arg: 'bob' });
    // Ten bans from each node, sent without waiting: their writes interleave on the shared store.
    for (let i = 0; i < 10; i++) {
      alice.client.send({ type: 'mode', room: 'dev', changes: [{ mode: '+b', arg: `a${i}` }] });
      bob.client.send({ type: 'mode', room: 'dev', changes: [{ mode: '+b', arg: `b${i}` }] });
    }
    const seen = new Set<string>();
    while (seen.size < 20) {
      const m = await alice.client.waitFor((f) => f.type === 'mode' && (f.changes as Array<{ arg?: string }>).every((c) => !seen.has(String(c.arg))));
      for (const c of m.changes as Array<{ arg?: string }>) seen.add(String(c.arg));
    }
    const bans = ((await roomInfo(bob.client, 'dev')).bans as Frame[]).map((x) => String(x.mask)).sort();
    assert.equal(bans.length, 20, `every ban is kept: ${bans.join(' ')}`);
  });

  it('two nodes on one bus agree: topics, kicks, bans, invites and away cross it', async () => {
    const hub = new LocalBusHub();
    const store = new MemoryStore();
    const a = await h.server({ bus: new LocalBus(hub), store });
    const b = await h.server({ bus: new LocalBus(hub), store });
    const alice = await h.raw(a.port, 'alice');
    const bob = await h.raw(b.port, 'bob');
    await join(alice.client, 'dev');
    await join(bob.client, 'dev');
    alice.client.send({ type: 'topic', room: 'dev', topic: 'from node A' });
    assert.equal((await bob.client.waitFor((f) => f.type === 'topic')).text, 'from node A');
    await mode(alice.client, 'dev', { mode: '+o', arg: 'bob' }); // bob is on node B: found through the directory
    assert.deepEqual((await bob.client.waitFor((f) => f.type === 'mode')).changes, [{ mode: '+o', arg: 'bob' }]);
    await mode(bob.client, 'dev', { mode: '+b', arg: 'mallory' });
    const mallory = await h.raw(a.port, 'mallory');
    assert.equal(await joinRefused(mallory.client, 'dev'), 'banned', 'node A refuses by a ban set on node B');

    const carol = await h.raw(b.port, 'carol');
    await mode(alice.client, 'dev', { mode: '+i' });
    alice.client.send({ type: 'invite', room: 'dev', name: 'carol' });
    assert.equal((await carol.client.waitFor((f) => f.type === 'invite')).by, 'alice');
    assert.equal((await join(carol.client, 'dev')).type, 'joined');

    alice.client.send({ type: 'kick', room: 'dev', name: 'carol', reason: 'test' });
    assert.equal((await carol.client.waitFor((f) => f.type === 'kick')).by, 'alice');
    assert.equal((await bob.client.waitFor((f) => f.type === 'kick')).name, 'carol');
    assert.equal(await say(carol.client, 'dev', 'still in?'), 'not_in_room', 'node B took carol out');
    assert.equal((await roomInfo(alice.client, 'dev')).count, 2, 'node A no longer counts her');

    bob.client.send({ type: 'away', message: 'on node B' });
    assert.equal((await alice.client.waitFor((f) => f.type === 'presence' && f.event === 'away')).message, 'on node B');
    const dan = await h.raw(a.port, 'dan');
    assert.deepEqual(dan.welcome.away, { bob: 'on node B' });
  });
});
