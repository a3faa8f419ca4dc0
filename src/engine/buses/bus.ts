/**
 * The Bus seam: everything that travels between connections goes through it,
 * so connections held by another server process take part too. Room
 * messages, direct messages, presence, typing, file relay and renames are
 * published as protocol-neutral events (plain JSON values; the server defines
 * their shapes in server/busEvents.ts). The bus never looks inside them.
 *
 * Implementations: LocalBus (in-process, the default) and any other that
 * passes the contract suite in test/contract/bus.contract.ts (RedisBus, see
 * docs/scaling.md).
 */
export interface Bus {
  /** This process's id on the bus, unique per start. Events carry it so a node can tell its own from others'. */
  readonly nodeId: string;

  /**
   * Send an event to every subscriber of a topic, this node's included. Events
   * from one publisher on one topic arrive in the order they were published.
   * Delivery is at most once: a multi-node bus may drop events when its link
   * blinks, so anything that must not be lost is also in the Store. The bus
   * takes the event: do not change it afterwards (LocalBus freezes it).
   */
  publish(topic: string, event: BusEvent): void;

  /** Listen to a topic; the returned function unsubscribes. `from` is the publisher's nodeId. */
  subscribe(topic: string, listener: BusListener): () => void;

  /**
   * Resolves once every subscription made so far is live, so an event
   * published after this cannot be missed. A node that subscribes to a room
   * and then reads the room's history from the Store awaits this in between;
   * otherwise a message sent meanwhile would only surface at the next gap.
   */
  settled(): Promise<void>;

  /**
   * Hold a lease on a key for this node (a guest's name, say) for `ttlMs`.
   * Resolves true when this node holds it now (taken or renewed), false when
   * another node does. Leases of a node that dies run out by themselves.
   */
  lease(key: string, ttlMs: number): Promise<boolean>;

  /**
   * Hold a lease for this node whatever node holds it now, for `ttlMs`. Only
   * for a caller that has proof the holder has no claim left: a session that
   * moved here from a node that died, say (docs/scaling.md, "Resuming on
   * another node"). The previous holder's renewals fail from then on.
   */
  takeLease(key: string, ttlMs: number): Promise<void>;

  /** Give up a lease this node holds. */
  unlease(key: string): Promise<void>;

  /** Reports link trouble and recovery (a multi-node bus); LocalBus never fires it. */
  onStatus(listener: (status: BusStatus) => void): () => void;

  /** Unsubscribe everything and release connections. */
  close(): Promise<void>;
}

/** A JSON value: what a bus can carry between processes. */
export type BusEvent = { readonly [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Receives one event; must not mutate it (a LocalBus hands the same object to every listener). */
export type BusListener = (event: BusEvent, from: string) => void;

/** The bus's link: `down` while events may be lost, `up` again once it has reconnected (catch up from the Store then). */
export type BusStatus = 'up' | 'down';
