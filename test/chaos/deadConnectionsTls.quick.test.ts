import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { ChatServer } from '../../src/engine/server/chatServer';
import { generateCertificate } from '../../src/engine/certificate';
import { report, sleep } from './support';

/**
 * The same dead-connection cases on a TLS server, where a socket passes
 * through more stages (first-byte sniffing, the TLS handshake, then our
 * handshake), each of which must have a deadline.
 */
describe('chaos (quick): dead connections on TLS', function () {
  this.timeout(30_000);
  const HANDSHAKE = 400;
  const IDLE = 1200;
  let server: ChatServer | undefined;
  const sockets: net.Socket[] = [];
  const timers: NodeJS.Timeout[] = [];
  afterEach(async () => {
    for (const t of timers.splice(0)) clearInterval(t);
    for (const s of sockets.splice(0)) s.destroy();
    await server?.close();
    server = undefined;
  });

  function closed(s: net.Socket): Promise<number> {
    const t0 = Date.now();
    return new Promise((r) => s.once('close', () => r(Date.now() - t0)));
  }

  it('closes silent, trickling, TLS-only and quiet sockets', async () => {
    const cert = await generateCertificate({ commonName: 'chaos.test' });
    server = new ChatServer({ port: 0, tls: cert, handshakeTimeout: HANDSHAKE, idleTimeout: IDLE });
    const { port } = await server.listen();
    const opts = { host: '127.0.0.1', port };
    const events: Array<{ address: string; code: string }> = [];
    server.onEvent((e) => {
      if (e.type === 'closed') events.push({ address: e.address, code: e.code });
    });
    const open = (s: net.Socket, read = true) => {
      s.on('error', () => undefined);
      // Read (and drop) whatever comes, or 'end' and 'close' would never be emitted.
      if (read) s.resume();
      sockets.push(s);
      return s;
    };
    // 1. TCP connect, never a byte (still in first-byte sniffing)
    const silent = open(net.connect(opts));
    // 2. a TLS record header, then one byte every 50 ms: a handshake that never completes
    const trickle = open(net.connect(opts));
    trickle.once('connect', () => {
      trickle.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
      timers.push(setInterval(() => trickle.writable && trickle.write(Buffer.from([0x01])), 50));
    });
    // 3. completes TLS, never says hello
    const tlsOnly = open(tls.connect({ ...opts, rejectUnauthorized: false }));
    // 4. completes TLS and hello, then neither reads nor writes
    const quiet = open(tls.connect({ ...opts, rejectUnauthorized: false }), false);
    quiet.once('secureConnect', () => quiet.write('{"type":"hello","v":1,"name":"quiet"}\n'));
    let quietWelcomed = false;
    quiet.on('data', (d: Buffer) => {
      if (d.toString().includes('"welcome"')) {
        quietWelcomed = true;
        quiet.pause();
      }
    });
    const t0 = Date.now();
    const all = Promise.all([closed(silent), closed(trickle), closed(tlsOnly)]);
    const res = await Promise.race([all, sleep(HANDSHAKE + 5000).then(() => undefined)]);
    const state = { silent: silent.destroyed, trickle: trickle.destroyed, tlsOnly: tlsOnly.destroyed };
    assert.ok(res, `some sockets were never closed: ${JSON.stringify(state)}`);
    // The quiet one does not read, so its side never sees the close: ask the server.
    const quietAddress = `127.0.0.1:${quiet.localPort}`;
    while (!events.some((e) => e.address.endsWith(quietAddress) && e.code === 'idle_timeout') && Date.now() - t0 < IDLE + 5000) await sleep(50);
    const quietMs = Date.now() - t0;
    assert.ok(quietWelcomed, 'the quiet client got through the handshake first');
    assert.ok(events.some((e) => e.address.endsWith(quietAddress) && e.code === 'idle_timeout'), `the quiet TLS client is cut for idling: ${JSON.stringify(events)}`);
    await sleep(300);
    assert.equal(server.connectionCount, 0, 'the server holds none of them');
    const [silentMs, trickleMs, tlsOnlyMs] = res;
    report('dead connections TLS quick', { handshakeTimeoutMs: HANDSHAKE, idleTimeoutMs: IDLE, silentMs, trickleMs, tlsOnlyMs, quietMs, codes: events.map((e) => e.code) });
  });
});
