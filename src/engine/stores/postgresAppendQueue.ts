import type { Pool } from 'pg';
import { encodeKey, messageFromDraft, storableText, toMessage, type MessageRow } from './postgresRows';
import type { ChatMessage } from '../protocol';
import { StoreError, type AppendResult, type MessageDraft, type SeenSeq } from './store';

/** How many appends PostgresAppendQueue writes together, and how many it lets wait. */
export interface AppendBatchLimits {
  /** Most drafts written in one transaction. */
  maxDrafts: number;
  /** Most bytes (UTF-8, all fields) written in one transaction; a larger draft goes alone. */
  maxBytes: number;
  /** Most drafts waiting for their transaction; beyond it an append is refused at once (the store is overloaded). */
  maxQueued: number;
}

export const DEFAULT_APPEND_LIMITS: AppendBatchLimits = { maxDrafts: 256, maxBytes: 1 << 20, maxQueued: 10_000 };

/** What the queue needs from its store. */
export interface AppendQueueHooks {
  /** A message was stored under a new seq (the store prunes the room later). */
  stored(room: string, seq: number): void;
  /** The StoreError for a failure, without the URL's password. */
  storeError(what: string, err: unknown): StoreError;
}

/** Runs of one batch after a copy of one of its messages was committed meanwhile elsewhere, or PostgreSQL undid it (deadlock). */
const MAX_RETRIES = 5;

interface Pending {
  draft: MessageDraft;
  /** chat_append_many's nine arguments for this draft, in order. */
  params: (string | null)[];
  bytes: number;
  /** How far the caller has the room (Store.append): the transaction then hands back what it missed since. */
  seen?: SeenSeq;
  resolve(result: AppendResult): void;
  reject(err: unknown): void;
}

/** One row of chat_append_many, its columns renamed as MessageRow names them. */
interface BatchRow extends MessageRow {
  /** The draft's place in the batch, from 1; null for a message the caller missed (chat_append_seen). */
  idx: string | null;
  duplicate: boolean;
  /** A missed message that can be delivered as stored: not a reply, never changed (chat_append_seen). */
  plain?: boolean;
}

/** Most messages handed back as missed for one room per batch (chat_append_seen reads at most this many). */
const MAX_MISSED = 256;

/**
 * Group commit for PostgresStore.append. A commit waits for the WAL to reach
 * disk (milliseconds), and appends to one room take turns through commit, so
 * one transaction per append caps a room at a few hundred a second. Here one
 * batch is written at a time: the appends that arrive while it is in flight
 * wait, and the next transaction writes them all (up to maxDrafts and
 * maxBytes) through `chat_append_many` (postgresMigrations.ts), in arrival
 * order. Each caller's promise settles after that commit, with its own
 * result; if the transaction fails, every caller in it gets a StoreError and
 * nothing of it was stored.
 */
