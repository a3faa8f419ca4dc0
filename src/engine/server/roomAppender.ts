import type { ChatMessage } from '../protocol';
import { StoreError, type AppendResult, type MessageDraft, type Store } from '../stores/store';
import type { NodeEvent } from './busEvents';

/** How long a node waits for a room's leader to store a forwarded message before it stores the message itself. */
export const FORWARD_WAIT_MS = 1000;
/** After a leader did not answer in time, how long this node stores its own messages for that leader's rooms. */
const SUSPECT_MS = 15_000;

/** What a room append came to: the store's answer, or the leader's. */
export interface RoomAppendResult extends AppendResult {
  /** The leader published it to the room (with this node's connection as its origin): nothing left to publish here. */
  published?: true;
}

/** What the appender needs from the router. */
export interface RoomAppenderHost {
  readonly nodeId: string;
  /** The other nodes alive now (heard from recently) that store messages for others. */
  nodes(): readonly string[];
  /** False while the link to the other nodes is down. */
  linkUp(): boolean;
  /** To one node's own topic. */
  send(node: string, e: NodeEvent): void;
  /** Publish a stored room message, caused by connection `origin` of node `originNode`. */
  publish(message: ChatMessage, originNode: string, origin: number): void;
  /** How far this node has delivered a room (Store.append's `seen`). */
  seen(room: string): number | undefined;
  /** Messages of a room the store handed back with the leader's append for another node (AppendResult.missed). */
  missed(room: string, messages: readonly ChatMessage[]): void;
  warn(message: string): void;
}

interface Pending {
  leader: string;
  timer: NodeJS.Timeout;
  resolve(r: RoomAppendResult | undefined): void;
  reject(err: Error): void;
}

/**
 * Stores room messages through one node per room, its leader, when several
 * nodes share a store.
 *
 * A room's seq is taken under the room's lock in the store, held through the
 * commit. When every node appends for itself, the nodes take that lock in
 * turn, one commit (one WAL flush) each, and queue behind each other; the
 * leader instead batches every node's messages for the room into one
 * transaction, as a single node does. The leader is picked by rendezvous
 * hashing over the nodes alive, so every node agrees without talking, and a
 * node that joins or dies moves only its share of rooms.
 *
 * The leader is only a shortcut, never needed for correctness: the store
 * gives the seq and recognises a resend by author and id. So whenever the
 * leader is in doubt (the link is down, it did not answer within
 * FORWARD_WAIT_MS, the same message is already on its way), this node stores
 * the message itself, exactly as without a leader; a message stored by both
 * is stored once, and the sequencer delivers each seq once.
 *
 * The leader publishes what it stored to the room with the origin node's
 * connection as the event's origin, so the sender gets its acknowledgement
 * from the room event, as for a message stored by its own node. A resend
 * (duplicate) or a store failure is answered to the origin node directly.
 */
export class RoomAppender {
  /** Forwarded messages waiting for their leader, by author and id. */
  private readonly pending = new Map<string, Pending>();
  /** Leaders that did not answer in time, until when they are passed over. */
  private readonly suspects = new Map<string, number>();

  constructor(
    private readonly store: Pick<Store, 'append'>,
    private readonly host: RoomAppenderHost,
    private readonly waitMs = FORWARD_WAIT_MS,
  ) {}

  /** The node that stores a room's messages now: the highest rendezvous hash among the nodes alive and trusted. */
  leader(room: string, nodes = this.host.nodes(), now = Date.now()): string {
    let best = this.host.nodeId;
    let top = rendezvous(best, room);
    for (const node of nodes) {
      const until = this.suspects.get(node);
      if (until !== undefined) {
        if (until > now) continue;
        this.suspects.delete(node);
      }
      const h = rendezvous(node, room);
      if (h > top || (h === top && node > best)) [best, top] = [node, h];
    }
    return best;
  }

