import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { Harness } from '../support/harness';
import { ensureCliBuilt, spawnCli, waitForOutput } from '../support/cliProcess';
import { parseCommand, parseModes } from '../../src/cli/parseCommand';

/**
 * Room moderation in the terminal client: the real `tcp-chat connect`
 * process, typed into through its stdin, against a real server, with raw
 * clients that speak the documented JSON lines on the other side.
 */
describe('tcp-chat connect: room moderation', function () {
  this.timeout(60_000);
  const h = new Harness();
  afterEach(() => h.cleanup());
  before(() => ensureCliBuilt());

  /** Type a line and resolve with the first match of `re` in what the client prints after it. */
  function type(p: ChildProcess, line: string, re: RegExp): Promise<RegExpMatchArray> {
    const seen = waitForOutput(p, re, 10_000);
    p.stdin!.write(line + '\n');
    return seen;
  }

  it('/topic, /mode, /kick, /ban, /unban, /invite, /away, and the topic on join', async () => {
    const { port } = await h.server();
    const bob = await h.raw(port, 'bob');
    const carol = await h.raw(port, 'carol');
    // bob makes #ops and gives it a topic, for the terminal to show when it joins.
    bob.client.send({ type: 'join', room: 'ops' });
    await bob.client.waitFor((f) => f.type === 'joined');
    bob.client.send({ type: 'topic', room: 'ops', topic: 'Pager rota: ana, bo 📟' });
    await bob.client.waitFor((f) => f.type === 'topic');

    const p = spawnCli(['connect', `127.0.0.1:${port}`, '--name', 'alice'], true);
    h.own(() => {
      if (p.exitCode === null) p.kill('SIGKILL');
    });
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    await waitForOutput(p, /\* \d+ online: /, 15_000);

    const shown = await type(p, '/join ops', /\* topic of #ops: (.*) \(set by bob at \d\d:\d\d\)/);
    assert.equal(shown[1], 'Pager rota: ana, bo 📟');
    await type(p, '/join dev', /\* now in #dev/);
    bob.client.send({ type: 'join', room: 'dev' });
    await bob.client.waitFor((f) => f.type === 'joined' && f.room === 'dev');

    await type(p, '/topic Ship it on Friday', /\* alice set the topic of #dev: Ship it on Friday/);
    assert.equal((await bob.client.waitFor((f) => f.type === 'topic' && f.room === 'dev')).text, 'Ship it on Friday');
    await type(p, '/topic', /\* topic of #dev: Ship it on Friday \(set by alice/);

    await type(p, '/mode +k sesame', /\* alice sets \+k sesame on #dev/);
    await type(p, '/mode', /\* modes of #dev: \+ntk sesame; operators: alice/);
    await type(p, '/mode +x', /usage: \/mode/);

    await type(p, '/kick bob spamming', /\* bob was kicked from #dev by alice \(spamming\)/);
    assert.deepEqual(await bob.client.waitFor((f) => f.type === 'kick'), { type: 'kick', room: 'dev', name: 'bob', by: 'alice', reason: 'spamming' });
    await type(p, '/kick nobody', /! nobody is not in dev \(user_not_in_room\)/);

    await type(p, '/ban BOB', /\* alice sets \+b bob on #dev/);
    bob.client.send({ type: 'join', room: 'dev', key: 'sesame' });
    assert.equal((await bob.client.waitFor((f) => f.type === 'error' && f.room === 'dev')).code, 'banned');
    await type(p, '/unban bob', /\* alice sets -b bob on #dev/);
    bob.client.send({ type: 'join', room: 'dev', key: 'sesame' });
    await bob.client.waitFor((f) => f.type === 'joined' && f.room === 'dev');

    await type(p, '/mode +i-k', /\* alice sets \+i -k on #dev/);
    await type(p, '/invite carol', /\* invited carol to #dev/);
    assert.deepEqual(await carol.client.waitFor((f) => f.type === 'invite'), { type: 'invite', room: 'dev', name: 'carol', by: 'alice' });
    carol.client.send({ type: 'join', room: 'dev' });
    await carol.client.waitFor((f) => f.type === 'joined' && f.room === 'dev');

    await type(p, '/away lunch, back at 2', /\* alice is away: lunch, back at 2/);
    assert.equal((await carol.client.waitFor((f) => f.type === 'presence' && f.event === 'away')).message, 'lunch, back at 2');
    await type(p, '/who', /alice \(away: lunch, back at 2\)/);
    await type(p, '/away', /\* alice is back/);

    // Someone else's kick of this client: it is out, and back in general.
    await type(p, '/mode +o bob', /\* alice sets \+o bob on #dev/);
    await bob.client.waitFor((f) => f.type === 'mode' && (f.changes as Array<{ mode: string }>)[0].mode === '+o');
    const kicked = waitForOutput(p, /\* you were kicked from #dev by bob \(your turn\)/, 10_000);
    bob.client.send({ type: 'kick', room: 'dev', name: 'alice', reason: 'your turn' });
    await kicked;
    const said = bob.client.waitFor((f) => f.type === 'message' && f.room === 'general');
    p.stdin!.write('still here\n');
    assert.equal((await said).text, 'still here', 'after the kick, plain text goes to general');

    p.stdin!.end();
    assert.equal(await exited, 0);
  });
});

describe('parseCommand: room moderation', () => {
  it('reads /join with a key, /topic, /kick, /ban, /unban, /invite, /away', () => {
    assert.deepEqual(parseCommand('/join dev sesame'), { kind: 'join', room: 'dev', key: 'sesame' });
    assert.deepEqual(parseCommand('/topic'), { kind: 'topic' });
    assert.deepEqual(parseCommand('/topic  Ship it  Friday '), { kind: 'topic', text: 'Ship it  Friday' });
    assert.deepEqual(parseCommand('/topic -delete'), { kind: 'topic', text: '' });
    assert.deepEqual(parseCommand('/kick bob'), { kind: 'kick', name: 'bob' });
    assert.deepEqual(parseCommand('/kick "Ann Lee" too loud'), { kind: 'kick', name: 'Ann Lee', reason: 'too loud' });
    assert.deepEqual(parseCommand('/ban mal*'), { kind: 'ban', mask: 'mal*', on: true });
    assert.deepEqual(parseCommand('/unban "ann *"'), { kind: 'ban', mask: 'ann *', on: false });
    assert.deepEqual(parseCommand('/invite carol'), { kind: 'invite', name: 'carol' });
    assert.deepEqual(parseCommand('/invite carol ops'), { kind: 'invite', name: 'carol', room: 'ops' });
    assert.deepEqual(parseCommand('/away lunch'), { kind: 'away', message: 'lunch' });
    assert.deepEqual(parseCommand('/away'), { kind: 'away' });
    for (const line of ['/kick', '/ban', '/unban', '/invite', '/join']) assert.equal(parseCommand(line).kind, 'usage', line);
  });

  it('reads IRC mode strings, arguments in order, and refuses malformed ones', () => {
    assert.deepEqual(parseCommand('/mode'), { kind: 'mode' });
    assert.deepEqual(parseModes('+im-t'), [{ mode: '+i' }, { mode: '+m' }, { mode: '-t' }]);
    assert.deepEqual(parseModes('+k sesame'), [{ mode: '+k', arg: 'sesame' }]);
    assert.deepEqual(parseModes('+o-v+l bob "Ann Lee" 20'), [{ mode: '+o', arg: 'bob' }, { mode: '-v', arg: 'Ann Lee' }, { mode: '+l', arg: '20' }]);
    assert.deepEqual(parseModes('-kl'), [{ mode: '-k' }, { mode: '-l' }], '-k and -l take no argument');
    for (const bad of ['i', '+x', '+k', '+o', '+i extra', '+', '-b']) assert.equal(parseModes(bad), undefined, bad);
    assert.equal(parseCommand('/mode +q').kind, 'usage');
  });
});
