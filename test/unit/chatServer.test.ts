import * as assert from 'node:assert/strict';
import { Harness, framesOf, nextEvent } from '../support/harness';
import { createHash } from 'node:crypto';
import { ChatClient } from '../../src/engine/client/chatClient';
import { dmKey, dmPeer } from '../../src/engine/protocol';
import { ChatServer, ListenError } from '../../src/engine/server/chatServer';
import { MemoryStore } from '../../src/engine/stores/memoryStore';
import type { AppendResult, HistoryPage, HistoryQuery, MessageDraft } from '../../src/engine/stores/store';
import type { RawClient } from '../support/rawClient';

/** A MemoryStore whose appends, or history reads, wait until a test opens the gate. */
class GatedStore extends MemoryStore {
  gateAppends = false;
  /** 'after': read the page, then wait (it misses what is said meanwhile); 'before': wait, then read (it holds it). */
  gateHistory: false | 'after' | 'before' = false;
  private waiting: Array<() => void> = [];
  /** Calls that are waiting at the gate now. */
  get held(): number {
    return this.waiting.length;
  }
  open(): void {
    this.gateAppends = this.gateHistory = false;
    for (const w of this.waiting.splice(0)) w();
  }
  private gate(): Promise<void> {
    return new Promise((r) => this.waiting.push(r));
  }
  override async append(draft: MessageDraft): Promise<AppendResult> {
    if (this.gateAppends) await this.gate();
    return super.append(draft);
  }
  override async history(room: string, q: HistoryQuery): Promise<HistoryPage> {
    if (this.gateHistory === 'before') await this.gate();
    const page = await super.history(room, q);
    if (this.gateHistory === 'after') await this.gate();
    return page;
  }
}

