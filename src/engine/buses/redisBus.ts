import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { redactSecrets, redactUrl } from '../redactUrl';
import type { Bus, BusEvent, BusListener, BusStatus } from './bus';
import { deepFreeze } from './deepFreeze';

/** How a RedisBus behaves beyond its URL. */
export interface RedisBusOptions {
  /**
   * Prefix of every channel and key. Redis pub/sub ignores the database
   * number, so the default (`tcp-chat:DB:`) includes it: two clusters on one
   * Redis with different `/DB` in their URLs stay apart.
   */
  prefix?: string;
  /** Trouble that does not fail a call (a listener that threw, a malformed event). Never holds the URL's password. */
  onWarning?: (message: string) => void;
}

/** What travels on a channel: the publisher's nodeId and the event. */
interface Envelope {
  n: string;
  e: BusEvent;
}

/** Takes the lease when free, renews it when this node holds it: SET NX PX, else compare and PEXPIRE, atomically. */
const LEASE_LUA = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

/** Deletes the lease only when this node holds it. */
const UNLEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * A Bus over Redis pub/sub, for several server processes (docs/scaling.md).
 *
 * Two connections: one subscribes (a Redis connection in subscriber mode can
 * do nothing else), one publishes and runs lease scripts. Every event is one
 * JSON envelope carrying the publisher's nodeId. A node's own events are
 * delivered to its own listeners at once, without the round trip, and skipped
 * when Redis echoes them: a node keeps serving its own clients while Redis is
 * down. Redis delivers one connection's PUBLISHes in order, so each
 * publisher's events on a topic arrive in order everywhere.
 *
 * While the link is down, publishes to other nodes are dropped (at most once,
 * as the Bus promises) and onStatus reports 'down'; ioredis reconnects by
 * itself and resubscribes, and 'up' is reported once events flow again, which
 * is when a server catches up from the Store.
 */
