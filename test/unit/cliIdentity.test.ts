import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fingerprintOf, generateIdentity, importIdentity, loadIdentity } from '../../src/engine/identity';
import { FileStore } from '../../src/engine/stores/fileStore';
import { parseCommand } from '../../src/cli/parseCommand';
import { Harness } from '../support/harness';
import { canSpawnInTerminal, ensureCliBuilt, runCli, spawnCli, spawnCliInTerminal, startCliServer, waitForOutput } from '../support/cliProcess';

/**
 * What a process prints, read in order: each expect() looks only past the
 * previous match, so a prompt printed twice is seen twice. Terminal control
 * sequences (readline redraws its prompt with them) are dropped.
 */
class Transcript {
  private text = '';
  private from = 0;
  private wake?: () => void;
  constructor(p: ChildProcess) {
    // eslint-disable-next-line no-control-regex
    p.stdout?.on('data', (d: Buffer) => ((this.text += d.toString().replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')), this.wake?.()));
  }
  async expect(re: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.text.slice(this.from));
      if (m) {
        this.from += m.index! + m[0].length;
        return m;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${re} within ${timeoutMs} ms after: ${JSON.stringify(this.text.slice(this.from))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => (clearTimeout(t), r());
      });
    }
  }
}

/** Everything a process printed, once it has exited. */
function collect(p: ChildProcess): Promise<{ code: number | null; out: string; err: string }> {
  let out = '';
  let err = '';
  p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => p.on('close', (code) => resolve({ code, out, err })));
}

