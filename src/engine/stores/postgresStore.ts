import { once } from 'node:events';
import { Pool, type PoolClient } from 'pg';
import { redactSecrets, redactUrl } from '../redactUrl';
import { applyMigrations } from './postgresMigrations';
import { DEFAULT_APPEND_LIMITS, PostgresAppendQueue, type AppendBatchLimits } from './postgresAppendQueue';
import { COLUMNS, decodeKey, encodeKey, storableText, toMessage, type MessageRow } from './postgresRows';
import { applyChange, parseReactors } from './messageChanges';
import type { ChatMessage } from '../protocol';
import {
  DEFAULT_RETENTION,
  StoreError,
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
  type SeenSeq,
  type SearchPage,
  type SearchQuery,
  type Store,
  type VersionedRoomState,
} from './store';

/** How a PostgresStore behaves beyond its URL. */
export interface PostgresStoreOptions {
  /** Messages kept per room (maxIds does not apply: dedupe covers every retained message). */
  retention?: RetentionOptions;
  /** How soon after an append the background pruning of old messages runs. */
  pruneDelayMs?: number;
  /** Connections in the pool. Appends use one at a time (one batch in flight); reads use the rest. */
  poolSize?: number;
  /** How many appends one transaction writes, and how many may wait (DEFAULT_APPEND_LIMITS). */
  appendLimits?: Partial<AppendBatchLimits>;
  /** Trouble that does not fail a call (a dropped idle connection, a failed prune). Never holds the URL's password. */
  onWarning?: (message: string) => void;
}

/** Largest page a search returns, whatever it asks for: bounds the work of one request. */
const MAX_SEARCH_PAGE = 500;
/** Messages deleted per statement while pruning, so one prune never holds long locks. */
const PRUNE_BATCH = 5000;

/**
 * History, seqs, search and name claims in PostgreSQL, shared by every node
 * of a cluster (docs/scaling.md). The schema lives in postgresMigrations.ts.
 *
 * Seqs: appends are written in batches, one transaction each
 * (PostgresAppendQueue); `chat_append_many` locks the batch's rooms, bumps
 * their rows in `rooms` and inserts the messages in that transaction, so
 * concurrent appends from any number of processes get consecutive seqs with
 * no gap and no repeat. Dedupe: a unique key on
 * (author, client id). Search: PostgreSQL full-text search over a generated
 * tsvector column with a GIN index, restricted in SQL to the rooms and DM
 * conversations the query names. Retention: reads never return messages older
 * than the newest maxPerRoom of a room; a background task deletes them.
 */
export class PostgresStore implements Store {
  private readonly maxPerRoom: number;
  private readonly pruneDelayMs: number;
  private readonly warn: (message: string) => void;
  /** Rooms this node appended to since the last prune, with the newest seq it saw. */
  private readonly dirty = new Map<string, number>();
  private pruneTimer: NodeJS.Timeout | undefined;
  private pruning: Promise<number> | undefined;
  private readonly appends: PostgresAppendQueue;
  private closed = false;

  private constructor(
    readonly id: string,
    private readonly pool: Pool,
    private readonly connections: Set<unknown>,
    private readonly url: string,
    options: PostgresStoreOptions,
  ) {
    this.maxPerRoom = Math.max(0, Math.floor((options.retention ?? DEFAULT_RETENTION).maxPerRoom));
    this.pruneDelayMs = options.pruneDelayMs ?? 2000;
    this.warn = options.onWarning ?? ((m) => console.error(`[postgres] ${m}`));
    this.appends = new PostgresAppendQueue(pool, { ...DEFAULT_APPEND_LIMITS, ...options.appendLimits }, {
      stored: (room, seq) => this.noteAppend(room, seq),
      storeError: (what, err) => this.storeError(what, err),
    });
  }