export class RedisBus implements Bus {
  readonly nodeId = randomUUID();
  /** Events not sent to other nodes because the link was down (for logs and tests). */
  dropped = 0;
  private readonly listeners = new Map<string, Set<BusListener>>();
  private readonly statusListeners = new Set<(status: BusStatus) => void>();
  private readonly pendingSubscriptions = new Set<Promise<unknown>>();
  private readonly link = { pub: true, sub: true };
  private reported: BusStatus = 'up';
  /** Local deliveries waiting their turn, so a listener that publishes cannot overtake earlier events. */
  private readonly queue: Array<{ topic: string; event: BusEvent; from: string }> = [];
  /** Channel and JSON of events published during this tick, sent together (flushOutgoing). */
  private readonly outgoing: Array<[string, string]> = [];
  /** How this node's own envelopes start (JSON.stringify writes `n` first): their echoes are skipped unparsed. */
  private readonly ownPrefix: string;
  private delivering = false;
  private closed = false;

  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly url: string,
    private readonly prefix: string,
    private readonly warn: (message: string) => void,
  ) {
    this.ownPrefix = `{"n":${JSON.stringify(this.nodeId)},`;
    sub.on('message', (channel: string, text: string) => this.receive(channel, text));
    pub.on('ready', () => this.setLink('pub', true));
    pub.on('close', () => this.setLink('pub', false));
    sub.on('close', () => this.setLink('sub', false));
    sub.on('ready', () => {
      // ioredis resubscribes before it reports ready; a PING answered after those SUBSCRIBEs means events flow again.
      sub.ping().then(
        () => this.setLink('sub', true),
        () => undefined, // the link dropped again: its 'close' has said so
      );
    });
  }

  /**
   * Connects both connections; rejects with a message that names the server
   * without its password when Redis cannot be reached. The password comes
   * from the URL (`redis://:PASS@host:port/DB`, `rediss://` for TLS).
   */
  static async open(url: string, options: RedisBusOptions = {}): Promise<RedisBus> {
    const warn = options.onWarning ?? ((m: string) => console.error(`[redis] ${m}`));
    const db = Number(/^\/(\d+)/.exec(safePath(url))?.[1] ?? 0);
    const prefix = options.prefix ?? `tcp-chat:${db}:`;
    const common = { lazyConnect: true, connectionName: 'tcp-chat' };
    // Publishing while disconnected fails at once instead of queueing without bound; the bus is at most once.
    const pub = new Redis(url, { ...common, enableOfflineQueue: false });
    // Subscriptions made while disconnected wait for the link, however long it takes.
    const sub = new Redis(url, { ...common, maxRetriesPerRequest: null });
    let lastError: Error | undefined;
    const onError = (err: Error) => {
      lastError = err;
    };
    pub.on('error', onError);
    sub.on('error', onError);
    try {
      await Promise.all([pub.connect(), sub.connect()]);
    } catch (err) {
      pub.disconnect();
      sub.disconnect();
      // ioredis rejects with "Connection is closed"; the reason came as an 'error' event just before.
      throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${redactSecrets(describe(lastError ?? err), url)}`, { cause: err });
    }
    const bus = new RedisBus(pub, sub, url, prefix, warn);
    pub.off('error', onError);
    sub.off('error', onError);
    // ioredis reports every failed reconnect; one line per outage is enough (onStatus tells the rest).
    let quietUntilUp = false;
    const onLinkError = (err: Error) => {
      if (quietUntilUp || bus.closed) return;
      quietUntilUp = true;
      warn(`link to ${redactUrl(url)}: ${redactSecrets(describe(err), url)}`);
    };
    pub.on('error', onLinkError);
    sub.on('error', onLinkError);
    bus.onStatus((s) => {
      if (s === 'up') quietUntilUp = false;
    });
    return bus;
  }

  publish(topic: string, event: BusEvent): void {
    if (this.closed) return;
    // The bus takes the event: frozen, nobody (publisher or listener) can change what others receive.
    deepFreeze(event);
    // Queued for Redis before the local delivery: a listener that publishes in reaction must not overtake this event.
    if (this.pub.status === 'ready') {
      const envelope: Envelope = { n: this.nodeId, e: event };
      this.outgoing.push([this.prefix + topic, JSON.stringify(envelope)]);
      if (this.outgoing.length === 1) process.nextTick(() => this.flushOutgoing());
    } else {
      this.dropped++;
    }
    this.enqueue(topic, event, this.nodeId);
  }

  /**
   * Sends what was published during this tick as one pipeline: one write to
   * Redis, one fan-out write per subscriber, one read at each node. A batch
   * of appends (PostgresAppendQueue) settles its callers in one tick, so the
   * other nodes get its messages together and deliver them in one write per
   * client, as this node does. Order is kept: one connection, in order.
   */
  private flushOutgoing(): void {
    const batch = this.outgoing.splice(0);
    if (batch.length === 0 || this.closed) return;
    if (this.pub.status !== 'ready') {
      this.dropped += batch.length;
      return;
    }
    if (batch.length === 1) {
      this.pub.publish(batch[0][0], batch[0][1]).catch(() => this.dropped++);
      return;
    }
    const pipeline = this.pub.pipeline();
    for (const [channel, text] of batch) pipeline.publish(channel, text);
    pipeline.exec().then(
      (results) => {
        for (const [err] of results ?? []) if (err) this.dropped++;
      },
      () => {
        this.dropped += batch.length;
      },
    );
  }

  subscribe(topic: string, listener: BusListener): () => void {
    if (this.closed) return () => undefined;
    let set = this.listeners.get(topic);
    if (!set) {
      set = new Set();
      this.listeners.set(topic, set);
      this.track(this.sub.subscribe(this.prefix + topic));
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(topic);
      if (!current?.delete(listener) || current.size > 0) return;
      this.listeners.delete(topic);
      if (!this.closed) this.track(this.sub.unsubscribe(this.prefix + topic));
    };
  }

  /** Resolves once Redis has confirmed every subscription made so far: from then on, other nodes' events on those topics arrive. */
  async settled(): Promise<void> {
    while (this.pendingSubscriptions.size > 0) await Promise.all(this.pendingSubscriptions);
  }

  async lease(key: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    const held = await this.command(() => this.pub.eval(LEASE_LUA, 1, this.prefix + 'lease:' + key, this.nodeId, String(Math.floor(ttlMs))), 'cannot take a lease');
    return held === 1;
  }

  async takeLease(key: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    await this.command(() => this.pub.set(this.prefix + 'lease:' + key, this.nodeId, 'PX', Math.floor(ttlMs)), 'cannot take over a lease');
  }

  async unlease(key: string): Promise<void> {
    await this.command(() => this.pub.eval(UNLEASE_LUA, 1, this.prefix + 'lease:' + key, this.nodeId), 'cannot give up a lease');
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // What was published just before (a node's goodbyes) goes out ahead of QUIT.
    this.flushOutgoing();
    this.closed = true;
    this.listeners.clear();
    this.statusListeners.clear();
    await Promise.all([this.pub, this.sub].map((c) => closeConnection(c)));
  }

  private enqueue(topic: string, event: BusEvent, from: string): void {
    this.queue.push({ topic, event, from });
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        for (const listener of [...(this.listeners.get(next.topic) ?? [])]) {
          try {
            listener(next.event, next.from);
          } catch (err) {
            this.warn(`a listener on ${next.topic} threw: ${describe(err)}`);
          }
        }
      }
    } finally {
      this.delivering = false;
    }
  }

  private receive(channel: string, text: string): void {
    if (this.closed || !channel.startsWith(this.prefix)) return;
    // Our own events were delivered when published; a third of the traffic here is their echo, not worth parsing.
    if (text.startsWith(this.ownPrefix)) return;
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      envelope = undefined;
    }
    if (!isEnvelope(envelope)) {
      this.warn(`ignored a malformed event on ${channel} (${text.length} bytes)`);
      return;
    }
    // Our own events were delivered when published.
    if (envelope.n === this.nodeId) return;
    // One parsed copy for every listener here, so frozen like a local event.
    this.enqueue(channel.slice(this.prefix.length), deepFreeze(envelope.e), envelope.n);
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.then(
      () => undefined,
      (err: unknown) => {
        if (!this.closed) this.warn(`subscription change failed: ${redactSecrets(describe(err), this.url)}`);
      },
    );
    this.pendingSubscriptions.add(tracked);
    void tracked.finally(() => this.pendingSubscriptions.delete(tracked));
  }

  private async command<T>(run: () => Promise<T>, what: string): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw new Error(`${what}: Redis at ${redactUrl(this.url)}: ${redactSecrets(describe(err), this.url)}`, { cause: err });
    }
  }

  private setLink(which: 'pub' | 'sub', up: boolean): void {
    this.link[which] = up;
    const status: BusStatus = this.link.pub && this.link.sub ? 'up' : 'down';
    if (status === this.reported || this.closed) return;
    this.reported = status;
    for (const l of [...this.statusListeners]) {
      try {
        l(status);
      } catch (err) {
        this.warn(`a status listener threw: ${describe(err)}`);
      }
    }
  }
}


function isEnvelope(v: unknown): v is Envelope {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.n === 'string' && typeof o.e === 'object' && o.e !== null && !Array.isArray(o.e);
}

function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs < 1) throw new RangeError(`a lease needs a positive ttl in milliseconds, not ${ttlMs}`);
}

function describe(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map(describe).join('; ');
  return err instanceof Error ? err.message || err.name : String(err);
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '';
  }
}

/** QUIT when connected (the server answers, then closes); otherwise stop reconnecting at once. */
async function closeConnection(c: Redis): Promise<void> {
  if (c.status === 'ready') {
    try {
      await c.quit();
      return;
    } catch {
      // fall through: the link broke meanwhile
    }
  }
  c.disconnect();
}
