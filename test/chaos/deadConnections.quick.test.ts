import * as assert from 'node:assert/strict';
import { ChatServer } from '../../src/engine/server/chatServer';
import { ChatClient } from '../../src/engine/client/chatClient';
import { LineClient, report, sleep, waitUntil } from './support';
import { runStorm } from './stormHarness';

/**
 * Connections that hold a slot without talking: they must be closed by the
 * handshake or idle timeout, while a live client that answers (or sends)
 * pings through the same quiet period stays. Timeouts are small here; the
 * server checks them once a second, so a close lands up to ~1 s late.
 */
describe('chaos (quick): dead connections', function () {
  this.timeout(30_000);
  const HANDSHAKE = 400;
  const IDLE = 1200;
  let server: ChatServer | undefined;
  const closers: Array<() => void> = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) c();
    await server?.close();
    server = undefined;
  });

  async function start(): Promise<{ port: number; closed: Array<{ address: string; code: string; at: number }> }> {
    server = new ChatServer({ port: 0, handshakeTimeout: HANDSHAKE, idleTimeout: IDLE });
    const { port } = await server.listen();
    const closed: Array<{ address: string; code: string; at: number }> = [];
    server.onEvent((e) => {
      if (e.type === 'closed') closed.push({ address: e.address, code: e.code, at: Date.now() });
    });
    return { port, closed };
  }

  it('closes slowloris and silent sockets before the handshake, and slowloris and half-open sockets after it; a live client stays', async () => {
    const { port, closed } = await start();
    const t0 = Date.now();
    // 1. connects and never sends a byte
    const silent = await LineClient.connect(port);
    // 2. trickles a hello one byte at a time and never finishes the line
    const loris = await LineClient.connect(port);
    // 3. says hello, then trickles bytes with no newline (no complete frame)
    const { c: lorisAfter } = await LineClient.hello(port, 'loris');
    // 4. says hello, then goes silent and never reads or answers a ping: what a
    //    peer that vanished without a FIN (half-open) looks like from the server
    const { c: halfOpen } = await LineClient.hello(port, 'halfopen');
    let halfOpenPinged = false;
    halfOpen.onFrame = (f) => {
      if (f.type === 'ping') halfOpenPinged = true;
    };
    // 5. a real client that pings on its own: must survive the same quiet period
    const live = new ChatClient({ host: '127.0.0.1', port, name: 'live', pingInterval: 200, reconnect: false });
    await live.connect();
    for (const c of [silent, loris, lorisAfter, halfOpen]) closers.push(() => c.close());
    closers.push(() => live.dispose());
    const trickle = '{"type":"hello","v":1,"name":"slow"'.split('');
    const timer = setInterval(() => {
      if (!loris.closed) loris.socket.write(trickle.shift() ?? ' ');
      if (!lorisAfter.closed) lorisAfter.socket.write('x');
    }, 50);
    closers.push(() => clearInterval(timer));
    const reasons = new Map<LineClient, string>();
    for (const c of [silent, loris, lorisAfter]) {
      const prev = c.onFrame;
      c.onFrame = (f) => {
        prev(f);
        if (f.type === 'error') reasons.set(c, f.code as string);
      };
    }
    await Promise.race([Promise.all([silent.closedP, loris.closedP, lorisAfter.closedP, halfOpen.closedP]), sleep(IDLE + 4000)]);
    const took = Date.now() - t0;
    assert.ok(silent.closed && loris.closed, 'pre-handshake sockets closed');
    assert.equal(reasons.get(silent), 'handshake_timeout');
    assert.equal(reasons.get(loris), 'handshake_timeout');
    assert.ok(lorisAfter.closed, 'slowloris after hello closed');
    assert.equal(reasons.get(lorisAfter), 'idle_timeout');
    assert.ok(halfOpen.closed, 'half-open closed');
    assert.ok(halfOpenPinged, 'the server pinged the quiet connection before closing it');
    assert.ok(closed.some((c) => c.code === 'idle_timeout'));
    assert.equal(live.state, 'connected', 'a client that pings is not cut');
    const liveWho = await live.who();
    assert.ok(liveWho.includes('live'));
    assert.ok(!liveWho.includes('halfopen') && !liveWho.includes('loris'), `dead sessions are gone: ${liveWho.join(',')}`);
    report('dead connections quick', { handshakeTimeoutMs: HANDSHAKE, idleTimeoutMs: IDLE, allClosedWithinMs: took, codes: closed.map((c) => c.code) });
  });

  it('survives a storm of 500 connects in half a second and still serves a normal client', async () => {
    const { port } = await start();
    const r = await runStorm(port, 500, 500, HANDSHAKE);
    // The storm's sockets are closed now: the server must forget every one of them.
    await waitUntil(() => server!.connectionCount === 0, 3000, `the server to drop all storm connections (still ${server!.connectionCount})`);
    report('storm quick', { ...r });
  });
});