export class PostgresAppendQueue {
  private readonly queue: Pending[] = [];
  /** The write loop is running (or about to): only one batch is in flight at a time. */
  private writing = false;
  private readonly idle: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly limits: AppendBatchLimits,
    private readonly hooks: AppendQueueHooks,
  ) {}

  /** Appends waiting for a transaction (not counting the one in flight). */
  get waiting(): number {
    return this.queue.length;
  }

  append(draft: MessageDraft, seen?: SeenSeq): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new StoreError('cannot store the message: the store is closed'));
    if (this.queue.length >= this.limits.maxQueued) {
      return Promise.reject(new StoreError(`cannot store the message: the store is overloaded (${this.queue.length} messages are waiting for PostgreSQL)`));
    }
    const params = draftParams(draft);
    const bytes = params.reduce((sum, p) => sum + (p === null ? 0 : Buffer.byteLength(p)), 0);
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ draft, params, bytes, seen, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        // A microtask later, so appends made in one go (a burst, Promise.all) share the first transaction too.
        queueMicrotask(() => void this.run());
      }
    });
  }

  /** Refuses new appends and resolves once every queued one has settled. */
  close(): Promise<void> {
    this.closed = true;
    return this.writing ? new Promise((resolve) => this.idle.push(resolve)) : Promise.resolve();
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) await this.write(this.takeBatch());
    this.writing = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  private takeBatch(): Pending[] {
    let count = 1;
    let bytes = this.queue[0].bytes;
    while (count < this.queue.length && count < this.limits.maxDrafts && bytes + this.queue[count].bytes <= this.limits.maxBytes) {
      bytes += this.queue[count].bytes;
      count++;
    }
    return this.queue.splice(0, count);
  }

  /** Writes a batch and settles its callers; never rejects. */
  private async write(batch: Pending[]): Promise<void> {
    let results: AppendResult[];
    try {
      results = await this.transaction(batch);
    } catch (err) {
      if (batch.length > 1 && refusesData(err)) {
        // PostgreSQL refused something in one of the drafts (a constraint or trigger an operator added, a size limit):
        // write the halves apart, in order, so the others are stored and only that draft's caller gets the error.
        const half = Math.ceil(batch.length / 2);
        await this.write(batch.slice(0, half));
        await this.write(batch.slice(half));
        return;
      }
      const error = err instanceof StoreError ? err : this.hooks.storeError('cannot store the message', err);
      for (const p of batch) p.reject(error);
      return;
    }
    results.forEach((r, i) => batch[i].resolve(r));
  }

  /** One transaction (one statement) for the whole batch, run again when a concurrent commit got in its way. */
  private async transaction(batch: Pending[]): Promise<AppendResult[]> {
    const columns = Array.from({ length: 9 }, (_, c) => batch.map((p) => p.params[c]));
    const replies = batch.some((p) => p.draft.replyTo !== undefined);
    for (let attempt = 0; ; attempt++) {
      // Asked now, as the write goes out: what the caller got meanwhile (through the bus) need not come back.
      const seen = replies ? new Map<string, number>() : seenRooms(batch);
      let rows: BatchRow[];
      try {
        if (replies) rows = await this.withReplies(batch, columns);
        else if (seen.size === 0) rows = (await this.pool.query<BatchRow>(APPEND_SQL, columns)).rows;
        else rows = (await this.pool.query<BatchRow>(APPEND_SEEN_SQL, [...columns, [...seen.keys()], [...seen.values()].map(String)])).rows;
      } catch (err) {
        if (attempt < MAX_RETRIES && isTransient(err)) continue;
        throw err;
      }
      const appended = rows.filter((r) => r.idx !== null);
      if (appended.length !== batch.length || appended.some((r, i) => Number(r.idx) !== i + 1)) {
        throw new StoreError(`cannot store the message: PostgreSQL answered ${appended.length} rows for ${batch.length} messages`);
      }
      const missed = missedByRoom(rows, seen);
      return appended.map((row, i) => {
        const own = missed.get(row.room);
        // The room's missed messages go to its first caller in the batch, delivered before its own message.
        if (own && batch[i].seen) missed.delete(row.room);
        if (row.duplicate) return { message: toMessage(row), duplicate: true, ...(own && batch[i].seen && { missed: own }) };
        const seq = Number(row.seq);
        this.hooks.stored(row.room, seq);
        return { message: messageFromDraft(batch[i].draft, seq, row.ts), duplicate: false, ...(own && batch[i].seen && { missed: own }) };
      });
    }
  }

  /**
   * A batch with replies: chat_append_many (migration 2) predates them, so
   * the seqs they answer are set by a second statement in the same
   * transaction; a reply is never stored without its link.
   */
  private async withReplies(batch: Pending[], columns: (string | null)[][]): Promise<BatchRow[]> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<BatchRow>(APPEND_SQL, columns);
      const replies = rows.filter((r, i) => !r.duplicate && batch[i]?.draft.replyTo !== undefined);
      await client.query('UPDATE messages m SET reply_to = x.reply_to FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS x(room, seq, reply_to) WHERE m.room = x.room AND m.seq = x.seq', [
        replies.map((r) => r.room),
        replies.map((r) => r.seq),
        replies.map((r) => batch[Number(r.idx) - 1].draft.replyTo),
      ]);
      await client.query('COMMIT');
      return rows;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined); // the connection may be what failed; the error below says so
      throw err;
    } finally {
      client.release();
    }
  }
}

