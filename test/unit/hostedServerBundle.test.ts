import * as assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../support/cliProcess';

/**
 * The server that Chat: Start Server hosts is a bundle of its own,
 * dist/hostedServer.js, loaded on first start, so the extension's bundle
 * stays small for the many windows that only connect (see esbuild.mjs).
 */
describe('the hosted server bundle', function () {
  this.timeout(120_000);
  let dir: string;

  before(() => {
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-chat-hosted-'));
    // What a packaged extension holds: the bundles, and no node_modules above them.
    for (const b of ['hostedServer.js', 'selfsigned.js']) fs.copyFileSync(path.join(ROOT, 'dist', b), path.join(dir, b));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps the server out of extension.js, which imports it on demand', () => {
    const ext = fs.readFileSync(path.join(ROOT, 'dist', 'extension.js'), 'utf8');
    const server = fs.readFileSync(path.join(ROOT, 'dist', 'hostedServer.js'), 'utf8');
    // A sentence only the server says: present in its bundle, absent from the extension's.
    assert.match(server, /bytes of output were waiting for you to read/);
    assert.doesNotMatch(ext, /bytes of output were waiting for you to read/, 'the server is bundled into extension.js');
    assert.match(ext, /import\("\.\/hostedServer\.js"\)/, 'extension.js loads the server bundle lazily');
    assert.match(fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8'), /^!dist\/hostedServer\.js$/m, 'the package includes the server bundle');
  });

  it('starts a TLS server from the bundle alone, making its certificate with the bundled generator', async () => {
    const script = `(async () => {
      const { ChatServer, loadOrCreateCertificate } = await import('./hostedServer.js');
      const m = await loadOrCreateCertificate(require('path').join(process.cwd(), 'cert'));
      const s = new ChatServer({ host: '127.0.0.1', port: 0, tls: { cert: m.cert, key: m.key } });
      const a = await s.listen();
      await s.close();
      console.log(JSON.stringify({ port: a.port, fingerprint: s.fingerprint === m.fingerprint }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['-e', script], { cwd: dir, timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
    );
    const r = JSON.parse(out) as { port: number; fingerprint: boolean };
    assert.ok(r.port > 0);
    assert.equal(r.fingerprint, true);
  });
});
