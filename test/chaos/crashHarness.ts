import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChatClient } from '../../src/engine/client/chatClient';
import { sleep, startServer, waitUntil, type ServerProc } from './support';

export interface CrashResult {
  total: number;
  senders: number;
  receivers: number;
  sentAtKill: number;
  /** Messages echoed to their sender (acknowledged) before the kill. */
  ackedAtKill: number;
  /** Messages in the senders' outboxes at the kill: sent or queued, not acknowledged. */
  unackedAtKill: number;
  /** What the restarted server read back from its data directory. */
  recovered: string;
  /** Stored before the kill but never echoed: the resend must be answered from the store, not stored twice. */
  storedNotAcked: number;
  downMs: number;
  /** From the restart until every client holds every message. */
  catchUpMs: number;
  deliveriesChecked: number;
}

/**
 * `senders` engine ChatClients stream `total` messages (text "n <sender> <k>",
 * k rising by one per sender) to a server with a data directory; a
 * receive-only client listens too. When half the stream is acknowledged the
 * server gets SIGKILL, and it is restarted on the same port with the same
 * --data. The clients reconnect by themselves. Every client must then hold
 * every message of every sender exactly once and in per-sender order: the
 * acknowledged ones from the store and the unacknowledged ones resent from
 * the outboxes (and de-duplicated by id where the server had them already).
 */
export async function runCrash(total: number, senders: number): Promise<CrashResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-crash-'));
  const args = ['--data', dir, '--rate-limit', '0', '--quiet'];
  let server: ServerProc | undefined = await startServer(args);
  const port = server.port;
  const clients: ChatClient[] = [];
  let sendTimer: NodeJS.Timeout | undefined;
  try {
    const names = Array.from({ length: senders }, (_, i) => `s${i}`);
    const perSender = Math.ceil(total / senders);
    const failures: string[] = [];
    const last = new Map<string, Map<string, number>>(); // receiver -> sender -> k
    const acked = new Map<string, number>();
    let deliveries = 0;
    for (const name of [...names, 'watcher']) {
      const c = new ChatClient({ host: '127.0.0.1', port, name, minBackoff: 50, maxBackoff: 400, connectTimeout: 5000 });
      const seen = new Map<string, number>();
      last.set(name, seen);
      c.onMessage((m) => {
        const match = /^n (s\d+) (\d+)$/.exec(m.text);
        if (!match) return;
        const k = Number(match[2]);
        const prev = seen.get(match[1]) ?? 0;
        if (k !== prev + 1 && failures.length < 20) failures.push(`${name} got ${match[1]} #${k} after #${prev}`);
        seen.set(match[1], Math.max(prev, k));
        deliveries++;
        if (m.sender === name) acked.set(name, Math.max(acked.get(name) ?? 0, k));
      });
      await c.connect();
      assert.equal(c.name, name);
      clients.push(c);
    }
    // Stream: each sender sends a few messages every few ms, whether or not it
    // is connected (the outbox holds them while it is not). The kill comes from
    // inside a tick, right after a burst, so messages are in flight when it lands.
    const sent = new Map<string, number>(names.map((n) => [n, 0]));
    const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    const srv = server;
    let kill: { at: number; acked: number; sent: number; unacked: number } | undefined;
    sendTimer = setInterval(() => {
      for (let i = 0; i < senders; i++) {
        for (let j = 0; j < 5; j++) {
          const k = sent.get(names[i])! + 1;
          if (k > perSender) break;
          clients[i].send(`n ${names[i]} ${k}`);
          sent.set(names[i], k);
        }
      }
      if (!kill && sum(acked) >= (perSender * senders) / 2) {
        srv.child.kill('SIGKILL');
        kill = { at: Date.now(), acked: sum(acked), sent: sum(sent), unacked: clients.slice(0, senders).reduce((a, c) => a + c.unacked, 0) };
      }
    }, 4);
    await waitUntil(() => kill !== undefined, 60_000, 'half the stream to be acknowledged');
    const { at: killedAt, acked: ackedAtKill, sent: sentAtKill, unacked: unackedAtKill } = kill!;
    await server.exited;
    server = undefined;
    await sleep(300); // the clients' first reconnects are refused
    server = await startServer([...args, '--port', String(port)]);
    const restartedAt = Date.now();
    const recovered = /history: [^\n]*/.exec(server.log())?.[0] ?? '';
    const expectedPerClient = perSender * senders;
    await waitUntil(
      () => failures.length > 0 || [...last.values()].every((seen) => names.every((n) => seen.get(n) === perSender)),
      60_000,
      'every client to hold every message',
      20,
    );
    const catchUpMs = Date.now() - restartedAt;
    await sleep(200); // a late duplicate would show up here
    assert.deepEqual(failures, [], 'a client saw a gap, duplicate or reordering');
    for (const [name, seen] of last) for (const n of names) assert.equal(seen.get(n), perSender, `${name} holds all of ${n}`);
    assert.equal(deliveries, expectedPerClient * (senders + 1), 'each message delivered exactly once to each client');
    for (const c of clients) assert.equal(c.unacked, 0, `${c.name}'s outbox is empty`);
    return {
      total: expectedPerClient,
      senders,
      receivers: senders + 1,
      sentAtKill,
      ackedAtKill,
      unackedAtKill,
      recovered,
      storedNotAcked: Number(/history: (\d+)/.exec(recovered)?.[1] ?? NaN) - ackedAtKill,
      downMs: restartedAt - killedAt,
      catchUpMs,
      deliveriesChecked: deliveries,
    };
  } finally {
    if (sendTimer) clearInterval(sendTimer);
    for (const c of clients) c.dispose();
    await server?.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
