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
    it('gives distinct consecutive seqs to appends racing from two connection pools into one room', async () => {
      const url = await pg.createDatabase();
      const [a, b] = [await store(url), await store(url)];
      const per = 150;
      const results = await Promise.all(
        Array.from({ length: per * 2 }, (_, i) => (i % 2 === 0 ? a : b).append(draft('race', `message ${i}`, { id: `race-${i}` }))),
      );
      const seqs = results.map((r) => r.message.seq).sort((x, y) => x - y);
      assert.deepEqual(seqs, Array.from({ length: per * 2 }, (_, i) => i + 1), 'every seq from 1 to 300 exactly once');
      assert.ok(results.every((r) => !r.duplicate));
      assert.equal(await b.lastSeq('race'), per * 2);
      // Each message is stored under the seq its append reported.
      const page = await a.history('race', { limit: 1000 });
      assert.equal(page.messages.length, per * 2);
      const byId = new Map(results.map((r) => [r.message.id, r.message.seq]));
      for (const m of page.messages) assert.equal(m.seq, byId.get(m.id));
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

    it('keeps one copy when the same resend races in from two pools, without a gap in the seqs', async () => {
      const url = await pg.createDatabase();
      const [a, b] = [await store(url), await store(url)];
      for (let round = 0; round < 10; round++) {
        const d = draft('dups', `round ${round}`, { id: `same-${round}` });
        const results = await Promise.all([a.append(d), b.append(d), a.append(d), b.append(d)]);
        assert.equal(results.filter((r) => !r.duplicate).length, 1, `round ${round}: exactly one append stores it`);
        assert.equal(new Set(results.map((r) => r.message.seq)).size, 1, 'every caller gets the one stored seq');
        assert.equal(results[0].message.seq, round + 1, 'no seq was spent on a duplicate');
      }
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

    it('rejects appends with a StoreError while PostgreSQL is down, and carries on after it returns', async () => {
      const url = await pg.createDatabase();
      const warnings: string[] = [];
      const s = await store(url, { onWarning: (m) => warnings.push(m) });
      assert.equal((await s.append(draft('general', 'before'))).message.seq, 1);
      await pg.stop();
      await assert.rejects(s.append(draft('general', 'during')), (err: Error) => {
        assert.ok(err instanceof StoreError, String(err));
        assert.ok(!err.message.includes(new URL(url).password), 'no password in the error');
        return true;
      });
      await pg.start();
      const after = await s.append(draft('general', 'after'));
      assert.equal(after.message.seq, 2, 'the failed append took no seq');
      assert.deepEqual((await s.history('general', { limit: 10 })).messages.map((m) => m.text), ['before', 'after']);
      assert.ok(warnings.every((w) => !w.includes(new URL(url).password)), 'no password in warnings');
    });
  });
});
