import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChatClient } from '../../src/engine/client/chatClient';
import { ChatServer, type ServerOptions } from '../../src/engine/server/chatServer';
import type { Event } from '../../src/engine/events';
import type { Identity } from '../../src/engine/identity';
import { RawClient } from './rawClient';

/**
 * Collects what a test opens (servers, raw sockets, temp dirs) so one
 * `afterEach(() => h.cleanup())` releases all of it, even when a test fails
 * half-way.
 */
export class Harness {
  private readonly servers = new Set<ChatServer>();
  private readonly clients: RawClient[] = [];
  private readonly disposers: Array<() => void | Promise<void>> = [];
  private readonly dirs: string[] = [];

  /** A server on 127.0.0.1, port 0 unless given, with quick test-sized timeouts. */
  async server(opts: ServerOptions = {}): Promise<{ server: ChatServer; port: number }> {
    const server = new ChatServer({ host: '127.0.0.1', port: 0, ...opts });
    const addr = await server.listen();
    this.servers.add(server);
    return { server, port: addr.port };
  }

  /** Close a server now (a restart), and forget it so cleanup does not close it twice. */
  async stop(server: ChatServer): Promise<void> {
    this.servers.delete(server);
    await server.close();
  }

  /** A raw client welcomed as a guest; `extra` adds hello fields (a session token to come back as the same guest). */
  async raw(port: number, name: string, extra: Record<string, unknown> = {}): Promise<{ client: RawClient; welcome: Record<string, unknown> }> {
    const r = await RawClient.hello(port, name, '127.0.0.1', extra);
    this.clients.push(r.client);
    return r;
  }

  /** A raw client welcomed as the owner of an identity key (it proved the key); fails the test on any other answer. */
  async keyed(port: number, name: string, identity: Identity, extra: Record<string, unknown> = {}): Promise<{ client: RawClient; welcome: Record<string, unknown> }> {
    const client = await this.rawNoHello(port);
    const welcome = await client.helloWithKey(name, identity, extra);
    if (welcome.type !== 'welcome') throw new Error(`expected a welcome for ${name}, got ${JSON.stringify(welcome)}`);
    return { client, welcome };
  }

  async rawNoHello(port: number): Promise<RawClient> {
    const c = await RawClient.connect(port);
    this.clients.push(c);
    return c;
  }

  /** The engine's client for `name` on this machine's `port`, not connected yet, reconnecting fast; disposed at cleanup. */
  chatClient(port: number, name: string): ChatClient {
    const c = new ChatClient({ host: '127.0.0.1', port, name, minBackoff: 20, maxBackoff: 200 });
    this.own(() => c.dispose());
    return c;
  }

  /** Anything else to release at the end (a ChatClient, a child process). */
  own(dispose: () => void | Promise<void>): void {
    this.disposers.push(dispose);
  }

  tmpDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-chat-test-'));
    this.dirs.push(dir);
    return dir;
  }

  async cleanup(): Promise<void> {
    for (const d of this.disposers.splice(0).reverse()) await d();
    for (const c of this.clients.splice(0)) c.close();
    // Clients are gone, so close() does not wait for goodbyes to drain.
    await Promise.all([...this.servers].map((s) => s.close()));
    this.servers.clear();
    for (const d of this.dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  }
}

/** Resolves with the first event that matches, or rejects after a timeout. */
export function nextEvent<T>(event: Event<T>, match: (e: T) => boolean = () => true, timeoutMs = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no matching event within ${timeoutMs} ms`));
    }, timeoutMs);
    const sub = event((e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(e);
    });
  });
}

/** Resolves once `check` is true, re-checking each time `event` fires. */
export function until<T>(event: Event<T>, check: () => boolean, timeoutMs = 3000): Promise<void> {
  if (check()) return Promise.resolve();
  return nextEvent(event, () => check(), timeoutMs).then(() => undefined);
}

/** Frames of one type, in arrival order, that a raw client has not consumed yet. */
export function framesOf(c: RawClient, type: string): Record<string, unknown>[] {
  return c.frames.filter((f) => f.type === type);
}
