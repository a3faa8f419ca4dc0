import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dmKey, type ChatMessage } from '../../src/engine/protocol';
import { FileStore, type FileStoreOptions } from '../../src/engine/stores/fileStore';
import { openForAppend } from '../../src/engine/stores/roomFiles';
import { StoreError } from '../../src/engine/stores/store';
import { draft } from '../contract/store.contract';
import { Harness } from '../support/harness';

/** Lines of a room file, parsed. */
function fileLines(dir: string, file: string): Array<Record<string, unknown>> {
  const text = fs.readFileSync(path.join(dir, 'rooms', file), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('FileStore (stores/)', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  async function open(dir: string, options?: FileStoreOptions): Promise<FileStore> {
    const s = await FileStore.open(dir, options);
    h.own(() => s.close());
    return s;
  }

  it('a delete rewrites the room file at once: neither the text nor its earlier edits stay in it', async () => {
    const dir = h.tmpDir();
    const s = await open(dir);
    await s.append(draft('general', 'the password is hunter2'));
    await s.append(draft('general', 'unrelated'));
    await s.mutate('general', 1, { kind: 'edit', text: 'the password is hunter3', ts: '2026-02-01T00:00:00.000Z' }, 'ed25519:key-a');
    assert.match(fs.readFileSync(path.join(dir, 'rooms', 'general.jsonl'), 'utf8'), /hunter2/, 'an edit alone appends a change line');
    await s.mutate('general', 1, { kind: 'delete', ts: '2026-02-01T00:00:01.000Z' }, 'ed25519:key-a');
    const text = fs.readFileSync(path.join(dir, 'rooms', 'general.jsonl'), 'utf8');
    assert.doesNotMatch(text, /hunter/);
    assert.deepEqual(
      fileLines(dir, 'general.jsonl').map((l) => [l.type, l.seq, l.text, l.deleted]),
      [
        ['rev', undefined, undefined, undefined],
        ['message', 1, '', true],
        ['message', 2, 'unrelated', undefined],
      ],
    );
    assert.deepEqual(fs.readdirSync(path.join(dir, 'rooms')), ['general.jsonl'], 'no temporary copy is left behind');
  });

  it('keeps each room in its own JSON Lines file, with the author on each line, and reads it back', async () => {
    const dir = h.tmpDir();
    const s1 = await open(dir);
    await s1.append(draft('general', 'one', { author: 'ed25519:key-a' }));
    await s1.append(draft('general', 'two', { author: 'ed25519:key-a' }));
    await s1.append(draft('dev', 'three', { author: 'ed25519:key-b', sender: 'bob' }));
    await s1.append(draft(dmKey('alice', 'bob'), 'four', { to: 'bob' }));
    await s1.close();

    const files = fs.readdirSync(path.join(dir, 'rooms')).sort();
    assert.ok(files.includes('general.jsonl') && files.includes('dev.jsonl'));
    assert.ok(files.some((f) => /^dm-[0-9a-f]{24}\.jsonl$/.test(f)), `DM keys become hashed file names: ${files.join(', ')}`);
    assert.ok(!files.some((f) => f.includes('alice')), 'no name appears in a file name');
    const lines = fileLines(dir, 'general.jsonl');
    assert.deepEqual(lines.map((l) => [l.seq, l.author]), [[1, 'ed25519:key-a'], [2, 'ed25519:key-a']]);
    assert.ok(fs.readFileSync(path.join(dir, 'rooms', 'general.jsonl'), 'utf8').endsWith('}\n'), 'every line ends with a newline');

    const s2 = await open(dir);
    assert.deepEqual(s2.recovery, { ...s2.recovery, rooms: 3, messages: 4, skipped: 0 });
    assert.equal(await s2.lastSeq('general'), 2);
    assert.equal(await s2.lastSeq(dmKey('alice', 'bob')), 1);
    const [m] = (await s2.history('dev', { limit: 10 })).messages;
    assert.equal(m.author, 'ed25519:key-b', 'the author comes back with the message after a restart');
  });

  it('reads lines written before authors were stored, taking the sender as the author', async () => {
    const dir = h.tmpDir();
    fs.mkdirSync(path.join(dir, 'rooms'), { recursive: true });
    const old: ChatMessage = { type: 'message', id: 'old-1', seq: 1, room: 'general', sender: 'alice', text: 'from an older server', ts: '2025-06-01T00:00:00.000Z' };
    fs.writeFileSync(path.join(dir, 'rooms', 'general.jsonl'), JSON.stringify(old) + '\n');
    // A line from a server before identities names its author by display name: no identity to show.
    fs.appendFileSync(path.join(dir, 'rooms', 'general.jsonl'), JSON.stringify({ ...old, id: 'old-2', seq: 2, author: 'alice' }) + '\n');
    const s = await open(dir);
    assert.deepEqual((await s.history('general', { limit: 10 })).messages, [old, { ...old, id: 'old-2', seq: 2 }]);
    assert.equal((await s.append(draft('general', 'resent', { id: 'old-1', author: 'alice' }))).duplicate, true);
    const other = await s.append(draft('general', 'someone else', { id: 'old-1', author: 'ed25519:key-b' }));
    assert.deepEqual([other.duplicate, other.message.seq], [false, 3]);
  });

  it('skips a torn last line and starts the next append on a fresh line', async () => {
    const dir = h.tmpDir();
    const s1 = await open(dir);
    await s1.append(draft('general', 'text 1'));
    await s1.append(draft('general', 'text 2'));
    await s1.close();
    const file = path.join(dir, 'rooms', 'general.jsonl');
    // A crash in the middle of writing message 3.
    fs.appendFileSync(file, JSON.stringify({ type: 'message', id: 'torn', seq: 3, room: 'general' }).slice(0, 40));

    const s2 = await open(dir);
    assert.deepEqual([s2.recovery.messages, s2.recovery.skipped], [2, 1]);
    assert.equal(await s2.lastSeq('general'), 2);
    assert.equal((await s2.append(draft('general', 'written again'))).message.seq, 3);
    await s2.close();

    const s3 = await open(dir);
    assert.equal(s3.recovery.skipped, 1, 'the torn fragment stays on its own line');
    assert.deepEqual((await s3.history('general', { limit: 10 })).messages.map((m) => m.text), ['text 1', 'text 2', 'written again']);
  });

  it('skips a line that names another room than its file', async () => {
    const dir = h.tmpDir();
    const s1 = await open(dir);
    await s1.append(draft('general', 'mine'));
    await s1.close();
    const stray = { type: 'message', id: 'x', seq: 2, room: 'dev', sender: 'a', text: 'stray', ts: '2026-01-01T00:00:00.000Z' };
    fs.appendFileSync(path.join(dir, 'rooms', 'general.jsonl'), JSON.stringify(stray) + '\n');
    const s2 = await open(dir);
    assert.deepEqual([s2.recovery.messages, s2.recovery.skipped, await s2.lastSeq('dev')], [1, 1, 0]);
  });

  it('keeps only the retained window, compacting the file with its authors', async () => {
    const dir = h.tmpDir();
    const s = await open(dir, { retention: { maxPerRoom: 3, maxIds: 100 } });
    for (let i = 1; i <= 10; i++) await s.append(draft('general', `text ${i}`, { id: `c${i}`, author: 'ed25519:key-a' }));
    const page = await s.history('general', { limit: 100 });
    assert.deepEqual([page.messages.map((m) => m.seq), page.more], [[8, 9, 10], false]);
    // The file is compacted once it holds more than twice the window.
    const lines = fileLines(dir, 'general.jsonl');
    assert.ok(lines.length <= 6, `compacted file has ${lines.length} lines`);
    assert.ok(lines.every((l) => l.author === 'ed25519:key-a'), 'compaction keeps the authors');
    assert.deepEqual(fs.readdirSync(path.join(dir, 'rooms')), ['general.jsonl'], 'no temporary file is left');
    await s.close();

    const again = await open(dir, { retention: { maxPerRoom: 3, maxIds: 100 } });
    assert.equal((await again.append(draft('general', 'resent', { id: 'c10', author: 'ed25519:key-a' }))).duplicate, true);
  });

  it('keeps name claims in names.jsonl and skips a torn line there', async () => {
    const dir = h.tmpDir();
    const s1 = await open(dir);
    await s1.claimName('Alice', 'ed25519:key-a');
    await s1.claimName('bob', 'ed25519:key-b');
    await s1.releaseName('bob');
    await s1.close();
    const text = fs.readFileSync(path.join(dir, 'names.jsonl'), 'utf8');
    assert.deepEqual(text.trim().split('\n').map((l) => JSON.parse(l) as unknown), [{ claim: 'alice', identity: 'ed25519:key-a' }, { claim: 'bob', identity: 'ed25519:key-b' }, { release: 'bob' }]);
    fs.appendFileSync(path.join(dir, 'names.jsonl'), '{"claim":"carol","ident');

    const s2 = await open(dir);
    assert.deepEqual([s2.recovery.names, s2.recovery.skipped], [1, 1]);
    assert.equal(await s2.claimName('dave', 'key-d'), 'key-d');
    await s2.close();
    const s3 = await open(dir);
    assert.equal(await s3.nameOwner('dave'), 'key-d', 'the claim after the torn line was written on a line of its own');
    assert.equal(await s3.nameOwner('carol'), undefined);
  });

  it('reads the claims and releases another writer appended to names.jsonl while it is open (the operator\'s names release)', async () => {
    const dir = h.tmpDir();
    const server = await open(dir);
    await server.claimName('alice', 'ed25519:key-a');
    const operator = await open(dir);
    assert.equal(await operator.releaseName('ALICE'), true);
    assert.equal(await server.nameOwner('alice'), undefined, 'released without a restart');
    assert.equal(await server.claimName('alice', 'ed25519:key-b'), 'ed25519:key-b');
    assert.equal(await operator.nameOwner('alice'), 'ed25519:key-b');
    // A line being written (no newline yet) is read once it is whole.
    fs.appendFileSync(path.join(dir, 'names.jsonl'), '{"release":"al');
    assert.equal(await server.nameOwner('alice'), 'ed25519:key-b');
    fs.appendFileSync(path.join(dir, 'names.jsonl'), 'ice"}\n');
    assert.equal(await server.nameOwner('alice'), undefined);
    await operator.close();
  });

  it('rejects with a StoreError and keeps nothing when a message cannot be written', async () => {
    const dir = h.tmpDir();
    let fail = true;
    const s = await open(dir, {
      openFile: (file) => {
        if (fail) throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
        return openForAppend(file);
      },
    });
    await assert.rejects(s.append(draft('general', 'lost')), (err: unknown) => err instanceof StoreError && /could not save message to history: EMFILE/.test(err.message));
    assert.equal(await s.lastSeq('general'), 0);
    fail = false;
    const { message } = await s.append(draft('general', 'kept'));
    assert.equal(message.seq, 1, 'the failed message took no seq');
  });

  it('writes every room correctly with only one file open at a time', async () => {
    const dir = h.tmpDir();
    const s = await open(dir, { maxOpenFiles: 1 });
    for (let i = 0; i < 3; i++) for (const room of ['a', 'b', 'c']) await s.append(draft(room, `${room}${i}`));
    for (const room of ['a', 'b', 'c']) assert.deepEqual(fileLines(dir, `${room}.jsonl`).map((l) => l.text), [`${room}0`, `${room}1`, `${room}2`]);
  });

  it('says what to do when the data directory cannot be created', async () => {
    // A regular file where a directory should be fails even for root.
    const file = path.join(h.tmpDir(), 'not-a-dir');
    fs.writeFileSync(file, '');
    await assert.rejects(FileStore.open(path.join(file, 'data')), (err: unknown) => err instanceof StoreError && /cannot write to data directory .*Pick another --data directory or fix its permissions/.test(err.message));
  });
  it('says what to do when a file in the data directory cannot be read', async () => {
    const dir = h.tmpDir();
    // A directory where a file should be cannot be read, even by root.
    fs.mkdirSync(path.join(dir, 'names.jsonl'), { recursive: true });
    await assert.rejects(FileStore.open(dir), (err: unknown) => err instanceof StoreError && /cannot read the history in data directory .*EISDIR.*move the damaged file away/.test(err.message));
  });

  it('refuses writes once closed', async () => {
    const s = await open(h.tmpDir());
    await s.close();
    await assert.rejects(s.append(draft('general', 'late')), /the store is closed/);
    await assert.rejects(s.claimName('alice', 'ed25519:key-a'), /the store is closed/);
  });

  describe('defects from issue 9', () => {
    const openFds = () => fs.readdirSync('/proc/self/fd').length;

    it('keeps a bounded number of room files open, however many rooms there are', async function () {
      this.timeout(60_000);
      const dir = h.tmpDir();
      const before = openFds();
      const s1 = await FileStore.open(dir);
      for (let i = 0; i < 5_000; i++) await s1.append(draft(`r${i}`, `one message in room ${i}`));
      const writing = openFds() - before;
      assert.ok(writing <= 80, `${writing} more descriptors open after writing to 5,000 rooms`);
      await s1.close();

      const s2 = await FileStore.open(dir);
      h.own(() => s2.close());
      const recovered = openFds() - before;
      assert.equal(s2.recovery.rooms, 5_000);
      assert.ok(recovered <= 80, `${recovered} more descriptors open after recovering 5,000 rooms`);
      // Every room can still be written, reopening its file on demand.
      for (const room of ['r0', 'r2500', 'r4999']) assert.equal((await s2.append(draft(room, 'second'))).message.seq, 2);
      assert.equal(fileLines(dir, 'r0.jsonl').length, 2);
    });

    it('leaves no stale descriptor when a room file cannot be reopened after compaction', async () => {
      const dir = h.tmpDir();
      let failOpen = false;
      const s = await open(dir, {
        retention: { maxPerRoom: 2, maxIds: 100 },
        openFile: (file) => {
          if (failOpen) throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
          return openForAppend(file);
        },
      });
      for (let i = 1; i <= 4; i++) await s.append(draft('general', `g${i}`));
      failOpen = true;
      // The fifth line passes twice the window: the file is compacted, and no file can be opened now.
      await s.append(draft('general', 'g5'));
      assert.ok(fileLines(dir, 'general.jsonl').length <= 2, 'compacted');
      await assert.rejects(s.append(draft('general', 'g6')), StoreError);
      failOpen = false;
      // Another room's new file may get the number a stale descriptor still holds.
      await s.append(draft('dev', 'd1'));
      await s.append(draft('general', 'g7'));
      assert.deepEqual(fileLines(dir, 'dev.jsonl').map((l) => l.text), ['d1'], 'nothing of general went into dev\'s file');
      assert.deepEqual(fileLines(dir, 'general.jsonl').map((l) => l.text).slice(-1), ['g7']);
      await s.close();
      const again = await open(dir);
      assert.equal(again.recovery.skipped, 0);
      assert.deepEqual((await again.history('general', { limit: 10 })).messages.map((m) => m.text), ['g4', 'g5', 'g7']);
    });
  });
});
