import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileStore } from '../../src/engine/stores/fileStore';
import type { ChatMessage } from '../../src/engine/protocol';
import { Harness } from '../support/harness';

function msg(room: string, seq: number, text = `text ${seq}`): ChatMessage {
  return { type: 'message', id: `id-${room}-${seq}`, seq, room, sender: 'alice', text, ts: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString() };
}

/**
 * The server over a data directory: what a restart keeps. The store itself
 * has its own tests in test/unit/fileStore.test.ts and test/contract/.
 */
describe('FileStore behind a server', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('continues history and seq after a restart', async () => {
    const dir = h.tmpDir();
    const first = await h.server({ store: await FileStore.open(dir) });
    const a = await h.raw(first.port, 'alice');
    for (const id of ['m1', 'm2', 'm3']) {
      a.client.send({ type: 'message', id, room: 'general', text: id });
      await a.client.waitFor((f) => f.type === 'message' && f.id === id);
    }
    await h.stop(first.server);

    const second = await h.server({ store: await FileStore.open(dir) });
    // The same guest comes back with its session token: the same guest id, so its resends are recognised.
    const b = await h.raw(second.port, 'alice', { session: a.welcome.session });
    assert.equal(b.welcome.id, a.welcome.id);
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
    const store = await FileStore.open(dir);
    const { port } = await h.server({ store });
    const a = await h.raw(port, 'alice');
    assert.deepEqual((a.welcome.history as ChatMessage[]).map((m) => m.text), ['kept']);
    a.client.send({ type: 'message', id: 'n', room: 'general', text: 'next' });
    assert.equal((await a.client.waitFor((f) => f.type === 'message')).seq, 2);
  });
});