  /**
   * Connects, applies pending migrations and reads the history id. Credentials
   * come from the URL or from the standard PG* environment variables
   * (PGPASSWORD, PGUSER, ...), and ~/.pgpass. Rejects with a StoreError whose
   * message names the server without its password.
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const warn = options.onWarning ?? ((m: string) => console.error(`[postgres] ${m}`));
    const pool = new Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      application_name: 'tcp-chat',
      // Keep idle connections open (at most `max`). With pg's default, which
      // closes them after 10 s idle, the cluster bench showed every node
      // delivering nothing for 300-400 ms about 10 s after a burst, when the
      // pool dropped the connections the burst had opened and appends then
      // waited on new backends; with them kept, that stall is gone.
      idleTimeoutMillis: 0,
    });
    // An idle connection that breaks (the server restarted) must not crash the process; the pool replaces it.
    pool.on('error', (err) => warn(`idle connection to ${redactUrl(url)} failed: ${redactSecrets(err.message, url)}`));
    // pool.end() resolves before its connections' sockets have closed; close() waits for them through these.
    const connections = new Set<unknown>();
    pool.on('connect', (c) => connections.add(c));
    pool.on('remove', (c) => connections.delete(c));
    let client: PoolClient | undefined;
    try {
      client = await pool.connect();
    } catch (err) {
      await pool.end();
      throw new StoreError(`cannot reach PostgreSQL at ${redactUrl(url)}: ${redactSecrets(messageOf(err), url)}`, err);
    }
    try {
      await applyMigrations(client);
      const { rows } = await client.query<{ value: string }>("SELECT value FROM meta WHERE key = 'history_id'");
      if (!rows[0]) throw new StoreError('the database has no history id (meta.history_id): was it edited by hand?');
      const store = new PostgresStore(rows[0].value, pool, connections, url, options);
      await store.markOversizedRooms(client);
      return store;
    } catch (err) {
      client.release();
      client = undefined;
      await pool.end();
      if (err instanceof StoreError) throw err;
      throw new StoreError(`cannot prepare the database at ${redactUrl(url)}: ${redactSecrets(messageOf(err), url)}`, err);
    } finally {
      client?.release();
    }
  }

  /** Queued, and written with the appends that arrive meanwhile in one transaction (see PostgresAppendQueue). */
  append(draft: MessageDraft, seen?: SeenSeq): Promise<AppendResult> {
    return this.appends.append(draft, seen);
  }

  async lastSeq(room: string): Promise<number> {
    const rows = await this.read<{ last_seq: string }>('cannot read the room', 'SELECT last_seq FROM rooms WHERE name = $1', [room]);
    return rows[0] ? Number(rows[0].last_seq) : 0;
  }

  async history(room: string, query: HistoryQuery): Promise<HistoryPage> {
    const limit = Math.max(0, Math.floor(query.limit));
    const params: unknown[] = [room];
    const where = ['room = $1'];
    const after = lowerBound(query.after);
    const before = upperBound(query.before);
    if (after !== undefined) where.push(`seq > $${params.push(after)}`);
    if (before !== undefined) where.push(`seq < $${params.push(before)}`);
    if (this.maxPerRoom > 0) where.push(`seq > (SELECT last_seq FROM rooms WHERE name = $1) - $${params.push(this.maxPerRoom)}`);
    // With `after` the page is the oldest `limit` past it; otherwise the newest `limit` (before `before`).
    const forward = after !== undefined;
    const sql = `SELECT ${COLUMNS} FROM messages WHERE ${where.join(' AND ')} ORDER BY seq ${forward ? 'ASC' : 'DESC'} LIMIT $${params.push(limit + 1)}`;
    const rows = await this.read<MessageRow>('cannot read history', sql, params);
    const page = rows.slice(0, limit).map(toMessage);
    if (!forward) page.reverse();
    return { messages: page, more: rows.length > limit };
  }

  async search(query: SearchQuery): Promise<SearchPage> {
    const limit = Math.min(MAX_SEARCH_PAGE, Math.max(0, Math.floor(query.limit)));
    if (limit === 0 || query.text.trim() === '' || (query.rooms.length === 0 && query.dmsOf === undefined)) return { messages: [] };
    const cursor = parseCursor(query.cursor);
    // Every word of the query must start a word of the message ('laun' finds "launch"). The words come from the same
    // parser as the index, and each is quoted for to_tsquery, so no input can break the query's syntax. This runs
    // apart from the search so that the search sees its tsquery as a constant: the planner then knows how common
    // the words are and picks the GIN index for rare ones, or a walk down `pos` for common ones.
    const [{ tsquery }] = await this.read<{ tsquery: string | null }>(
      'cannot search',
      `SELECT string_agg('''' || replace(replace(w, '\\', '\\\\'), '''', '''''') || ''':*', ' & ') AS tsquery
       FROM unnest(tsvector_to_array(to_tsvector('simple', $1))) AS w`,
      [query.text],
    );
    if (tsquery === null) return { messages: [] };
    const params: unknown[] = [tsquery, query.rooms, query.dmsOf ?? null];
    const where = [
      "m.tsv @@ to_tsquery('simple', $1)",
      // Privacy, in SQL: the rooms the requester may search (never a DM, even when its key is named there), and DM
      // conversations with the requester as one of the two parties.
      '((m.dm_a IS NULL AND m.room = ANY($2::text[])) OR ($3::text IS NOT NULL AND (m.dm_a = $3 OR m.dm_b = $3)))',
    ];
    if (cursor !== undefined) where.push(`m.pos < $${params.push(cursor)}`);
    if (this.maxPerRoom > 0) where.push(`m.seq > (SELECT r.last_seq FROM rooms r WHERE r.name = m.room) - $${params.push(this.maxPerRoom)}`);
    const sql = `
      SELECT ${COLUMNS.split(', ').map((c) => 'm.' + c).join(', ')}
      FROM messages m
      WHERE ${where.join(' AND ')}
      ORDER BY m.pos DESC
      LIMIT $${params.push(limit + 1)}`;
    const rows = await this.read<MessageRow>('cannot search', sql, params);
    const page = rows.slice(0, limit);
    return {
      messages: page.map(toMessage),
      ...(rows.length > limit && { next: page[page.length - 1].pos }),
    };
  }

