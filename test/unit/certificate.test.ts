import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { Harness } from '../support/harness';
import { CERT_FILE, CertificateError, KEY_FILE, fingerprintOf, loadCertificate, loadOrCreateCertificate, normalizeFingerprint } from '../../src/engine/certificate';

describe('certificate', function () {
  this.timeout(20_000);
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('makes a self-signed certificate on first start, key mode 0600, and loads the same one after', async () => {
    const dir = path.join(h.tmpDir(), 'data');
    const first = await loadOrCreateCertificate(dir, { commonName: 'chat.test' });
    assert.equal(first.generated, true);
    if (process.platform !== 'win32') {
      assert.equal(fs.statSync(path.join(dir, KEY_FILE)).mode & 0o777, 0o600);
      assert.equal(fs.statSync(dir).mode & 0o077, 0);
    }
    const x = new X509Certificate(first.cert);
    assert.equal(x.subject, 'CN=chat.test');
    assert.equal(x.issuer, x.subject, 'self-signed');
    assert.ok(Date.parse(x.validTo) > Date.now() + 5 * 365 * 86_400_000);
    assert.ok(x.checkPrivateKey(createPrivateKey(first.key)));
    const again = await loadOrCreateCertificate(dir);
    assert.equal(again.generated, false);
    assert.equal(again.fingerprint, first.fingerprint);
    assert.deepEqual(again.warnings, []);
    assert.deepEqual(fs.readdirSync(dir).sort(), [CERT_FILE, KEY_FILE].sort(), 'no temporary files left');
  });

  it('fingerprints as colon hex SHA-256 of the DER certificate', async () => {
    const m = await loadOrCreateCertificate(h.tmpDir());
    const der = new X509Certificate(m.cert).raw;
    const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
    assert.equal(m.fingerprint, hex.match(/../g)!.join(':'));
    assert.equal(fingerprintOf(m.cert), m.fingerprint);
  });

  it('loads a certificate and key from files, and refuses a key that does not match', async () => {
    const a = await loadOrCreateCertificate(path.join(h.tmpDir(), 'a'));
    const b = await loadOrCreateCertificate(path.join(h.tmpDir(), 'b'));
    assert.equal(loadCertificate(a.certFile, a.keyFile).fingerprint, a.fingerprint);
    assert.throws(() => loadCertificate(a.certFile, b.keyFile), (e) => e instanceof CertificateError && /different certificate/.test(e.message));
    assert.throws(() => loadCertificate(path.join(h.tmpDir(), 'missing.pem'), a.keyFile), (e) => e instanceof CertificateError && /no certificate file/.test(e.message));
    assert.throws(() => loadCertificate(a.keyFile, a.keyFile), (e) => e instanceof CertificateError && /not a PEM certificate/.test(e.message));
  });

  it('warns about a key file others can read', async function () {
    if (process.platform === 'win32') this.skip(); // Windows has no Unix file modes to check
    const a = await loadOrCreateCertificate(h.tmpDir());
    fs.chmodSync(a.keyFile, 0o644);
    const m = loadCertificate(a.certFile, a.keyFile);
    assert.match(m.warnings.join('\n'), /chmod 600/);
  });

  it('refuses to replace half a pair', async () => {
    const dir = h.tmpDir();
    const a = await loadOrCreateCertificate(dir);
    fs.rmSync(a.keyFile);
    await assert.rejects(loadOrCreateCertificate(dir), (e) => e instanceof CertificateError && /without/.test(e.message));
  });

  it('normalizes fingerprints people paste', () => {
    const fp = 'AB:'.repeat(31) + 'AB';
    assert.equal(normalizeFingerprint(fp.toLowerCase()), fp);
    assert.equal(normalizeFingerprint(fp.replace(/:/g, '')), fp);
    assert.equal(normalizeFingerprint('SHA256:' + fp), fp);
    assert.equal(normalizeFingerprint(' ' + fp.replace(/:/g, ' ') + '\n'), fp);
    assert.equal(normalizeFingerprint('AB:CD'), undefined);
    assert.equal(normalizeFingerprint('ZZ'.repeat(32)), undefined);
  });
});
