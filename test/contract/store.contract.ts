import * as assert from 'node:assert/strict';
import type { ChatMessage } from '../../src/engine/protocol';
import { dmKey } from '../../src/engine/protocol';
import type { MessageDraft, RetentionOptions, RoomState, SearchQuery, Store } from '../../src/engine/stores/store';

/** A fresh, empty store for one test, and how to get rid of it. */
export interface StoreFixture {
  store: Store;
  /**
   * Durable stores: close the store (the last one this returned, or `store`)
   * and open the same data again, as a restart would.
   */
  reopen?: () => Promise<Store>;
  /** Close whatever is open and delete the data. */
  cleanup: () => Promise<void>;
}

/** What a test asks of its fixture. */
export interface StoreFixtureOptions {
  /** Retention to open the store with; the implementation's default when absent. */
  retention?: RetentionOptions;
}

/** What the suite may expect of an implementation beyond the contract everyone meets. */
export interface StoreTraits {
  /** The data outlives the store object: the fixture has `reopen`, and the suite checks what survives it. */
  durable: boolean;
}

/**
 * The behaviour every Store must have (docs/storage.md). Search assertions use
 * whole words only, so a store with full-text search (PostgreSQL) passes the
 * same suite as the substring search of the built-in stores.
 */
export function describeStoreContract(label: string, make: (options?: StoreFixtureOptions) => Promise<StoreFixture>, traits: StoreTraits): void {
  describe(`Store contract: ${label}`, function () {
    this.timeout(30_000);
    let f: StoreFixture;
    let store: Store;
    const extra: StoreFixture[] = [];
    beforeEach(async () => {
      f = await make();
      store = f.store;
    });
    afterEach(async () => {
      for (const x of extra.splice(0)) await x.cleanup();
      await f.cleanup();
    });

    async function reopen(): Promise<Store> {
      assert.ok(f.reopen, 'a durable store fixture has reopen()');
      store = await f.reopen();
      return store;
    }

    describe('seqs', () => {
      it('starts every room at 1 and rises by one per message', async () => {
        const seqs = async (room: string, n: number) => {
          const out: number[] = [];
          for (let i = 0; i < n; i++) out.push((await store.append(draft(room, `hello ${i}`))).message.seq);
          return out;
        };
        assert.deepEqual(await seqs('general', 3), [1, 2, 3]);
        assert.deepEqual(await seqs('dev', 2), [1, 2]);
        assert.deepEqual(await seqs(dmKey('alice', 'bob'), 1), [1]);
        assert.equal(await store.lastSeq('general'), 3);
        assert.equal(await store.lastSeq('dev'), 2);
        assert.equal(await store.lastSeq('nowhere'), 0);
      });

      it('keeps every field of the draft in the stored message', async () => {
        const d = draft(dmKey('alice', 'bob'), 'look at this', { to: 'bob', snippet: { lang: 'ts', file: 'a.ts', startLine: 1, endLine: 2, code: 'let x = 1;\nx++;' } });
        const { message, duplicate } = await store.append(d);
        assert.equal(duplicate, false);
        const expected: ChatMessage = { type: 'message', id: d.id, seq: 1, room: d.room, sender: d.sender, author: d.author, text: d.text, ts: d.ts, to: 'bob', snippet: d.snippet };
        assert.deepEqual(message, expected, 'the author (an identity id) is public: clients mark guests and know their own messages by it');
        assert.deepEqual((await store.history(d.room, { limit: 10 })).messages, [expected]);
      });

      it('gives 200 concurrent appends to one room distinct, consecutive seqs', async () => {
        const drafts = Array.from({ length: 200 }, (_, i) => draft('general', `burst ${i}`));
        const results = await Promise.all(drafts.map((d) => store.append(d)));
        const seqs = results.map((r) => r.message.seq).sort((a, b) => a - b);
        assert.deepEqual(seqs, Array.from({ length: 200 }, (_, i) => i + 1));
        assert.equal(await store.lastSeq('general'), 200);
        const page = await store.history('general', { limit: 500 });
        assert.deepEqual(page.messages.map((m) => m.seq), seqs);
        // Each stored message is the one its append reported.
        const byId = new Map(page.messages.map((m) => [m.id, m.seq]));
        for (const r of results) assert.equal(byId.get(r.message.id), r.message.seq);
      });
    });

    describe('de-duplication', () => {
      it('keeps a resend from the same author once, even under a new name', async () => {
        const first = await store.append(draft('general', 'original words', { id: 'x1', sender: 'alice', author: 'ed25519:key-a' }));
        const again = await store.append(draft('general', 'edited words', { id: 'x1', sender: 'alice2', author: 'ed25519:key-a' }));
        assert.equal(again.duplicate, true);
        assert.deepEqual(again.message, first.message, 'the stored original comes back');
        assert.equal(await store.lastSeq('general'), 1);
        assert.deepEqual((await store.history('general', { limit: 10 })).messages.map((m) => m.text), ['original words']);
      });

      it('takes the same id from another author as a new message', async () => {
        await store.append(draft('general', 'from alice', { id: 'same', author: 'ed25519:key-a' }));
        const other = await store.append(draft('general', 'from bob', { id: 'same', sender: 'bob', author: 'ed25519:key-b' }));
        assert.equal(other.duplicate, false);
        assert.equal(other.message.seq, 2);
      });

      it('stores two concurrent copies of one message once', async () => {
        const d = draft('general', 'twice at once', { id: 'race', author: 'ed25519:key-a' });
        const [x, y] = await Promise.all([store.append(d), store.append({ ...d })]);
        assert.deepEqual([x.duplicate, y.duplicate].sort(), [false, true]);
        assert.equal(x.message.seq, y.message.seq);
        assert.equal(await store.lastSeq('general'), 1);
      });
    });

    describe('history', () => {
      beforeEach(async () => {
        for (let i = 1; i <= 10; i++) await store.append(draft('general', `line ${i}`));
      });
      const seqs = (p: { messages: ChatMessage[] }) => p.messages.map((m) => m.seq);

      it('gives the newest page first, oldest message first within it', async () => {
        const p = await store.history('general', { limit: 3 });
        assert.deepEqual(seqs(p), [8, 9, 10]);
        assert.equal(p.more, true);
      });

      it('pages back with before until nothing is left', async () => {
        const p1 = await store.history('general', { before: 8, limit: 3 });
        assert.deepEqual([seqs(p1), p1.more], [[5, 6, 7], true]);
        const p2 = await store.history('general', { before: 2, limit: 3 });
        assert.deepEqual([seqs(p2), p2.more], [[1], false]);
      });

      it('pages forward with after, oldest first', async () => {
        const p1 = await store.history('general', { after: 0, limit: 4 });
        assert.deepEqual([seqs(p1), p1.more], [[1, 2, 3, 4], true]);
        const p2 = await store.history('general', { after: 8, limit: 5 });
        assert.deepEqual([seqs(p2), p2.more], [[9, 10], false]);
        const p3 = await store.history('general', { after: 10, limit: 5 });
        assert.deepEqual([seqs(p3), p3.more], [[], false]);
      });

      it('takes before and after together as a range', async () => {
        const p = await store.history('general', { after: 2, before: 6, limit: 10 });
        assert.deepEqual([seqs(p), p.more], [[3, 4, 5], false]);
      });

      it('gives an empty page for a room without messages', async () => {
        assert.deepEqual(await store.history('empty', { limit: 10 }), { messages: [], more: false });
      });
    });

    describe('search', () => {
      it('finds whole words in any case, newest first', async () => {
        await store.append(draft('general', 'The Launch is on Friday'));
        await store.append(draft('general', 'lunch at noon'));
        await store.append(draft('dev', 'launch checklist ready'));
        await store.append(draft('general', 'LAUNCH moved'));
        for (const text of ['launch', 'LAUNCH', 'Launch']) {
          const page = await searchAll(store, { text, rooms: ['general', 'dev'], limit: 10 });
          assert.deepEqual(page.map((m) => m.text), ['LAUNCH moved', 'launch checklist ready', 'The Launch is on Friday'], `searching ${text}`);
        }
        assert.deepEqual(await searchAll(store, { text: 'walrus', rooms: ['general', 'dev'], limit: 10 }), []);
      });

      it('searches only the rooms it is given', async () => {
        await store.append(draft('general', 'budget review'));
        await store.append(draft('dev', 'budget numbers'));
        await store.append(draft('secret', 'budget plans'));
        assert.deepEqual((await searchAll(store, { text: 'budget', rooms: ['dev'], limit: 10 })).map((m) => m.room), ['dev']);
        assert.deepEqual((await searchAll(store, { text: 'budget', rooms: [], limit: 10 })).map((m) => m.room), []);
        assert.deepEqual((await searchAll(store, { text: 'budget', rooms: ['general', 'secret'], limit: 10 })).map((m) => m.room), ['secret', 'general']);
      });

      it('shows a direct conversation only to its two participants', async () => {
        const dm = dmKey('alice', 'bob');
        await store.append(draft(dm, 'the launch code is 7431', { to: 'bob' }));
        await store.append(draft(dmKey('alice', 'carol'), 'launch party later', { to: 'carol' }));
        await store.append(draft('general', 'launch today'));
        const texts = async (q: Omit<SearchQuery, 'text' | 'limit'>) => (await searchAll(store, { text: 'launch', limit: 10, ...q })).map((m) => m.text);
        assert.deepEqual(await texts({ rooms: ['general'], dmsOf: 'bob' }), ['launch today', 'the launch code is 7431']);
        assert.deepEqual(await texts({ rooms: ['general'], dmsOf: 'alice' }), ['launch today', 'launch party later', 'the launch code is 7431']);
        assert.deepEqual(await texts({ rooms: ['general'], dmsOf: 'mallory' }), ['launch today'], 'a stranger sees no DM');
        assert.deepEqual(await texts({ rooms: ['general'] }), ['launch today'], 'no dmsOf, no DMs');
        assert.deepEqual(await texts({ rooms: [dm, 'general'], dmsOf: 'mallory' }), ['launch today'], 'naming a DM key in rooms does not open it');
        assert.deepEqual(await texts({ rooms: [dm], dmsOf: 'ali' }), [], 'a prefix of a participant is not a participant');
      });

      it('pages with a cursor, newest first, without repeats or gaps', async () => {
        const expected: string[] = [];
        for (let i = 0; i < 60; i++) {
          const room = ['general', 'dev', 'ops'][i % 3];
          const match = i % 2 === 0;
          const m = (await store.append(draft(room, match ? `deploy number ${i}` : `unrelated note ${i}`))).message;
          if (match) expected.unshift(m.id);
        }
        const pages: string[][] = [];
        let cursor: string | undefined;
        do {
          const page = await store.search({ text: 'deploy', rooms: ['general', 'dev', 'ops'], limit: 7, cursor });
          assert.ok(page.messages.length <= 7, `a page holds at most the limit, got ${page.messages.length}`);
          pages.push(page.messages.map((m) => m.id));
          cursor = page.next;
          if (pages.length === 2) {
            // A message stored between pages is newer than every page so far: later pages do not show it.
            await store.append(draft('general', 'deploy after the first page'));
          }
          assert.ok(pages.length < 100, 'the search ends');
        } while (cursor !== undefined);
        assert.deepEqual(pages.flat(), expected);
      });

      it('stops at the limit and says where to go on', async () => {
        for (let i = 0; i < 5; i++) await store.append(draft('general', `release ${i}`));
        const page = await store.search({ text: 'release', rooms: ['general'], limit: 2 });
        assert.deepEqual(page.messages.map((m) => m.text), ['release 4', 'release 3']);
        assert.ok(page.next !== undefined);
        const rest = await searchAll(store, { text: 'release', rooms: ['general'], limit: 10, cursor: page.next });
        assert.deepEqual(rest.map((m) => m.text), ['release 2', 'release 1', 'release 0']);
      });

      it('refuses a cursor it did not make', async () => {
        await store.append(draft('general', 'anything'));
        await assert.rejects(store.search({ text: 'anything', rooms: ['general'], limit: 5, cursor: 'not-a-cursor' }), RangeError);
      });
    });

    describe('rooms', () => {
      it('lists rooms with their newest seq, without DM conversations', async () => {
        await store.append(draft('general', 'one'));
        await store.append(draft('general', 'two'));
        await store.append(draft('dev', 'three'));
        await store.append(draft(dmKey('alice', 'bob'), 'four', { to: 'bob' }));
        const rooms = (await store.rooms()).sort((a, b) => a.name.localeCompare(b.name));
        assert.deepEqual(rooms, [
          { name: 'dev', lastSeq: 1, lastRev: 0 },
          { name: 'general', lastSeq: 2, lastRev: 0 },
        ]);
      });

      it("lists a participant's direct conversations with their newest seq, and nobody else's", async () => {
        await store.append(draft('general', 'not a DM'));
        await store.append(draft(dmKey('alice', 'bob'), 'one', { to: 'bob' }));
        await store.append(draft(dmKey('alice', 'bob'), 'two', { to: 'alice' }));
        await store.append(draft(dmKey('carol', 'alice'), 'three', { to: 'carol' }));
        await store.append(draft(dmKey('bob', 'carol'), 'four', { to: 'carol' }));
        const of = async (who: string) => (await store.conversationsOf(who)).sort((a, b) => a.name.localeCompare(b.name));
        assert.deepEqual(await of('alice'), [
          { name: dmKey('alice', 'bob'), lastSeq: 2, lastRev: 0 },
          { name: dmKey('alice', 'carol'), lastSeq: 1, lastRev: 0 },
        ]);
        assert.deepEqual(await of('dave'), []);
        assert.deepEqual(await of('general'), [], 'a room name is not a participant');
      });
    });

    describe('name claims', () => {
      it('gives a name to the first identity that claims it', async () => {
        assert.equal(await store.nameOwner('alice'), undefined);
        assert.equal(await store.claimName('alice', 'ed25519:key-a'), 'ed25519:key-a');
        assert.equal(await store.claimName('alice', 'ed25519:key-a'), 'ed25519:key-a', 'the owner may claim again');
        assert.equal(await store.claimName('alice', 'key-m'), 'ed25519:key-a', 'anyone else gets the owner back');
        assert.equal(await store.nameOwner('alice'), 'ed25519:key-a');
      });

      it('compares names folded: case and compatibility forms are one name', async () => {
        assert.equal(await store.claimName('Alice', 'ed25519:key-a'), 'ed25519:key-a');
        assert.equal(await store.claimName('alice', 'key-m'), 'ed25519:key-a');
        assert.equal(await store.claimName('ＡＬＩＣＥ', 'key-m'), 'ed25519:key-a', 'fullwidth letters fold too');
        assert.equal(await store.nameOwner('ALICE'), 'ed25519:key-a');
      });

      it('frees a released name for the next claim', async () => {
        await store.claimName('bob', 'ed25519:key-b');
        assert.equal(await store.releaseName('BOB'), true);
        assert.equal(await store.releaseName('bob'), false, 'nothing left to release');
        assert.equal(await store.nameOwner('bob'), undefined);
        assert.equal(await store.claimName('bob', 'key-n'), 'key-n');
      });

      it('lists the names an identity owns, oldest claim first, and forgets released ones', async () => {
        assert.deepEqual(await store.namesOf('ed25519:key-a'), []);
        await store.claimName('Alice', 'ed25519:key-a');
        await store.claimName('carol', 'ed25519:key-b');
        await store.claimName('alice2', 'ed25519:key-a');
        assert.deepEqual(await store.namesOf('ed25519:key-a'), ['alice', 'alice2']);
        await store.releaseName('alice');
        assert.deepEqual(await store.namesOf('ed25519:key-a'), ['alice2']);
        assert.deepEqual(await store.namesOf('ed25519:key-b'), ['carol']);
      });

      it('handles concurrent claims of one name: exactly one wins', async () => {
        const owners = await Promise.all(['k1', 'k2', 'k3', 'k4'].map((k) => store.claimName('dana', k)));
        assert.equal(new Set(owners).size, 1);
        assert.equal(await store.nameOwner('dana'), owners[0]);
      });
    });

    describe('room settings', () => {
      it('has none for a room until they are set, then gives them back with version 1', async () => {
        assert.equal(await store.roomState('dev'), undefined);
        assert.equal(await store.setRoomState('dev', roomState(), 0), true);
        assert.deepEqual(await store.roomState('dev'), { version: 1, state: roomState() });
        assert.equal(await store.roomState('general'), undefined, 'rooms are kept apart');
      });

      it('writes only over the version it was given: compare-and-set', async () => {
        await store.setRoomState('dev', roomState(), 0);
        assert.equal(await store.setRoomState('dev', roomState({ topic: { text: 'late', by: 'bob', at: 'x' } }), 0), false, 'version 0 is taken');
        const second = roomState({ topic: { text: 'Ship ✓ on Friday', by: 'alice', at: '2026-01-02T03:04:05.000Z' }, ops: ['alice', 'Bob'] });
        assert.equal(await store.setRoomState('dev', second, 1), true);
        assert.equal(await store.setRoomState('dev', roomState(), 1), false, 'version 1 is stale now');
        assert.deepEqual(await store.roomState('dev'), { version: 2, state: second });
      });

      it('lets exactly one of several concurrent writers of one version win', async () => {
        await store.setRoomState('dev', roomState(), 0);
        const wins = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((who) => store.setRoomState('dev', roomState({ ops: [who] }), 1)));
        assert.equal(wins.filter(Boolean).length, 1);
        const stored = await store.roomState('dev');
        assert.equal(stored?.version, 2);
        assert.deepEqual(stored?.state.ops, [['a', 'b', 'c', 'd', 'e'][wins.indexOf(true)]], 'the winner\'s state is the one kept');
        const firsts = await Promise.all(['x', 'y', 'z'].map((who) => store.setRoomState('new-room', roomState({ ops: [who] }), 0)));
        assert.equal(firsts.filter(Boolean).length, 1, 'the first version too');
      });
    });

    describe('retention', () => {
      it('keeps only the newest messages of each room, and seqs go on', async () => {
        const r = await make({ retention: { maxPerRoom: 5, maxIds: 1000 } });
        extra.push(r);
        for (let i = 1; i <= 12; i++) await r.store.append(draft('general', i === 1 ? 'ancient walrus' : `recent line ${i}`, { id: `ret-${i}` }));
        const page = await r.store.history('general', { limit: 100 });
        assert.deepEqual(page.messages.map((m) => m.seq), [8, 9, 10, 11, 12]);
        assert.equal(page.more, false);
        assert.equal(await r.store.lastSeq('general'), 12);
        assert.equal((await r.store.append(draft('general', 'next'))).message.seq, 13);
        assert.deepEqual(await searchAll(r.store, { text: 'walrus', rooms: ['general'], limit: 10 }), [], 'a dropped message is not found');
        assert.equal((await searchAll(r.store, { text: 'recent', rooms: ['general'], limit: 10 })).length, 4);
      });
    });

    describe('changes to messages (edits, deletes, reactions)', () => {
      it('gets one message in its latest state, and nothing for a seq it does not hold', async () => {
        await store.append(draft('general', 'first'));
        const reply = await store.append(draft('general', 'answer', { replyTo: 1 }));
        assert.equal(reply.message.replyTo, 1, 'the stored reply names the seq it answers');
        assert.equal((await store.get('general', 2))?.replyTo, 1);
        assert.equal((await store.get('general', 1))?.text, 'first');
        assert.equal(await store.get('general', 3), undefined);
        assert.equal(await store.get('nowhere', 1), undefined);
      });

      it('edits: the text is replaced everywhere, with the edit time and the next rev', async () => {
        await store.append(draft('general', 'teh typo'));
        await store.append(draft('general', 'other words'));
        assert.equal(await store.lastRev('general'), 0);
        const r = await store.mutate('general', 1, { kind: 'edit', text: 'the fixed words', ts: '2026-02-01T00:00:00.000Z' }, 'ed25519:key-a');
        assert.ok(r.ok && r.changed);
        assert.deepEqual([r.message.text, r.message.edited, r.message.rev, r.rev], ['the fixed words', '2026-02-01T00:00:00.000Z', 1, 1]);
        assert.equal(await store.lastRev('general'), 1);
        assert.deepEqual((await store.history('general', { limit: 10 })).messages.map((m) => m.text), ['the fixed words', 'other words']);
        assert.deepEqual((await searchAll(store, { text: 'fixed', rooms: ['general'], limit: 10 })).map((m) => m.seq), [1]);
        assert.deepEqual(await searchAll(store, { text: 'teh', rooms: ['general'], limit: 10 }), [], 'the old text is not searchable');
        assert.deepEqual((await store.rooms()).find((x) => x.name === 'general'), { name: 'general', lastSeq: 2, lastRev: 1 });
      });

      it('deletes: text and snippet are gone from reads and search; the fact of the message stays', async () => {
        const d = draft('general', 'a secret launch code', { snippet: { lang: 'ts', file: 'k.ts', startLine: 1, endLine: 1, code: 'secretcode' } });
        await store.append(d);
        await store.mutate('general', 1, { kind: 'react', emoji: '👍', on: true, name: 'bob' }, 'ed25519:key-b');
        const r = await store.mutate('general', 1, { kind: 'delete', ts: '2026-02-01T00:00:00.000Z' }, 'ed25519:key-a');
        assert.ok(r.ok);
        const gone = { type: 'message', id: d.id, seq: 1, room: 'general', sender: d.sender, author: d.author, text: '', ts: d.ts, deleted: true, rev: 2 };
        assert.deepEqual(r.message, gone);
        assert.deepEqual(await store.get('general', 1), gone);
        assert.deepEqual((await store.history('general', { limit: 10 })).messages, [gone]);
        assert.deepEqual(await searchAll(store, { text: 'secret', rooms: ['general'], limit: 10 }), []);
        assert.deepEqual(await searchAll(store, { text: 'launch', rooms: ['general'], limit: 10 }), []);
        for (const change of [{ kind: 'delete', ts: d.ts }, { kind: 'edit', text: 'back', ts: d.ts }, { kind: 'react', emoji: '👍', on: true, name: 'bob' }] as const) {
          const again = await store.mutate('general', 1, change, 'ed25519:key-a');
          assert.ok(!again.ok && again.code === 'bad_target', `a deleted message takes no ${change.kind}`);
        }
        assert.equal(await store.lastRev('general'), 2, 'refusals take no rev');
      });

      it('refuses a change to a message it does not hold', async () => {
        await store.append(draft('general', 'only one'));
        const r = await store.mutate('general', 2, { kind: 'edit', text: 'x', ts: '2026-02-01T00:00:00.000Z' }, 'ed25519:key-a');
        assert.ok(!r.ok && r.code === 'bad_target');
        assert.ok(!(await store.mutate('elsewhere', 1, { kind: 'delete', ts: '2026-02-01T00:00:00.000Z' }, 'ed25519:key-a')).ok);
      });

      it('reactions: one per person and emoji, counted, named, taken back by the same identity only', async () => {
        await store.append(draft('general', 'ship it?'));
        const react = (emoji: string, on: boolean, actor: string, name: string) => store.mutate('general', 1, { kind: 'react', emoji, on, name }, actor);
        assert.ok((await react('👍', true, 'ed25519:key-b', 'bob')).ok);
        const twice = await react('👍', true, 'ed25519:key-b', 'bob');
        assert.ok(twice.ok && !twice.changed, 'the same reaction twice changes nothing');
        await react('👍', true, 'ed25519:key-c', 'carol');
        await react(':tada:', true, 'ed25519:key-b', 'bob');
        const off = await react('👍', false, 'ed25519:key-x', 'bob');
        assert.ok(off.ok && !off.changed, 'someone else cannot take bob\'s reaction back, even under his name');
        let m = await store.get('general', 1);
        assert.deepEqual(m?.reactions, [
          { emoji: '👍', count: 2, people: ['bob', 'carol'] },
          { emoji: ':tada:', count: 1, people: ['bob'] },
        ]);
        await react('👍', false, 'ed25519:key-b', 'bob');
        await react(':tada:', false, 'ed25519:key-b', 'bob');
        m = await store.get('general', 1);
        assert.deepEqual(m?.reactions, [{ emoji: '👍', count: 1, people: ['carol'] }]);
        assert.equal(m?.rev, 5);
      });

      it('caps the distinct reactions on one message', async () => {
        await store.append(draft('general', 'react to me'));
        for (let i = 0; i < 20; i++) assert.ok((await store.mutate('general', 1, { kind: 'react', emoji: `:r${i}:`, on: true, name: 'bob' }, 'ed25519:key-b')).ok);
        const r = await store.mutate('general', 1, { kind: 'react', emoji: ':one-more:', on: true, name: 'bob' }, 'ed25519:key-b');
        assert.ok(!r.ok && r.code === 'too_many_reactions');
        assert.ok((await store.mutate('general', 1, { kind: 'react', emoji: ':r0:', on: true, name: 'carol' }, 'ed25519:key-c')).ok, 'an existing emoji still takes more people');
      });

      it('lists changes since a rev: latest states once each, ordered by rev, in pages', async () => {
        for (let i = 1; i <= 4; i++) await store.append(draft('general', `message ${i}`));
        await store.append(draft('dev', 'elsewhere'));
        await store.mutate('general', 2, { kind: 'edit', text: 'two, edited', ts: '2026-02-01T00:00:00.000Z' }, 'ed25519:key-a');
        await store.mutate('general', 4, { kind: 'react', emoji: '👍', on: true, name: 'bob' }, 'ed25519:key-b');
        await store.mutate('general', 2, { kind: 'edit', text: 'two, again', ts: '2026-02-01T00:00:01.000Z' }, 'ed25519:key-a');
        await store.mutate('general', 1, { kind: 'delete', ts: '2026-02-01T00:00:02.000Z' }, 'ed25519:key-a');
        await store.mutate('dev', 1, { kind: 'edit', text: 'dev edit', ts: '2026-02-01T00:00:02.000Z' }, 'ed25519:key-a');
        const all = await store.changes('general', 0, 10);
        assert.deepEqual(
          all.messages.map((m) => [m.seq, m.rev, m.text]),
          [
            [4, 2, 'message 4'],
            [2, 3, 'two, again'],
            [1, 4, ''],
          ],
        );
        assert.deepEqual([all.rev, all.more], [4, false]);
        const first = await store.changes('general', 0, 2);
        assert.deepEqual([first.messages.map((m) => m.seq), first.more], [[4, 2], true]);
        const rest = await store.changes('general', 3, 2);
        assert.deepEqual([rest.messages.map((m) => m.seq), rest.more], [[1], false]);
        assert.deepEqual(await store.changes('general', 4, 10), { messages: [], rev: 4, more: false });
        assert.deepEqual((await store.changes('dev', 0, 10)).messages.map((m) => m.text), ['dev edit'], 'each room counts its own revs');
        assert.deepEqual(await store.changes('nowhere', 0, 10), { messages: [], rev: 0, more: false });
      });
    });

    if (traits.durable) {
      describe('across a reopen', () => {
        it('keeps messages, seqs, the history id and de-duplication', async () => {
          const id = store.id;
          await store.append(draft('general', 'before the restart', { id: 'r1', author: 'ed25519:key-a' }));
          await store.append(draft('general', 'also before', { id: 'r2', author: 'ed25519:key-a' }));
          await store.append(draft(dmKey('alice', 'bob'), 'private words', { to: 'bob' }));
          const s = await reopen();
          assert.equal(s.id, id, 'the same data keeps its history id');
          assert.equal(await s.lastSeq('general'), 2);
          assert.deepEqual((await s.history('general', { limit: 10 })).messages.map((m) => m.text), ['before the restart', 'also before']);
          const again = await s.append(draft('general', 'resent', { id: 'r2', sender: 'alice2', author: 'ed25519:key-a' }));
          assert.deepEqual([again.duplicate, again.message.seq, again.message.text], [true, 2, 'also before']);
          assert.equal((await s.append(draft('general', 'after the restart'))).message.seq, 3);
          assert.deepEqual((await searchAll(s, { text: 'private', rooms: [], dmsOf: 'bob', limit: 10 })).map((m) => m.text), ['private words']);
          assert.deepEqual(await searchAll(s, { text: 'private', rooms: [], dmsOf: 'mallory', limit: 10 }), []);
        });

        it('keeps edits, deletes, reactions and revs', async () => {
          await store.append(draft('general', 'first words'));
          await store.append(draft('general', 'doomed secret', { replyTo: 1 }));
          await store.append(draft('general', 'third'));
          await store.mutate('general', 1, { kind: 'edit', text: 'edited words', ts: '2026-02-01T00:00:00.000Z' }, 'ed25519:key-a');
          await store.mutate('general', 3, { kind: 'react', emoji: '👍', on: true, name: 'bob' }, 'ed25519:key-b');
          await store.mutate('general', 2, { kind: 'delete', ts: '2026-02-01T00:00:01.000Z' }, 'ed25519:key-a');
          let s = await reopen();
          assert.equal(await s.lastRev('general'), 3);
          assert.deepEqual(
            (await s.history('general', { limit: 10 })).messages.map((m) => [m.text, m.edited, m.deleted, m.replyTo, m.rev]),
            [
              ['edited words', '2026-02-01T00:00:00.000Z', undefined, undefined, 1],
              ['', undefined, true, 1, 3],
              ['third', undefined, undefined, undefined, 2],
            ],
          );
          assert.deepEqual(await searchAll(s, { text: 'secret', rooms: ['general'], limit: 10 }), []);
          assert.deepEqual(await searchAll(s, { text: 'first', rooms: ['general'], limit: 10 }), []);
          const off = await s.mutate('general', 3, { kind: 'react', emoji: '👍', on: false, name: 'bob' }, 'ed25519:key-b');
          assert.ok(off.ok && off.changed && off.rev === 4, 'the reactor set survives: bob can take his reaction back');
          s = await reopen();
          assert.deepEqual((await s.changes('general', 0, 10)).messages.map((m) => [m.seq, m.rev]), [[1, 1], [2, 3], [3, 4]]);
          assert.equal((await s.get('general', 3))?.reactions, undefined);
        });

        it('keeps name claims and releases', async () => {
          await store.claimName('Alice', 'ed25519:key-a');
          await store.claimName('bob', 'ed25519:key-b');
          await store.releaseName('bob');
          const s = await reopen();
          assert.equal(await s.nameOwner('alice'), 'ed25519:key-a');
          assert.equal(await s.claimName('ALICE', 'key-m'), 'ed25519:key-a');
          assert.equal(await s.nameOwner('bob'), undefined);
        });

        it('keeps room settings and their version', async () => {
          const state = roomState({ topic: { text: 'standup at 10', by: 'alice', at: '2026-01-02T03:04:05.000Z' }, modes: { t: true, i: true, m: false, k: 'sesame', l: 12 }, bans: [{ mask: 'mallory*', by: 'alice', at: '2026-01-02T03:04:06.000Z' }], invites: ['bob'] });
          await store.setRoomState('dev', roomState(), 0);
          await store.setRoomState('dev', state, 1);
          await store.setRoomState('ops', roomState({ ops: ['carol'] }), 0);
          const s = await reopen();
          assert.deepEqual(await s.roomState('dev'), { version: 2, state });
          assert.deepEqual(await s.roomState('ops'), { version: 1, state: roomState({ ops: ['carol'] }) });
          assert.equal(await s.setRoomState('dev', roomState(), 1), false, 'compare-and-set still knows the version');
          assert.equal(await s.setRoomState('dev', roomState(), 2), true);
        });

        it('keeps the retained window', async () => {
          const r = await make({ retention: { maxPerRoom: 3, maxIds: 1000 } });
          extra.push(r);
          for (let i = 1; i <= 10; i++) await r.store.append(draft('general', `kept ${i}`));
          assert.ok(r.reopen, 'a durable store fixture has reopen()');
          const s = await r.reopen();
          assert.deepEqual((await s.history('general', { limit: 100 })).messages.map((m) => m.seq), [8, 9, 10]);
          assert.equal((await s.append(draft('general', 'next'))).message.seq, 11);
        });
      });
    }
  });
}

let clock = 0;

/** A room's settings: none set, unless overridden. */
function roomState(over: Partial<RoomState> = {}): RoomState {
  return { modes: { t: true, i: false, m: false }, ops: ['alice'], voiced: [], bans: [], invites: [], ...over };
}

/** A draft with a fresh id and a time one second after the previous draft's. */
export function draft(room: string, text: string, over: Partial<MessageDraft> = {}): MessageDraft {
  clock++;
  return { id: `m${clock}`, room, sender: 'alice', author: 'ed25519:key-a', text, ts: new Date(Date.UTC(2026, 0, 1) + clock * 1000).toISOString(), ...over };
}

/** Every result of a search, following `next` to the end. */
export async function searchAll(store: Store, query: SearchQuery): Promise<ChatMessage[]> {
  const out: ChatMessage[] = [];
  let cursor = query.cursor;
  for (let pages = 0; ; pages++) {
    assert.ok(pages < 10_000, 'the search ends');
    const page = await store.search({ ...query, cursor });
    assert.ok(page.messages.length <= query.limit, 'a page holds at most the limit');
    out.push(...page.messages);
    if (page.next === undefined) return out;
    cursor = page.next;
  }
}