  async rooms(): Promise<RoomSummary[]> {
    const rows = await this.read<{ name: string; last_seq: string; last_rev: string }>(
      'cannot list rooms',
      "SELECT name, last_seq, last_rev FROM rooms WHERE NOT starts_with(name, '@') ORDER BY name",
      [],
    );
    return rows.map((r) => ({ name: r.name, lastSeq: Number(r.last_seq), lastRev: Number(r.last_rev) }));
  }

  async get(room: string, seq: number): Promise<ChatMessage | undefined> {
    if (!Number.isSafeInteger(seq)) return undefined;
    const rows = await this.read<MessageRow>('cannot read the message', `SELECT ${COLUMNS} FROM messages WHERE room = $1 AND seq = $2 AND ${this.retained('$3')}`, [room, seq, this.maxPerRoom]);
    return rows[0] ? toMessage(rows[0]) : undefined;
  }

  /**
   * One transaction: the message row locked, the change worked out by the same
   * function as the other stores, the room's rev bumped (its row lock orders
   * concurrent changes), the row rewritten. A delete sets the body to '' and
   * the snippet to NULL, so the generated tsvector no longer holds its words;
   * PostgreSQL keeps the old row version until VACUUM (docs/security.md).
   */
  async mutate(room: string, seq: number, change: Change, actor: string): Promise<MutateResult> {
    let client: PoolClient | undefined;
    try {
      client = await this.pool.connect();
      await client.query('BEGIN');
      const { rows } = await client.query<MessageRow>(`SELECT ${COLUMNS} FROM messages WHERE room = $1 AND seq = $2 AND ${this.retained('$3')} FOR UPDATE`, [room, seq, this.maxPerRoom]);
      const row = rows[0];
      if (!row) {
        await client.query('ROLLBACK');
        return { ok: false, code: 'bad_target', reason: `there is no message ${seq} in ${room}` };
      }
      const applied = applyChange(toMessage(row), parseReactors(row.reactors), change, encodeKey(actor), 0);
      if (!applied.ok || !applied.changed) {
        await client.query('ROLLBACK');
        if (!applied.ok) return applied;
        return { ok: true, message: applied.message, rev: await this.lastRev(room), changed: false };
      }
      const bumped = await client.query<{ last_rev: string }>('UPDATE rooms SET last_rev = last_rev + 1 WHERE name = $1 RETURNING last_rev', [room]);
      const rev = Number(bumped.rows[0].last_rev);
      const m: ChatMessage = { ...applied.message, rev };
      const body = storableText(m.text);
      await client.query(
        'UPDATE messages SET body = $3, body_exact = $4, snippet = $5, edited = $6, deleted = $7, rev = $8, reactors = $9 WHERE room = $1 AND seq = $2',
        [room, seq, body, body === m.text ? null : JSON.stringify(m.text), m.snippet === undefined ? null : JSON.stringify(m.snippet), m.edited ?? null, m.deleted === true, rev, applied.reactors.length > 0 ? JSON.stringify(applied.reactors) : null],
      );
      await client.query('COMMIT');
      return { ok: true, message: m, rev, changed: true };
    } catch (err) {
      await client?.query('ROLLBACK').catch(() => undefined); // the connection may be what failed; the error says so
      throw this.storeError('cannot change the message', err);
    } finally {
      client?.release();
    }
  }

