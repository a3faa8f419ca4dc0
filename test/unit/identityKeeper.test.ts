import * as assert from 'node:assert/strict';
import { generateIdentity, IdentityError } from '../../src/engine/identity';
import { IDENTITY_SECRET, IdentityKeeper, type Secrets } from '../../src/extension/identityKeeper';

/** SecretStorage's contract, over a Map: what the keeper asks of it and no more. */
class MapSecrets implements Secrets {
  readonly values = new Map<string, string>();
  stores = 0;
  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
  async store(key: string, value: string): Promise<void> {
    this.stores++;
    this.values.set(key, value);
  }
}

describe('IdentityKeeper (the editor keeps its identity key in SecretStorage)', () => {
  it('makes the key once, on first use, and keeps it as PKCS#8 PEM under tcpChat.identity', async () => {
    const secrets = new MapSecrets();
    const keeper = new IdentityKeeper(secrets);
    assert.equal(await keeper.peek(), undefined, 'nothing is made before it is needed');
    const [a, b] = await Promise.all([keeper.get(), keeper.get()]);
    assert.equal(a.id, b.id, 'two connects at once share one key');
    assert.equal(secrets.stores, 1);
    assert.match(secrets.values.get(IDENTITY_SECRET) ?? '', /^-----BEGIN PRIVATE KEY-----/);
    assert.equal((await keeper.get()).id, a.id);
    assert.equal(secrets.stores, 1, 'never made again');
  });

  it('a new keeper over the same storage (a reload) has the same identity', async () => {
    const secrets = new MapSecrets();
    const first = await new IdentityKeeper(secrets).get();
    const again = await new IdentityKeeper(secrets).get();
    assert.equal(again.id, first.id);
    assert.equal(secrets.stores, 1);
  });

  it('Import replaces the key, and forget() reads what another window stored', async () => {
    const secrets = new MapSecrets();
    const keeper = new IdentityKeeper(secrets);
    await keeper.get();
    const moved = generateIdentity();
    await keeper.replace(moved);
    assert.equal((await keeper.get()).id, moved.id);
    const other = generateIdentity();
    secrets.values.set(IDENTITY_SECRET, other.toPem());
    assert.equal((await keeper.get()).id, moved.id, 'cached until told');
    keeper.forget();
    assert.equal((await keeper.get()).id, other.id);
  });

  it('an unreadable kept key is reported with what to do, never quietly replaced (it owns names)', async () => {
    const secrets = new MapSecrets();
    secrets.values.set(IDENTITY_SECRET, 'not a key');
    const keeper = new IdentityKeeper(secrets);
    await assert.rejects(keeper.get(), (err: Error) => err instanceof IdentityError && /cannot be read.*Import Identity/.test(err.message));
    assert.equal(secrets.values.get(IDENTITY_SECRET), 'not a key');
    assert.equal(secrets.stores, 0);
  });
});
