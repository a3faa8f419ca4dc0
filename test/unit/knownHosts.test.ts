import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Harness } from '../support/harness';
import { KnownHosts, hostKey } from '../../src/engine/knownHosts';
import { normalizeFingerprint } from '../../src/engine/certificate';
import { formatHostPort } from '../../src/engine/address';

const FP1 = '11:'.repeat(31) + '11';
const FP2 = 'AB:'.repeat(31) + 'CD';

describe('KnownHosts', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('a missing file is empty; pins are saved, owner-only, and read back', () => {
    const file = path.join(h.tmpDir(), 'sub', 'known_hosts');
    const k = KnownHosts.load(file);
    assert.equal(k.get('chat.example', 12345), undefined);
    k.set('chat.example', 12345, FP1.toLowerCase());
    k.set('::1', 12345, FP2);
    k.save();
    if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const back = KnownHosts.load(file);
    assert.equal(back.get('CHAT.example', 12345), FP1);
    assert.equal(back.get('[::1]', 12345), FP2);
    assert.equal(back.get('chat.example', 12346), undefined, 'pins are per port');
    assert.equal(fs.readFileSync(file, 'utf8'), `chat.example:12345 ${FP1}\n[::1]:12345 ${FP2}\n`);
  });

  it('replaces a pin in place and keeps comments and lines it does not understand', () => {
    const file = path.join(h.tmpDir(), 'known_hosts');
    fs.writeFileSync(file, `# my servers\nchat.example:1 ${FP1}\nsomething from a later version\n`);
    const k = KnownHosts.load(file);
    k.set('chat.example', 1, FP2);
    k.save();
    assert.equal(fs.readFileSync(file, 'utf8'), `# my servers\nchat.example:1 ${FP2}\nsomething from a later version\n`);
  });

  it('refuses something that is not a fingerprint', () => {
    const k = KnownHosts.load(path.join(h.tmpDir(), 'k'));
    assert.throws(() => k.set('h', 1, 'nope'));
  });

  it('keys hosts the way people write them', () => {
    assert.equal(hostKey('Chat.Example', 5), 'chat.example:5');
    assert.equal(hostKey('[FE80::1]', 5), '[fe80::1]:5');
    assert.equal(hostKey('fe80::1', 5), '[fe80::1]:5');
    // The same form an address is shown and typed in, lowercased.
    assert.equal(hostKey('FE80::1', 5), formatHostPort({ host: 'fe80::1', port: 5 }));
  });

  it('reads a pin written in any form a person or another tool may use, as the one canonical fingerprint', () => {
    const file = path.join(h.tmpDir(), 'known_hosts');
    const bare = FP2.replace(/:/g, '');
    fs.writeFileSync(file, [`a.example:1 ${bare.toLowerCase()}`, `b.example:1 SHA256:${FP2}`, `C.Example:1 ${FP2.toLowerCase()}`, `d.example:1 not-a-fingerprint`].join('\n'));
    const k = KnownHosts.load(file);
    for (const host of ['a.example', 'b.example', 'c.example']) assert.equal(k.get(host, 1), normalizeFingerprint(bare), host);
    assert.equal(k.get('d.example', 1), undefined);
    // Setting the same server in another spelling replaces its line instead of adding one.
    k.set('C.EXAMPLE', 1, FP1.replace(/:/g, ''));
    k.save();
    assert.equal(fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.toLowerCase().startsWith('c.example:1 ')).length, 1);
    assert.equal(KnownHosts.load(file).get('c.example', 1), FP1);
  });
});
