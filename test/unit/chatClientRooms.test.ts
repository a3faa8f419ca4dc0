import * as assert from 'node:assert/strict';
import { ChatClient } from '../../src/engine/client/chatClient';
import { FileStore } from '../../src/engine/stores/fileStore';
import { Harness, nextEvent } from '../support/harness';

/**
 * The engine's client and room moderation, against a real server over real
 * sockets: its RoomSettings follow topics, modes and away status; a kick or
 * a refused join takes the room out of those it rejoins after a reconnect;
 * a key is given again on rejoining.
 */
describe('ChatClient: room moderation', function () {
  this.timeout(20_000);
  const h = new Harness();
  afterEach(() => h.cleanup());

  const client = (port: number, name: string): ChatClient => h.chatClient(port, name);

  /** Stop a server and start it again on its port with the same data directory; resolves once `c` is welcomed back. */
  async function restart(server: Awaited<ReturnType<Harness['server']>>, dir: string, c: ChatClient): Promise<void> {
    const back = nextEvent(c.onWelcome, () => true, 10_000);
    await h.stop(server.server);
    await h.server({ port: server.port, store: await FileStore.open(dir) });
    await back;
  }

  async function joined(c: ChatClient, room: string, key?: string): Promise<void> {
    const got = nextEvent(c.onJoined, (j) => j.room === room);
    c.join(room, key);
    await got;
  }

  it('keeps topics, modes, operators and away messages as the server tells them', async () => {
    const { port } = await h.server();
    const alice = client(port, 'alice');
    const bob = client(port, 'bob');
    await alice.connect();
    await bob.connect();
    assert.ok(alice.settings.isOperator('general', 'alice'), 'the first on a new server made general');
    await joined(alice, 'dev');
    await joined(bob, 'dev');
    assert.ok(bob.settings.isOperator('dev', 'ALICE'));
    assert.ok(!bob.settings.isOperator('dev', 'bob'));

    const topic = nextEvent(bob.onTopic);
    alice.setTopic('dev', 'Ship it');
    await topic;
    assert.equal(bob.settings.get('dev')?.topic?.text, 'Ship it');

    const mode = nextEvent(bob.onMode);
    alice.setModes('dev', [{ mode: '+o', arg: 'bob' }, { mode: '+m' }]);
    await mode;
    assert.ok(bob.settings.isOperator('dev', 'bob'));
    assert.equal(bob.settings.get('dev')?.modes.m, true);

    const cleared = nextEvent(alice.onTopic);
    bob.setTopic('dev', '');
    await cleared;
    assert.equal(alice.settings.get('dev')?.topic, undefined);

    const away = nextEvent(alice.onPresence, (p) => p.event === 'away');
    bob.setAway('in a meeting');
    await away;
    assert.equal(alice.settings.awayOf('BOB'), 'in a meeting');
    assert.deepEqual(alice.settings.awayNow(), { bob: 'in a meeting' }, 'what the panel\'s people list shows');
    const back = nextEvent(alice.onPresence, (p) => p.event === 'back');
    bob.setAway();
    await back;
    assert.equal(alice.settings.awayOf('bob'), undefined);

    const info = await bob.roomInfo('dev');
    assert.deepEqual([info.ops, info.count], [['alice', 'bob'], 2]);
  });

  it('a kicked client is out of the room and does not rejoin it after a reconnect', async () => {
    const dir = h.tmpDir();
    const first = await h.server({ store: await FileStore.open(dir) });
    const alice = client(first.port, 'alice');
    const bob = client(first.port, 'bob');
    await alice.connect();
    await bob.connect();
    await joined(alice, 'dev');
    await joined(bob, 'dev');
    const kicked = nextEvent(bob.onKick);
    alice.kick('dev', 'bob', 'enough');
    assert.deepEqual(await kicked, { type: 'kick', room: 'dev', name: 'bob', by: 'alice', reason: 'enough' });
    assert.deepEqual(bob.rooms, ['general']);
    assert.equal(bob.settings.get('dev'), undefined);

    const rejoins: string[] = [];
    bob.onJoined((j) => rejoins.push(j.room));
    await restart(first, dir, bob);
    await bob.who(); // a round trip: a join sent with the welcome would have been answered by now
    assert.deepEqual([bob.rooms, rejoins], [['general'], []]);
  });

  it('a refused join is forgotten, and a key is given again when rejoining', async () => {
    const dir = h.tmpDir();
    const first = await h.server({ store: await FileStore.open(dir) });
    const port = first.port;
    const alice = client(port, 'alice');
    const bob = client(port, 'bob');
    await alice.connect();
    await bob.connect();
    await joined(alice, 'dev');
    const keyed = nextEvent(alice.onMode);
    alice.setModes('dev', [{ mode: '+k', arg: 'sesame' }]);
    await keyed;

    const refused = nextEvent(bob.onServerError, (e) => e.code === 'bad_key');
    bob.join('dev', 'wrong');
    assert.equal((await refused).room, 'dev');
    assert.deepEqual(bob.rooms, ['general'], 'not a room to rejoin');

    await joined(bob, 'dev', 'sesame');
    assert.equal(bob.settings.get('dev')?.modes.k, 'sesame', 'a member sees the key');
    // After a restart the client rejoins dev by itself, with its key (the room kept its +k on disk).
    const rejoined = nextEvent(bob.onJoined, (j) => j.room === 'dev', 10_000);
    await restart(first, dir, bob);
    await rejoined;
    assert.deepEqual(bob.rooms, ['general', 'dev']);
  });
});
