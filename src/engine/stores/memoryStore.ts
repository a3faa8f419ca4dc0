import { randomUUID } from 'node:crypto';
import { DEFAULT_SEARCH_BUDGET, searchIndex, type SearchBudget } from './indexSearch';
import { MessageIndex } from './messageIndex';
import type { ChatMessage } from '../protocol';
import {
  DEFAULT_RETENTION,
  foldName,
  type AppendResult,
  type Change,
  type ChangesPage,
  type MutateResult,
  type HistoryPage,
  type HistoryQuery,
  type MessageDraft,
  type RetentionOptions,
  type RoomState,
  type RoomSummary,
  type SearchPage,
  type SearchQuery,
  type Store,
  type VersionedRoomState,
} from './store';

/** How much a MemoryStore keeps, and how much work a search may do. */
export interface MemoryStoreOptions {
  retention?: RetentionOptions;
  search?: SearchBudget;
}

/**
 * History and name claims in memory only: the default when the server has no
 * data directory. Every method finishes its change before its first `await`,
 * so concurrent appends to one room get distinct, consecutive seqs.
 * Messages it returns are shared with the store: treat them as read-only.
 */
export class MemoryStore implements Store {
  readonly id: string = randomUUID();
  private readonly index: MessageIndex;
  private readonly names = new Map<string, string>();
  private readonly roomStates = new Map<string, VersionedRoomState>();
  private readonly budget: SearchBudget;

  constructor(options: MemoryStoreOptions = {}) {
    this.index = new MessageIndex(options.retention ?? DEFAULT_RETENTION);
    this.budget = options.search ?? DEFAULT_SEARCH_BUDGET;
  }

  async append(draft: MessageDraft): Promise<AppendResult> {
    const stored = this.index.find(draft.author, draft.id);
    if (stored) return { message: stored, duplicate: true };
    const message = this.index.next(draft);
    this.index.add(message, draft.author);
    return { message, duplicate: false };
  }

  async lastSeq(room: string): Promise<number> {
    return this.index.lastSeq(room);
  }

  async history(room: string, query: HistoryQuery): Promise<HistoryPage> {
    return this.index.history(room, query);
  }

  search(query: SearchQuery): Promise<SearchPage> {
    return searchIndex(this.index, query, this.budget);
  }

  async rooms(): Promise<RoomSummary[]> {
    return this.index.rooms();
  }

  async get(room: string, seq: number): Promise<ChatMessage | undefined> {
    return this.index.get(room, seq);
  }

  async mutate(room: string, seq: number, change: Change, actor: string): Promise<MutateResult> {
    const applied = this.index.prepare(room, seq, change, actor);
    if (!applied.ok) return applied;
    this.index.apply(applied);
    return { ok: true, message: applied.message, rev: this.index.lastRev(room), changed: applied.changed };
  }

  async changes(room: string, sinceRev: number, limit: number): Promise<ChangesPage> {
    return this.index.changes(room, sinceRev, limit);
  }

  async lastRev(room: string): Promise<number> {
    return this.index.lastRev(room);
  }

  async conversationsOf(participant: string): Promise<RoomSummary[]> {
    return this.index.conversationsOf(participant);
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
