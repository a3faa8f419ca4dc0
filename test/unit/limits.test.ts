import * as assert from 'node:assert/strict';
import { Harness, framesOf, nextEvent } from '../support/harness';
import { MemoryStore } from '../../src/engine/stores/memoryStore';
import { TokenBucket } from '../../src/engine/tokenBucket';
import type { RawClient } from '../support/rawClient';

describe('server limits', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('answers rate_limited with retryAfter past the burst, and stays open', async () => {
    const { port } = await h.server({ rate: 1, burst: 3 });
    const { client } = await h.raw(port, 'alice');
    for (let i = 1; i <= 4; i++) client.send({ type: 'message', id: `m${i}`, room: 'general', text: 'x' });
    for (let i = 1; i <= 3; i++) assert.equal((await client.waitFor((f) => f.type === 'message')).id, `m${i}`);
    const err = await client.waitFor((f) => f.type === 'error');
    assert.equal(err.code, 'rate_limited');
    assert.equal(err.ref, 'm4');
    assert.equal(typeof err.retryAfter, 'number');
    assert.ok((err.retryAfter as number) > 0 && (err.retryAfter as number) <= 1000, `retryAfter ${err.retryAfter}`);
    // Other frames are not rate limited, and the connection is still usable.
    client.send({ type: 'who', id: 'w' });
    assert.equal((await client.waitFor((f) => f.type === 'users')).id, 'w');
  });

  it('disconnects with flood after sustained abuse; others are unaffected', async () => {
    const { server, port } = await h.server({ rate: 1, burst: 2 });
    const abuser = await h.raw(port, 'mallory');
    const bystander = await h.raw(port, 'bob');
    const closed = nextEvent(server.onEvent, (e) => e.type === 'closed');
    // The limit is max(50, 2 x burst) refusals within 10 s; send well past it in one write.
    const lines = Array.from({ length: 80 }, (_, i) => JSON.stringify({ type: 'message', id: `f${i}`, room: 'general', text: 'spam' }) + '\n');
    abuser.client.sendRaw(lines.join(''));
    const err = await abuser.client.waitFor((f) => f.type === 'error' && f.code === 'flood');
    assert.match(err.message as string, /disconnected/);
    await abuser.client.waitClosed();
    const ev = await closed;
    assert.equal(ev.type === 'closed' && ev.code, 'flood');
    const limited = abuser.client.frames.filter((f) => f.code === 'rate_limited').length;
    assert.equal(limited, 50, 'every refusal before the cut was answered');
    // bob saw the two accepted messages and nothing more, and can still talk.
    bystander.client.send({ type: 'message', id: 'b', room: 'general', text: 'still here' });
    const seen = [];
    for (;;) {
      const m = await bystander.client.waitFor((f) => f.type === 'message');
      seen.push(m.id);
      if (m.id === 'b') break;
    }
    assert.deepEqual(seen, ['f0', 'f1', 'b']);
  });

  it('rate 0 turns the limit off', async () => {
    const { port } = await h.server({ rate: 0, burst: 1 });
    const { client } = await h.raw(port, 'alice');
    const n = 200;
    client.sendRaw(Array.from({ length: n }, (_, i) => JSON.stringify({ type: 'message', id: `m${i}`, room: 'general', text: 'x' }) + '\n').join(''));
    const last = await client.waitFor((f) => f.type === 'message' && f.id === `m${n - 1}`);
    assert.equal(last.seq, n);
    assert.equal(client.frames.filter((f) => f.type === 'error').length, 0);
  });

  it('closes a line over maxLine with frame_too_large; other clients notice nothing', async () => {
    const { port } = await h.server({ maxLine: 1024 });
    const a = await h.raw(port, 'alice');
    const b = await h.raw(port, 'bob');
    a.client.sendRaw(JSON.stringify({ type: 'message', id: 'big', room: 'general', text: 'x'.repeat(2000) }) + '\n');
    const err = await a.client.waitFor((f) => f.type === 'error');
    assert.equal(err.code, 'frame_too_large');
    await a.client.waitClosed();
    b.client.send({ type: 'message', id: 'ok', room: 'general', text: 'fine' });
    assert.equal((await b.client.waitFor((f) => f.type === 'message')).id, 'ok');
  });

  it('closes an endless line (no newline) with frame_too_large', async () => {
    const { port } = await h.server({ maxLine: 1024 });
    const a = await h.raw(port, 'alice');
    a.client.sendRaw('{"type":"message","text":"' + 'x'.repeat(4000));
    assert.equal((await a.client.waitFor((f) => f.type === 'error')).code, 'frame_too_large');
    await a.client.waitClosed();
  });

  it('refuses a message text over 16000 characters with too_long', async () => {
    const { port } = await h.server();
    const { client } = await h.raw(port, 'alice');
    client.send({ type: 'message', id: 'long', room: 'general', text: 'x'.repeat(16_001) });
    const err = await client.waitFor((f) => f.type === 'error');
    assert.equal(err.code, 'too_long');
    assert.equal(err.ref, 'long');
  });

  it('cuts a paused reader at maxQueue with slow_reader while the others receive everything', async function () {
    this.timeout(20_000);
    const maxQueue = 512 * 1024;
    const { server, port } = await h.server({ rate: 0, maxQueue });
    const sender = await h.raw(port, 'sender');
    const reader = await h.raw(port, 'reader');
    const sleepy = await h.raw(port, 'sleepy');
    sleepy.client.socket.pause();
    const cut = nextEvent(server.onEvent, (e) => e.type === 'closed', 15_000);
    let cutCode: string | undefined;
    void cut.then((e) => (cutCode = e.type === 'closed' ? e.code : undefined));
    // Kernel socket buffers absorb a few MB before the server's own queue grows, so
    // send 8 KB messages in batches until the server gives up on the sleeper. A batch
    // stays well under maxQueue so the reader that does read is never at risk.
    const text = 'y'.repeat(8 * 1024);
    let sent = 0;
    for (let batch = 0; batch < 400 && cutCode === undefined; batch++) {
      for (let i = 0; i < 16; i++) sender.client.send({ type: 'message', id: `m${sent++}`, room: 'general', text });
      await sender.client.waitFor((f) => f.type === 'message' && f.id === `m${sent - 1}`, 10_000);
      sender.client.frames.length = 0; // the echoes are not needed; keep memory flat
    }
    assert.equal(cutCode, 'slow_reader');
    // A paused socket sees no end of stream; once it reads again it finds the stream cut short.
    sleepy.client.socket.resume();
    await sleepy.client.waitClosed(5000);
    assert.ok(sleepy.client.frames.filter((f) => f.type === 'message').length < sent, 'the sleeper was cut before the end');
    // The reader that kept reading got every message, in order.
    let expected = 0;
    while (expected < sent) {
      const m = await reader.client.waitFor((f) => f.type === 'message', 10_000);
      assert.equal(m.seq, expected + 1);
      expected++;
    }
    assert.equal(server.users().includes('sleepy'), false);
    assert.ok(server.users().includes('reader'));
  });

  it('closes a connection that never says hello (handshake timeout)', async () => {
    const { port } = await h.server({ handshakeTimeout: 100 });
    const c = await h.rawNoHello(port);
    // The server checks timeouts once a second.
    assert.equal((await c.waitFor((f) => f.type === 'error', 3000)).code, 'handshake_timeout');
    await c.waitClosed();
  });

  it('pings a quiet client at half the idle timeout and closes it at the timeout', async () => {
    const { port } = await h.server({ idleTimeout: 1500 });
    const quiet = await h.raw(port, 'quiet');
    const lively = await h.raw(port, 'lively');
    assert.deepEqual(await lively.client.waitFor((f) => f.type === 'ping', 3000), { type: 'ping' });
    lively.client.send({ type: 'pong' });
    await quiet.client.waitFor((f) => f.type === 'ping', 3000);
    assert.equal((await quiet.client.waitFor((f) => f.type === 'error', 3000)).code, 'idle_timeout');
    await quiet.client.waitClosed();
    // The one that answered is still there.
    lively.client.send({ type: 'who', id: 'w' });
    assert.deepEqual((await lively.client.waitFor((f) => f.type === 'users')).users, ['lively']);
  });

  it('answers server_full past maxClients', async () => {
    const { port } = await h.server({ maxClients: 2 });
    await h.raw(port, 'a');
    await h.raw(port, 'b');
    const c = await h.rawNoHello(port);
    const err = await c.waitFor((f) => f.type === 'error');
    assert.equal(err.code, 'server_full');
    await c.waitClosed();
  });

  describe('rooms are bounded', () => {
    async function join(c: RawClient, room: string): Promise<Record<string, unknown>> {
      c.send({ type: 'join', room });
      return c.waitFor((f) => (f.type === 'joined' && f.room === room) || f.type === 'error');
    }

    it('per person: past maxRoomsPerPerson a join gets too_many_rooms naming the limit; leaving one makes room', async () => {
      const { port } = await h.server({ maxRoomsPerPerson: 3 });
      const { client } = await h.raw(port, 'alice');
      assert.equal((await join(client, 'r1')).type, 'joined');
      assert.equal((await join(client, 'r2')).type, 'joined');
      const refused = await join(client, 'r3');
      assert.equal(refused.code, 'too_many_rooms');
      assert.match(refused.message as string, /you are in 3 rooms, the most one person may be in on this server \(3\)/);
      assert.equal((await join(client, 'r2')).type, 'joined', 'joining a room one is in is not a new room');
      client.send({ type: 'leave', room: 'r1' });
      await client.waitFor((f) => f.type === 'left');
      assert.equal((await join(client, 'r3')).type, 'joined');
    });

    it('per server: past maxRooms a new room is refused with the limit named, while empty rooms are still fresh', async () => {
      const { port, server } = await h.server({ maxRooms: 4, roomIdleMs: 3_600_000 });
      const a = await h.raw(port, 'alice');
      const b = await h.raw(port, 'bob');
      for (const r of ['r1', 'r2', 'r3']) assert.equal((await join(a.client, r)).type, 'joined');
      a.client.send({ type: 'leave', room: 'r1' });
      await a.client.waitFor((f) => f.type === 'left');
      const refused = await join(b.client, 'b1');
      assert.equal(refused.code, 'too_many_rooms');
      assert.match(refused.message as string, /this server already has 4 rooms, its limit \(4\)/);
      assert.equal((await join(b.client, 'r1')).type, 'joined', 'an existing room can still be joined');
      // The welcome lists the rooms the server keeps, nothing more.
      const c = await h.raw(port, 'carol');
      assert.deepEqual((c.welcome.rooms as Array<{ name: string }>).map((r) => r.name), ['general', 'r1', 'r2', 'r3']);
      assert.equal(server.users().length, 3);
    });

    it('an empty room idle for roomIdleMs is forgotten, which makes room for a new one; its history stays', async () => {
      const { port } = await h.server({ maxRooms: 2, roomIdleMs: 0 });
      const a = await h.raw(port, 'alice');
      assert.equal((await join(a.client, 'old')).type, 'joined');
      a.client.send({ type: 'message', id: 'o1', room: 'old', text: 'kept' });
      await a.client.waitFor((f) => f.type === 'message' && f.id === 'o1');
      // While alice is in it, it is not idle, whatever roomIdleMs says.
      assert.equal((await join(a.client, 'new')).code, 'too_many_rooms');
      a.client.send({ type: 'leave', room: 'old' });
      await a.client.waitFor((f) => f.type === 'left');
      assert.equal((await join(a.client, 'new')).type, 'joined');
      const c = await h.raw(port, 'carol');
      assert.deepEqual((c.welcome.rooms as Array<{ name: string }>).map((r) => r.name), ['general', 'new'], 'old is forgotten');
      a.client.send({ type: 'leave', room: 'new' });
      await a.client.waitFor((f) => f.type === 'left');
      const back = await join(a.client, 'old');
      assert.deepEqual((back.history as Array<{ id: string }>).map((m) => m.id), ['o1']);
    });
  });

  describe('searches and history pages are charged', () => {
    it("a flood of searches over a large history gets rate_limited, then flood, while another person's echo is delivered", async function () {
      this.timeout(60_000);
      const store = new MemoryStore();
      for (let i = 0; i < 20_000; i++) await store.append({ id: `h${i}`, room: 'general', sender: 'old', author: 'old', text: `needle ${i} in the haystack`, ts: new Date().toISOString() });
      const { port } = await h.server({ store });
      const flooder = await h.raw(port, 'mallory');
      const bob = await h.raw(port, 'bob');
      flooder.client.sendRaw(Array.from({ length: 300 }, (_, i) => JSON.stringify({ type: 'search', id: `s${i}`, query: 'needle', limit: 200 }) + '\n').join(''));
      bob.client.send({ type: 'message', id: 'b1', text: 'can anyone hear me?' });
      assert.equal((await bob.client.waitFor((f) => f.type === 'message' && f.id === 'b1', 30_000)).sender, 'bob');
      const limited = await flooder.client.waitFor((f) => f.type === 'error' && f.code === 'rate_limited', 30_000);
      assert.match(limited.message as string, /a search counts as 3 messages/);
      assert.ok(Number(limited.retryAfter) > 0);
      await flooder.client.waitFor((f) => f.type === 'error' && f.code === 'flood', 30_000);
      await flooder.client.waitClosed(30_000);
      // Within the burst (30 tokens, 3 per search), ten searches were answered.
      assert.equal(framesOf(flooder.client, 'search_results').length, 10);
    });

    it('history pages draw on the same bucket as messages', async () => {
      const { port } = await h.server({ rate: 1, burst: 2 });
      const { client } = await h.raw(port, 'alice');
      client.send({ type: 'message', id: 'm1', text: 'x' });
      client.send({ type: 'history', id: 'h1', room: 'general' });
      client.send({ type: 'history', id: 'h2', room: 'general' });
      assert.equal((await client.waitFor((f) => f.type === 'history')).id, 'h1');
      const err = await client.waitFor((f) => f.type === 'error');
      assert.deepEqual([err.code, err.ref], ['rate_limited', 'h2']);
    });
  });

  describe('TokenBucket', () => {
    it('take() refuses without taking; charge() goes into debt and wait(0) says when it is paid', () => {
      const b = new TokenBucket(1000, 2);
      assert.equal(b.take(2), true);
      assert.equal(b.take(2), false);
      assert.ok(b.wait(2) > 0 && b.wait(2) <= 2);
      const c = new TokenBucket(1, 1);
      assert.equal(c.charge(), true);
      assert.equal(c.charge(), false, 'in debt');
      assert.ok(c.wait(0) > 900 && c.wait(0) <= 1000, `debt of one token at 1/s: ${c.wait(0)} ms`);
      assert.equal(new TokenBucket(0, 0).take(5), true, 'rate 0 never limits');
    });
  });
});
