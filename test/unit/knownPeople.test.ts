import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fingerprintOf, generateIdentity } from '../../src/engine/identity';
import { KnownPeople, keyChangeWarning } from '../../src/engine/knownPeople';
import { Harness } from '../support/harness';

const SERVER = '127.0.0.1:12345';

describe('KnownPeople (changed-key warnings, like SSH known_hosts)', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('reports a known name that comes back with another key once, then knows the new key', () => {
    const k = KnownPeople.fromJSON(undefined);
    const [a, b] = [generateIdentity().id, generateIdentity().id];
    assert.equal(k.see(SERVER, { name: 'alice', id: a }), undefined, 'first sight is trusted');
    assert.equal(k.see(SERVER, { name: 'alice', id: a }), undefined);
    assert.deepEqual(k.see(SERVER, { name: 'Alice', id: b }), { name: 'Alice', was: a, now: b }, 'names compare folded, as servers compare them');
    assert.equal(k.see(SERVER, { name: 'alice', id: b }), undefined, 'reported once');
    assert.equal(k.see('other:1', { name: 'alice', id: a }), undefined, 'each server has its own people');
  });

  it('never remembers a guest, but a guest under a known name is a change', () => {
    const k = KnownPeople.fromJSON(undefined);
    const a = generateIdentity().id;
    assert.equal(k.see(SERVER, { name: 'gus', id: 'guest:one', guest: true }), undefined);
    assert.equal(k.get(SERVER, 'gus'), undefined);
    k.see(SERVER, { name: 'alice', id: a });
    const change = k.see(SERVER, { name: 'alice', id: 'guest:two', guest: true });
    assert.deepEqual(change, { name: 'alice', was: a, now: 'guest:two' });
    assert.equal(k.get(SERVER, 'alice'), a, 'the key is still the one to expect');
    assert.equal(keyChangeWarning(change!), `alice now has a different identity key (was ${fingerprintOf(a)}, now a guest with no key). If you did not expect this, confirm with alice another way.`);
  });

  it('seeAll checks a whole list, skips me, and says whether anything new is to be saved', () => {
    const k = KnownPeople.fromJSON(undefined);
    const [me, a, b] = [generateIdentity().id, generateIdentity().id, generateIdentity().id];
    const first = k.seeAll(SERVER, [{ name: 'me', id: me }, { name: 'alice', id: a }, { name: 'gus', id: 'guest:g', guest: true }], me);
    assert.deepEqual(first, { changes: [], learned: true });
    assert.equal(k.get(SERVER, 'me'), undefined, 'your own name is not watched');
    assert.deepEqual(k.seeAll(SERVER, [{ name: 'alice', id: a }], me), { changes: [], learned: false }, 'nothing new: no save');
    assert.deepEqual(k.seeAll(SERVER, [{ name: 'alice', id: b }], me), { changes: [{ name: 'alice', was: a, now: b }], learned: true });
  });

  it('words the warning with both short fingerprints', () => {
    const [a, b] = [generateIdentity().id, generateIdentity().id];
    assert.equal(keyChangeWarning({ name: 'bob', was: a, now: b }), `bob now has a different identity key (was ${fingerprintOf(a)}, now ${fingerprintOf(b)}). If you did not expect this, confirm with bob another way.`);
  });

  it('survives a save and a load (mode 0600), and reads a damaged value leniently', () => {
    const file = path.join(h.tmpDir(), 'sub', 'known_people.json');
    const a = generateIdentity().id;
    const k = KnownPeople.load(file);
    k.see(SERVER, { name: 'alice', id: a });
    k.save(file);
    if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(KnownPeople.load(file).get(SERVER, 'ALICE'), a);
    const odd = KnownPeople.fromJSON({ servers: { [SERVER]: { alice: a, bob: 7, gus: 'guest:x' }, bad: 'x' }, extra: 1 });
    assert.deepEqual(odd.toJSON(), { v: 1, servers: { [SERVER]: { alice: a } } });
    for (const junk of [null, 3, 'x', [], { servers: [] }]) assert.deepEqual(KnownPeople.fromJSON(junk).toJSON(), { v: 1, servers: {} });
    fs.writeFileSync(file, '{not json');
    assert.throws(() => KnownPeople.load(file), /is not JSON: move it away/);
  });
});
