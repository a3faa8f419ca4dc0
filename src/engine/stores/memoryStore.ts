import { randomUUID } from 'node:crypto';
import { IndexedStore, type IndexedStoreOptions } from './indexedStore';
import { foldName, type AppendResult, type Change, type MutateResult, type MessageDraft, type RoomState, type Store, type VersionedRoomState } from './store';

/** How much a MemoryStore keeps, and how much work a search may do. */
export type MemoryStoreOptions = IndexedStoreOptions;

/**
 * History and name claims in memory only: the default when the server has no
 * data directory. Every method finishes its change before its first `await`,
 * so concurrent appends to one room get distinct, consecutive seqs.
 * Messages it returns are shared with the store: treat them as read-only.
 */
export class MemoryStore extends IndexedStore implements Store {
  readonly id: string = randomUUID();
  private readonly names = new Map<string, string>();
  private readonly roomStates = new Map<string, VersionedRoomState>();

  constructor(options: MemoryStoreOptions = {}) {
    super(options);
  }

  async append(draft: MessageDraft): Promise<AppendResult> {
    const stored = this.index.find(draft.author, draft.id);
    if (stored) return { message: stored, duplicate: true };
    const message = this.index.next(draft);
    this.index.add(message, draft.author);
    return { message, duplicate: false };
  }

  async mutate(room: string, seq: number, change: Change, actor: string): Promise<MutateResult> {
    const applied = this.index.prepare(room, seq, change, actor);
    if (!applied.ok) return applied;
    this.index.apply(applied);
    return { ok: true, message: applied.message, rev: this.index.lastRev(room), changed: applied.changed };
  }

  async nameOwner(name: string): Promise<string | undefined> {
    return this.names.get(foldName(name));
  }

  async claimName(name: string, identity: string): Promise<string> {
    const key = foldName(name);
    const owner = this.names.get(key);
    if (owner !== undefined) return owner;
    this.names.set(key, identity);
    return identity;
  }

  async namesOf(identity: string): Promise<string[]> {
    return [...this.names].filter(([, owner]) => owner === identity).map(([name]) => name);
  }

  async releaseName(name: string): Promise<boolean> {
    return this.names.delete(foldName(name));
  }

  async roomState(room: string): Promise<VersionedRoomState | undefined> {
    return this.roomStates.get(room);
  }

  async setRoomState(room: string, state: RoomState, expected: number): Promise<boolean> {
    if ((this.roomStates.get(room)?.version ?? 0) !== expected) return false;
    this.roomStates.set(room, { version: expected + 1, state });
    return true;
  }

  async close(): Promise<void> {
    // nothing to release
  }
}
