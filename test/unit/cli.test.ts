import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Harness } from '../support/harness';
import { ROOT, ensureCliBuilt, runCli, spawnCli, startCliServer, waitForOutput } from '../support/cliProcess';
import { parseCommand } from '../../src/cli/parseCommand';
import { dmKey } from '../../src/engine/protocol';

describe('tcp-chat CLI', function () {
  this.timeout(30_000);
  const h = new Harness();
  afterEach(() => h.cleanup());

  before(() => ensureCliBuilt());

  it('serves, logs joins, lets three raw clients chat, and stops cleanly on SIGTERM with a bye', async () => {
    const { proc: p, host, port, exited } = await startCliServer(['--port', '0', '--host', '127.0.0.1']);
    h.own(() => {
      if (p.exitCode === null) p.kill('SIGKILL');
    });
    assert.equal(host, '127.0.0.1');
    assert.ok(port > 0);

    const logged = waitForOutput(p, /\+ alice connected from 127\.0\.0\.1:\d+/);
    const a = await h.raw(port, 'alice');
    await logged;
    const b = await h.raw(port, 'bob');
    const c = await h.raw(port, 'alice');
    assert.equal(c.welcome.name, 'alice2');
    a.client.send({ type: 'message', id: '1', room: 'general', text: 'hi from alice' });
    b.client.send({ type: 'message', id: '1', room: 'general', text: 'hi from bob' });
    for (const x of [a, b, c]) {
      const got = [await x.client.waitFor((f) => f.type === 'message'), await x.client.waitFor((f) => f.type === 'message')];
      assert.deepEqual(got.map((m) => m.sender).sort(), ['alice', 'bob']);
    }
    c.client.send({ type: 'message', id: 'dm', to: 'bob', text: 'psst' });
    assert.equal((await b.client.waitFor((f) => f.type === 'message' && f.id === 'dm')).sender, 'alice2');

    p.kill('SIGTERM');
    for (const x of [a, b, c]) {
      assert.deepEqual(await x.client.waitFor((f) => f.type === 'bye'), { type: 'bye', reason: 'server shutting down' });
      await x.client.waitClosed();
    }
    assert.equal(await exited, 0);
  });

  it('says what to do when the port is in use', async () => {
    const { port } = await h.server();
    const r = await runCli(['serve', '--port', String(port)]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), `tcp-chat: port ${port} is already in use: pick another port or stop the program using it`);
  });

  it('refuses a bad flag value with a usage error', async () => {
    const r = await runCli(['serve', '--port', 'twelve']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--port takes a whole number from 0 to 65535, not "twelve"/);
  });

  it('--help describes every flag', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    // Every option the parser accepts, read from the source, must appear in the help.
    const source = fs.readFileSync(path.join(ROOT, 'src', 'cli', 'cli.ts'), 'utf8');
    const flags = [...source.matchAll(/^\s*'?([a-z][a-z-]*)'?: \{ type: '(?:string|boolean)'/gm)].map((m) => m[1]).filter((f) => f !== 'help');
    assert.ok(flags.length >= 10, `found flags: ${flags.join(', ')}`);
    for (const flag of new Set(flags)) assert.match(r.stdout, new RegExp(`(^|\\s)--${flag}\\b`, 'm'), `--${flag} is described in --help`);
    for (const cmd of ['/join', '/msg', '/who', '/topic', '/mode', '/kick', '/ban', '/unban', '/invite', '/away', '/quit']) assert.ok(r.stdout.includes(cmd), `${cmd} is described`);
    assert.equal((await runCli(['serve', '--help'])).stdout, r.stdout);
  });

  it('the terminal client sends /msg to the named person, whatever the name (s, g, m, ms, msg)', async () => {
    const { port } = await h.server();
    const names = ['s', 'g', 'm', 'ms', 'msg'];
    const peers = await Promise.all(names.map((n) => h.raw(port, n)));
    const p = spawnCli(['connect', `127.0.0.1:${port}`, '--name', 'alice'], true);
    h.own(() => {
      if (p.exitCode === null) p.kill('SIGKILL');
    });
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    await waitForOutput(p, /\* \d+ online: /, 15_000);
    for (const n of names) p.stdin!.write(`/msg ${n} hello ${n}, from  the terminal\n`);
    for (const [i, n] of names.entries()) {
      const m = await peers[i].client.waitFor((f) => f.type === 'message', 10_000);
      assert.equal(m.sender, 'alice');
      assert.equal(m.text, `hello ${n}, from  the terminal`, `${n} got the whole text, spacing kept`);
      // Kept under the two identities: the terminal's key (it made one) and the raw client's guest id.
      assert.match(String(m.author), /^ed25519:/);
      assert.equal(m.room, dmKey(m.author as string, peers[i].welcome.id as string));
    }
    // Nobody got a DM meant for someone else, and #general heard nothing.
    for (const peer of peers) assert.equal(peer.client.frames.filter((f) => f.type === 'message').length, 0);
    p.stdin!.end();
    assert.equal(await exited, 0);
  });

  it('the terminal client in a large room: the welcome gives the count, /who PREFIX pages the room from the server', async () => {
    const { port } = await h.server({ largeRoom: 2 });
    for (const n of ['alice', 'Alan', 'bob']) await h.raw(port, n);
    const p = spawnCli(['connect', `127.0.0.1:${port}`, '--name', 'zed'], true);
    h.own(() => {
      if (p.exitCode === null) p.kill('SIGKILL');
    });
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    await waitForOutput(p, /\* 4 online, among them zed( \(guest\))? \(\/who PREFIX finds others\)/, 15_000);
    p.stdin!.write('/who al\n');
    await waitForOutput(p, /\* 4 in #general, starting with al: Alan \(guest\), alice \(guest\)\n/, 10_000);
    p.stdin!.end();
    assert.equal(await exited, 0);
  });
});