describe('tcp-chat identity and names (CLI)', function () {
  this.timeout(60_000);
  const h = new Harness();
  afterEach(() => h.cleanup());
  before(() => ensureCliBuilt());

  /** A home directory of its own: ~/.tcp-chat/identity lives there. */
  function home(): { HOME: string; USERPROFILE: string; GIT_CONFIG_GLOBAL: string } {
    const dir = h.tmpDir();
    return { HOME: dir, USERPROFILE: dir, GIT_CONFIG_GLOBAL: path.join(dir, '.gitconfig') };
  }
  const keyFile = (env: { HOME: string }) => path.join(env.HOME, '.tcp-chat', 'identity');

  function passphraseFile(text = 'correct horse battery'): string {
    const file = path.join(h.tmpDir(), 'passphrase');
    fs.writeFileSync(file, text + '\n', { mode: 0o600 });
    return file;
  }

  it('identity show makes a key once in ~/.tcp-chat/identity (mode 0600), and shows the same one after', async () => {
    const env = home();
    const first = await runCli(['identity', 'show'], env);
    assert.equal(first.code, 0, first.stderr);
    const identity = loadIdentity(keyFile(env))!;
    assert.equal(first.stdout, `made a new identity key in ${keyFile(env)}\nidentity:    ${identity.id}\nfingerprint: ${identity.fingerprint}\nkey file:    ${keyFile(env)}\n`);
    if (process.platform !== 'win32') assert.equal(fs.statSync(keyFile(env)).mode & 0o777, 0o600);
    const again = await runCli(['identity', 'show'], env);
    assert.equal(again.stdout, `identity:    ${identity.id}\nfingerprint: ${identity.fingerprint}\nkey file:    ${keyFile(env)}\n`);
    const elsewhere = path.join(h.tmpDir(), 'k');
    const other = await runCli(['identity', 'show', '--identity', elsewhere], env);
    assert.match(other.stdout, new RegExp(`made a new identity key in ${elsewhere}`));
    assert.notEqual(loadIdentity(elsewhere)!.id, identity.id);
  });

  it('moves an identity to another machine: export sealed with a passphrase, import there; nothing is ever overwritten', async () => {
    const laptop = home();
    const desktop = home();
    const pass = passphraseFile();
    await runCli(['identity', 'show'], laptop);
    const me = loadIdentity(keyFile(laptop))!;
    const sealed = path.join(h.tmpDir(), 'me.identity');

    const exported = await runCli(['identity', 'export', sealed, '--passphrase-file', pass], laptop);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, new RegExp(`exported the identity ${me.fingerprint} to ${sealed}`));
    if (process.platform !== 'win32') assert.equal(fs.statSync(sealed).mode & 0o777, 0o600);
    assert.ok(!fs.readFileSync(sealed, 'utf8').includes('PRIVATE KEY'), 'the key is sealed, not in the clear');
    assert.equal((await importIdentity(fs.readFileSync(sealed, 'utf8'), 'correct horse battery')).id, me.id);

    const again = await runCli(['identity', 'export', sealed, '--passphrase-file', pass], laptop);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists already: choose another file name \(nothing was written\)/);

    const wrong = await runCli(['identity', 'import', sealed, '--passphrase-file', passphraseFile('not the passphrase')], desktop);
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stderr, 'tcp-chat: wrong passphrase, or the identity file is damaged\n');
    assert.equal(fs.existsSync(keyFile(desktop)), false, 'nothing written on a wrong passphrase');

    const imported = await runCli(['identity', 'import', sealed, '--passphrase-file', pass], desktop);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(loadIdentity(keyFile(desktop))!.id, me.id);
    if (process.platform !== 'win32') assert.equal(fs.statSync(keyFile(desktop)).mode & 0o777, 0o600);
    assert.match((await runCli(['identity', 'import', sealed, '--passphrase-file', pass], desktop)).stdout, /already holds this identity/);

    const third = home();
    await runCli(['identity', 'show'], third);
    const before = fs.readFileSync(keyFile(third), 'utf8');
    const refused = await runCli(['identity', 'import', sealed, '--passphrase-file', pass], third);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /already holds another identity \([0-9a-f ]{19}\), which owns your names .* Nothing was replaced\. .*mv .*identity .*identity\.old/);
    assert.equal(fs.readFileSync(keyFile(third), 'utf8'), before);
  });

  it('says what to do when there is no key to export, no file to import, or no terminal to ask the passphrase', async () => {
    const env = home();
    const out = path.join(h.tmpDir(), 'x.identity');
    assert.match((await runCli(['identity', 'export', out, '--passphrase-file', passphraseFile()], env)).stderr, /there is no identity key at .* yet: it is made the first time you connect \(or run tcp-chat identity show\)/);
    await runCli(['identity', 'show'], env);
    const noTty = await runCli(['identity', 'export', out], env);
    assert.equal(noTty.code, 1);
    assert.equal(noTty.stderr, 'tcp-chat: there is no terminal to ask for the passphrase: put it in a file only you can read and pass --passphrase-file FILE\n');
    assert.equal(fs.existsSync(out), false);
    assert.match((await runCli(['identity', 'import', path.join(h.tmpDir(), 'missing')], env)).stderr, /there is no file at/);
    assert.match((await runCli(['identity', 'export', out, '--passphrase-file', passphraseFile('short')], env)).stderr, /at least 8 characters/);
    const usage = await runCli(['identity', 'export'], env);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /use: tcp-chat identity show, tcp-chat identity export FILE, or tcp-chat identity import FILE/);
  });

  it('asks the passphrase on a terminal without showing it, twice to seal', async function () {
    // A hidden passphrase prompt needs a real terminal: script(1), Linux only.
    if (!canSpawnInTerminal()) this.skip();
    const env = home();
    await runCli(['identity', 'show'], env);
    const sealed = path.join(h.tmpDir(), 'tty.identity');
    const p = spawnCliInTerminal(['identity', 'export', sealed], env);
    h.own(() => {
      if (p.exitCode === null) p.kill('SIGKILL');
    });
    const t = new Transcript(p);
    const done = collect(p);
    await t.expect(/Passphrase to seal the identity/);
    p.stdin!.write('tiny\r');
    await t.expect(/shorter than 8 characters/);
    await t.expect(/Passphrase to seal the identity/);
    p.stdin!.write('hidden passphrase 1\r');
    await t.expect(/The same passphrase again/);
    p.stdin!.write('hidden passphrase 2\r');
    await t.expect(/did not match/);
    await t.expect(/Passphrase to seal/);
    p.stdin!.write('hidden passphrase 3\r');
    await t.expect(/The same passphrase again/);
    p.stdin!.write('hidden passphrase 3\r');
    const r = await done;
    assert.equal(r.code, 0, r.out + r.err);
    assert.ok(!/hidden passphrase|tiny/.test(r.out), `nothing typed is echoed: ${JSON.stringify(r.out)}`);
    assert.equal((await importIdentity(fs.readFileSync(sealed, 'utf8'), 'hidden passphrase 3')).id, loadIdentity(keyFile(env))!.id);
  });

  it('names list and names release work on a data directory, and a release frees the name for the next key', async () => {
    const dir = h.tmpDir();
    const alice = generateIdentity();
    const store = await FileStore.open(dir);
    await store.claimName('Alice', alice.id);
    await store.claimName('bob', generateIdentity().id);
    await store.close();

    const list = await runCli(['names', 'list', '--data', dir]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`^alice\\t${fingerprintOf(alice.id)}\\t${alice.id}\\nbob\\t`));

    const released = await runCli(['names', 'release', 'ALICE', '--data', dir]);
    assert.equal(released.code, 0, released.stderr);
    assert.equal(
      released.stdout,
      `released "ALICE" (it belonged to the key ${fingerprintOf(alice.id)}): the next key to use it owns it, on a server running on ${dir} too (someone online under it now keeps it until they leave).\n`,
    );
    const reopened = await FileStore.open(dir);
    assert.equal(await reopened.nameOwner('alice'), undefined);
    assert.notEqual(await reopened.nameOwner('bob'), undefined);
    await reopened.close();

    const twice = await runCli(['names', 'release', 'alice', '--data', dir]);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /nobody has claimed "alice" in .*, so there is nothing to release/);
  });

  it('names release frees a name on a tcp-chat serve running on the same directory, without a restart', async () => {
    const dir = h.tmpDir();
    const server = await startCliServer(['--port', '0', '--host', '127.0.0.1', '--data', dir, '--quiet']);
    h.own(async () => {
      server.proc.kill('SIGTERM');
      await server.exited;
    });
    const watcher = await h.raw(server.port, 'watcher');
    const lost = generateIdentity();
    const first = await h.keyed(server.port, 'alice', lost);
    first.client.close();
    await watcher.client.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'alice');
    const next = generateIdentity();
    const before = await h.rawNoHello(server.port);
    assert.equal((await before.helloWithKey('alice', next, { insist: true })).code, 'name_claimed', 'the lost key owns it');

    const released = await runCli(['names', 'release', 'alice', '--data', dir]);
    assert.equal(released.code, 0, released.stderr);
    const after = await (await h.rawNoHello(server.port)).helloWithKey('alice', next, { insist: true });
    assert.equal(after.type, 'welcome', 'the running server read the release');
    assert.equal(after.name, 'alice');
    const list = await runCli(['names', 'list', '--data', dir]);
    assert.match(list.stdout, new RegExp(`^alice\\t${fingerprintOf(next.id)}\\t${next.id}$`, 'm'), 'and the new key owns it');
  });

  it('serve --require-identity turns a guest away with identity_required and admits a key', async () => {
    const server = await startCliServer(['--port', '0', '--host', '127.0.0.1', '--require-identity']);
    h.own(async () => {
      server.proc.kill('SIGTERM');
      await server.exited;
    });
    const guest = await h.rawNoHello(server.port);
    guest.send({ type: 'hello', v: 1, name: 'nc-user' });
    const refused = await guest.waitFor((f) => f.type === 'error');
    assert.equal(refused.code, 'identity_required');
    assert.match(String(refused.message), /editor extension or tcp-chat connect/);
    const keyed = await h.keyed(server.port, 'nc-user', generateIdentity());
    assert.equal(keyed.welcome.guest, false);
  });

  it('names refuses a missing directory, or one that is not a data directory, without writing to it', async () => {
    const missing = path.join(os.tmpdir(), `tcp-chat-no-such-dir-${process.pid}`);
    const r = await runCli(['names', 'list', '--data', missing]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `tcp-chat: there is no data directory at ${missing}: give the --data directory the server runs with\n`);
    assert.equal(fs.existsSync(missing), false);
    const empty = h.tmpDir();
    const notData = await runCli(['names', 'release', 'alice', '--data', empty]);
    assert.equal(notData.code, 1);
    assert.match(notData.stderr, /is not a tcp-chat data directory \(it holds none of rooms, names\.jsonl, history-id\)/);
    assert.deepEqual(fs.readdirSync(empty), []);
    const usage = await runCli(['names', 'release', 'alice']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /names needs the server's --data directory/);
  });

  it('connect makes a key on first use, and --guest makes none; --guest with --identity is a usage error', async () => {
    const { port } = await h.server();
    const env = home();
    const keyed = spawnCli(['connect', `127.0.0.1:${port}`, '--name', 'alice'], true, env);
    h.own(() => {
      if (keyed.exitCode === null) keyed.kill('SIGKILL');
    });
    const made = waitForOutput(keyed, /\* made a new identity key in (.*) \(fingerprint ([0-9a-f ]{19})\)/, 15_000);
    const [, file, fp] = await made;
    assert.equal(file, keyFile(env));
    assert.equal(fp, loadIdentity(keyFile(env))!.fingerprint);
    keyed.stdin!.end();

    const guestHome = home();
    const guest = spawnCli(['connect', `127.0.0.1:${port}`, '--name', 'gus', '--guest'], true, guestHome);
    h.own(() => {
      if (guest.exitCode === null) guest.kill('SIGKILL');
    });
    await waitForOutput(guest, /\* connected to /, 15_000);
    guest.stdin!.end();
    assert.equal(fs.existsSync(path.join(guestHome.HOME, '.tcp-chat', 'identity')), false);

    const both = await runCli(['connect', `127.0.0.1:${port}`, '--guest', '--identity', 'x']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--guest connects without a key, so it does not go with --identity/);
  });

  it('without --name and a login a server would refuse, says why in one line and uses a real suggestion, never "guest"', async () => {
    const { port } = await h.server();
    const env = home();
    const login = os.userInfo().username;
    const p = spawnCli(['connect', `127.0.0.1:${port}`], true, env);
    h.own(() => {
      if (p.exitCode === null) p.kill('SIGKILL');
    });
    const done = collect(p);
    const [, as] = await waitForOutput(p, /\* connected to \S+ as (.+)/, 15_000);
    p.stdin!.end();
    const r = await done;
    if (['root', 'admin', 'administrator', 'system'].includes(login.toLowerCase())) {
      const expected = `user-${loadIdentity(keyFile(env))!.fingerprint.slice(0, 4)}`;
      assert.equal(as, expected);
      assert.equal(r.err, `tcp-chat: your login name "${login}" cannot be a chat name (that name could pass for a system line); connecting as "${expected}" (choose one with --name NAME)\n`);
    } else {
      assert.equal(as, login);
      assert.equal(r.err, '');
    }
  });

  it("suggests git's user.name when the login cannot serve, and asks on a terminal", async function () {
    // A real terminal (script(1), Linux only), and a login name that cannot serve as a chat name: root, as here and in CI.
    if (!canSpawnInTerminal() || os.userInfo().username !== 'root') this.skip();
    const { port } = await h.server();
    const env = home();
    fs.writeFileSync(env.GIT_CONFIG_GLOBAL, '[user]\n\tname = Ann Lee\n');
    const p = spawnCliInTerminal(['connect', `127.0.0.1:${port}`], env);
    h.own(() => {
      if (p.exitCode === null) p.kill('SIGKILL');
    });
    const t = new Transcript(p);
    await t.expect(/Your login name "root" cannot be a chat name \(that name could pass for a system line\)\.\r?\nName to chat under \[Ann Lee\]: /);
    p.stdin!.write('admin\r');
    await t.expect(/That name cannot be used: that name could pass for a system line\.\r?\nName to chat under \[Ann Lee\]: /);
    p.stdin!.write('carol\r');
    await t.expect(/\* connected to \S+ as carol/);
    p.stdin!.write('/quit\r');

    const q = spawnCliInTerminal(['connect', `127.0.0.1:${port}`], env);
    h.own(() => {
      if (q.exitCode === null) q.kill('SIGKILL');
    });
    const u = new Transcript(q);
    await u.expect(/Name to chat under \[Ann Lee\]: /);
    q.stdin!.write('\r');
    await u.expect(/\* connected to \S+ as Ann Lee/);
    q.stdin!.write('/quit\r');
  });

  it('parses /whois', () => {
    assert.deepEqual(parseCommand('/whois "Ann Lee"'), { kind: 'whois', name: 'Ann Lee' });
    assert.deepEqual(parseCommand('/whois'), { kind: 'usage', usage: 'usage: /whois NAME' });
  });
});
