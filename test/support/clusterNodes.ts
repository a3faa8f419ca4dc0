import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type { Endpoint } from '../../src/engine/address';
import { ChatClient } from '../../src/engine/client/chatClient';
import type { ChatMessage } from '../../src/engine/protocol';
import { spawnCli, waitForOutput } from './cliProcess';

/**
 * A cluster for tests: `tcp-chat serve` nodes as real child processes on one
 * PostgreSQL and one Redis (test/support/realServers.ts), and a crowd of
 * ChatClients that know every node, with what each of them received.
 */

/** One node: a `tcp-chat serve --store --bus` process. */
export interface ClusterNode {
  readonly name: string;
  readonly port: number;
  readonly endpoint: Endpoint;
  readonly proc: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** Signal it and wait until it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a node; the URLs go through the environment, as an operator keeps passwords off the command line. */
export async function startNode(name: string, storeUrl: string, busUrl: string, args: string[] = []): Promise<ClusterNode> {
  const proc = spawnCli(['serve', '--port', '0', '--node-name', name, '--quiet', ...args], false, { TCP_CHAT_STORE: storeUrl, TCP_CHAT_BUS: busUrl });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let port: number;
  try {
    port = Number((await waitForOutput(proc, /serving on \S+:(\d+)/, 30_000))[1]);
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`node ${name} did not start: ${(err as Error).message}\n${out}`, { cause: err });
  }
  return {
    name,
    port,
    endpoint: { host: '127.0.0.1', port },
    proc,
    output: () => out,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

/** Resolves once `check` holds, polling (a crowd has no one event to wait for); fails with `what` after the timeout. */
export async function eventually(check: () => boolean, what: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`within ${timeoutMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** ChatClients spread over the nodes, each knowing all of them, and what each got in `general`. */
export class Crowd {
  readonly clients: ChatClient[] = [];
  readonly got = new Map<ChatClient, ChatMessage[]>();
  private sent = 0;
  private readonly sentBy = new Map<ChatClient, number>();

  /** Connects a client to `first`, with the other nodes as its fallbacks. */
  async add(name: string, first: ClusterNode, all: readonly ClusterNode[], options: { reconnect?: boolean } = {}): Promise<ChatClient> {
    // Each client lists the other nodes from a different start, so the clients of a dead node spread over the live ones.
    const rest = all.filter((n) => n !== first).map((n) => n.endpoint);
    const turn = rest.length > 0 ? this.clients.length % rest.length : 0;
    const others = [...rest.slice(turn), ...rest.slice(0, turn)];
    const c = new ChatClient({ ...first.endpoint, servers: others, name, minBackoff: 100, maxBackoff: 2000, connectTimeout: 5000, pingInterval: 3000, requestTimeout: 10_000, ...options });
    const got: ChatMessage[] = [];
    this.got.set(c, got);
    c.onMessage((m) => {
      if (m.room === 'general') got.push(m);
    });
    this.clients.push(c);
    await c.connect();
    return c;
  }

  /** Each client queues `per` more messages, numbered on from its last (its outbox paces them under the server's rate limit). */
  send(per: number, clients: readonly ChatClient[] = this.clients): void {
    for (const c of clients) {
      const from = this.sentBy.get(c) ?? 0;
      for (let i = from; i < from + per; i++) c.send(`${c.name} #${i}`);
      this.sentBy.set(c, from + per);
    }
    this.sent += per * clients.length;
  }

  get total(): number {
    return this.sent;
  }

  /** Messages the server has acknowledged so far, over all clients. */
  acked(): number {
    return this.sent - this.clients.reduce((n, c) => n + c.unacked, 0);
  }

  /** Waits until every message was acknowledged and every client in `watchers` got every one. */
  async settle(timeoutMs: number, watchers: readonly ChatClient[] = this.clients): Promise<void> {
    await eventually(
      () => this.acked() === this.sent && watchers.every((c) => this.got.get(c)!.length >= this.sent),
      () => `acknowledged ${this.acked()} of ${this.sent}; received ${watchers.map((c) => `${c.name}@${c.node ?? '?'}:${this.got.get(c)!.length}`).join(' ')}`,
      timeoutMs,
    );
  }

  /**
   * Every watcher got every message exactly once, in one order: the room's
   * seqs 1..total, each seq with the same message everywhere, and each sent
   * message once.
   */
  check(watchers: readonly ChatClient[] = this.clients): void {
    const order = this.got.get(watchers[0])!.map((m) => `${m.seq} ${m.id}`);
    for (const c of watchers) {
      const got = this.got.get(c)!;
      const seqs = got.map((m) => m.seq);
      const dupes = seqs.filter((s, i) => seqs.indexOf(s) !== i);
      assert.deepEqual(dupes, [], `${c.name} got seqs twice`);
      assert.deepEqual(
        seqs,
        Array.from({ length: this.sent }, (_, i) => i + 1),
        `${c.name} got every seq once, in order`,
      );
      assert.deepEqual(
        got.map((m) => `${m.seq} ${m.id}`),
        order,
        `${c.name} saw the same message at every seq`,
      );
    }
    const texts = this.got.get(watchers[0])!.map((m) => m.text);
    assert.equal(new Set(texts).size, this.sent, 'each message sent was stored once');
  }

  dispose(): void {
    for (const c of this.clients) c.dispose();
  }
}