  /**
   * Store a room message (not a reply: see MessageRelay), through the room's
   * leader when that is another node. Without other nodes this is the
   * store's own append, with no extra promise in between: it is on the path
   * of every message.
   */
  append(draft: MessageDraft, origin: number): Promise<RoomAppendResult> {
    const nodes = this.host.nodes();
    if (nodes.length > 0 && this.host.linkUp()) {
      const leader = this.leader(draft.room, nodes);
      const key = leader === this.host.nodeId ? undefined : pendingKey(draft.author, draft.id);
      if (key !== undefined && !this.pending.has(key)) return this.forwardOrStore(leader, key, draft, origin);
    }
    return this.store.append(draft, () => this.host.seen(draft.room));
  }

  /** A room message came off the bus: if it answers a forwarded one, that one is done. */
  published(message: ChatMessage, originNode: string): void {
    // Every room message on every node comes here: nothing to build when nothing is waiting.
    if (this.pending.size === 0 || originNode !== this.host.nodeId || message.author === undefined) return;
    this.settle(pendingKey(message.author, message.id), { message, duplicate: false, published: true });
  }

  /** An event on this node's own topic. */
  onNode(e: NodeEvent, from: string): void {
    switch (e.kind) {
      case 'append':
        return void this.appendFor(from, e.draft, e.origin);
      case 'appended':
        return this.settle(pendingKey(e.message.author ?? '', e.message.id), { message: e.message, duplicate: true, published: true });
      case 'append_failed': {
        const p = this.pending.get(pendingKey(e.author, e.id));
        if (!p) return;
        this.drop(pendingKey(e.author, e.id), p);
        return p.reject(new StoreError(e.error));
      }
    }
  }

  /** Give up on every forwarded message (the node is closing): each is stored here instead. */
  stop(): void {
    for (const [key, p] of this.pending) {
      this.drop(key, p);
      p.resolve(undefined);
    }
  }

  /** Through the leader; stored here when it does not answer in time (see the class comment). */
  private async forwardOrStore(leader: string, key: string, draft: MessageDraft, origin: number): Promise<RoomAppendResult> {
    const forwarded = await this.forward(leader, key, draft, origin);
    if (forwarded) return forwarded;
    const stored = await this.store.append(draft, () => this.host.seen(draft.room));
    // The leader stored it, but its publish was lost or is late, and this node has not delivered that seq yet: the
    // caller publishes it, so every node's sequencer delivers it once, the sender's copy in its place. Acknowledged
    // as a resend instead, the sender would get it a second time when the gap before the next message is filled.
    if (stored.duplicate && stored.message.seq > (this.host.seen(draft.room) ?? Infinity)) return { ...stored, duplicate: false };
    return stored;
  }

  private forward(leader: string, key: string, draft: MessageDraft, origin: number): Promise<RoomAppendResult | undefined> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const p = this.pending.get(key);
        if (!p) return;
        this.drop(key, p);
        this.suspects.set(leader, Date.now() + SUSPECT_MS);
        this.host.warn(`node ${leader} did not store a message for ${draft.room} within ${this.waitMs} ms: this node stores its own for a while`);
        resolve(undefined);
      }, this.waitMs);
      timer.unref();
      this.pending.set(key, { leader, timer, resolve, reject });
      this.host.send(leader, { kind: 'append', draft, origin });
    });
  }

  private settle(key: string, r: RoomAppendResult): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.drop(key, p);
    p.resolve(r);
  }

  private drop(key: string, p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(key);
  }

  /** As the leader: store another node's message, then publish it for that node (or tell it why not). */
  private async appendFor(node: string, draft: MessageDraft, origin: number): Promise<void> {
    let stored: AppendResult;
    try {
      stored = await this.store.append(draft, () => this.host.seen(draft.room));
    } catch (err) {
      return this.host.send(node, { kind: 'append_failed', author: draft.author, id: draft.id, error: (err as Error).message });
    }
    if (stored.missed) this.host.missed(draft.room, stored.missed);
    if (stored.duplicate) return this.host.send(node, { kind: 'appended', message: stored.message });
    this.host.publish(stored.message, node, origin);
  }
}

function pendingKey(author: string, id: string): string {
  return author + '\0' + id;
}

/**
 * The rendezvous weight of a node for a room: 32-bit FNV-1a of both, then
 * MurmurHash3's finalizer, without which names that differ in one character
 * (n1, n2) would rank the same way for most rooms.
 */
export function rendezvous(node: string, room: string): number {
  let h = 0x811c9dc5;
  const s = node + '\0' + room;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
