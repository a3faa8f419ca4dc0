import * as assert from 'node:assert/strict';
import { LineClient, waitUntil } from './support';

export interface SlowReaderResult {
  chatters: number;
  generalPerChatter: number;
  /** Bytes of DMs addressed to the slow reader (most are refused once it is gone). */
  bytesAimedAtSlowReader: number;
  /** Bytes the slow reader could still read from its socket after it resumed. */
  bytesSlowReaderGot: number;
  delivered: number;
  expected: number;
  ms: number;
  slowReaderPort: number;
}

/**
 * One reader pauses its socket right after the welcome; `chatters` others
 * each send `general` messages to the room and `dms` large direct messages to
 * the paused reader, so its output grows far past the server's cap. The
 * caller checks that the server cut it as a slow reader; this checks that
 * every chatter received every room message, once and in order.
 */
export async function runSlowReader(port: number, chatters: number, general: number, dms: number, onCut: () => boolean, expectCut = true): Promise<SlowReaderResult> {
  const clients: LineClient[] = [];
  const t0 = Date.now();
  try {
    const { c: slow } = await LineClient.hello(port, 'slowpoke');
    clients.push(slow);
    slow.socket.pause(); // stops reading: the kernel buffers fill, then the server's queue
    const slowPort = slow.socket.localPort!;
    const names: string[] = [];
    let delivered = 0;
    let dmAnswers = 0;
    const failures: string[] = [];
    for (let i = 0; i < chatters; i++) {
      const name = `chat${i}`;
      const { c, welcome } = await LineClient.hello(port, name);
      assert.equal(welcome.name, name);
      names.push(name);
      const seen = new Map<string, number>();
      c.onFrame = (f) => {
        // The answer to one of our DMs: its echo, or no_such_user once the reader is gone.
        if ((f.type === 'message' && f.sender === name && f.to === 'slowpoke') || (f.type === 'error' && f.code === 'no_such_user')) dmAnswers++;
        if (f.type !== 'message' || f.room !== 'general') return;
        const m = /^g (\d+) /.exec(f.text as string);
        if (!m) return;
        const n = Number(m[1]);
        const last = seen.get(f.sender as string) ?? 0;
        if (n !== last + 1 && failures.length < 20) failures.push(`${name} got ${f.sender as string} #${n} after #${last}`);
        seen.set(f.sender as string, n);
        delivered++;
      };
      clients.push(c);
    }
    const big = 'x'.repeat(15_000);
    const pad = 'y'.repeat(100);
    // Rounds: every chatter sends one room message and one DM to the paused
    // reader, then waits for its DM's answer, as a client with flow control
    // would. The paused reader's output grows by ~1.5 MB a round, while the
    // chatters (which read) never have much queued: the server's growth is
    // then the paused reader's queue, which the cap bounds.
    for (let round = 0; round < Math.max(general, dms); round++) {
      for (let i = 0; i < chatters; i++) {
        const c = clients[i + 1];
        if (round < general) c.send({ type: 'message', id: `g${round}`, room: 'general', text: `g ${round + 1} ${pad}` });
        if (round < dms) c.send({ type: 'message', id: `d${round}`, to: 'slowpoke', text: big });
      }
      const want = Math.min(round + 1, dms) * chatters;
      await waitUntil(() => dmAnswers >= want, 20_000, `answers to round ${round} of DMs`, 5);
    }
    const expected = chatters * chatters * general;
    await waitUntil(() => delivered >= expected || failures.length > 0, 60_000, `chatters to receive ${expected} room messages (got ${delivered})`, 50);
    assert.deepEqual(failures, [], 'a chatter saw a gap, duplicate or reordering');
    assert.equal(delivered, expected);
    if (!expectCut) {
      // Control run without a cap: a round trip on every chatter shows the server has handled all they sent.
      await Promise.all(clients.slice(1).map((c, i) => c.ping(`settled-${i}`)));
      return { chatters, generalPerChatter: general, bytesAimedAtSlowReader: chatters * dms * 15_000, bytesSlowReaderGot: 0, delivered, expected, ms: Date.now() - t0, slowReaderPort: slowPort };
    }
    await waitUntil(onCut, 10_000, 'the server to cut the slow reader');
    // Now read whatever the kernel still held for it: it ends in a close.
    let got = 0;
    slow.socket.removeAllListeners('data');
    slow.socket.on('data', (d: Buffer | string) => (got += Buffer.byteLength(d)));
    slow.socket.resume();
    await Promise.race([slow.closedP, new Promise((r) => setTimeout(r, 10_000))]);
    assert.ok(slow.closed, 'the slow reader was not disconnected');
    return {
      chatters,
      generalPerChatter: general,
      bytesAimedAtSlowReader: chatters * dms * big.length,
      bytesSlowReaderGot: got,
      delivered,
      expected,
      ms: Date.now() - t0,
      slowReaderPort: slowPort,
    };
  } finally {
    for (const c of clients) c.close();
  }
}
