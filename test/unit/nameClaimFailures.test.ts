import * as assert from 'node:assert/strict';
import { generateIdentity } from '../../src/engine/identity';
import { MemoryStore } from '../../src/engine/stores/memoryStore';
import { StoreError } from '../../src/engine/stores/store';
import { Harness } from '../support/harness';

/**
 * A name taken for an arrival or a nick is reserved on this node and leased
 * on the bus before its claim is written to the store; when the write fails,
 * or the connection leaves meanwhile, the name must be given back, or it
 * stays held for a connection that is gone (issue 10, server/names.ts).
 */

/**
 * A MemoryStore whose claims can be held back or made to fail: a database
 * that is slow or down, at the one seam the server reaches it through (the
 * real stores pass the same Store contract, test/contract).
 */
class GatedStore extends MemoryStore {
  fail = false;
  private gate?: Promise<void>;
  private open?: () => void;
  /** Resolves when a claim reaches the store while it is held. */
  entered?: Promise<void>;
  private enter?: () => void;

  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
    this.entered = new Promise((r) => (this.enter = r));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  override async claimName(name: string, identity: string): Promise<string> {
    if (this.gate) {
      this.enter?.();
      await this.gate;
    }
    if (this.fail) throw new StoreError('could not save the name claim: the database is down');
    return super.claimName(name, identity);
  }
}

/** Resolves once `check` holds, looking again every few milliseconds (for state the server announces with no event); the test's timeout bounds it. */
async function eventually(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

describe('name claims that fail or are abandoned', function () {
  this.timeout(20_000);
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('gives a name back when its claim cannot be written: the arrival hears store_failed, and the name is free again at once', async () => {
    const store = new GatedStore();
    const { port } = await h.server({ store });
    await store.claimName('alice', generateIdentity().id);
    const key = generateIdentity();
    store.fail = true;
    const first = await h.rawNoHello(port);
    // alice is someone else's, so this arrival would be alice2, whose claim fails.
    const failed = await first.helloWithKey('alice', key);
    assert.deepEqual([failed.type, failed.code], ['error', 'store_failed']);
    await first.waitClosed();
    store.fail = false;
    const again = await h.keyed(port, 'alice', key);
    assert.equal(again.welcome.name, 'alice2', 'not alice3: nothing still holds alice2');
  });

  it('gives a name back when the arrival leaves while its claim is being written, and never lists it', async () => {
    const store = new GatedStore();
    const { server, port } = await h.server({ store });
    const watcher = await h.raw(port, 'watcher');
    const key = generateIdentity();
    store.hold();
    const leaving = await h.rawNoHello(port);
    leaving.send({ type: 'hello', v: 1, name: 'alice', key: key.publicKey });
    const challenge = await leaving.waitFor((f) => f.type === 'challenge');
    leaving.send({ type: 'auth', signature: key.signChallenge(challenge.nonce as string) });
    await store.entered;
    leaving.close();
    await eventually(() => server.connectionCount === 1);
    store.release();
    // The claim was written (the key is the first to use the name), but the name is free to use.
    const back = await h.keyed(port, 'alice', key);
    assert.equal(back.welcome.name, 'alice');
    assert.deepEqual(server.users(), ['watcher', 'alice']);
    await watcher.client.settle();
    assert.equal(watcher.client.frames.filter((f) => f.type === 'presence' && f.event === 'online').length, 1, 'only the arrival that stayed was announced');
  });

  it('gives a new name back when a nick\'s claim cannot be written', async () => {
    const store = new GatedStore();
    const { port } = await h.server({ store });
    const a = await h.keyed(port, 'alice', generateIdentity());
    store.fail = true;
    a.client.send({ type: 'nick', name: 'alicia' });
    assert.equal((await a.client.waitFor((f) => f.type === 'error')).code, 'store_failed');
    store.fail = false;
    const other = await h.keyed(port, 'alicia', generateIdentity());
    assert.equal(other.welcome.name, 'alicia', 'alicia is not held by the failed nick');
  });
});
