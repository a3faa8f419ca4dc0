import type { ClientBase } from 'pg';
import { StoreError } from './store';

/** One schema change. Versions rise by one; a released migration is never edited, only followed by a new one. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The first key of every room's advisory lock (the second is hashtext(room)); it spells "room". */
const ROOM_LOCK_SPACE = 0x726f6f6d;

/**
 * The PostgreSQL store's schema, in order. docs/scaling.md describes it;
 * migration 4 (edits, deletes, reactions) is described in docs/storage.md.
 *
 * - `meta` holds the history id, so every node that shares the database
 *   reports the same one.
 * - `rooms` holds each room's (and DM conversation's) newest seq and time.
 *   `chat_append_many` (version 2) appends a batch: it takes an advisory lock
 *   per room of the batch until the transaction ends, then bumps each room's
 *   row by its number of new messages. Batches touching one room, from any
 *   number of processes, take turns there and get consecutive seqs.
 * - `messages` is keyed by (room, seq). `messages_dedupe` makes a resend
 *   (same author, same client id) impossible to store twice. `pos` orders
 *   messages across rooms for search paging. `tsv` is the full-text index
 *   over the text, with the 'simple' configuration (no stemming, no stop
 *   words), so names, identifiers and code words match as typed.
 * - `names` holds name claims, keyed by the folded name (see foldName);
 *   migration 3 indexes them by identity, for the per-identity claim cap.
 * - `room_states` (version 4) holds each room's settings as JSON, with a
 *   version for compare-and-set (Store.setRoomState).
 * - `chat_append_seen` (version 6) is chat_append_many that also hands back
 *   what other nodes committed to the batch's rooms since the caller's seq.
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
  {
    version: 2,
    name: 'appends in batches',
    sql: `
-- Appends a batch of messages (element i of every array is message i) in the
-- caller's transaction, in the arrays' order, and gives one row per message in
-- that order: the message as stored, and whether it was a duplicate (its
-- author and client id already stored, before or earlier in this batch).
--
-- Every writer first takes a transaction-scoped advisory lock per room of its
-- batch, in the order of the lock keys: batches that share rooms take turns,
-- and two batches never wait on each other in a cycle. Holding them, one
-- statement sees every earlier commit to these rooms: it sets duplicates
-- apart, bumps each room's last_seq by its count of new messages, and inserts
-- them under consecutive seqs, with times raised to the room's newest. A copy
-- of one of them committed meanwhile to another room (not locked here) makes
-- the insert fail on messages_dedupe: the whole batch is undone, seqs too,
-- and the caller runs it again.
CREATE FUNCTION chat_append_many(p_rooms text[], p_client_ids text[], p_authors text[], p_senders text[], p_bodies text[],
                                 p_body_exacts text[], p_ts text[], p_recipients text[], p_snippets text[])
RETURNS TABLE (o_index bigint, o_duplicate boolean, o_pos bigint, o_room text, o_seq bigint, o_client_id text, o_sender text,
               o_body text, o_body_exact text, o_ts text, o_recipient text, o_snippet text)
LANGUAGE plpgsql AS $$
DECLARE
  v_key integer;
BEGIN
  FOR v_key IN SELECT DISTINCT hashtext(r) FROM unnest(p_rooms) AS r ORDER BY 1 LOOP
    PERFORM pg_advisory_xact_lock(${ROOM_LOCK_SPACE}, v_key);
  END LOOP;
  RETURN QUERY
  WITH d AS (
    SELECT t.*, min(t.i) OVER (PARTITION BY t.author, t.client_id) AS first_i
    FROM unnest(p_rooms, p_client_ids, p_authors, p_senders, p_bodies, p_body_exacts, p_ts, p_recipients, p_snippets)
      WITH ORDINALITY AS t(room, client_id, author, sender, body, body_exact, ts, recipient, snippet, i)
  ),
  kept AS (
    SELECT d.i, m.pos, m.room, m.seq, m.client_id, m.sender, m.body, m.body_exact, m.ts, m.recipient, m.snippet
    FROM d JOIN messages m ON m.author = d.author AND m.client_id = d.client_id
  ),
  fresh AS (
    SELECT d.*, row_number() OVER w AS k, max(d.ts COLLATE "C") OVER w AS run_ts
    FROM d
    WHERE d.i = d.first_i AND NOT EXISTS (SELECT 1 FROM kept WHERE kept.i = d.i)
    WINDOW w AS (PARTITION BY d.room ORDER BY d.i)
  ),
  counts AS (SELECT f.room, count(*) AS n, max(f.ts COLLATE "C") AS newest FROM fresh f GROUP BY f.room),
  prev AS (SELECT r.name, r.last_ts FROM rooms r WHERE r.name IN (SELECT c.room FROM counts c)),
  bumped AS (
    INSERT INTO rooms AS r (name, last_seq, last_ts)
    SELECT c.room, c.n, c.newest FROM counts c
    ON CONFLICT (name) DO UPDATE SET last_seq = r.last_seq + excluded.last_seq,
                                     last_ts = greatest(r.last_ts COLLATE "C", excluded.last_ts COLLATE "C")
    RETURNING r.name, r.last_seq
  ),
  ins AS (
    INSERT INTO messages (room, seq, client_id, author, sender, body, body_exact, ts, recipient, snippet)
    SELECT f.room, b.last_seq - c.n + f.k, f.client_id, f.author, f.sender, f.body, f.body_exact,
           greatest(p.last_ts COLLATE "C", f.run_ts COLLATE "C"), f.recipient, f.snippet
    FROM fresh f JOIN counts c ON c.room = f.room JOIN bumped b ON b.name = f.room LEFT JOIN prev p ON p.name = f.room
    RETURNING pos, room, seq, client_id, author, sender, body, body_exact, ts, recipient, snippet
  )
  SELECT k.i, true, k.pos, k.room, k.seq, k.client_id, k.sender, k.body, k.body_exact, k.ts, k.recipient, k.snippet FROM kept k
  UNION ALL
  SELECT d.i, d.i <> d.first_i, n.pos, n.room, n.seq, n.client_id, n.sender, n.body, n.body_exact, n.ts, n.recipient, n.snippet
  FROM d JOIN ins n ON n.author = d.author AND n.client_id = d.client_id
  WHERE NOT EXISTS (SELECT 1 FROM kept WHERE kept.i = d.i)
  ORDER BY 1;
END
$$;

-- Nodes still running the previous release call chat_append: it now takes the
-- same room lock, through chat_append_many, and answers as before.
CREATE OR REPLACE FUNCTION chat_append(p_room text, p_client_id text, p_author text, p_sender text, p_body text,
                                       p_body_exact text, p_ts text, p_recipient text, p_snippet text,
                                       OUT o_seq bigint, OUT o_ts text)
LANGUAGE plpgsql AS $$
BEGIN
  SELECT CASE WHEN a.o_duplicate THEN NULL ELSE a.o_seq END, CASE WHEN a.o_duplicate THEN NULL ELSE a.o_ts END
    INTO o_seq, o_ts
    FROM chat_append_many(ARRAY[p_room], ARRAY[p_client_id], ARRAY[p_author], ARRAY[p_sender], ARRAY[p_body],
                          ARRAY[p_body_exact], ARRAY[p_ts], ARRAY[p_recipient], ARRAY[p_snippet]) AS a;
EXCEPTION WHEN unique_violation THEN
  RAISE EXCEPTION 'chat_append: concurrent duplicate' USING ERRCODE = 'unique_violation';
END
$$;
`,
  },
  {
    version: 3,
    name: 'names by identity',
    sql: 'CREATE INDEX names_identity ON names (identity);',
  },
  {
    version: 4,
    name: 'room settings',
    sql: `
-- A room's settings (topic, modes, operators, voices, bans, invites) as one
-- JSON document, with a version for compare-and-set: a node writes version
-- v + 1 only where it read v, so concurrent changes from several nodes are
-- redone on each other's results instead of lost.
CREATE TABLE room_states (
  room       text PRIMARY KEY,
  version    bigint NOT NULL CHECK (version > 0),
  state      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 5,
    name: 'replies, reactions, edits and deletes',
    sql: `
-- Every change to a message takes its room's next rev (rooms.last_rev), in
-- the transaction that writes it; messages.rev is the rev of its last change.
ALTER TABLE rooms ADD COLUMN last_rev bigint NOT NULL DEFAULT 0;
ALTER TABLE messages
  ADD COLUMN reply_to bigint,
  ADD COLUMN edited   text,
  ADD COLUMN deleted  boolean NOT NULL DEFAULT false,
  ADD COLUMN rev      bigint,
  -- [{"emoji": "…", "by": [[identity, name], …]}, …]: who may take a reaction back.
  ADD COLUMN reactors jsonb;
CREATE INDEX messages_rev ON messages (room, rev) WHERE rev IS NOT NULL;
`,
  },
  {
    version: 6,
    name: 'appends that hand back what the node missed',
    sql: `
-- chat_append_many, and then, still holding its room locks, the messages of
-- each room in p_seen_rooms committed after the caller's p_seen seq (at most
-- 256 of them) that are not of this batch. Every batch that took a seq before
-- this one has committed by now (the lock is held through commit), and this
-- statement's snapshot is newer than the lock, so they are all there: a node
-- can deliver its own message at once instead of holding it until the other
-- nodes' earlier ones arrive through Redis (RoomSequencer). Appended rows come
-- first, in batch order (o_index), then the missed ones by room and seq with
-- a NULL o_index; o_plain is false for a missed message that is a reply or was
-- changed since (the node then waits for its published copy, which says so).
CREATE FUNCTION chat_append_seen(p_rooms text[], p_client_ids text[], p_authors text[], p_senders text[], p_bodies text[],
                                 p_body_exacts text[], p_ts text[], p_recipients text[], p_snippets text[],
                                 p_seen_rooms text[], p_seen bigint[])
RETURNS TABLE (o_index bigint, o_duplicate boolean, o_pos bigint, o_room text, o_seq bigint, o_client_id text, o_author text,
               o_sender text, o_body text, o_body_exact text, o_ts text, o_recipient text, o_snippet text, o_plain boolean)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY
  SELECT a.o_index, a.o_duplicate, a.o_pos, a.o_room, a.o_seq, a.o_client_id, p_authors[a.o_index::int], a.o_sender,
         a.o_body, a.o_body_exact, a.o_ts, a.o_recipient, a.o_snippet, true
  FROM chat_append_many(p_rooms, p_client_ids, p_authors, p_senders, p_bodies, p_body_exacts, p_ts, p_recipients, p_snippets) AS a;
  RETURN QUERY
  SELECT NULL::bigint, false, m.pos, m.room, m.seq, m.client_id, m.author, m.sender, m.body, m.body_exact, m.ts, m.recipient, m.snippet,
         m.reply_to IS NULL AND m.rev IS NULL
  FROM unnest(p_seen_rooms, p_seen) AS k(room, seen)
  JOIN messages m ON m.room = k.room AND m.seq > k.seen AND m.seq <= k.seen + 256
  WHERE NOT EXISTS (SELECT 1 FROM unnest(p_authors, p_client_ids) AS x(author, client_id) WHERE x.author = m.author AND x.client_id = m.client_id)
  ORDER BY m.room, m.seq;
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