describe('ChatServer', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  /** A ping round trip: whatever the server queued for this client before is in by then. */
  async function settle(c: RawClient): Promise<void> {
    c.send({ type: 'ping', id: 'settle' });
    await c.waitFor((f) => f.type === 'pong' && f.id === 'settle');
  }

  /** Resolves once `check` holds, looking again on every turn of the event loop (for server state no event reports). */
  async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) assert.fail('the condition never held');
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Sends a room message and waits for the sender's own echo (its acknowledgement). */
  async function say(c: RawClient, id: string, text: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    c.send({ type: 'message', id, text, ...extra });
    return c.waitFor((f) => f.type === 'message' && f.id === id);
  }

  describe('protocol errors keep the connection open', () => {
    const cases: Array<[string, string, string]> = [
      ['bad_json', 'not json at all', 'bad_json'],
      ['bad_json (an array)', '[1,2,3]', 'bad_json'],
      ['unknown_type', '{"type":"launch","id":"x1"}', 'unknown_type'],
      ['bad_frame (missing type)', '{"id":"x2"}', 'bad_frame'],
      ['bad_frame (missing text)', '{"type":"message","id":"x3"}', 'bad_frame'],
      ['bad_frame (wrong type of field)', '{"type":"join","room":7}', 'bad_frame'],
      ['bad_frame (room and to)', '{"type":"message","id":"x4","room":"general","to":"bob","text":"hi"}', 'bad_frame'],
    ];
    for (const [title, line, code] of cases) {
      it(title, async () => {
        const { port } = await h.server();
        const { client } = await h.raw(port, 'alice');
        client.sendRaw(line + '\n');
        const err = await client.waitFor((f) => f.type === 'error');
        assert.equal(err.code, code);
        assert.equal(typeof err.message, 'string');
        const echo = await say(client, 'after', 'still here');
        assert.equal(echo.text, 'still here');
        assert.equal(client.closed, false);
      });
    }

    it('not_ready for any frame before hello, then the handshake still works', async () => {
      const { port } = await h.server();
      const c = await h.rawNoHello(port);
      c.send({ type: 'message', id: 'early', room: 'general', text: 'hi' });
      const err = await c.waitFor((f) => f.type === 'error');
      assert.equal(err.code, 'not_ready');
      assert.equal(err.ref, 'early');
      c.send({ type: 'join', room: 'dev' });
      assert.equal((await c.waitFor((f) => f.type === 'error')).code, 'not_ready');
      c.send({ type: 'hello', v: 1, name: 'late' });
      const w = await c.waitFor((f) => f.type === 'welcome');
      assert.equal(w.name, 'late');
      assert.equal((await say(c, 'm1', 'now I can')).sender, 'late');
    });

    it('error frames carry the id of the frame they are about as ref', async () => {
      const { port } = await h.server();
      const { client } = await h.raw(port, 'alice');
      client.send({ type: 'message', id: 'to-nowhere', room: 'secret', text: 'x' });
      const err = await client.waitFor((f) => f.type === 'error');
      assert.equal(err.code, 'not_in_room');
      assert.equal(err.ref, 'to-nowhere');
    });

    it('refuses a bad version and a bad name but lets the client try again', async () => {
      const { port } = await h.server();
      const c = await h.rawNoHello(port);
      c.send({ type: 'hello', v: 2, name: 'alice' });
      assert.equal((await c.waitFor((f) => f.type === 'error')).code, 'bad_version');
      c.send({ type: 'hello', v: 1, name: 'bad\u0000name' });
      assert.equal((await c.waitFor((f) => f.type === 'error')).code, 'bad_name');
      c.send({ type: 'hello', v: 1, name: 'alice' });
      assert.equal((await c.waitFor((f) => f.type === 'welcome')).name, 'alice');
      c.send({ type: 'hello', v: 1, name: 'alice' });
      assert.equal((await c.waitFor((f) => f.type === 'error')).code, 'already_ready');
    });
  });

  describe('chat', () => {
    it('broadcasts to everyone in the room, the sender included, with a server-set sender', async () => {
      const { port } = await h.server();
      const a = await h.raw(port, 'alice');
      const b = await h.raw(port, 'bob');
      const c = await h.raw(port, 'carol');
      a.client.send({ type: 'message', id: 'm1', room: 'general', text: 'hello all', sender: 'mallory' });
      for (const x of [a, b, c]) {
        const m = await x.client.waitFor((f) => f.type === 'message');
        assert.equal(m.id, 'm1');
        assert.equal(m.sender, 'alice');
        assert.equal(m.room, 'general');
        assert.equal(m.text, 'hello all');
        assert.equal(m.seq, 1);
        assert.ok(!Number.isNaN(Date.parse(m.ts as string)) && (m.ts as string).endsWith('Z'));
      }
    });

    it("delivers a snippet's defined fields, git remote and commit included, and drops anything else", async () => {
      const { port } = await h.server();
      const a = await h.raw(port, 'alice');
      const b = await h.raw(port, 'bob');
      const snippet = { lang: 'ts', file: 'src/a.ts', startLine: 3, endLine: 4, code: 'x()', remote: 'https://git.example/team/app.git', commit: 'a'.repeat(40) };
      a.client.send({ type: 'message', id: 's1', text: 'look', snippet: { ...snippet, extra: { deep: [1, 2] } } });
      assert.deepEqual((await b.client.waitFor((f) => f.type === 'message')).snippet, snippet);
    });

    it('numbers messages by room, rising by one', async () => {
      const { port } = await h.server();
      const { client } = await h.raw(port, 'alice');
      client.send({ type: 'join', room: 'dev' });
      await client.waitFor((f) => f.type === 'joined');
      assert.equal((await say(client, 'g1', 'a')).seq, 1);
      assert.equal((await say(client, 'g2', 'b')).seq, 2);
      assert.equal((await say(client, 'd1', 'c', { room: 'dev' })).seq, 1);
      assert.equal((await say(client, 'g3', 'd')).seq, 3);
    });

    it('gives a second "alice" another name, and the welcome says which', async () => {
      const { port } = await h.server();
      const first = await h.raw(port, 'alice');
      const second = await h.raw(port, 'alice');
      const third = await h.raw(port, 'ALICE');
      assert.equal(first.welcome.name, 'alice');
      assert.equal(second.welcome.name, 'alice2');
      assert.equal(third.welcome.name, 'ALICE3', 'names are unique regardless of case');
      assert.equal((await say(second.client, 's', 'hi')).sender, 'alice2');
      const online = await first.client.waitFor((f) => f.type === 'presence' && f.event === 'online');
      assert.deepEqual(online, { type: 'presence', event: 'online', name: 'alice2', id: second.welcome.id, guest: true });
    });

    it('delivers a direct message to the recipient and the sender only', async () => {
      const { port } = await h.server();
      const a = await h.raw(port, 'alice');
      const b = await h.raw(port, 'bob');
      const c = await h.raw(port, 'carol');
      a.client.send({ type: 'message', id: 'dm1', to: 'bob', text: 'just you' });
      const atB = await b.client.waitFor((f) => f.type === 'message');
      const atA = await a.client.waitFor((f) => f.type === 'message');
      // Kept under the two identities (guests here), not the names, which may change hands.
      const key = dmKey(a.welcome.id as string, b.welcome.id as string);
      for (const m of [atA, atB]) {
        assert.equal(m.room, key);
        assert.equal(m.to, 'bob');
        assert.equal(m.sender, 'alice');
        assert.equal(m.seq, 1);
      }
      // A later room message reaches carol; if the DM had been sent to her it would have arrived first.
      await say(a.client, 'pub', 'everyone');
      const atC = await c.client.waitFor((f) => f.type === 'message');
      assert.equal(atC.id, 'pub');
      assert.equal(framesOf(c.client, 'message').length, 0);
      // She cannot read or search it either.
      c.client.send({ type: 'history', id: 'h', room: key });
      assert.equal((await c.client.waitFor((f) => f.type === 'error')).code, 'not_in_room');
      c.client.send({ type: 'search', id: 's', query: 'just' });
      assert.deepEqual((await c.client.waitFor((f) => f.type === 'search_results')).messages, []);
      // bob can.
      b.client.send({ type: 'history', id: 'h', room: key });
      const hist = await b.client.waitFor((f) => f.type === 'history');
      assert.deepEqual((hist.messages as Array<{ id: string }>).map((m) => m.id), ['dm1']);
    });

    it('answers no_such_user for a DM to someone offline', async () => {
      const { port } = await h.server();
      const { client } = await h.raw(port, 'alice');
      client.send({ type: 'message', id: 'dm', to: 'ghost', text: 'boo' });
      const err = await client.waitFor((f) => f.type === 'error');
      assert.equal(err.code, 'no_such_user');
      assert.equal(err.ref, 'dm');
    });

    it('replays recent history in the welcome', async () => {
      const { port } = await h.server({ historyOnJoin: 3 });
      const { client } = await h.raw(port, 'alice');
      for (let i = 1; i <= 5; i++) await say(client, `m${i}`, `text ${i}`);
      const late = await h.raw(port, 'bob');
      const hist = late.welcome.history as Array<{ seq: number; text: string; sender: string }>;
      assert.deepEqual(
        hist.map((m) => m.seq),
        [3, 4, 5],
      );
      assert.equal(hist[0].sender, 'alice');
      assert.equal(late.welcome.room, 'general');
      assert.deepEqual(late.welcome.joined, ['general']);
      assert.deepEqual(late.welcome.users, ['alice', 'bob']);
      const general = (late.welcome.rooms as Array<{ name: string; seq: number; count: number }>).find((r) => r.name === 'general');
      assert.equal(general?.seq, 5);
      assert.equal(general?.count, 2);
      assert.equal(typeof late.welcome.session, 'string');
    });

    it('pages history with before, after, limit and more', async () => {
      const { port } = await h.server();
      const { client } = await h.raw(port, 'alice');
      for (let i = 1; i <= 6; i++) await say(client, `m${i}`, `text ${i}`);
      const page = async (q: Record<string, unknown>) => {
        client.send({ type: 'history', id: 'q', room: 'general', ...q });
        const f = await client.waitFor((x) => x.type === 'history');
        assert.equal(f.id, 'q');
        return { seqs: (f.messages as Array<{ seq: number }>).map((m) => m.seq), more: f.more };
      };
      assert.deepEqual(await page({ limit: 2 }), { seqs: [5, 6], more: true });
      assert.deepEqual(await page({ before: 5, limit: 2 }), { seqs: [3, 4], more: true });
      assert.deepEqual(await page({ before: 3, limit: 5 }), { seqs: [1, 2], more: false });
      assert.deepEqual(await page({ after: 2, limit: 3 }), { seqs: [3, 4, 5], more: true });
      assert.deepEqual(await page({ after: 4 }), { seqs: [5, 6], more: false });
      assert.deepEqual(await page({ after: 6 }), { seqs: [], more: false });
    });

    it('searches the rooms you are in, newest first', async () => {
      const { port } = await h.server();
      const { client } = await h.raw(port, 'alice');
      await say(client, 'a', 'Deploy at noon');
      await say(client, 'b', 'lunch?');
      await say(client, 'c', 'deploy done');
      client.send({ type: 'search', id: 's1', query: 'DEPLOY' });
      const r = await client.waitFor((f) => f.type === 'search_results');
      assert.equal(r.id, 's1');
      assert.equal(r.query, 'DEPLOY');
      assert.deepEqual((r.messages as Array<{ id: string }>).map((m) => m.id), ['c', 'a']);
    });

    it('joins and leaves rooms with presence for the other members', async () => {
      const { port } = await h.server();
      const a = await h.raw(port, 'alice');
      const b = await h.raw(port, 'bob');
      a.client.send({ type: 'join', room: 'dev' });
      const joined = await a.client.waitFor((f) => f.type === 'joined');
      assert.deepEqual(joined, { type: 'joined', room: 'dev', members: ['alice'], seq: 0, rev: 0, history: [], modes: { n: true, t: true, i: false, m: false }, ops: ['alice'], voiced: [] });
      b.client.send({ type: 'join', room: 'dev' });
      await b.client.waitFor((f) => f.type === 'joined');
      assert.deepEqual(await a.client.waitFor((f) => f.type === 'presence' && f.event === 'join' && f.room === 'dev'), { type: 'presence', event: 'join', name: 'bob', room: 'dev', id: b.welcome.id, guest: true });
      b.client.send({ type: 'leave', room: 'dev' });
      assert.deepEqual(await b.client.waitFor((f) => f.type === 'left'), { type: 'left', room: 'dev' });
      assert.deepEqual(await a.client.waitFor((f) => f.type === 'presence' && f.event === 'leave' && f.room === 'dev'), { type: 'presence', event: 'leave', name: 'bob', room: 'dev' });
      b.client.send({ type: 'join', room: 'Bad Room' });
      assert.equal((await b.client.waitFor((f) => f.type === 'error')).code, 'bad_room');
      b.client.send({ type: 'leave', room: 'dev' });
      assert.equal((await b.client.waitFor((f) => f.type === 'error')).code, 'not_in_room');
    });

    it('announces online, rename and offline', async () => {
      const { port } = await h.server();
      const a = await h.raw(port, 'alice');
      const b = await h.raw(port, 'bob');
      await a.client.waitFor((f) => f.type === 'presence' && f.event === 'online' && f.name === 'bob');
      b.client.send({ type: 'nick', name: 'robert' });
      assert.deepEqual(await a.client.waitFor((f) => f.type === 'presence' && f.event === 'rename'), { type: 'presence', event: 'rename', name: 'robert', from: 'bob', id: b.welcome.id, guest: true });
      assert.equal((await say(b.client, 'r', 'renamed')).sender, 'robert');
      b.client.send({ type: 'nick', name: 'alice' });
      assert.equal((await b.client.waitFor((f) => f.type === 'error')).code, 'bad_name');
      b.client.close();
      await a.client.waitFor((f) => f.type === 'presence' && f.event === 'leave' && f.name === 'robert');
      await a.client.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'robert');
    });

    it('relays typing to the others at most once per interval', async () => {
      const { port } = await h.server({ typingInterval: 60_000 });
      const a = await h.raw(port, 'alice');
      const b = await h.raw(port, 'bob');
      a.client.send({ type: 'typing', room: 'general' });
      a.client.send({ type: 'typing', room: 'general' });
      a.client.send({ type: 'typing', to: 'bob' });
      a.client.send({ type: 'typing', to: 'bob' });
      // who is answered in order after the typing frames, so anything relayed is already queued.
      a.client.send({ type: 'who', id: 'w' });
      await a.client.waitFor((f) => f.type === 'users');
      b.client.send({ type: 'who', id: 'w' });
      await b.client.waitFor((f) => f.type === 'users');
      assert.deepEqual(framesOf(b.client, 'typing'), [
        { type: 'typing', name: 'alice', room: 'general' },
        { type: 'typing', name: 'alice', to: 'bob' },
      ]);
      assert.equal(framesOf(a.client, 'typing').length, 0, 'the typist does not get its own notice');
    });

    it('answers who, and ping with a pong carrying the same id (even before hello)', async () => {
      const { port } = await h.server();
      const c = await h.rawNoHello(port);
      c.send({ type: 'ping', id: 7 });
      assert.deepEqual(await c.waitFor((f) => f.type === 'pong'), { type: 'pong', id: 7 });
      c.send({ type: 'hello', v: 1, name: 'alice' });
      const w = await c.waitFor((f) => f.type === 'welcome');
      c.send({ type: 'who', id: 'w1' });
      assert.deepEqual(await c.waitFor((f) => f.type === 'users'), { type: 'users', id: 'w1', users: ['alice'], people: [{ name: 'alice', id: w.id, guest: true }] });
    });

    it('delivers a resent id once and echoes the original to the sender', async () => {
      const { port } = await h.server();
      const a = await h.raw(port, 'alice');
      const b = await h.raw(port, 'bob');
      const first = await say(a.client, 'same', 'once');
      a.client.send({ type: 'message', id: 'same', room: 'general', text: 'changed on resend' });
      const again = await a.client.waitFor((f) => f.type === 'message' && f.id === 'same');
      assert.deepEqual(again, first);
      await say(a.client, 'next', 'after');
      const atB = [await b.client.waitFor((f) => f.type === 'message'), await b.client.waitFor((f) => f.type === 'message')];
      assert.deepEqual(
        atB.map((m) => m.id),
        ['same', 'next'],
      );
      assert.equal(atB[1].seq, 2);
      // The same id from someone else is a different message.
      assert.equal((await say(b.client, 'same', 'mine')).seq, 3);
    });

    it('reclaims the same name with the session token after a reconnect', async () => {
      const { port } = await h.server();
      const first = await h.raw(port, 'alice');
      const session = first.welcome.session as string;
      // A new connection with the token replaces the old one, which may still linger.
      const c = await h.rawNoHello(port);
      c.send({ type: 'hello', v: 1, name: 'alice', session });
      const w = await c.waitFor((f) => f.type === 'welcome');
      assert.equal(w.name, 'alice');
      assert.equal(w.session, session);
      assert.equal((await first.client.waitFor((f) => f.type === 'error')).code, 'replaced');
      await first.client.waitClosed();
      // Without the token, the name is taken.
      const other = await h.raw(port, 'alice');
      assert.equal(other.welcome.name, 'alice2');
    });

    it('closes every client with a bye on close()', async () => {
      const { server, port } = await h.server();
      const a = await h.raw(port, 'alice');
      const b = await h.raw(port, 'bob');
      await h.stop(server);
      for (const c of [a.client, b.client]) {
        assert.deepEqual(await c.waitFor((f) => f.type === 'bye'), { type: 'bye', reason: 'server shutting down' });
        await c.waitClosed();
      }
    });
  });

  describe('files', () => {
    const data = Buffer.alloc(70_000, 7);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const chunk = (i: number) => data.subarray(i * 32_768, (i + 1) * 32_768).toString('base64');

    /** What the server still holds for file transfers (none once a transfer is over, however it ended). */
    function held(server: ChatServer): number {
      const files = (server as unknown as { files: { outgoing: Map<unknown, Map<string, unknown>>; incoming: Map<string, unknown> } }).files;
      return [...files.outgoing.values()].reduce((n, m) => n + m.size, 0) + files.incoming.size;
    }

    it('a sender that drops mid-file: its receivers get file_abort, and the server forgets the transfer', async () => {
      const { server, port } = await h.server();
      const a = await h.raw(port, 'alice');
      const b = await h.raw(port, 'bob');
      const c = await h.raw(port, 'carol');
      a.client.send({ type: 'file_offer', id: 'room', name: 'x.bin', size: data.length, sha256 });
      a.client.send({ type: 'file_offer', id: 'dm', to: 'carol', name: 'y.bin', size: data.length, sha256 });
      a.client.send({ type: 'file_chunk', id: 'room', index: 0, data: chunk(0) });
      await b.client.waitFor((f) => f.type === 'file_chunk' && f.id === 'room');
      await c.client.waitFor((f) => f.type === 'file_offer' && f.id === 'dm');
      assert.equal(held(server), 4, 'two sent by alice, two received here (the room file by bob and carol, the DM by carol)');
      a.client.close();
      assert.deepEqual(await b.client.waitFor((f) => f.type === 'file_abort'), { type: 'file_abort', id: 'room', sender: 'alice', reason: 'the sender disconnected' });
      const cAborts = [await c.client.waitFor((f) => f.type === 'file_abort'), await c.client.waitFor((f) => f.type === 'file_abort')];
      assert.deepEqual(cAborts.map((f) => f.id).sort(), ['dm', 'room']);
      assert.equal(held(server), 0);
      assert.equal(framesOf(b.client, 'file_abort').length, 0, 'bob was not offered the DM, so hears nothing of it');
    });

    it('a bad chunk: the sender gets bad_file, the receivers file_abort', async () => {
      const { server, port } = await h.server();
      const a = await h.raw(port, 'alice');
      const b = await h.raw(port, 'bob');
      a.client.send({ type: 'file_offer', id: 'f', name: 'x.bin', size: data.length, sha256 });
      a.client.send({ type: 'file_chunk', id: 'f', index: 0, data: chunk(0) });
      a.client.send({ type: 'file_chunk', id: 'f', index: 2, data: chunk(2) });
      const err = await a.client.waitFor((f) => f.type === 'error');
      assert.deepEqual([err.code, err.ref], ['bad_file', 'f']);
      const abort = await b.client.waitFor((f) => f.type === 'file_abort');
      assert.deepEqual([abort.id, abort.sender], ['f', 'alice']);
      assert.match(abort.reason as string, /out of order/);
      assert.equal(held(server), 0);
    });

    it('a sender that stalls past fileIdleTimeout: told, and its receivers get file_abort', async function () {
      this.timeout(10_000);
      const { server, port } = await h.server({ fileIdleTimeout: 200 });
      const a = await h.raw(port, 'alice');
      const b = await h.raw(port, 'bob');
      a.client.send({ type: 'file_offer', id: 'f', name: 'x.bin', size: data.length, sha256 });
      await b.client.waitFor((f) => f.type === 'file_offer');
      const abort = await b.client.waitFor((f) => f.type === 'file_abort', 5000);
      assert.equal(abort.reason, 'the sender stopped sending it');
      const err = await a.client.waitFor((f) => f.type === 'error', 5000);
      assert.deepEqual([err.code, err.ref], ['bad_file', 'f']);
      assert.equal(held(server), 0);
    });

    it('a file in a DM with oneself stays in that DM', async () => {
      const { port } = await h.server();
      const b = await h.raw(port, 'bob');
      // On the wire: the echo names the DM key of one identity with itself.
      const raw = await h.raw(port, 'carol');
      raw.client.send({ type: 'file_offer', id: 'self', to: 'carol', name: 'todo.txt', size: 0, sha256 });
      const echo = await raw.client.waitFor((f) => f.type === 'file_offer');
      const me = raw.welcome.id as string;
      assert.deepEqual([echo.room, echo.to], [dmKey(me, me), 'carol']);
      // Through the engine's client, the way the panel sends a file to the DM it shows: to the peer's current name.
      const alice = new ChatClient({ host: '127.0.0.1', port, name: 'alice', reconnect: false });
      h.own(() => alice.dispose());
      await alice.connect();
      const peerId = dmPeer(dmKey(alice.id!, alice.id!), alice.id!)!;
      await alice.sendFile(Buffer.from('note to self'), 'todo.txt', { to: alice.people.find((p) => p.id === peerId)!.name });
      await settle(b.client);
      assert.equal(framesOf(b.client, 'file_offer').length, 0, 'nobody else, and not #general');
    });

    it('dmPeer: the other participant, oneself in a note to oneself, nobody for an outsider', () => {
      assert.equal(dmPeer('@alice,bob', 'alice'), 'bob');
      assert.equal(dmPeer('@alice,bob', 'bob'), 'alice');
      assert.equal(dmPeer('@alice,alice', 'alice'), 'alice');
      assert.equal(dmPeer('@alice,bob', 'carol'), undefined);
      assert.equal(dmPeer('general', 'alice'), undefined);
    });
  });

  describe('an asynchronous store', () => {
    it("handles one connection's frames in order while the store is slow, and stops reading it past a short backlog", async () => {
      const store = new GatedStore();
      const { server, port } = await h.server({ store, rate: 0 });
      const a = await h.raw(port, 'alice');
      const b = await h.raw(port, 'bob');
      store.gateAppends = true;
      const n = 200;
      a.client.sendRaw(Array.from({ length: n }, (_, i) => JSON.stringify({ type: 'message', id: `m${i}`, text: `${i}` }) + '\n').join(''));
      // The first append waits at the gate; the rest wait behind it, and past the backlog the socket is paused.
      const conn = [...(server as unknown as { conns: Map<number, { session: { name: string }; socket: { isPaused(): boolean } }> }).conns.values()].find((c) => c.session.name === 'alice')!;
      await until(() => store.held === 1 && conn.socket.isPaused());
      // bob is served meanwhile.
      b.client.send({ type: 'who', id: 'w' });
      assert.deepEqual((await b.client.waitFor((f) => f.type === 'users')).users, ['alice', 'bob']);
      store.open();
      for (let i = 0; i < n; i++) {
        const m = await b.client.waitFor((f) => f.type === 'message');
        assert.deepEqual([m.id, m.seq], [`m${i}`, i + 1]);
      }
      assert.equal(conn.socket.isPaused(), false);
    });

    it('frames sent right behind the hello, in the same write, wait for the welcome', async () => {
      const store = new GatedStore();
      const { port } = await h.server({ store });
      store.gateHistory = 'before';
      const c = await h.rawNoHello(port);
      c.sendRaw([{ type: 'hello', v: 1, name: 'eager' }, { type: 'message', id: 'm1', text: 'first words' }, { type: 'join', room: 'dev' }].map((f) => JSON.stringify(f) + '\n').join(''));
      await until(() => store.held === 1);
      store.open();
      assert.equal((await c.next())?.type, 'welcome');
      const m = await c.next();
      assert.deepEqual([m?.type, m?.id, m?.sender], ['message', 'm1', 'eager']);
      assert.equal((await c.next())?.type, 'joined');
    });

    for (const gate of ['after', 'before'] as const) {
      it(`a newcomer gets what was said while its history was read, after its welcome and once (read ${gate === 'after' ? 'before' : 'after'} it was said)`, async () => {
        const store = new GatedStore();
        const { port } = await h.server({ store });
        const a = await h.raw(port, 'alice');
        await say(a.client, 'before', 'in the history');
        store.gateHistory = gate;
        const b = await h.rawNoHello(port);
        b.send({ type: 'hello', v: 1, name: 'bob' });
        await until(() => store.held === 1);
        await say(a.client, 'meanwhile', 'not in the history');
        store.open();
        const welcome = await b.next();
        assert.equal(welcome?.type, 'welcome');
        const history = (welcome?.history as Array<{ id: string }>).map((m) => m.id);
        if (gate === 'after') {
          assert.deepEqual(history, ['before']);
          const m = await b.next();
          assert.deepEqual([m?.type, m?.id, m?.seq], ['message', 'meanwhile', 2]);
        } else {
          assert.deepEqual(history, ['before', 'meanwhile']);
        }
        b.send({ type: 'ping', id: 'p' });
        await b.waitFor((f) => f.type === 'pong');
        assert.equal(framesOf(b, 'message').length, 0, 'delivered once');
      });
    }
  });

  describe('listen errors', () => {
    it('says what to do when the port is in use', async () => {
      const { port } = await h.server();
      const second = new ChatServer({ host: '127.0.0.1', port });
      await assert.rejects(second.listen(), (err: unknown) => {
        assert.ok(err instanceof ListenError);
        assert.equal(err.message, `port ${port} is already in use: pick another port or stop the program using it`);
        assert.equal(err.code, 'EADDRINUSE');
        return true;
      });
    });

    it('reports the port it got for port 0', async () => {
      const { server, port } = await h.server();
      assert.ok(port > 0);
      assert.equal(server.address()?.port, port);
      const ev = nextEvent(server.onEvent, (e) => e.type === 'online');
      await h.raw(port, 'alice');
      assert.equal((await ev).type, 'online');
    });
  });
});
