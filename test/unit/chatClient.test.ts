import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { ChatClient } from '../../src/engine/client/chatClient';
import type { ClientOptions } from '../../src/engine/client/clientOptions';
import { ConnectError } from '../../src/engine/client/connectError';
import { FileStore } from '../../src/engine/stores/fileStore';
import { dmKey, type ChatMessage } from '../../src/engine/protocol';
import { Harness, nextEvent, until } from '../support/harness';

/**
 * A TCP proxy that can drop one server frame on the floor and cut the link
 * before the client sees it: the one way to make a real client lose an echo
 * that the server did send.
 */
class CuttingProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Cut when a server->client chunk contains this text. */
  cutOn?: string;
  /** Client->server chunks seen, for counting resends. */
  readonly upstream: string[] = [];

  private constructor(server: net.Server) {
    this.server = server;
  }

  static async start(targetPort: number): Promise<{ proxy: CuttingProxy; port: number }> {
    const server = net.createServer();
    const proxy = new CuttingProxy(server);
    server.on('connection', (down) => {
      const up = net.connect({ port: targetPort, host: '127.0.0.1' });
      for (const s of [down, up]) {
        proxy.sockets.add(s);
        s.on('close', () => proxy.sockets.delete(s));
        s.on('error', () => undefined);
      }
      const cut = () => {
        down.destroy();
        up.destroy();
      };
      down.on('close', cut);
      up.on('close', cut);
      down.on('data', (d: Buffer) => {
        proxy.upstream.push(d.toString('utf8'));
        up.write(d);
      });
      up.on('data', (d: Buffer) => {
        if (proxy.cutOn !== undefined && d.includes(proxy.cutOn)) {
          proxy.cutOn = undefined;
          return cut();
        }
        down.write(d);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { proxy, port: (server.address() as net.AddressInfo).port };
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

describe('ChatClient', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  function client(port: number, name: string, extra: Partial<ClientOptions> = {}): ChatClient {
    const c = new ChatClient({ host: '127.0.0.1', port, name, minBackoff: 20, maxBackoff: 200, ...extra });
    h.own(() => c.dispose());
    return c;
  }

  /** Records every message a client delivers. */
  function record(c: ChatClient): ChatMessage[] {
    const got: ChatMessage[] = [];
    c.onMessage((m) => got.push(m));
    return got;
  }

  it('connects, sends and receives its own echo', async () => {
    const { port } = await h.server();
    const c = client(port, 'alice');
    const got = record(c);
    const w = await c.connect();
    assert.equal(w.name, 'alice');
    assert.equal(c.state, 'connected');
    const id = c.send('hello');
    assert.equal(c.unacked, 1);
    await until(c.onMessage, () => got.length === 1);
    assert.equal(got[0].id, id);
    assert.equal(got[0].sender, 'alice');
    assert.equal(c.unacked, 0, 'the echo is the acknowledgement');
    assert.deepEqual(await c.who(), ['alice']);
  });

  it('resends an unacknowledged message with the same id, and it is delivered once', async () => {
    // No history in the welcome, so the client must really resend to learn the outcome.
    const { port } = await h.server({ historyOnJoin: 0 });
    const { proxy, port: proxyPort } = await CuttingProxy.start(port);
    h.own(() => proxy.close());
    const watcher = await h.raw(port, 'bob');
    const c = client(proxyPort, 'alice');
    const got = record(c);
    await c.connect();
    const reconnected = nextEvent(c.onWelcome);
    const id = c.send('only once');
    proxy.cutOn = `"id":"${id}"`; // the server accepts it, but the echo never reaches alice
    await reconnected;
    await until(c.onMessage, () => got.length === 1);
    assert.equal(got[0].id, id);
    assert.equal(got[0].seq, 1);
    assert.equal(c.unacked, 0);
    assert.equal(proxy.upstream.join('').split(`"id":"${id}"`).length - 1, 2, 'the message went out twice');
    // Another message afterwards proves nothing else is on its way.
    c.send('second');
    await until(c.onMessage, () => got.length === 2);
    assert.deepEqual(
      got.map((m) => m.seq),
      [1, 2],
    );
    const atBob = [await watcher.client.waitFor((f) => f.type === 'message'), await watcher.client.waitFor((f) => f.type === 'message')];
    assert.deepEqual(
      atBob.map((m) => m.text),
      ['only once', 'second'],
    );
  });

  it('reconnects by itself after a server restart and loses nothing', async () => {
    const dir = h.tmpDir();
    const first = await h.server({ store: await FileStore.open(dir) });
    const port = first.port;
    const c = client(port, 'alice');
    const got = record(c);
    await c.connect();
    c.send('one');
    c.send('two');
    await until(c.onMessage, () => got.length === 2);

    const dropped = nextEvent(c.onState, (s) => s === 'reconnecting');
    await h.stop(first.server);
    await dropped;
    // Written while the server is down: kept in the outbox.
    c.send('three');
    c.send('four');
    assert.equal(c.unacked, 2);

    const back = nextEvent(c.onWelcome, () => true, 5000);
    await h.server({ port, store: await FileStore.open(dir) });
    // Someone else talks on the new server, possibly before alice is back.
    const bob = await h.raw(port, 'bob');
    bob.client.send({ type: 'message', id: 'b1', room: 'general', text: 'while you were away' });
    await bob.client.waitFor((f) => f.type === 'message' && f.id === 'b1');
    const w = await back;
    assert.equal(w.name, 'alice', 'the same name after the restart');

    await until(c.onMessage, () => got.length === 5, 5000);
    assert.deepEqual(
      got.map((m) => m.seq),
      [1, 2, 3, 4, 5],
      'no gaps, no duplicates, in order',
    );
    const mine = got.filter((m) => m.sender === 'alice').map((m) => m.text);
    assert.deepEqual(mine, ['one', 'two', 'three', 'four'], 'her own messages keep their order');
    assert.ok(got.some((m) => m.text === 'while you were away'));
    assert.equal(c.unacked, 0);
  });

  /**
   * Alice says `said` and sees it echoed; the server stops and a new one with
   * no data directory (it numbers each room from 1 again) comes up on the same
   * port. There bob says `beforeBack` before alice's client is welcomed back,
   * and `afterBack` once it is, each line echoed before the next. Resolves
   * with what alice's client delivered after `said`, once all of bob's lines
   * came (or fails when they do not within 5 s).
   */
  async function restartWithoutHistory(said: string[], beforeBack: string[], afterBack: string[]): Promise<ChatMessage[]> {
    const first = await h.server();
    const port = first.port;
    const c = client(port, 'alice');
    const got = record(c);
    await c.connect();
    for (const text of said) c.send(text);
    await until(c.onMessage, () => got.length === said.length);
    const dropped = nextEvent(c.onState, (s) => s === 'reconnecting');
    await h.stop(first.server);
    await dropped;

    const back = nextEvent(c.onWelcome, () => true, 5000);
    await h.server({ port });
    const bob = await h.raw(port, 'bob');
    let n = 0;
    const bobSays = async (text: string) => {
      const id = `b${++n}`;
      bob.client.send({ type: 'message', id, room: 'general', text });
      await bob.client.waitFor((f) => f.type === 'message' && f.id === id);
    };
    for (const text of beforeBack) await bobSays(text);
    await back;
    for (const text of afterBack) await bobSays(text);
    await until(c.onMessage, () => got.length === said.length + beforeBack.length + afterBack.length, 5000);
    return got.slice(said.length);
  }

  it('keeps receiving after a restart of a server without a data directory', async () => {
    // That server forgets everything: bob's lines there are seqs 1 and 2 again, below alice's 1-3.
    const fresh = await restartWithoutHistory(['one', 'two', 'three'], ['fresh start'], ['and more']);
    assert.deepEqual(
      fresh.map((m) => [m.seq, m.text]),
      [
        [1, 'fresh start'],
        [2, 'and more'],
      ],
    );
  });

  it('notices a new history even when its seqs already passed the old ones', async () => {
    // Without the welcome's history id the client would take seqs 1-2 of the new
    // server as already seen and wait for seq 3 onwards. The server comes back
    // after a while; bob writes five before alice is back.
    const news = ['new 1', 'new 2', 'new 3', 'new 4', 'new 5'];
    const fresh = await restartWithoutHistory(['one', 'two'], news, []);
    assert.deepEqual(
      fresh.map((m) => m.text),
      news,
    );
  });

  it('accepts server lines far longer than the lines a server accepts', async () => {
    // A welcome or history page carries many messages, each up to 16000 characters.
    const { port } = await h.server();
    const { client: raw } = await h.raw(port, 'bob');
    const big = 'é'.repeat(15_000);
    for (let i = 0; i < 10; i++) {
      raw.send({ type: 'message', id: `big${i}`, room: 'general', text: big });
      await raw.waitFor((f) => f.type === 'message' && f.id === `big${i}`);
    }
    const c = client(port, 'alice');
    const w = await c.connect();
    assert.equal(w.history.length, 10);
    assert.ok(JSON.stringify(w).length > 64 * 1024);
    const page = await c.history('general', { limit: 500 });
    assert.equal(page.messages.length, 10);
  });

  it('does not reconnect after a deliberate disconnect', async () => {
    const { server, port } = await h.server();
    const c = client(port, 'alice');
    await c.connect();
    const states: string[] = [];
    c.onState((s) => states.push(s));
    const gone = nextEvent(server.onEvent, (e) => e.type === 'offline');
    c.disconnect();
    await gone;
    // Nothing to await for an absence: give it many backoff periods (20 ms each) to misbehave.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(states, ['closed']);
    assert.equal(server.connectionCount, 0);
  });

  it('fails to connect with a message that says what to do', async () => {
    // A port that was free a moment ago: nothing listens there now.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const c = client(port, 'alice');
    await assert.rejects(c.connect(), (err: unknown) => {
      assert.ok(err instanceof ConnectError);
      assert.equal(err.code, 'ECONNREFUSED');
      assert.match(err.message, /nothing is listening at 127\.0\.0\.1:\d+: start a server there/);
      return true;
    });
    // A first connect that fails does not retry: the client settles in closed.
    await until(c.onState, () => c.state === 'closed');
  });

  it('rejects a refused name on connect', async () => {
    const { port } = await h.server();
    const c = client(port, 'server');
    await assert.rejects(c.connect(), (err: unknown) => err instanceof ConnectError && err.code === 'bad_name');
  });

  it('tracks DMs and rooms, and pages history', async () => {
    const { port } = await h.server();
    const a = client(port, 'alice');
    const b = client(port, 'bob');
    const gotB = record(b);
    await a.connect();
    await b.connect();
    a.send('psst', { to: 'bob' });
    await until(b.onMessage, () => gotB.length === 1);
    // A DM is kept under the two identities, whatever their names (guests here: ids from their sessions).
    assert.equal(gotB[0].room, dmKey(a.id!, b.id!));
    assert.equal(gotB[0].author, a.id);
    const joined = nextEvent(a.onJoined);
    a.join('dev');
    assert.equal((await joined).room, 'dev');
    assert.ok(a.rooms.includes('dev'));
    const page = await a.history(dmKey(a.id!, b.id!));
    assert.deepEqual(
      page.messages.map((m) => m.text),
      ['psst'],
    );
    const found = await b.search('PSST');
    assert.equal(found.messages.length, 1);
  });
});

describe('ChatClient after a server restart', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it("resends 500 messages queued while the server was down under its default limits: each arrives once, in order, with no refusal", async function () {
    // At the default 10 messages a second after a burst of 30, 500 take about 47 s.
    this.timeout(180_000);
    const first = await h.server();
    const port = first.port;
    const c = h.chatClient(port, 'alice');
    const refusals: string[] = [];
    c.onServerError((e) => refusals.push(e.code));
    c.onSendFailed((f) => refusals.push(`failed ${f.error.code}`));
    await c.connect();
    const down = nextEvent(c.onState, (s) => s === 'reconnecting');
    await h.stop(first.server);
    await down;

    const total = 500;
    const texts = Array.from({ length: total }, (_, i) => `queued ${i}`);
    for (const t of texts) c.send(t);
    assert.equal(c.unacked, total);
    const got: ChatMessage[] = [];
    c.onMessage((m) => got.push(m));
    const drops: string[] = [];
    const back = nextEvent(c.onWelcome, () => true, 10_000);
    await h.server({ port });
    const w = await back;
    assert.deepEqual({ rate: w.limits.rate, burst: w.limits.burst }, { rate: 10, burst: 30 }, 'the default limits');
    c.onDropped((why) => drops.push(why));

    await until(c.onMessage, () => got.length === total, 150_000);
    assert.deepEqual(
      got.map((m) => m.text),
      texts,
      'every message, once, in the order written',
    );
    assert.equal(c.unacked, 0);
    assert.deepEqual(refusals, [], 'no rate_limited, no flood');
    assert.deepEqual(drops, [], 'the link held');
    // The server stored each exactly once, in that order.
    const stored = await c.history('general', { after: 0, limit: total });
    assert.equal(stored.more, false);
    assert.deepEqual(
      stored.messages.map((m) => m.text),
      texts,
    );
  });

  it('a bye followed by the close is one drop, told with the reason', async () => {
    const { server, port } = await h.server();
    const c = h.chatClient(port, 'alice');
    await c.connect();
    const drops: string[] = [];
    c.onDropped((why) => drops.push(why));
    const reconnecting = nextEvent(c.onState, (s) => s === 'reconnecting');
    await h.stop(server); // says bye ("server shutting down"), then closes
    await reconnecting;
    assert.deepEqual(drops, ['the server closed the connection: server shutting down']);
  });
});
