import * as assert from 'node:assert/strict';
import { generateIdentity } from '../../src/engine/identity';
import { dmKey } from '../../src/engine/protocol';
import { Conversation } from '../../src/extension/conversation';
import { KNOWN_PEOPLE_KEY, KeyChangeWatch } from '../../src/extension/keyChangeWatch';

/** The Memento contract over a Map, counting writes. */
class MapState {
  readonly values = new Map<string, unknown>();
  writes = 0;
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.writes++;
    this.values.set(key, JSON.parse(JSON.stringify(value)));
  }
}

describe('KeyChangeWatch (changed keys remembered in the editor’s global state)', () => {
  const server = '127.0.0.1:12345';
  const [me, alice, mallory] = [generateIdentity().id, generateIdentity().id, generateIdentity().id];

  it('writes once per batch and only when something is new; a new window (another watch on the same state) knows the people', () => {
    const state = new MapState();
    const watch = new KeyChangeWatch(state, assert.fail);
    assert.deepEqual(watch.see(server, [{ name: 'me', id: me }, { name: 'alice', id: alice }, { name: 'bob', id: generateIdentity().id }], me), []);
    assert.equal(state.writes, 1);
    watch.see(server, [{ name: 'alice', id: alice }], me);
    assert.equal(state.writes, 1, 'nothing new, nothing written');
    const later = new KeyChangeWatch(state, assert.fail);
    assert.deepEqual(later.see(server, [{ name: 'alice', id: mallory }], me), [{ name: 'alice', was: alice, now: mallory }]);
    assert.equal((state.get<{ servers: Record<string, Record<string, string>> }>(KNOWN_PEOPLE_KEY))?.servers[server].alice, mallory);
  });

  it('says so when global state cannot be written, and still reports the change', async () => {
    const warned: string[] = [];
    const state = { get: () => undefined, update: () => Promise.reject(new Error('disk full')) };
    const watch = new KeyChangeWatch(state, (m) => warned.push(m));
    watch.see(server, [{ name: 'alice', id: alice }], me);
    assert.deepEqual(watch.see(server, [{ name: 'alice', id: mallory }], me), [{ name: 'alice', was: alice, now: mallory }]);
    await new Promise(setImmediate);
    assert.match(warned[0] ?? '', /could not remember who is who: disk full/);
  });

  it('warns of a changed key in the log, where the person looks, in general and in the old direct conversation', () => {
    const warned: string[] = [];
    const watch = new KeyChangeWatch(new MapState(), (m) => warned.push(m));
    const convo = new Conversation();
    const lines: string[] = [];
    const system = (room: string, text: string) => lines.push(`${room}\t${text}`);
    watch.warnIn(convo, [{ name: 'alice', id: alice }], system);
    assert.deepEqual(warned, [], 'no server known yet: nothing remembered, nothing said');
    convo.address = server;
    convo.myId = me;
    const dm = dmKey(me, alice);
    convo.room(dm);
    convo.room('dev');
    convo.switchTo('dev');
    watch.warnIn(convo, [{ name: 'alice', id: alice }], system);
    assert.equal(lines.length, 0, 'the same key: nothing to say');
    watch.warnIn(convo, [{ name: 'alice', id: mallory }], system);
    assert.equal(warned.length, 1);
    assert.match(warned[0], /alice/);
    assert.deepEqual(lines.map((l) => l.split('\t')[0]), ['dev', 'general', dm]);
    assert.ok(lines.every((l) => l.split('\t')[1] === warned[0]));
  });
});
