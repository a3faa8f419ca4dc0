import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { generateIdentity } from '../../src/engine/identity';
import { fuzzBatch } from './frames';
import { LineClient, report, sleep, startServer, waitUntil, type ServerProc } from './support';

const MAX_LINE = 65_536;

export interface FuzzResult {
  recovered?: string;
  frames: number;
  batches: number;
  bytes: number;
  ms: number;
  errors: Record<string, number>;
  closes: Record<string, number>;
  chatDelivered: number;
  chatExpected: number;
  peakRssMiB: number;
}

/**
 * Throw at least `target` generated lines at a server in a child process, in
 * batches cut at random byte offsets, half of them before the handshake and
 * half after (every other one of those as a proven identity key, the others
 * as guests). After every batch the server must answer a ping; every tenth
 * batch a new client must get a welcome. Meanwhile three well-formed clients
 * chat, and each must receive every one of their messages once, in order.
 *
 * Generation is fast-check with a seed per batch (printed), so a failing
 * batch can be replayed with CHAOS_SEED; shrinking is not used because each
 * run goes through a live server.
 */
export async function runFuzz(label: string, target: number, batchSize: number, dataDir?: string): Promise<FuzzResult> {
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000_000);
  const server = await startServer(['--quiet', ...(dataDir ? ['--data', dataDir] : [])], { watch: [/internal error/i, /warning/i] });
  const chatters: LineClient[] = [];
  let chatTimer: NodeJS.Timeout | undefined;
  try {
    // ---- well-formed chatters
    const names = ['alice', 'bob', 'carol'];
    const got = new Map<string, Map<string, number>>(); // receiver -> sender -> last n
    let sent = 0;
    let delivered = 0;
    const chatFailures: string[] = [];
    for (const name of names) {
      const { c, welcome } = await LineClient.hello(server.port, name);
      assert.equal(welcome.name, name);
      const seen = new Map<string, number>();
      got.set(name, seen);
      c.onFrame = (f) => {
        if (f.type !== 'message' || !names.includes(f.sender as string)) return;
        const m = /^chat (\w+) (\d+)$/.exec(f.text as string);
        if (!m) return;
        const n = Number(m[2]);
        const last = seen.get(m[1]) ?? 0;
        if (n !== last + 1) chatFailures.push(`${name} got ${m[1]} #${n} after #${last}`);
        seen.set(m[1], n);
        delivered++;
      };
      chatters.push(c);
    }
    const perChatter = new Map<string, number>(names.map((n) => [n, 0]));
    // 150 ms apart stays under the default rate limit of 10 per second.
    chatTimer = setInterval(() => {
      for (let i = 0; i < chatters.length; i++) {
        const n = (perChatter.get(names[i]) ?? 0) + 1;
        perChatter.set(names[i], n);
        chatters[i].send({ type: 'message', id: `c${n}`, room: 'general', text: `chat ${names[i]} ${n}` });
        sent++;
      }
    }, 150);

    // ---- fuzz
    const errors: Record<string, number> = {};
    const closes: Record<string, number> = {};
    let frames = 0;
    let bytes = 0;
    let batches = 0;
    const t0 = Date.now();
    const arb = fuzzBatch(batchSize, MAX_LINE);
    for (let b = 0; frames < target; b++) {
      // Hard bound: a generator bug must not loop forever.
      if (b > (target / batchSize) * 3) throw new Error(`too many batches for ${target} frames (seed ${seed})`);
      const batch = fc.sample(arb, { seed: seed + b, numRuns: 1 })[0];
      const where = `seed ${seed + b} (batch ${b}; replay with CHAOS_SEED=${seed} )`;
      assert.ok(server.alive(), `server died before ${where}: ${server.log().slice(-2000)}`);
      // Keyed batches (see below) come from another loopback address: the fuzzed auths from 127.0.0.1 lock it out of proofs for a while.
      const keyed = batch.hello && b % 2 === 0;
      const conn = await LineClient.connect(server.port, 5000, keyed ? '127.0.0.2' : undefined);
      let closing: string | undefined;
      conn.onFrame = (f) => {
        if (f.type === 'error') {
          errors[f.code as string] = (errors[f.code as string] ?? 0) + 1;
          if (['frame_too_large', 'flood', 'slow_reader', 'replaced', 'handshake_timeout', 'idle_timeout', 'auth_failed'].includes(f.code as string)) closing = f.code as string;
        }
      };
      if (batch.hello) {
        const w = conn.next((f) => f.type === 'welcome', 5000, `welcome (${where})`);
        if (keyed) {
          // Every other batch proves an identity key first, so the frames also hit a keyed session: claims on nick, DMs by identity.
          const key = generateIdentity();
          const challenge = conn.next((f) => f.type === 'challenge', 5000, `challenge (${where})`);
          conn.send({ type: 'hello', v: 1, name: `fz${b}`, key: key.publicKey });
          conn.send({ type: 'auth', signature: key.signChallenge((await challenge).nonce as string) });
        } else {
          conn.send({ type: 'hello', v: 1, name: `fz${b}` });
        }
        await w;
      }
      const parts: Buffer[] = [];
      for (const [f, end] of batch.frames) parts.push(f.bytes, Buffer.from(end));
      if (batch.tail) parts.push(batch.tail.bytes, Buffer.from('\n'));
      const buf = Buffer.concat(parts);
      const cuts = [...new Set(batch.cuts.map((x) => Math.floor(x * buf.length)))].sort((x, y) => x - y);
      let at = 0;
      for (const cut of [...cuts, buf.length]) {
        if (conn.closed) break;
        if (cut > at) conn.socket.write(buf.subarray(at, cut));
        at = cut;
        // Yield so the pieces reach the server as separate reads, not one coalesced write.
        await new Promise((r) => setImmediate(r));
      }
      frames += batch.frames.length + (batch.tail ? 1 : 0);
      bytes += buf.length;
      batches++;
      if (batch.tail) {
        await Promise.race([conn.closedP, sleep(5000)]);
        assert.ok(conn.closed, `an oversize line did not close the connection (${where})`);
      }
      // The server must answer a ping after every batch: on this connection if it
      // is still open, else on a new one.
      if (!conn.closed) {
        await conn.ping(`after-${b}`, 10_000).catch((e: Error) => {
          if (!conn.closed) throw new Error(`${e.message} (${where}); server alive: ${server.alive()}`);
        });
      }
      if (conn.closed) {
        closes[closing ?? 'closed without reason'] = (closes[closing ?? 'closed without reason'] ?? 0) + 1;
        const probe = await LineClient.connect(server.port);
        await probe.ping(`after-${b}`, 10_000);
        probe.close();
      }
      conn.close();
      // A new client must still be welcomed: catches a poisoned history or room list.
      if (b % 10 === 9) {
        const { c } = await LineClient.hello(server.port, `probe${b}`);
        c.close();
      }
    }
    const ms = Date.now() - t0;
    clearInterval(chatTimer);
    chatTimer = undefined;
    const expected = sent * names.length;
    await waitUntil(() => delivered >= expected || chatFailures.length > 0, 10_000, `chatters to receive ${expected} messages (got ${delivered})`);
    assert.deepEqual(chatFailures, [], 'chatters saw a gap, a duplicate or a reordering');
    assert.equal(delivered, expected);
    assert.ok(server.alive(), 'server died');
    const internal = [...server.matches.entries()].find(([re]) => re.source === 'internal error')?.[1] ?? 0;
    assert.equal(internal, 0, `the server hit internal errors while handling fuzz frames:\n${server.log().split('\n').filter((l) => /internal error/i.test(l)).slice(0, 5).join('\n').slice(0, 3000)}`);
    // auth_failed: a fuzzed hello with a real key gets a challenge, and a fuzzed auth cannot sign it.
    for (const code of Object.keys(closes)) assert.ok(['frame_too_large', 'flood', 'auth_failed'].includes(code), `unexpected close: ${code} (${JSON.stringify(closes)})`);
    const mem = server.memory();
    let recovered: string | undefined;
    if (dataDir) {
      // What the fuzz stored must load again: restart on the same directory and get a welcome.
      await server.kill('SIGTERM');
      const again = await startServer(['--quiet', '--data', dataDir]);
      try {
        recovered = /history: [^\n]*/.exec(again.log())?.[0];
        assert.ok(recovered && !/unreadable/.test(recovered), `the fuzzed history reloads cleanly: ${recovered}`);
        const { c } = await LineClient.hello(again.port, 'after-restart');
        c.close();
      } finally {
        await again.kill();
      }
    }
    const result: FuzzResult = {
      recovered, frames, batches, bytes, ms, errors, closes, chatDelivered: delivered, chatExpected: expected, peakRssMiB: Math.round(mem.peakKiB / 1024) };
    report(label, { seed, ...result });
    return result;
  } catch (err) {
    // Say what the server said about it: its warnings are the first clue.
    const said = server.log().split('\n').filter((l) => /warning|internal|error/i.test(l)).slice(-5).join('\n').slice(0, 3000);
    (err as Error).message += `\nserver alive: ${server.alive()}; server log:\n${said}`;
    throw err;
  } finally {
    if (chatTimer) clearInterval(chatTimer);
    for (const c of chatters) c.close();
    await stop(server);
  }
}

async function stop(server: ServerProc): Promise<void> {
  await server.kill('SIGTERM');
}
