import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { LineClient, sleep } from './support';

export interface StormResult {
  attempted: number;
  connected: number;
  refusedOrReset: number;
  spreadMs: number;
  welcomed: number;
  helloSent: number;
  silentTimedOut: number;
  silent: number;
  afterStormRoundTripMs: number;
  /** From the first connect until every hello was welcomed and every silent socket cut. */
  settledMs: number;
}

/**
 * `count` connects spread evenly over `spreadMs`: a third close at once, a
 * third say hello and stay, a third never send a byte (they must be closed by
 * the handshake timeout). Afterwards a normal client must be welcomed and
 * have its message echoed.
 */
export async function runStorm(port: number, count: number, spreadMs: number, handshakeTimeoutMs: number): Promise<StormResult> {
  const sockets: net.Socket[] = [];
  let connected = 0;
  let refusedOrReset = 0;
  let welcomed = 0;
  let helloSent = 0;
  let silent = 0;
  let silentTimedOut = 0;
  const waves = 10;
  const perWave = Math.ceil(count / waves);
  const t0 = Date.now();
  try {
    for (let w = 0; w < waves; w++) {
      for (let i = w * perWave; i < Math.min(count, (w + 1) * perWave); i++) {
        const kind = i % 3;
        const s = net.connect({ port, host: '127.0.0.1' });
        sockets.push(s);
        s.on('error', () => refusedOrReset++);
        s.once('connect', () => {
          connected++;
          if (kind === 0) s.destroy();
          else if (kind === 1) {
            helloSent++;
            s.write(JSON.stringify({ type: 'hello', v: 1, name: `storm${i}` }) + '\n');
          } else silent++;
        });
        let buf = '';
        let done = false;
        s.on('data', (d: Buffer) => {
          // Presence floods the stayers: stop looking once the answer is in, so
          // this process (not the server) does not become the bottleneck.
          if (done) return;
          buf += d.toString('utf8');
          if (kind === 1 && buf.includes('"type":"welcome"')) {
            welcomed++;
            done = true;
          }
          if (kind === 2 && buf.includes('"code":"handshake_timeout"')) {
            silentTimedOut++;
            done = true;
          }
          if (done) buf = '';
        });
      }
      // Keep to the schedule even when this process is slow to open sockets.
      await sleep(Math.max(0, t0 + ((w + 1) * spreadMs) / waves - Date.now()));
    }
    const spread = Date.now() - t0;
    // Every silent connection must be cut by the handshake timeout (checked once a second).
    const deadline = Date.now() + handshakeTimeoutMs + 20_000;
    while (Date.now() < deadline && (silentTimedOut < silent || welcomed < helloSent)) await sleep(100);
    const settledMs = Date.now() - t0;
    const t1 = Date.now();
    const { c } = await LineClient.hello(port, 'after-storm', 10_000);
    const echo = c.next((f) => f.type === 'message' && f.sender === 'after-storm', 10_000, 'echo after the storm');
    c.send({ type: 'message', id: 'x1', room: 'general', text: 'still here?' });
    await echo;
    await c.ping('p', 5000);
    const rt = Date.now() - t1;
    c.close();
    const r: StormResult = { attempted: count, connected, refusedOrReset, spreadMs: spread, welcomed, helloSent, silentTimedOut, silent, afterStormRoundTripMs: rt, settledMs };
    assert.equal(welcomed, helloSent, `every hello in the storm is welcomed: ${JSON.stringify(r)}`);
    assert.equal(silentTimedOut, silent, `every silent connection gets handshake_timeout: ${JSON.stringify(r)}`);
    return r;
  } finally {
    for (const s of sockets) s.destroy();
  }
}
