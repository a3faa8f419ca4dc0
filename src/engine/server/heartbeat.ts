/** How often a node says it is alive. */
export const HEARTBEAT_MS = 5000;
/** A node not heard from for this long is taken for dead: its people go offline everywhere. */
export const NODE_TIMEOUT_MS = 15_000;

/** What the heartbeat needs from the server. */
export interface HeartbeatHost {
  /** Tell the other nodes this one is alive. */
  beat(): void;
  /** A node went silent: its people are gone. */
  expire(node: string): void;
}

/**
 * Liveness of the other nodes on the bus. Every node beats every
 * HEARTBEAT_MS; any event from a node counts as hearing from it. A node
 * silent for NODE_TIMEOUT_MS is expired, unless this node's own link was down
 * meanwhile: then nobody could have been heard, so the clock starts again
 * when the link comes back.
 */
export class Heartbeat {
  private readonly heard = new Map<string, number>();
  private linkUp = true;
  /** Since when expiring is fair: the link has been up at least this long. */
  private upSince: number;
  private beatAt = -Infinity;

  constructor(
    private readonly host: HeartbeatHost,
    now = Date.now(),
    private readonly beatMs = HEARTBEAT_MS,
    private readonly timeoutMs = NODE_TIMEOUT_MS,
  ) {
    this.upSince = now;
  }

  /** An event from another node. True when the node was not known (new, or expired and back). */
  hear(node: string, now = Date.now()): boolean {
    const known = this.heard.has(node);
    this.heard.set(node, now);
    return !known;
  }

  /** A node said goodbye (it closed cleanly): no need to wait for it. */
  forget(node: string): void {
    this.heard.delete(node);
  }

  /** Nodes heard from and not expired. */
  nodes(): string[] {
    return [...this.heard.keys()];
  }

  down(): void {
    this.linkUp = false;
  }

  up(now = Date.now()): void {
    this.linkUp = true;
    this.upSince = now;
    // Nobody could be heard while the link was down: everyone gets a fresh timeout.
    for (const node of this.heard.keys()) this.heard.set(node, now);
  }

  /** Called about once a second: beat when due, expire the silent. */
  tick(now = Date.now()): void {
    if (now - this.beatAt >= this.beatMs) {
      this.beatAt = now;
      this.host.beat();
    }
    if (!this.linkUp || now - this.upSince < this.timeoutMs) return;
    for (const [node, at] of [...this.heard]) {
      if (now - at < this.timeoutMs) continue;
      this.heard.delete(node);
      this.host.expire(node);
    }
  }
}