const APPEND_SQL = `SELECT o_index AS idx, o_duplicate AS duplicate, o_pos AS pos, o_room AS room, o_seq AS seq, o_client_id AS client_id,
        ($3::text[])[o_index::int] AS author, o_sender AS sender, o_body AS body, o_body_exact AS body_exact, o_ts AS ts, o_recipient AS recipient, o_snippet AS snippet
 FROM chat_append_many($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`;

const APPEND_SEEN_SQL = `SELECT o_index AS idx, o_duplicate AS duplicate, o_pos AS pos, o_room AS room, o_seq AS seq, o_client_id AS client_id,
        o_author AS author, o_sender AS sender, o_body AS body, o_body_exact AS body_exact, o_ts AS ts, o_recipient AS recipient, o_snippet AS snippet,
        o_plain AS plain
 FROM chat_append_seen($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[])`;

/** For each room of the batch whose callers said how far they have it, the least of those seqs (every caller gets what it may lack). */
function seenRooms(batch: Pending[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const p of batch) {
    const seq = p.seen?.();
    if (seq === undefined || !Number.isSafeInteger(seq) || seq < 0) continue;
    seen.set(p.draft.room, Math.min(seen.get(p.draft.room) ?? seq, seq));
  }
  return seen;
}

/**
 * The missed rows of each room as messages, oldest first, kept only while
 * they run on from the caller's seq without a break and can be delivered as
 * stored (a reply or a changed message waits for its published copy).
 */
function missedByRoom(rows: BatchRow[], seen: Map<string, number>): Map<string, ChatMessage[]> {
  const missed = new Map<string, ChatMessage[]>();
  const broken = new Set<string>();
  for (const row of rows) {
    if (row.idx !== null || broken.has(row.room)) continue;
    const list = missed.get(row.room) ?? [];
    const expected = (seen.get(row.room) ?? NaN) + list.length + 1;
    if (row.plain !== true || Number(row.seq) !== expected || list.length >= MAX_MISSED) {
      broken.add(row.room);
      continue;
    }
    list.push(toMessage(row));
    missed.set(row.room, list);
  }
  return missed;
}

/** A draft as chat_append_many's columns: strings a text column cannot hold go through encodeKey or body_exact. */
function draftParams(draft: MessageDraft): (string | null)[] {
  const body = storableText(draft.text);
  return [
    draft.room,
    encodeKey(draft.id),
    encodeKey(draft.author),
    encodeKey(draft.sender),
    body,
    body === draft.text ? null : JSON.stringify(draft.text),
    draft.ts,
    draft.to === undefined ? null : encodeKey(draft.to),
    draft.snippet === undefined ? null : JSON.stringify(draft.snippet),
  ];
}

function sqlState(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length === 5 ? code : '';
}

/**
 * Worth running again: a copy of one of the batch's messages was committed to
 * another room meanwhile (the next run finds it stored), or PostgreSQL undid
 * the transaction to break a deadlock or a serialization conflict.
 */
function isTransient(err: unknown): boolean {
  const state = sqlState(err);
  return state.startsWith('40') || (state === '23505' && (err as { constraint?: string }).constraint === 'messages_dedupe');
}

/** PostgreSQL refused the data (invalid value, constraint, limit, trigger), not the connection. */
function refusesData(err: unknown): boolean {
  return /^(22|23|54|P0)/.test(sqlState(err));
}
