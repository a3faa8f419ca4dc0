import type { ChatMessage } from '../protocol';
import { DEFAULT_SEARCH_BUDGET, searchIndex, type SearchBudget } from './indexSearch';
import { MessageIndex } from './messageIndex';
import { DEFAULT_RETENTION, type ChangesPage, type HistoryPage, type HistoryQuery, type RetentionOptions, type RoomSummary, type SearchPage, type SearchQuery } from './store';

/** How much a store that keeps its history in a MessageIndex retains, and how much work a search may do. */
export interface IndexedStoreOptions {
  retention?: RetentionOptions;
  search?: SearchBudget;
}

/**
 * The reads of a store whose retained window lives in an in-memory
 * MessageIndex (MemoryStore, FileStore). Only writes differ between them (a
 * file store also writes its log), so the reads live here once and the two
 * cannot drift apart. Messages it returns are shared with the index: treat
 * them as read-only.
 */
export abstract class IndexedStore {
  protected readonly index: MessageIndex;
  protected readonly retention: RetentionOptions;
  private readonly budget: SearchBudget;

  protected constructor(options: IndexedStoreOptions) {
    this.retention = options.retention ?? DEFAULT_RETENTION;
    this.budget = options.search ?? DEFAULT_SEARCH_BUDGET;
    this.index = new MessageIndex(this.retention);
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

  async changes(room: string, sinceRev: number, limit: number): Promise<ChangesPage> {
    return this.index.changes(room, sinceRev, limit);
  }

  async lastRev(room: string): Promise<number> {
    return this.index.lastRev(room);
  }

  async conversationsOf(participant: string): Promise<RoomSummary[]> {
    return this.index.conversationsOf(participant);
  }
}