describe('parseCommand (terminal client)', () => {
  for (const name of ['s', 'g', 'm', 'ms', 'msg', '/msg', 'alice']) {
    it(`/msg ${name} TEXT goes to ${name}`, () => {
      assert.deepEqual(parseCommand(`/msg ${name} hello ${name}  there`), { kind: 'msg', to: name, text: `hello ${name}  there` });
    });
  }

  it('reads quoted names, extra spaces and tabs', () => {
    assert.deepEqual(parseCommand('  /msg   "Ann Lee"   hi  '), { kind: 'msg', to: 'Ann Lee', text: 'hi' });
    assert.deepEqual(parseCommand('/msg\tbob\thi'), { kind: 'msg', to: 'bob', text: 'hi' });
    assert.deepEqual(parseCommand('/nick "Ann Lee"'), { kind: 'nick', name: 'Ann Lee' });
    assert.deepEqual(parseCommand('/nick Ann Lee'), { kind: 'nick', name: 'Ann Lee' });
  });

  it('explains a command used wrongly, and names an unknown one', () => {
    for (const line of ['/msg', '/msg bob', '/msg bob   ', '/msg "" hi', '/msg "bob hi']) assert.equal(parseCommand(line).kind, 'usage', line);
    assert.deepEqual(parseCommand('/join'), { kind: 'usage', usage: 'usage: /join ROOM [KEY]' });
    assert.deepEqual(parseCommand('/dance now'), { kind: 'unknown', command: '/dance' });
  });

  it('reads the other commands, and plain text as a message to the room', () => {
    assert.deepEqual(parseCommand('  hello /msg s  '), { kind: 'say', text: 'hello /msg s' });
    assert.deepEqual(parseCommand('   '), { kind: 'empty' });
    assert.deepEqual(parseCommand('/join dev'), { kind: 'join', room: 'dev' });
    assert.deepEqual(parseCommand('/leave'), { kind: 'leave' });
    assert.deepEqual(parseCommand('/leave dev'), { kind: 'leave', room: 'dev' });
    assert.deepEqual(parseCommand('/search  launch code '), { kind: 'search', query: 'launch code' });
    for (const [line, kind] of [
      ['/who', 'who'],
      ['/who al', 'who'],
      ['/history', 'history'],
      ['/quit', 'quit'],
      ['/exit', 'quit'],
    ]) assert.equal(parseCommand(line).kind, kind, line);
  });
});
