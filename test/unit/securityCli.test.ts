import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Harness } from '../support/harness';
import { PASSWORD_ENV, PasswordError, readPassword } from '../../src/cli/password';
import { CLI_FIXES } from '../../src/cli/serve';
import { exposureWarning, missingSafeguards } from '../../src/engine/exposure';

describe('security (CLI)', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('reads the password from a file, dropping one trailing newline, and warns when others can read it', () => {
    const file = path.join(h.tmpDir(), 'pw');
    fs.writeFileSync(file, 'two words \n', { mode: 0o600 });
    assert.deepEqual(readPassword(file, {}), { password: 'two words ', warnings: [] });
    if (process.platform !== 'win32') {
      fs.chmodSync(file, 0o644);
      assert.match(readPassword(file, {}).warnings.join(), /chmod 600/);
    }
  });

  it('refuses an empty or multi-line file, naming the file and never the content', () => {
    const dir = h.tmpDir();
    fs.writeFileSync(path.join(dir, 'empty'), '\n');
    fs.writeFileSync(path.join(dir, 'two'), 'hunter2\nhunter3\n');
    assert.throws(() => readPassword(path.join(dir, 'empty'), {}), PasswordError);
    assert.throws(
      () => readPassword(path.join(dir, 'two'), {}),
      (e) => e instanceof PasswordError && !e.message.includes('hunter') && e.message.includes('two'),
    );
    assert.throws(() => readPassword(path.join(dir, 'missing'), {}), /no password file/);
  });

  it('falls back to the environment, and removes the variable so children do not inherit it', () => {
    const env: NodeJS.ProcessEnv = { [PASSWORD_ENV]: 'from env' };
    assert.equal(readPassword(undefined, env).password, 'from env');
    assert.equal(env[PASSWORD_ENV], undefined);
    assert.equal(readPassword(undefined, {}).password, undefined);
  });

  it('warns about exposure exactly when another machine can reach an unprotected server', () => {
    const warn = (address: string, tls: boolean, password: boolean) => exposureWarning(address, { tls, password }, CLI_FIXES);
    for (const local of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', 'localhost']) assert.equal(warn(local, false, false), undefined, local);
    assert.match(warn('0.0.0.0', false, false)!, /not encrypted and anyone .* can join; add --tls and add --password-file$/);
    assert.match(warn('::', false, true)!, /not encrypted.*password itself is never sent\); add --tls$/);
    assert.match(warn('192.168.1.5', true, false)!, /encrypted, but anyone .* can join; add --password-file$/);
    assert.equal(warn('0.0.0.0', true, true), undefined);
    // The editor words the fixes its own way, from the same facts.
    assert.match(exposureWarning('0.0.0.0', { tls: true, password: false }, { tls: 'turn on chat.server.tls', password: 'run Chat: Set Server Password' })!, /; run Chat: Set Server Password$/);
    assert.deepEqual(missingSafeguards('10.0.0.1', { tls: false, password: false }), ['tls', 'password']);
    assert.deepEqual(missingSafeguards('::1', { tls: false, password: false }), []);
  });
});