  async changes(room: string, sinceRev: number, limit: number): Promise<ChangesPage> {
    const n = Math.max(0, Math.floor(limit));
    const rows = await this.read<MessageRow>(
      'cannot read changes',
      `SELECT ${COLUMNS} FROM messages WHERE room = $1 AND rev > $2 AND ${this.retained('$3')} ORDER BY rev LIMIT $4`,
      [room, Math.max(0, Math.floor(sinceRev)), this.maxPerRoom, n + 1],
    );
    return { messages: rows.slice(0, n).map(toMessage), rev: await this.lastRev(room), more: rows.length > n };
  }

  async lastRev(room: string): Promise<number> {
    const rows = await this.read<{ last_rev: string }>('cannot read the room', 'SELECT last_rev FROM rooms WHERE name = $1', [room]);
    return rows[0] ? Number(rows[0].last_rev) : 0;
  }

  /** SQL true for a message of `room` (the query's $1) within the retained window; `max` names the maxPerRoom parameter. */
  private retained(max: string): string {
    return `(${max}::bigint = 0 OR seq > (SELECT last_seq FROM rooms WHERE name = $1) - ${max}::bigint)`;
  }

  async conversationsOf(participant: string): Promise<RoomSummary[]> {
    // Through the DM indexes of messages (a person's own conversations), not a scan of every room.
    const rows = await this.read<{ name: string; last_seq: string; last_rev: string }>(
      'cannot list direct conversations',
      `SELECT r.name, r.last_seq, r.last_rev FROM rooms r
       WHERE r.name IN (SELECT room FROM messages WHERE dm_a = $1 UNION SELECT room FROM messages WHERE dm_b = $1)
       ORDER BY r.name`,
      [participant],
    );
    return rows.map((r) => ({ name: r.name, lastSeq: Number(r.last_seq), lastRev: Number(r.last_rev) }));
  }

  async nameOwner(name: string): Promise<string | undefined> {
    const rows = await this.read<{ identity: string }>('cannot read name claims', 'SELECT identity FROM names WHERE folded = $1', [encodeKey(foldName(name))]);
    return rows[0] ? decodeKey(rows[0].identity) : undefined;
  }

