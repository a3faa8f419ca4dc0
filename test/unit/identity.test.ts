import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { generateKeyPairSync } from 'node:crypto';
import {
  IdentityError,
  challengeMessage,
  exportIdentity,
  fingerprintOf,
  generateIdentity,
  idOfCertificate,
  idOfPublicKey,
  identityFromPem,
  importIdentity,
  isGuestId,
  loadIdentity,
  loadOrCreateIdentity,
  newGuestId,
  provenIdentity,
  publicKeyProblem,
  saveIdentity,
  tlsBinding,
  verifyChallenge,
} from '../../src/engine/identity';
import { generateCertificate } from '../../src/engine/certificate';
import { Harness } from '../support/harness';

const FAST_KDF = { N: 2 ** 10, r: 8, p: 1, keylen: 32 };
const NONCE = 'ab'.repeat(32);

describe('identity keys', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('signs a challenge that verifies with the public key sent in hello, and nothing else', () => {
    const me = generateIdentity();
    assert.equal(publicKeyProblem(me.publicKey), undefined);
    assert.equal(me.id, idOfPublicKey(me.publicKey));
    const sig = me.signChallenge(NONCE);
    assert.equal(verifyChallenge(me.publicKey, NONCE, undefined, sig), true);
    assert.equal(verifyChallenge(me.publicKey, 'cd'.repeat(32), undefined, sig), false, 'another nonce');
    assert.equal(verifyChallenge(generateIdentity().publicKey, NONCE, undefined, sig), false, 'another key');
    assert.equal(verifyChallenge(me.publicKey, NONCE, Buffer.alloc(32, 1), sig), false, 'a binding that was not signed');
    for (const junk of [undefined, 42, '', 'x'.repeat(86), sig.slice(1), `${sig}=`]) {
      assert.equal(verifyChallenge(me.publicKey, NONCE, undefined, junk), false, `junk signature ${String(junk).slice(0, 10)}`);
    }
  });

  it('refuses malformed public keys with a reason', () => {
    for (const bad of [undefined, 7, '', 'abc', 'A'.repeat(44), '!'.repeat(43)]) assert.match(publicKeyProblem(bad) ?? '', /key/);
  });

  it('keeps ids of different kinds apart, with short fingerprints people can compare', () => {
    const g = newGuestId();
    assert.equal(isGuestId(g), true);
    assert.notEqual(g, newGuestId());
    assert.equal(isGuestId(generateIdentity().id), false);
    assert.equal(idOfCertificate('AB:CD:' + 'EF:'.repeat(29) + '01'), 'cert:abcd' + 'ef'.repeat(29) + '01');
    assert.match(fingerprintOf(generateIdentity().id), /^[0-9a-f]{4}( [0-9a-f]{4}){3}$/);
    assert.notEqual(fingerprintOf('ed25519:a'), fingerprintOf('ed25519:b'));
  });

  it('shows a proven identity (IRC\'s account) only for a key or a certificate, never for a guest or a person without an id', () => {
    const key = generateIdentity().id;
    const cert = idOfCertificate('ab'.repeat(32));
    assert.equal(provenIdentity({ id: key }), key);
    assert.equal(provenIdentity({ id: cert, guest: false }), cert, 'a session that proved a certificate');
    assert.equal(provenIdentity({ id: key, guest: true }), undefined, 'the guest flag wins');
    assert.equal(provenIdentity({ id: newGuestId() }), undefined, 'a guest id without the flag');
    assert.equal(provenIdentity({}), undefined, 'an event from a node that did not say');
    assert.equal(provenIdentity({ id: 42 }), undefined);
    assert.equal(provenIdentity({ id: 'alice' }), undefined, 'a name is no identity');
  });

  it('round-trips through PEM and refuses keys of another kind', () => {
    const me = generateIdentity();
    assert.equal(identityFromPem(me.toPem()).id, me.id);
    assert.throws(() => identityFromPem('not a key'), IdentityError);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    assert.throws(() => identityFromPem(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()), /not Ed25519/);
  });

  it('makes a key file once, mode 0600, and reads the same identity back', () => {
    const file = path.join(h.tmpDir(), 'sub', 'identity');
    const first = loadOrCreateIdentity(file);
    assert.equal(first.created, true);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const again = loadOrCreateIdentity(file);
    assert.equal(again.created, false);
    assert.equal(again.identity.id, first.identity.id);
  });

  it('never overwrites a key file: a second save is refused, and loading a missing file gives nothing', () => {
    const file = path.join(h.tmpDir(), 'deep', 'er', 'identity');
    assert.equal(loadIdentity(file), undefined);
    const me = generateIdentity();
    assert.equal(saveIdentity(file, me), true);
    if (process.platform !== 'win32') assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.equal(saveIdentity(file, generateIdentity()), false);
    assert.equal(loadIdentity(file)!.id, me.id);
  });

  it('refuses a key file that others can read, saying how to fix it', function () {
    if (process.platform === 'win32') this.skip(); // no POSIX modes
    const file = path.join(h.tmpDir(), 'identity');
    loadOrCreateIdentity(file);
    fs.chmodSync(file, 0o644);
    assert.throws(() => loadOrCreateIdentity(file), /chmod 600/);
  });

  it('exports under a passphrase and imports only with the same passphrase', async () => {
    const me = generateIdentity();
    const text = await exportIdentity(me, 'correct horse', FAST_KDF);
    assert.ok(!text.includes(me.toPem().split('\n')[1]), 'the private key is not in the clear');
    assert.equal((await importIdentity(text, 'correct horse')).id, me.id);
    await assert.rejects(importIdentity(text, 'wrong horse!'), /wrong passphrase/);
    const damaged = JSON.parse(text) as { data: string };
    damaged.data = Buffer.from('x'.repeat(40)).toString('base64');
    await assert.rejects(importIdentity(JSON.stringify(damaged), 'correct horse'), /wrong passphrase, or the identity file is damaged/);
    await assert.rejects(importIdentity('{"hello":1}', 'correct horse'), /not an exported TCP Chat identity/);
    await assert.rejects(exportIdentity(me, 'short'), /at least 8/);
  });

  it('binds a signature to one TLS session: both ends export the same binding, another session a different one', async () => {
    const cert = await generateCertificate({});
    const serverSides: Buffer[] = [];
    const server = tls.createServer({ cert: cert.cert, key: cert.key }, (s) => {
      serverSides.push(tlsBinding(s)!);
      s.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    h.own(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as net.AddressInfo).port;
    const connectOnce = () =>
      new Promise<Buffer>((resolve, reject) => {
        const c = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
          const b = tlsBinding(c)!;
          c.on('close', () => resolve(b));
        });
        c.on('error', reject);
        c.resume();
      });
    const a = await connectOnce();
    const b = await connectOnce();
    assert.equal(a.length, 32);
    assert.deepEqual(serverSides[0], a, 'client and server agree on the binding');
    assert.notDeepEqual(a, b, 'each session has its own');
    assert.equal(tlsBinding(new net.Socket()), undefined, 'plain TCP has none');
    const me = generateIdentity();
    assert.equal(verifyChallenge(me.publicKey, NONCE, b, me.signChallenge(NONCE, a)), false, 'a signature for one session fails on another');
    assert.notDeepEqual(challengeMessage(NONCE, a), challengeMessage(NONCE));
  });
});
