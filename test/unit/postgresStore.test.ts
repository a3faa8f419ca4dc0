import * as assert from 'node:assert/strict';
import { Client } from 'pg';
import { applyMigrations, MIGRATIONS } from '../../src/engine/stores/postgresMigrations';
import { PostgresStore } from '../../src/engine/stores/postgresStore';
import { StoreError, type MessageDraft } from '../../src/engine/stores/store';
import { startPostgres, type RealPostgres } from '../support/realServers';

/**
 * The parts of PostgresStore that only a real PostgreSQL can show: seqs from
 * two connection pools at once, dedupe by the unique key, full-text search
 * and its privacy, migrations on restart, name claims, retention, outages.
 * The Store contract suite runs against it too (test/contract).
 */

let n = 0;
function draft(room: string, text: string, extra: Partial<MessageDraft> = {}): MessageDraft {
  n++;
  return { id: `m${n}`, room, sender: 'alice', author: 'key:alice', text, ts: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, n)).toISOString(), ...extra };
}

async function sql<R extends object>(url: string, text: string, params: unknown[] = []): Promise<R[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(text, params)).rows;
  } finally {
    await c.end();
  }
}

/** Resolves once a query's `ok` is true; the test's timeout bounds it. */
async function waitUntil(url: string, query: string): Promise<void> {
  while (!(await sql<{ ok: boolean }>(url, query))[0].ok) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** How many messages of a room each transaction wrote, oldest first (rows one transaction inserted share their xmin). */
async function transactionSizes(url: string, room: string): Promise<number[]> {
  const rows = await sql<{ n: number }>(url, 'SELECT count(*)::int AS n FROM messages WHERE room = $1 GROUP BY xmin::text ORDER BY min(seq)', [room]);
  return rows.map((r) => r.n);
}

describe('PostgresStore (real PostgreSQL)', function () {
  this.timeout(60_000);
  let pg: RealPostgres;
  const open: PostgresStore[] = [];

  before(async () => {
    pg = await startPostgres();
  });
  after(async () => {
    await pg?.dispose();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    // A test that stopped the server and failed half-way must not take the next tests down with it.
    if (pg.pid === undefined) await pg.start();
  });

  async function store(url: string, options: Parameters<typeof PostgresStore.open>[1] = {}): Promise<PostgresStore> {
    const s = await PostgresStore.open(url, { onWarning: (m) => assert.fail(`unexpected warning: ${m}`), ...options });
    open.push(s);
    return s;
  }

  describe('migrations', () => {
    it('applies every migration once, keeps the history id across restarts, and applies nothing on a second start', async () => {
      const url = await pg.createDatabase();
      const first = await store(url);
      const versions = await sql<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(versions.map((r) => r.version), MIGRATIONS.map((m) => m.version));
      await first.append(draft('general', 'before the restart'));
      await first.close();

      const second = await store(url);
      assert.equal(second.id, first.id, 'the history id lives in the database');
      assert.match(second.id, /^[0-9a-f-]{36}$/);
      assert.equal(await second.lastSeq('general'), 1);
      const c = new Client({ connectionString: url });
      await c.connect();
      try {
        assert.deepEqual(await applyMigrations(c), [], 'an up-to-date schema gets no migration');
      } finally {
        await c.end();
      }
    });

    it('lets several nodes start at once on an empty database: one migrates, all share one id', async () => {
      const url = await pg.createDatabase();
      const stores = await Promise.all([store(url), store(url), store(url)]);
      assert.equal(new Set(stores.map((s) => s.id)).size, 1);
      const rows = await sql<{ count: string }>(url, 'SELECT count(*) FROM schema_migrations');
      assert.equal(Number(rows[0].count), MIGRATIONS.length);
    });

    it('refuses a database that a newer tcp-chat has migrated further', async () => {
      const url = await pg.createDatabase();
      await (await store(url)).close();
      await sql(url, "INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')");
      await assert.rejects(PostgresStore.open(url), (err: Error) => err instanceof StoreError && /version 999.*upgrade tcp-chat/.test(err.message));
    });
  });

  describe('seqs and dedupe', () => {
    it('gives 1,000 appends racing from two nodes into one room seqs 1..1000 once each, in batches, each caller its own message', async () => {
      const url = await pg.createDatabase();
      const nodes = [await store(url), await store(url)];
      // 25 writers per node, each sending its next message once the last one is acknowledged, as clients do.
      const writers = 50;
      const per = 20;
      const results = await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          const mine = [];
          for (let i = 0; i < per; i++) {
            const d = draft('race', `message ${i} of writer ${w}`, { id: `race-${w}-${i}`, sender: `user${w}` });
            // The nodes' clocks differ by 5 s: time must still never go back within the room.
            if (w % 2 === 0) d.ts = new Date(Date.parse(d.ts) + 5000).toISOString();
            const r = await nodes[w % 2].append(d);
            assert.equal(r.duplicate, false);
            assert.deepEqual([r.message.id, r.message.text, r.message.sender, r.message.room], [d.id, d.text, d.sender, 'race'], 'the caller got its own message');
            mine.push(r.message.seq);
          }
          assert.deepEqual(mine, [...mine].sort((x, y) => x - y), `writer ${w}: seqs rise in the order it sent`);
          return mine;
        }),
      );
      const seqs = results.flat().sort((x, y) => x - y);
      assert.deepEqual(seqs, Array.from({ length: writers * per }, (_, i) => i + 1), 'every seq from 1 to 1000 exactly once');
      assert.equal(await nodes[1].lastSeq('race'), writers * per);
      const page = await nodes[0].history('race', { limit: 2000 });
      assert.deepEqual(page.messages.map((m) => m.seq), seqs, 'each message is stored under the seq its append reported');
      for (const m of page.messages) assert.equal(m.id, `race-${m.text.replace(/^message (\d+) of writer (\d+)$/, '$2-$1')}`);
      const late = page.messages.findIndex((m, i) => i > 0 && m.ts < page.messages[i - 1].ts);
      assert.equal(late, -1, `time went back at seq ${late + 1}`);
      const sizes = await transactionSizes(url, 'race');
      assert.ok(sizes.length < (writers * per) / 4, `appends that waited shared transactions: ${sizes.length} transactions for 1,000`);
    });

    it('stores a resend once (same author and id), even under another name, and hands back the original', async () => {
      const url = await pg.createDatabase();
      const s = await store(url);
      const first = await s.append(draft('general', 'hello', { id: 'dup-1' }));
      const again = await s.append(draft('general', 'hello, edited', { id: 'dup-1', sender: 'alice2' }));
      assert.equal(again.duplicate, true);
      assert.deepEqual(again.message, first.message);
      const other = await s.append(draft('general', 'same id, other author', { id: 'dup-1', author: 'key:bob' }));
      assert.equal(other.duplicate, false);
      assert.equal(other.message.seq, 2, 'a duplicate takes no seq');
      const rows = await sql<{ count: string }>(url, "SELECT count(*) FROM messages WHERE client_id = 'dup-1'");
      assert.equal(Number(rows[0].count), 2);
    });

    it('raises a time that would go back in a room to the room\'s newest (nodes with skewed clocks)', async () => {
      const url = await pg.createDatabase();
      const [a, b] = [await store(url), await store(url)];
      const first = await a.append(draft('general', 'from a fast clock', { ts: '2026-01-01T10:00:05.000Z' }));
      const second = await b.append(draft('general', 'from a slow clock', { ts: '2026-01-01T10:00:01.000Z' }));
      const third = await b.append(draft('general', 'later', { ts: '2026-01-01T10:00:09.000Z' }));
      const other = await b.append(draft('dev', 'another room keeps its own time', { ts: '2026-01-01T10:00:01.000Z' }));
      assert.deepEqual(
        [first, second, third, other].map((r) => r.message.ts),
        ['2026-01-01T10:00:05.000Z', '2026-01-01T10:00:05.000Z', '2026-01-01T10:00:09.000Z', '2026-01-01T10:00:01.000Z'],
      );
      assert.deepEqual((await a.history('general', { limit: 5 })).messages.map((m) => m.ts), [first, second, third].map((r) => r.message.ts));
    });

    it('keeps texts and ids PostgreSQL cannot hold as they are, exactly: NUL, lone surrogates, a leading quote', async () => {
      const url = await pg.createDatabase();
      const s = await store(url);
      const odd = [
        draft('general', 'a\u0000b', { id: 'nul\u0000id' }),
        draft('general', 'lone \ud800 surrogate', { id: '"quoted"' }),
        draft('general', '"starts with a quote"', { author: 'key\u0000odd' }),
        draft('@alice,bob', 'with a snippet', { to: 'bob', snippet: { lang: 'ts', file: 'a.ts', startLine: 1, endLine: 2, code: 'let x = "\u0000";' } }),
      ];
      const stored = [];
      for (const d of odd) stored.push((await s.append(d)).message);
      const page = await s.history('general', { limit: 10 });
      assert.deepEqual(page.messages, stored.slice(0, 3));
      assert.deepEqual((await s.history('@alice,bob', { limit: 10 })).messages, [stored[3]]);
      const again = await s.append(odd[0]);
      assert.equal(again.duplicate, true, 'an id with a NUL still dedupes');
      assert.deepEqual((await s.search({ text: 'surrogate', rooms: ['general'], limit: 5 })).messages, [stored[1]]);
    });
  });

  describe('appends in batches', () => {
    it('writes a burst in transactions of at most 256 messages, and of at most maxBytes', async () => {
      const url = await pg.createDatabase();
      const s = await store(url);
      const burst = await Promise.all(Array.from({ length: 600 }, (_, i) => s.append(draft('burst', `b${i}`))));
      assert.deepEqual(burst.map((r) => r.message.seq), Array.from({ length: 600 }, (_, i) => i + 1), 'in the order of the calls');
      assert.deepEqual(await transactionSizes(url, 'burst'), [256, 256, 88]);

      const small = await store(url, { appendLimits: { maxBytes: 10_000 } });
      const big = 'x'.repeat(3000);
      await Promise.all([...Array.from({ length: 7 }, () => small.append(draft('big', big))), small.append(draft('big', 'y'.repeat(20_000)))]);
      assert.deepEqual(await transactionSizes(url, 'big'), [3, 3, 1, 1], 'three drafts of 3,000 bytes fit in 10,000; a larger one goes alone');
    });

    it('keeps each room\'s arrival order in a batch across rooms, and raises times to the room\'s newest', async () => {
      const url = await pg.createDatabase();
      const s = await store(url);
      const times = ['10:00:05', '10:00:01', '10:00:07', '10:00:02', '10:00:09', '10:00:03'];
      const results = await Promise.all(
        times.flatMap((t, i) => ['a', 'b', 'c'].map((room) => s.append(draft(room, `${room}${i}`, { ts: `2026-01-01T${t}.000Z` })))),
      );
      for (const room of ['a', 'b', 'c']) {
        const mine = results.filter((r) => r.message.room === room).map((r) => r.message);
        assert.deepEqual(mine.map((m) => [m.text, m.seq]), times.map((_, i) => [`${room}${i}`, i + 1]));
        assert.deepEqual(mine.map((m) => m.ts.slice(11, 19)), ['10:00:05', '10:00:05', '10:00:07', '10:00:07', '10:00:09', '10:00:09']);
        assert.deepEqual(await s.history(room, { limit: 10 }), { messages: mine, more: false });
      }
      const xmins = await sql<{ n: string }>(url, 'SELECT count(DISTINCT xmin::text) AS n FROM messages');
      assert.equal(Number(xmins[0].n), 1, 'three rooms in one transaction');
    });

    it('dedupes inside a batch and against stored messages: one copy, both callers get it, no seq spent', async () => {
      const url = await pg.createDatabase();
      const s = await store(url);
      const old = await s.append(draft('general', 'stored earlier', { id: 'old' }));
      const fresh = draft('general', 'first copy', { id: 'twice' });
      const results = await Promise.all([
        s.append(fresh),
        s.append({ ...fresh, text: 'second copy', sender: 'alice2' }),
        s.append(draft('general', 'another', { id: 'other' })),
        s.append(draft('general', 'resent', { id: 'old' })),
        s.append({ ...fresh, room: 'dev' }),
      ]);
      assert.deepEqual(results.map((r) => r.duplicate), [false, true, false, true, true]);
      assert.deepEqual(results[1].message, results[0].message, 'the second copy gets the first one back');
      assert.deepEqual(results[4].message, results[0].message, 'a copy sent to another room too');
      assert.equal(results[0].message.text, 'first copy');
      assert.deepEqual(results[3].message, old.message);
      assert.deepEqual(results.map((r) => r.message.seq), [2, 2, 3, 1, 2]);
      assert.deepEqual(await transactionSizes(url, 'general'), [1, 2], 'the batch was one transaction');
      assert.equal((await s.append(draft('general', 'next'))).message.seq, 4, 'no gap');
      assert.equal(await s.lastSeq('dev'), 0, 'the duplicate did not make a room');
      const rows = await sql<{ n: string }>(url, "SELECT count(*) AS n FROM messages WHERE client_id = 'twice'");
      assert.equal(Number(rows[0].n), 1);
    });

    it('keeps one copy of messages two nodes send at once in batches, and every other message, without a gap', async () => {
      const url = await pg.createDatabase();
      const [a, b] = [await store(url), await store(url)];
      for (let round = 0; round < 5; round++) {
        const shared = Array.from({ length: 20 }, (_, i) => draft('both', `shared ${round}.${i}`, { id: `shared-${round}-${i}` }));
        const own = (node: string) => Array.from({ length: 10 }, (_, i) => draft('both', `${node} ${round}.${i}`, { id: `${node}-${round}-${i}` }));
        const [fromA, fromB] = await Promise.all([
          Promise.all([...shared, ...own('a')].map((d) => a.append(d))),
          Promise.all([...own('b'), ...shared].map((d) => b.append(d))),
        ]);
        const seqOf = new Map<string, number>();
        for (const r of [...fromA, ...fromB]) {
          const known = seqOf.get(r.message.id);
          if (known !== undefined) assert.equal(r.message.seq, known, `${r.message.id}: both nodes got the one stored copy`);
          seqOf.set(r.message.id, r.message.seq);
        }
        assert.equal([...fromA, ...fromB].filter((r) => !r.duplicate).length, 40, `round ${round}: 20 shared once, 20 own`);
        assert.deepEqual([...seqOf.values()].sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => round * 40 + i + 1));
      }
    });

    it('runs a batch again when a copy of one of its messages commits meanwhile in another room: nothing lost, no gap', async () => {
      const url = await pg.createDatabase();
      const s = await store(url);
      await s.append(draft('general', 'warm-up'));
      // Another node's transaction stores a copy of 'k' in another room and stays open, holding the key.
      const other = new Client({ connectionString: url });
      await other.connect();
      try {
        await other.query('BEGIN');
        const params = ['dev', 'k', 'key:alice', 'alice', 'from the other node', null, '2026-01-01T00:00:00.000Z', null, null].map((v) => [v]);
        await other.query('SELECT * FROM chat_append_many($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])', params);
        const batch = Promise.all([
          s.append(draft('general', 'before k')),
          s.append(draft('general', 'copy of k', { id: 'k' })),
          s.append(draft('general', 'after k')),
        ]);
        await waitUntil(url, "SELECT count(*) > 0 AS ok FROM pg_stat_activity WHERE application_name = 'tcp-chat' AND wait_event_type = 'Lock'");
        await other.query('COMMIT');
        const results = await batch;
        assert.deepEqual(results.map((r) => [r.message.text, r.message.room, r.message.seq, r.duplicate]), [
          ['before k', 'general', 2, false],
          ['from the other node', 'dev', 1, true],
          ['after k', 'general', 3, false],
        ]);
        assert.equal(await s.lastSeq('general'), 3);
        assert.deepEqual(await transactionSizes(url, 'general'), [1, 2], 'the whole batch ran again, as one transaction');
      } finally {
        await other.end();
      }
    });

    it('stores the rest of a batch when PostgreSQL refuses one of its messages', async () => {
      const url = await pg.createDatabase();
      const s = await store(url);
      await s.append(draft('general', 'makes the table'));
      // Something PostgreSQL refuses in one message only, as an operator's constraint or trigger might.
      await sql(url, "ALTER TABLE messages ADD CONSTRAINT no_poison CHECK (body <> 'poison')");
      const texts = ['m1', 'm2', 'm3', 'poison', 'm5', 'm6', 'm7', 'm8'];
      const settled = await Promise.allSettled(texts.map((t) => s.append(draft('general', t))));
      const poison = settled[3];
      assert.ok(poison.status === 'rejected' && poison.reason instanceof StoreError && /no_poison/.test(poison.reason.message), String(poison));
      const stored = settled.flatMap((r) => (r.status === 'fulfilled' ? [[r.value.message.text, r.value.message.seq]] : []));
      assert.deepEqual(stored, [['m1', 2], ['m2', 3], ['m3', 4], ['m5', 5], ['m6', 6], ['m7', 7], ['m8', 8]]);
      assert.equal(await s.lastSeq('general'), 8);
    });

    it('refuses appends beyond maxQueued at once with a StoreError saying the store is overloaded', async () => {
      const url = await pg.createDatabase();
      const s = await store(url, { appendLimits: { maxQueued: 5 } });
      const settled = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => s.append(draft('busy', `q${i}`))));
      assert.deepEqual(settled.slice(0, 5).map((r) => r.status === 'fulfilled' && r.value.message.seq), [1, 2, 3, 4, 5]);
      for (const r of settled.slice(5)) assert.ok(r.status === 'rejected' && r.reason instanceof StoreError && /overloaded/.test(r.reason.message), String(r));
      assert.equal((await s.append(draft('busy', 'later'))).message.seq, 6, 'it takes appends again once the queue is short');
    });

    it('writes what is queued before it closes, and refuses appends after', async () => {
      const url = await pg.createDatabase();
      const s = await store(url);
      const pending = Array.from({ length: 300 }, (_, i) => s.append(draft('closing', `c${i}`)));
      await s.close();
      assert.equal((await Promise.all(pending)).length, 300);
      await assert.rejects(s.append(draft('closing', 'too late')), (err: Error) => err instanceof StoreError && /closed/.test(err.message));
      const rows = await sql<{ n: string }>(url, "SELECT count(*) AS n FROM messages WHERE room = 'closing'");
      assert.equal(Number(rows[0].n), 300);
    });

    it('still answers nodes of the previous release, which call chat_append, in the same order', async () => {
      const url = await pg.createDatabase();
      const s = await store(url);
      const oldNode = (id: string) =>
        sql<{ o_seq: string | null; o_ts: string | null }>(url, 'SELECT o_seq, o_ts FROM chat_append($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
          'general', id, 'key:old', 'old', `from the old node ${id}`, null, '2026-01-01T00:00:00.000Z', null, null,
        ]);
      const [first] = await oldNode('o1');
      assert.equal(first.o_seq, '1');
      assert.deepEqual(await oldNode('o1'), [{ o_seq: null, o_ts: null }], 'a duplicate answers NULLs, as before');
      const mixed = await Promise.all([s.append(draft('general', 'new')), oldNode('o2'), s.append(draft('general', 'new too'))]);
      assert.deepEqual([mixed[0].message.seq, Number(mixed[1][0].o_seq), mixed[2].message.seq].sort((x, y) => x - y), [2, 3, 4]);
      assert.ok(mixed[0].message.seq < mixed[2].message.seq, 'one node\'s appends keep their order');
    });
  });

  describe('edits and deletes', () => {
    it('a delete leaves no word of the text in the row or the search index; a reply is stored with its link in one transaction', async () => {
      const url = await pg.createDatabase();
      const s = await store(url);
      await s.append(draft('general', 'the password is hunter2', { snippet: { lang: 'txt', file: 'p.txt', startLine: 1, endLine: 1, code: 'hunter2' } }));
      const reply = await s.append(draft('general', 'delete that', { replyTo: 1 }));
      assert.equal(reply.message.replyTo, 1);
      await s.mutate('general', 1, { kind: 'edit', text: 'the password is hunter3', ts: '2026-02-01T00:00:00.000Z' }, 'key:alice');
      await s.mutate('general', 1, { kind: 'delete', ts: '2026-02-01T00:00:01.000Z' }, 'key:alice');
      const rows = await sql<{ body: string; body_exact: string | null; snippet: string | null; words: string; deleted: boolean }>(
        url,
        "SELECT body, body_exact, snippet, tsv::text AS words, deleted FROM messages WHERE room = 'general' AND seq = 1",
      );
      assert.deepEqual(rows, [{ body: '', body_exact: null, snippet: null, words: '', deleted: true }]);
      assert.deepEqual(await sql(url, "SELECT seq, reply_to::int FROM messages WHERE room = 'general' AND reply_to IS NOT NULL"), [{ seq: '2', reply_to: 1 }]);
      assert.equal(await s.lastRev('general'), 2);
    });
  });

  describe('search', () => {
    let s: PostgresStore;
    before(async () => {
      s = await PostgresStore.open(await pg.createDatabase());
      await s.append(draft('general', 'The launch code is ready'));
      await s.append(draft('general', 'call parseInt(user_id) before saving'));
      await s.append(draft('dev', 'launch checklist in dev'));
      await s.append(draft('secret', 'launch plans nobody else may read'));
      await s.append(draft('@alice,bob', 'the launch code is 7431', { to: 'bob' }));
      await s.append(draft('@carol,dave', 'launch gossip between carol and dave', { sender: 'carol', author: 'key:carol', to: 'dave' }));
      await s.append(draft('@ali,zed', 'launch note for ali', { sender: 'zed', author: 'key:zed', to: 'ali' }));
    });
    after(() => s.close());

    const texts = (p: { messages: { text: string }[] }) => p.messages.map((m) => m.text);

    it('finds whole words, word prefixes and code words, case-insensitively, newest first', async () => {
      assert.deepEqual(texts(await s.search({ text: 'LAUNCH', rooms: ['general', 'dev'], limit: 10 })), [
        'launch checklist in dev',
        'The launch code is ready',
      ]);
      assert.deepEqual(texts(await s.search({ text: 'laun', rooms: ['general'], limit: 10 })), ['The launch code is ready']);
      assert.deepEqual(texts(await s.search({ text: 'parseInt', rooms: ['general'], limit: 10 })), ['call parseInt(user_id) before saving']);
      assert.deepEqual(texts(await s.search({ text: 'user_id', rooms: ['general'], limit: 10 })), ['call parseInt(user_id) before saving']);
      assert.deepEqual(texts(await s.search({ text: 'launch code', rooms: ['general', 'dev'], limit: 10 })), ['The launch code is ready']);
      assert.deepEqual(texts(await s.search({ text: "'); DROP TABLE messages; --", rooms: ['general'], limit: 10 })), []);
      assert.deepEqual(texts(await s.search({ text: '  ', rooms: ['general'], limit: 10 })), []);
    });

    it('searches only the rooms named and the DM conversations the requester is part of', async () => {
      const all = texts(await s.search({ text: 'launch', rooms: ['general'], dmsOf: 'alice', limit: 10 }));
      assert.deepEqual(all, ['the launch code is 7431', 'The launch code is ready']);
      assert.ok(!all.some((t) => t.includes('nobody else')), 'a room not named stays private');
      assert.ok(!all.some((t) => t.includes('gossip')), "other people's DMs stay private");
      assert.ok(!all.some((t) => t.includes('for ali')), 'a name that is a prefix of the requester does not open their DMs');
      assert.deepEqual(texts(await s.search({ text: '7431', rooms: ['general'], dmsOf: 'mallory', limit: 10 })), []);
      assert.deepEqual(texts(await s.search({ text: '7431', rooms: [], dmsOf: 'bob', limit: 10 })), ['the launch code is 7431']);
      assert.deepEqual(texts(await s.search({ text: 'launch', rooms: [], limit: 10 })), []);
      assert.deepEqual(texts(await s.search({ text: '7431', rooms: ['@alice,bob'], dmsOf: 'mallory', limit: 10 })), [], 'naming a DM key as a room does not open it');
    });

    it('pages with the cursor: every match once, newest first, and no cursor after the last page', async () => {
      const q = { text: 'launch', rooms: ['general', 'dev', 'secret'], dmsOf: 'alice' };
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await s.search({ ...q, limit: 2, cursor });
        seen.push(...texts(page));
        cursor = page.next;
        pages++;
      } while (cursor !== undefined && pages < 10);
      assert.deepEqual(seen, texts(await s.search({ ...q, limit: 100 })));
      assert.equal(seen.length, 4);
      assert.equal(pages, 2);
      await assert.rejects(s.search({ ...q, limit: 2, cursor: 'not-a-cursor' }), RangeError);
    });
  });

  describe('names', () => {
    it('gives a name to exactly one of many identities claiming it at once from two pools', async () => {
      const url = await pg.createDatabase();
      const [a, b] = [await store(url), await store(url)];
      for (let round = 0; round < 5; round++) {
        const name = `contested${round}`;
        const owners = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).claimName(name, `key:${i}`)));
        assert.equal(new Set(owners).size, 1, `round ${round}: everyone sees one owner`);
        assert.equal(await a.nameOwner(name), owners[0]);
      }
    });
  });

  describe('retention', () => {
    it('never returns more than maxPerRoom per room, and prunes the rest in the background', async () => {
      const url = await pg.createDatabase();
      const s = await store(url, { retention: { maxPerRoom: 5, maxIds: 0 }, pruneDelayMs: 60_000 });
      for (let i = 1; i <= 12; i++) await s.append(draft('kept', `word${i} retained`));
      await s.append(draft('small', 'under the limit'));
      const page = await s.history('kept', { limit: 100 });
      assert.deepEqual(page.messages.map((m) => m.seq), [8, 9, 10, 11, 12], 'reads hide old messages before the prune runs');
      assert.equal(page.more, false);
      assert.deepEqual((await s.search({ text: 'word3', rooms: ['kept'], limit: 10 })).messages, []);
      assert.equal(await s.prune(), 7);
      const left = await sql<{ seq: string }>(url, "SELECT seq FROM messages WHERE room = 'kept' ORDER BY seq");
      assert.deepEqual(left.map((r) => Number(r.seq)), [8, 9, 10, 11, 12]);
      assert.equal(await s.lastSeq('kept'), 12, 'seqs go on after a prune');
      assert.equal((await s.append(draft('kept', 'next'))).message.seq, 13);
    });

    it('prunes at start-up what a lower limit no longer keeps', async () => {
      const url = await pg.createDatabase();
      const s = await store(url);
      for (let i = 0; i < 6; i++) await s.append(draft('old', `m${i}`));
      await s.close();
      const smaller = await store(url, { retention: { maxPerRoom: 2, maxIds: 0 }, pruneDelayMs: 60_000 });
      assert.equal(await smaller.prune(), 4);
    });
  });

  describe('connections and outages', () => {
    it('takes the password from PGPASSWORD when the URL has none', async () => {
      const url = new URL(await pg.createDatabase());
      const password = url.password;
      url.password = '';
      const saved = process.env.PGPASSWORD;
      process.env.PGPASSWORD = password;
      try {
        const s = await store(url.toString());
        assert.equal((await s.append(draft('general', 'hi'))).message.seq, 1);
      } finally {
        if (saved === undefined) delete process.env.PGPASSWORD;
        else process.env.PGPASSWORD = saved;
      }
    });

    it('names the server without its password when it cannot connect', async () => {
      const url = new URL(pg.url);
      url.password = 'wrong-password-123';
      await assert.rejects(PostgresStore.open(url.toString()), (err: Error) => {
        assert.ok(err instanceof StoreError);
        assert.match(err.message, /password authentication failed/);
        assert.match(err.message, /postgres:\*\*\*@127\.0\.0\.1/);
        assert.ok(!err.message.includes('wrong-password-123'), err.message);
        return true;
      });
    });

    it('closes its connections before close() resolves, so a server stopped right after finds none', async () => {
      const url = await pg.createDatabase();
      const s = await store(url);
      const watcher = new Client({ connectionString: url });
      await watcher.connect();
      try {
        const ours = async () =>
          (await watcher.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'tcp-chat'")).rows[0].n;
        await Promise.all([s.append(draft('general', 'hi')), ...Array.from({ length: 5 }, () => s.history('general', { limit: 5 }))]);
        assert.ok((await ours()) > 1, 'several connections while in use');
        await s.close();
        assert.equal(await ours(), 0);
      } finally {
        await watcher.end();
      }
    });

    it('fails whole batches while PostgreSQL is stopped under a stream of appends; after it returns the resends leave every message once, no gap', async () => {
      const url = await pg.createDatabase();
      const warnings: string[] = [];
      const s = await store(url, { onWarning: (m) => warnings.push(m) });
      const acked = new Map<string, number>();
      const unacked: MessageDraft[] = [];
      let stopped: Promise<void> | undefined;
      // Ten writers send one message after another; PostgreSQL stops under them after 100 acknowledgements. A writer
      // keeps the message that failed, as a client's outbox does, and stops.
      await Promise.all(
        Array.from({ length: 10 }, async (_, w) => {
          for (let i = 0; ; i++) {
            const d = draft('outage', `w${w} m${i}`, { id: `out-${w}-${i}` });
            try {
              acked.set(d.id, (await s.append(d)).message.seq);
              if (acked.size === 100) stopped = pg.stop();
            } catch (err) {
              assert.ok(err instanceof StoreError, String(err));
              unacked.push(d);
              return;
            }
          }
        }),
      );
      await stopped;
      const downDrafts = Array.from({ length: 5 }, (_, i) => draft('outage', `while down ${i}`, { id: `down-${i}` }));
      const down = await Promise.allSettled(downDrafts.map((d) => s.append(d)));
      const password = new URL(url).password;
      for (const r of down) {
        assert.ok(r.status === 'rejected' && r.reason instanceof StoreError, 'every caller of the batch gets a StoreError');
        assert.ok(!r.reason.message.includes(password), 'no password in the error');
      }

      await pg.start();
      const resent = await Promise.all([...unacked, ...downDrafts].map((d) => s.append(d)));
      assert.ok(resent.slice(unacked.length).every((r) => !r.duplicate), 'nothing of a failed batch was stored');
      const all = (await s.history('outage', { limit: 10_000 })).messages;
      assert.deepEqual(all.map((m) => m.seq), all.map((_, i) => i + 1), 'seqs without a gap');
      assert.equal(all.length, acked.size + unacked.length + downDrafts.length, 'every message stored once');
      const seqOf = new Map(all.map((m) => [m.id, m.seq]));
      for (const [id, seq] of acked) assert.equal(seqOf.get(id), seq, `${id} kept the seq it was acknowledged with`);
      assert.ok(warnings.every((w) => !w.includes(password)), 'no password in warnings');
    });
  });
});
