import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileStore } from '../../src/engine/fileStore';
import type { ChatMessage } from '../../src/engine/protocol';
import { Harness } from '../support/harness';

function msg(room: string, seq: number, text = `text ${seq}`): ChatMessage {
  return { type: 'message', id: `id-${room}-${seq}`, seq, room, sender: 'alice', text, ts: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString() };
}

describe('FileStore', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('keeps each room in its own JSON Lines file and reads it back after a reopen', async () => {
    const dir = h.tmpDir();
    const s1 = FileStore.open(dir);
    s1.append(msg('general', 1));
    s1.append(msg('general', 2));
    s1.append(msg('dev', 1));
    s1.append({ ...msg('@alice,bob', 1), to: 'bob' });
    await s1.close();
    const files = fs.readdirSync(path.join(dir, 'rooms')).sort();
    assert.ok(files.includes('general.jsonl') && files.includes('dev.jsonl'));
    assert.ok(files.some((f) => /^dm-[0-9a-f]{24}\.jsonl$/.test(f)), 'DM keys become hashed file names');
    const lines = fs.readFileSync(path.join(dir, 'rooms', 'general.jsonl'), 'utf8').split('\n');
    assert.deepEqual(lines.slice(0, 2).map((l) => (JSON.parse(l) as ChatMessage).seq), [1, 2]);
    assert.equal(lines[2], '', 'every line ends with a newline');

    const s2 = FileStore.open(dir);
    h.own(() => s2.close());
    assert.deepEqual(s2.recovery, { ...s2.recovery, rooms: 3, messages: 4, skipped: 0 });
    assert.equal(s2.lastSeq('general'), 2);
    assert.equal(s2.lastSeq('@alice,bob'), 1);
    assert.equal(s2.findById('alice', 'id-general-2')?.seq, 2, 'ids survive for resend de-duplication');
    assert.deepEqual(s2.history('general', { limit: 10 }).messages.map((m) => m.text), ['text 1', 'text 2']);
  });

  it('skips a torn last line and starts the next append on a fresh line', async () => {
    const dir = h.tmpDir();
    const s1 = FileStore.open(dir);
    s1.append(msg('general', 1));
    s1.append(msg('general', 2));
    await s1.close();
    const file = path.join(dir, 'rooms', 'general.jsonl');
    // A crash in the middle of writing message 3.
    fs.appendFileSync(file, JSON.stringify(msg('general', 3)).slice(0, 40));

    const s2 = FileStore.open(dir);
    assert.equal(s2.recovery.messages, 2);
    assert.equal(s2.recovery.skipped, 1);
    assert.equal(s2.lastSeq('general'), 2);
    s2.append(msg('general', 3, 'written again'));
    await s2.close();

    const s3 = FileStore.open(dir);
    h.own(() => s3.close());
    assert.equal(s3.recovery.skipped, 1, 'the torn fragment stays on its own line');
    assert.deepEqual(s3.history('general', { limit: 10 }).messages.map((m) => m.text), ['text 1', 'text 2', 'written again']);
  });

  it('keeps only the retained window per room', async () => {
    const dir = h.tmpDir();
    const s = FileStore.open(dir, { maxPerRoom: 3, maxIds: 100 });
    h.own(() => s.close());
    for (let i = 1; i <= 10; i++) s.append(msg('general', i));
    const page = s.history('general', { limit: 100 });
    assert.deepEqual(page.messages.map((m) => m.seq), [8, 9, 10]);
    assert.equal(page.more, false);
    assert.equal(s.lastSeq('general'), 10);
    // The file is compacted once it holds more than twice the window.
    const lines = fs.readFileSync(path.join(dir, 'rooms', 'general.jsonl'), 'utf8').trim().split('\n');
    assert.ok(lines.length <= 6, `compacted file has ${lines.length} lines`);
  });

  it('says what to do when the data directory cannot be created', () => {
    // A regular file where a directory should be fails even for root.
    const file = path.join(h.tmpDir(), 'not-a-dir');
    fs.writeFileSync(file, '');
    assert.throws(() => FileStore.open(path.join(file, 'data')), /cannot write to data directory .*Pick another --data directory or fix its permissions/);
  });

  describe('behind a server', () => {
    it('continues history and seq after a restart', async () => {
      const dir = h.tmpDir();
      const first = await h.server({ store: FileStore.open(dir) });
      const a = await h.raw(first.port, 'alice');
      for (const id of ['m1', 'm2', 'm3']) {
        a.client.send({ type: 'message', id, room: 'general', text: id });
        await a.client.waitFor((f) => f.type === 'message' && f.id === id);
      }
      await h.stop(first.server);

      const second = await h.server({ store: FileStore.open(dir) });
      const b = await h.raw(second.port, 'alice');
      assert.deepEqual((b.welcome.history as ChatMessage[]).map((m) => m.id), ['m1', 'm2', 'm3']);
      b.client.send({ type: 'message', id: 'm4', room: 'general', text: 'after the restart' });
      assert.equal((await b.client.waitFor((f) => f.type === 'message' && f.id === 'm4')).seq, 4);
      // An id accepted before the restart is still recognised.
      b.client.send({ type: 'message', id: 'm2', room: 'general', text: 'resent' });
      const again = await b.client.waitFor((f) => f.type === 'message' && f.id === 'm2');
      assert.equal(again.seq, 2);
      assert.equal(again.text, 'm2');
    });

    it('starts despite a torn last line, and skips it', async () => {
      const dir = h.tmpDir();
      fs.mkdirSync(path.join(dir, 'rooms'), { recursive: true });
      const good = JSON.stringify(msg('general', 1, 'kept')) + '\n';
      fs.writeFileSync(path.join(dir, 'rooms', 'general.jsonl'), good + '{"type":"message","id":"torn","seq":2,"ro');
      const store = FileStore.open(dir);
      const { port } = await h.server({ store });
      const a = await h.raw(port, 'alice');
      assert.deepEqual((a.welcome.history as ChatMessage[]).map((m) => m.text), ['kept']);
      a.client.send({ type: 'message', id: 'n', room: 'general', text: 'next' });
      assert.equal((await a.client.waitFor((f) => f.type === 'message')).seq, 2);
    });
  });
});
