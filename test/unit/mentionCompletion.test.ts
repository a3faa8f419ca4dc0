import * as assert from 'node:assert/strict';
import { ChatClient } from '../../src/engine/client/chatClient';
import { completeMember, namesStartingWith, type MemberDirectory } from '../../src/engine/client/mentionCompletion';
import { Harness } from '../support/harness';

/** @-completion from the room's members, and from the server in a large room (issues 13 and 15); over real sockets. */
describe('mention completion', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  const client = (port: number, name: string): ChatClient => h.chatClient(port, name);

  /** The client as a MemberDirectory that counts the `who` requests it makes. */
  function counting(c: ChatClient): MemberDirectory & { asked: number } {
    const dir = { asked: 0, count: (room: string) => c.count(room), whoPage: (q: Parameters<ChatClient['whoPage']>[0]) => (dir.asked++, c.whoPage(q)) };
    return dir;
  }

  it('matches names as the server compares them: folded, sorted, each once, at most the limit', () => {
    assert.deepEqual(namesStartingWith(['alice', 'Bob', 'ALBERT', 'alan', 'alice', 'ＡＬＩ'], 'al'), ['alan', 'ALBERT', 'ＡＬＩ', 'alice']);
    assert.deepEqual(namesStartingWith(['alice', 'Alan', 'bob'], 'AL', 1), ['Alan']);
    assert.deepEqual(namesStartingWith(['alice', 'bob'], ''), ['alice', 'bob']);
    assert.deepEqual(namesStartingWith(['alice', 'bob'], 'z'), []);
  });

  it('a small room answers from the names already held, with no round trip', async () => {
    const { port } = await h.server();
    await h.raw(port, 'alma');
    await h.raw(port, 'bert');
    const ann = client(port, 'ann');
    const w = await ann.connect();
    assert.equal(w.usersCount, undefined, 'a small server names everyone');
    const dir = counting(ann);
    assert.deepEqual(await completeMember(dir, 'general', 'a', ann.users), ['alma', 'ann']);
    assert.equal(dir.asked, 0);
  });

  it('a large room asks the server with the prefix, and finds a member the lean welcome did not name', async () => {
    const { port } = await h.server({ largeRoom: 3 });
    for (const n of ['zoe', 'zack', 'yan', 'xu']) await h.raw(port, n);
    const ann = client(port, 'ann');
    const w = await ann.connect();
    assert.ok(w.usersCount !== undefined && w.usersCount >= 5, 'a lean welcome, with the count');
    assert.ok(!ann.users.includes('zoe'), `the welcome names only ann and the latest speakers: ${ann.users.join(', ')}`);
    const dir = counting(ann);
    assert.deepEqual(await completeMember(dir, 'general', 'Z', ann.users), ['zack', 'zoe']);
    assert.equal(dir.asked, 1, 'one paged who');
    assert.deepEqual(await completeMember(dir, 'general', 'q', ann.users), []);
    // A room it is not in: the request's refusal is the caller's to show.
    await assert.rejects(completeMember(dir, 'elsewhere', 'z', []), /elsewhere|join|room/i);
  });
});
