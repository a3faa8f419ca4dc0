import { randomUUID } from 'node:crypto';
import type { Bus, BusEvent, BusListener, BusStatus } from './bus';
import { deepFreeze } from './deepFreeze';

interface Subscription {
  listener: BusListener;
  /** The bus that subscribed: close() removes only its own. */
  owner: LocalBus;
}

interface Lease {
  node: string;
  expires: number;
}

/**
 * What LocalBus instances that stand for nodes of one cluster share: topics
 * and leases. A server uses one LocalBus with a hub of its own; tests give
 * two buses one hub to act as two nodes.
 */
export class LocalBusHub {
  readonly topics = new Map<string, Set<Subscription>>();
  readonly leases = new Map<string, Lease>();
  /** Events waiting while a listener publishes from inside a delivery. */
  readonly queue: Array<{ topic: string; event: BusEvent; from: string }> = [];
  delivering = false;
}

/**
 * The in-process bus: delivers synchronously, in publish order, to every
 * subscriber in this process. A listener that publishes while it is being
 * called has its event queued until the current one has reached everyone,
 * so every listener sees events in the order they were published.
 */
export class LocalBus implements Bus {
  readonly nodeId: string = randomUUID();
  private closed = false;

  constructor(private readonly hub: LocalBusHub = new LocalBusHub()) {}

  /**
   * Freezes the event (deeply) instead of copying it: every listener gets the
   * same object, so none can change what another sees, and the publisher
   * must not change it afterwards either (a Redis bus would have sent a copy).
   */
  publish(topic: string, event: BusEvent): void {
    this.assertOpen();
    const hub = this.hub;
    hub.queue.push({ topic, event: deepFreeze(event), from: this.nodeId });
    if (hub.delivering) return;
    hub.delivering = true;
    let failure: unknown;
    try {
      for (let next = hub.queue.shift(); next; next = hub.queue.shift()) {
        const subs = hub.topics.get(next.topic);
        if (!subs) continue;
        // A copy, so listeners added during this delivery start with the next event.
        for (const sub of [...subs]) {
          if (!subs.has(sub)) continue;
          try {
            sub.listener(next.event, next.from);
          } catch (err) {
            // The others still get the event; the publisher hears of the first failure.
            failure ??= err;
          }
        }
      }
    } finally {
      hub.delivering = false;
    }
    if (failure !== undefined) throw failure;
  }

  subscribe(topic: string, listener: BusListener): () => void {
    this.assertOpen();
    const sub: Subscription = { listener, owner: this };
    let subs = this.hub.topics.get(topic);
    if (!subs) this.hub.topics.set(topic, (subs = new Set()));
    subs.add(sub);
    return () => this.remove(topic, sub);
  }

  async lease(key: string, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    const now = Date.now();
    const held = this.hub.leases.get(key);
    if (held && held.node !== this.nodeId && held.expires > now) return false;
    this.hub.leases.set(key, { node: this.nodeId, expires: now + ttlMs });
    return true;
  }

  async takeLease(key: string, ttlMs: number): Promise<void> {
    this.assertOpen();
    this.hub.leases.set(key, { node: this.nodeId, expires: Date.now() + ttlMs });
  }

  async unlease(key: string): Promise<void> {
    if (this.hub.leases.get(key)?.node === this.nodeId) this.hub.leases.delete(key);
  }

  onStatus(_listener: (status: BusStatus) => void): () => void {
    // One process: the link never goes down.
    return () => undefined;
  }

  /** Subscriptions are live at once in-process. */
  settled(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [topic, subs] of this.hub.topics) {
      for (const sub of subs) if (sub.owner === this) this.remove(topic, sub);
    }
    for (const [key, lease] of this.hub.leases) if (lease.node === this.nodeId) this.hub.leases.delete(key);
  }

  private remove(topic: string, sub: Subscription): void {
    const subs = this.hub.topics.get(topic);
    if (!subs) return;
    subs.delete(sub);
    if (subs.size === 0) this.hub.topics.delete(topic);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the bus is closed');
  }
}
