import type { ClientBase } from 'pg';
import { StoreError } from './store';

/** One schema change. Versions rise by one; a released migration is never edited, only followed by a new one. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The PostgreSQL store's schema, in order. docs/scaling.md describes it.
 *
 * - `meta` holds the history id, so every node that shares the database
 *   reports the same one.
 * - `rooms` holds each room's (and DM conversation's) newest seq and time. Appending
 *   bumps it with `INSERT … ON CONFLICT DO UPDATE … RETURNING`, which locks
 *   the room's row until the transaction ends: appends to one room from any
 *   number of processes are serialised there and get consecutive seqs.
 * - `messages` is keyed by (room, seq). `messages_dedupe` makes a resend
 *   (same author, same client id) impossible to store twice. `pos` orders
 *   messages across rooms for search paging. `tsv` is the full-text index
 *   over the text, with the 'simple' configuration (no stemming, no stop
 *   words), so names, identifiers and code words match as typed.
 * - `names` holds name claims, keyed by the folded name (see foldName).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'history, seqs, search and names',
    sql: `
CREATE TABLE meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO meta (key, value) VALUES ('history_id', gen_random_uuid()::text);

CREATE TABLE rooms (
  name     text PRIMARY KEY,
  last_seq bigint NOT NULL CHECK (last_seq > 0),
  last_ts  text NOT NULL
);

CREATE TABLE messages (
  pos        bigint GENERATED ALWAYS AS IDENTITY,
  room       text NOT NULL REFERENCES rooms (name),
  seq        bigint NOT NULL,
  client_id  text NOT NULL,
  author     text NOT NULL,
  sender     text NOT NULL,
  -- The text as PostgreSQL can hold it (searched and shown to SQL users); when
  -- that differs from what was sent (a NUL, a lone surrogate), body_exact keeps
  -- the original as a JSON string.
  body       text NOT NULL,
  body_exact text,
  ts         text NOT NULL,
  recipient  text,
  snippet    text,
  dm_a       text GENERATED ALWAYS AS (CASE WHEN starts_with(room, '@') THEN split_part(substr(room, 2), ',', 1) END) STORED,
  dm_b       text GENERATED ALWAYS AS (CASE WHEN starts_with(room, '@') THEN split_part(substr(room, 2), ',', 2) END) STORED,
  tsv        tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, body)) STORED,
  PRIMARY KEY (room, seq),
  CONSTRAINT messages_pos UNIQUE (pos),
  CONSTRAINT messages_dedupe UNIQUE (author, client_id)
);
CREATE INDEX messages_tsv ON messages USING gin (tsv);
CREATE INDEX messages_dm_a ON messages (dm_a, pos) WHERE dm_a IS NOT NULL;
CREATE INDEX messages_dm_b ON messages (dm_b, pos) WHERE dm_b IS NOT NULL;

CREATE TABLE names (
  folded     text PRIMARY KEY,
  identity   text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now()
);

-- One call, one implicit transaction: the seq is taken and the message written
-- together, or neither happens. Gives the new seq and the time stored, or two
-- NULLs when this author and client id are already stored. The time is raised
-- to the room's newest (ISO 8601 strings compare as times in the C collation),
-- so nodes with slightly different clocks never make time go back in a room.
CREATE FUNCTION chat_append(p_room text, p_client_id text, p_author text, p_sender text, p_body text,
                            p_body_exact text, p_ts text, p_recipient text, p_snippet text,
                            OUT o_seq bigint, OUT o_ts text)
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM messages WHERE author = p_author AND client_id = p_client_id) THEN
    RETURN;
  END IF;
  INSERT INTO rooms AS r (name, last_seq, last_ts) VALUES (p_room, 1, p_ts)
    ON CONFLICT (name) DO UPDATE SET last_seq = r.last_seq + 1, last_ts = greatest(r.last_ts COLLATE "C", excluded.last_ts COLLATE "C")
    RETURNING r.last_seq, r.last_ts INTO o_seq, o_ts;
  INSERT INTO messages (room, seq, client_id, author, sender, body, body_exact, ts, recipient, snippet)
    VALUES (p_room, o_seq, p_client_id, p_author, p_sender, p_body, p_body_exact, o_ts, p_recipient, p_snippet)
    ON CONFLICT ON CONSTRAINT messages_dedupe DO NOTHING;
  IF NOT FOUND THEN
    -- The same author and id committed concurrently, after the check above.
    -- Raising undoes this call's seq too, so the room keeps no gap; the caller
    -- tries once more and finds the stored message.
    RAISE EXCEPTION 'chat_append: concurrent duplicate' USING ERRCODE = 'unique_violation';
  END IF;
END
$$;
`,
  },
];

/** Serialises migrations between nodes that start at once (any constant works; this one spells "tcpchat"). */
const MIGRATION_LOCK = 0x746370636861;

/**
 * Brings the schema up to the newest migration in one transaction, under an
 * advisory lock so nodes starting together do not race. Returns the versions
 * it applied (none on a database that is up to date). Refuses a database that
 * a newer tcp-chat has migrated further than this one knows.
 */
export async function applyMigrations(client: ClientBase, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const newest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
    const ahead = rows.map((r) => r.version).filter((v) => v > newest);
    if (ahead.length > 0) {
      throw new StoreError(
        `the database's schema is at version ${Math.max(...ahead)}, newer than this tcp-chat knows (${newest}): upgrade tcp-chat on this node`,
      );
    }
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch {
      // The connection broke; the server rolls the transaction back by itself. Report the first error.
    }
    throw err;
  }
  return applied;
}
