import * as assert from 'node:assert/strict';
import { Harness, nextEvent } from '../support/harness';
import { ChatClient } from '../../src/engine/client/chatClient';
import type { PresenceFrame } from '../../src/engine/protocol';
import { RawClient } from '../support/rawClient';

/** Issue 13: coalesced presence, lean welcomes, paged `who`, coalesced typing; over real sockets. */
describe('large rooms', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  /** A raw client that asks for the `people` feature. */
  async function peopleClient(port: number, name: string): Promise<{ client: RawClient; welcome: Record<string, unknown> }> {
    const client = await h.rawNoHello(port);
    client.send({ type: 'hello', v: 1, name, features: ['people'] });
    const welcome = await client.waitFor((f) => f.type === 'welcome');
    return { client, welcome };
  }

  /** A frame without the identities the server adds (`people`, `id`, `guest`: tested in the identity suites), and the names `people` held. */
  function bare(f: Record<string, unknown>): Record<string, unknown> {
    const { people: _people, id: _id, guest: _guest, ...rest } = f;
    return rest;
  }

  /** Everything queued for `c` before now has arrived once the pong is in. */
  async function settle(c: RawClient, id = 'settle'): Promise<void> {
    c.send({ type: 'ping', id });
    await c.waitFor((f) => f.type === 'pong' && f.id === id);
  }

  it('a people client gets arrivals and departures as people frames; a version 1 client as presence frames', async () => {
    const { port } = await h.server();
    const { client: v2 } = await peopleClient(port, 'ann');
    const { client: v1 } = await h.raw(port, 'old');
    const { client: bob } = await h.raw(port, 'bob');

    const joinedBob = await v2.waitFor((f) => f.type === 'people' && f.room === 'general' && (f.joined as string[] | undefined)?.includes('bob') === true);
    // Who is behind the name comes with it (bob is a guest: he proved no key).
    assert.deepEqual((joinedBob.people as Array<{ name: string; guest?: boolean }>).map((p) => [p.name, p.guest]), [['bob', true]]);
    assert.deepEqual(bare(joinedBob), {
      type: 'people',
      room: 'general',
      count: 3,
      joined: ['bob'],
    });
    assert.deepEqual(bare(await v2.waitFor((f) => f.type === 'people' && f.room === undefined && (f.online as string[] | undefined)?.includes('bob') === true)), { type: 'people', count: 3, online: ['bob'] });
    const online = await v1.waitFor((f) => f.type === 'presence' && f.name === 'bob' && f.event === 'online');
    assert.deepEqual(bare(online), { type: 'presence', event: 'online', name: 'bob' });
    assert.equal(online.id, joinedBob.people && (joinedBob.people as Array<{ id: string }>)[0].id, 'the version 1 form keeps the identity');
    assert.deepEqual(bare(await v1.waitFor((f) => f.type === 'presence' && f.name === 'bob' && f.event === 'join')), { type: 'presence', event: 'join', name: 'bob', room: 'general' });

    bob.close();
    assert.deepEqual(await v2.waitFor((f) => f.type === 'people' && (f.left as string[] | undefined)?.includes('bob') === true), { type: 'people', room: 'general', count: 2, left: ['bob'] });
    assert.deepEqual(await v2.waitFor((f) => f.type === 'people' && (f.offline as string[] | undefined)?.includes('bob') === true), { type: 'people', count: 2, offline: ['bob'] });
    await v1.waitFor((f) => f.type === 'presence' && f.name === 'bob' && f.event === 'leave');
    await v1.waitFor((f) => f.type === 'presence' && f.name === 'bob' && f.event === 'offline');
    // A version 1 client never sees the new frame.
    await settle(v1);
    assert.equal(
      v1.frames.find((f) => f.type === 'people'),
      undefined,
    );
  });

  it('nobody is told of their own arrival', async () => {
    const { port } = await h.server();
    const { client: ann } = await peopleClient(port, 'ann');
    const { client: old } = await h.raw(port, 'old');
    await ann.waitFor((f) => f.type === 'people' && (f.joined as string[] | undefined)?.includes('old') === true);
    await settle(ann);
    await settle(old);
    const named = (c: RawClient, me: string) => c.frames.filter((f) => JSON.stringify(f).includes(`"${me}"`));
    assert.deepEqual(named(ann, 'ann'), []);
    assert.deepEqual(named(old, 'old'), []);
  });

  it('in a large room, arrivals within one interval reach a member as one frame with the count and no names', async () => {
    const { port } = await h.server({ largeRoom: 2, presenceInterval: 3000 });
    const { client: ann } = await peopleClient(port, 'ann');
    await peopleClient(port, 'bea');
    await peopleClient(port, 'cid'); // the room is large from here on
    await ann.waitFor((f) => f.type === 'people' && f.count === 3 && f.room === 'general', 10_000);
    await settle(ann);
    ann.frames.length = 0;
    // Four arrive at once: they are within one interval however the turns fall.
    await Promise.all(['d1', 'd2', 'd3', 'd4'].map((n) => peopleClient(port, n)));
    const frame = await ann.waitFor((f) => f.type === 'people' && f.room === 'general' && f.count === 7, 10_000);
    assert.deepEqual(frame, { type: 'people', room: 'general', count: 7 });
    // The server is large too: the online count, without names, in the same interval.
    assert.deepEqual(await ann.waitFor((f) => f.type === 'people' && f.room === undefined), { type: 'people', count: 7 });
    await settle(ann);
    assert.deepEqual(
      ann.frames.filter((f) => f.type === 'people' || f.type === 'presence'),
      [],
      'one frame for the four arrivals',
    );
  });

  it('above the threshold the welcome names you and the latest speakers who are still here, with usersCount; a version 1 client still chats', async () => {
    const { port } = await h.server({ largeRoom: 3 });
    const { client: ann } = await peopleClient(port, 'ann');
    const { client: bea } = await peopleClient(port, 'bea');
    const { client: cid } = await peopleClient(port, 'cid');
    await peopleClient(port, 'dan');
    for (const [c, id] of [
      [bea, 'b1'],
      [ann, 'a1'],
      [cid, 'c1'],
    ] as const) {
      c.send({ type: 'message', id, text: `hi from ${id}` });
      await c.waitFor((f) => f.type === 'message' && f.id === id);
    }
    cid.close();
    await ann.waitFor((f) => f.type === 'people' && (f.left as string[] | undefined)?.includes('cid') === true, 5000);
    const { client: old, welcome } = await h.raw(port, 'old');
    // cid spoke last but left; ann, then bea, are the latest speakers still here.
    assert.deepEqual(welcome.users, ['old', 'ann', 'bea']);
    assert.equal(welcome.usersCount, 4);
    // The version 1 client takes part as before.
    old.send({ type: 'message', id: 'o1', text: 'hello, large room' });
    await old.waitFor((f) => f.type === 'message' && f.id === 'o1');
    await ann.waitFor((f) => f.type === 'message' && f.id === 'o1');
    bea.send({ type: 'message', id: 'b2', text: 'welcome' });
    await old.waitFor((f) => f.type === 'message' && f.id === 'b2');

    // The joined reply of a large room is lean the same way.
    const dan = await h.raw(port, 'dan2');
    for (const c of [ann, bea, old, dan.client]) {
      c.send({ type: 'join', room: 'big' });
      await c.waitFor((f) => f.type === 'joined');
    }
    const ev = await peopleClient(port, 'eve');
    ev.client.send({ type: 'join', room: 'big' });
    const joined = await ev.client.waitFor((f) => f.type === 'joined');
    assert.deepEqual(joined.members, ['eve']);
    assert.equal(joined.count, 5);
  });

  it('who pages through a room or everyone, sorted, with a case-insensitive prefix', async () => {
    const { port } = await h.server();
    const names = ['alice', 'Alan', 'bob', 'alex', 'ALBERT', 'carol'];
    const clients = [];
    for (const n of names) clients.push((await peopleClient(port, n)).client);
    const me = clients[2];

    me.send({ type: 'who', id: 'p1', prefix: 'al', limit: 2 });
    const p1 = await me.waitFor((f) => f.id === 'p1');
    assert.deepEqual({ ...p1, people: (p1.people as Array<{ name: string }>).map((p) => p.name) }, { type: 'users', id: 'p1', users: ['Alan', 'ALBERT'], people: ['Alan', 'ALBERT'], more: true });
    me.send({ type: 'who', id: 'p2', prefix: 'AL', limit: 2, after: 'ALBERT' });
    const p2 = await me.waitFor((f) => f.id === 'p2');
    assert.deepEqual({ ...p2, people: undefined }, { type: 'users', id: 'p2', users: ['alex', 'alice'], people: undefined, more: false });

    // A room, page by page, gives every member exactly once.
    const seen: string[] = [];
    let after: string | undefined;
    for (let i = 0; ; i++) {
      me.send({ type: 'who', id: `r${i}`, room: 'general', limit: 4, ...(after !== undefined && { after }) });
      const page = await me.waitFor((f) => f.id === `r${i}`);
      assert.equal(page.room, 'general');
      seen.push(...(page.users as string[]));
      if (!page.more) break;
      after = seen[seen.length - 1];
    }
    assert.deepEqual(seen, ['Alan', 'ALBERT', 'alex', 'alice', 'bob', 'carol']);

    // Version 1's who, with no paging field, still lists everyone in arrival order.
    me.send({ type: 'who', id: 'all' });
    assert.deepEqual((await me.waitFor((f) => f.id === 'all')).users, names);

    me.send({ type: 'who', id: 'x', room: 'elsewhere' });
    assert.deepEqual(await me.waitFor((f) => f.type === 'error'), { type: 'error', code: 'not_in_room', message: 'you are not in elsewhere', ref: 'x' });
    me.send({ type: 'who', id: 'y', limit: -1 });
    assert.equal((await me.waitFor((f) => f.type === 'error')).code, 'bad_frame');
  });

  it('typing in a large room is coalesced: one frame per interval names the first few typists and counts the rest', async () => {
    const { port } = await h.server({ largeRoom: 2, presenceInterval: 1500 });
    const clients: RawClient[] = [];
    for (const n of ['ann', 'bea', 'cid', 'dan', 'eve', 'fay']) clients.push((await peopleClient(port, n)).client);
    const [ann] = clients;
    // The arrivals' interval is over: the typing notices start one of their own.
    await ann.waitFor((f) => f.type === 'people' && f.count === 6, 10_000);
    await settle(ann);
    for (const c of clients.slice(1)) c.send({ type: 'typing', room: 'general' });
    const t = await ann.waitFor((f) => f.type === 'typing', 10_000);
    assert.equal(t.room, 'general');
    assert.equal((t.names as string[]).length, 3);
    assert.equal(t.name, (t.names as string[])[0]);
    assert.equal(t.more, 2);
    await settle(ann);
    assert.deepEqual(
      ann.frames.filter((f) => f.type === 'typing'),
      [],
      'one typing frame for five typists',
    );
  });

  it('the engine client asks for people frames, reports others as presence, keeps counts and pages', async () => {
    const { port } = await h.server();
    const c = new ChatClient({ host: '127.0.0.1', port, name: 'ann', reconnect: false });
    h.own(() => c.dispose());
    const seen: PresenceFrame[] = [];
    c.onPresence((p) => seen.push(p));
    await c.connect();
    const { client: bob } = await h.raw(port, 'bob');
    await nextEvent(c.onPeople, (f) => f.room === 'general' && f.count === 2);
    assert.equal(c.count('general'), 2);
    assert.ok(c.users.includes('bob'));
    bob.close();
    await nextEvent(c.onPresence, (p) => p.event === 'offline' && p.name === 'bob');
    assert.deepEqual(
      seen.map((p) => `${p.event} ${p.name}`),
      ['online bob', 'join bob', 'leave bob', 'offline bob'],
    );
    assert.equal(c.count('general'), 1);
    assert.equal(c.onlineCount, 1);
    assert.deepEqual((await c.whoPage({ prefix: 'A' })).users, ['ann']);
  });
});
