/**
 * Room fan-out between server nodes. The chat logic publishes each encoded
 * frame once; every node subscribed to the topic delivers it to its own
 * sockets. The in-process bus is the single-node default; a multi-node bus
 * (Redis pub/sub, say) implements the same two methods.
 */
export interface Bus {
  publish(topic: string, frame: Buffer): void;
  subscribe(topic: string, listener: (frame: Buffer) => void): () => void;
}

/** Delivers synchronously to listeners in this process. */
export class LocalBus implements Bus {
  private readonly topics = new Map<string, Set<(frame: Buffer) => void>>();

  publish(topic: string, frame: Buffer): void {
    const set = this.topics.get(topic);
    if (set) for (const l of set) l(frame);
  }

  subscribe(topic: string, listener: (frame: Buffer) => void): () => void {
    let set = this.topics.get(topic);
    if (!set) {
      set = new Set();
      this.topics.set(topic, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.topics.delete(topic);
    };
  }
}