  async claimName(name: string, identity: string): Promise<string> {
    const params = [encodeKey(foldName(name)), encodeKey(identity)];
    // The insert wins or the select finds the owner. Both miss only when another claim committed after this statement's
    // snapshot was taken (the insert sees it, the select does not) or a release raced in: then ask again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const rows = await this.read<{ identity: string }>(
        'cannot claim the name',
        `WITH ins AS (INSERT INTO names (folded, identity) VALUES ($1, $2) ON CONFLICT (folded) DO NOTHING RETURNING identity)
         SELECT identity FROM ins UNION ALL SELECT identity FROM names WHERE folded = $1 LIMIT 1`,
        params,
      );
      if (rows[0]) return decodeKey(rows[0].identity);
    }
    throw new StoreError(`cannot claim the name ${name}: it keeps changing hands`);
  }

  async namesOf(identity: string): Promise<string[]> {
    const rows = await this.read<{ folded: string }>('cannot read name claims', 'SELECT folded FROM names WHERE identity = $1 ORDER BY claimed_at, folded', [encodeKey(identity)]);
    return rows.map((r) => decodeKey(r.folded));
  }

  async releaseName(name: string): Promise<boolean> {
    const rows = await this.read<{ folded: string }>('cannot release the name', 'DELETE FROM names WHERE folded = $1 RETURNING folded', [encodeKey(foldName(name))]);
    return rows.length > 0;
  }

  async roomState(room: string): Promise<VersionedRoomState | undefined> {
    const rows = await this.read<{ version: string; state: RoomState }>('cannot read the room\'s settings', 'SELECT version, state FROM room_states WHERE room = $1', [room]);
    return rows[0] ? { version: Number(rows[0].version), state: rows[0].state } : undefined;
  }

  async setRoomState(room: string, state: RoomState, expected: number): Promise<boolean> {
    // The first version is an insert that loses to a concurrent one; later ones update only the version read.
    const sql =
      expected === 0
        ? 'INSERT INTO room_states (room, version, state) VALUES ($1, 1, $2::jsonb) ON CONFLICT (room) DO NOTHING RETURNING version'
        : 'UPDATE room_states SET version = version + 1, state = $2::jsonb, updated_at = now() WHERE room = $1 AND version = $3 RETURNING version';
    const params = expected === 0 ? [room, JSON.stringify(state)] : [room, JSON.stringify(state), expected];
    const rows = await this.read<{ version: string }>('cannot save the room\'s settings', sql, params);
    return rows.length > 0;
  }

  /**
   * Deletes messages older than the newest maxPerRoom in the rooms this node
   * appended to; resolves with how many. Runs in the background after appends;
   * tests call it to wait for it.
   */
  prune(): Promise<number> {
    if (this.pruneTimer) clearTimeout(this.pruneTimer);
    this.pruneTimer = undefined;
    if (this.pruning) return this.pruning.then(() => this.prune());
    this.pruning = this.pruneDirty().finally(() => (this.pruning = undefined));
    return this.pruning;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Appends already queued are written (or fail) before the pool goes; new ones are refused.
    await this.appends.close();
    if (this.pruneTimer) clearTimeout(this.pruneTimer);
    this.pruneTimer = undefined;
    await this.pruning;
    // An error on a connection that is closing concerns nobody any more.
    this.pool.removeAllListeners('error');
    this.pool.on('error', () => undefined);
    await this.pool.end();
    // So that a server stopped right after close() (tests, a shutdown) finds no connection of ours left.
    const giveUp = AbortSignal.timeout(5000);
    try {
      while (this.connections.size > 0) await once(this.pool, 'remove', { signal: giveUp });
    } catch {
      // A socket that has not closed within 5 s is left to the OS: close() must not hang on it.
    }
  }

  private async pruneDirty(): Promise<number> {
    let deleted = 0;
    for (const [room, seq] of [...this.dirty]) {
      this.dirty.delete(room);
      try {
        for (;;) {
          const { rowCount } = await this.pool.query(
            `DELETE FROM messages WHERE room = $1 AND seq IN (
               SELECT seq FROM messages WHERE room = $1 AND seq <= (SELECT last_seq FROM rooms WHERE name = $1) - $2 ORDER BY seq LIMIT $3)`,
            [room, this.maxPerRoom, PRUNE_BATCH],
          );
          deleted += rowCount ?? 0;
          if ((rowCount ?? 0) < PRUNE_BATCH) break;
        }
      } catch (err) {
        // Keep the room for the next round; reads already hide what should be gone.
        if (!this.dirty.has(room)) this.dirty.set(room, seq);
        this.warn(`pruning ${room} failed: ${redactSecrets(messageOf(err), this.url)}`);
      }
    }
    return deleted;
  }

  private noteAppend(room: string, seq: number): void {
    if (this.maxPerRoom === 0 || seq <= this.maxPerRoom) return;
    this.dirty.set(room, seq);
    if (!this.pruneTimer && !this.closed) {
      this.pruneTimer = setTimeout(() => {
        this.pruneTimer = undefined;
        void this.prune();
      }, this.pruneDelayMs);
      this.pruneTimer.unref();
    }
  }

  /** At start-up, rooms already over the limit (retention lowered since) are pruned too. */
  private async markOversizedRooms(client: PoolClient): Promise<void> {
    if (this.maxPerRoom === 0) return;
    const { rows } = await client.query<{ name: string; last_seq: string }>('SELECT name, last_seq FROM rooms WHERE last_seq > $1', [this.maxPerRoom]);
    for (const r of rows) this.noteAppend(r.name, Number(r.last_seq));
  }

  private async read<R extends object>(what: string, sql: string, params: unknown[]): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (err) {
      throw this.storeError(what, err);
    }
  }

  private storeError(what: string, err: unknown): StoreError {
    return new StoreError(`${what}: PostgreSQL at ${redactUrl(this.url)}: ${redactSecrets(messageOf(err), this.url)}`, err);
  }
}

function messageOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map(messageOf).join('; ');
  return err instanceof Error ? err.message || String((err as { code?: string }).code ?? err.name) : String(err);
}

/** `seq > after` for a fractional or unbounded `after`, as an integer the index can use. */
function lowerBound(after: number | undefined): number | undefined {
  if (after === undefined || Number.isNaN(after) || after === -Infinity) return undefined;
  return after === Infinity ? Number.MAX_SAFE_INTEGER : Math.floor(after);
}

function upperBound(before: number | undefined): number | undefined {
  if (before === undefined || Number.isNaN(before) || before === Infinity) return undefined;
  return before === -Infinity ? 0 : Math.ceil(before);
}

/** A search cursor is the `pos` of the last message of the previous page; anything else came from a client and is refused. */
function parseCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  if (!/^[1-9][0-9]{0,17}$/.test(cursor)) throw new RangeError(`not a search cursor: ${JSON.stringify(cursor.slice(0, 40))}`);
  return cursor;
}
