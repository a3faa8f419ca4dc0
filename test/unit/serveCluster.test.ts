import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { Harness, nextEvent } from '../support/harness';
import { ensureCliBuilt, runCli, spawnCli, waitForOutput } from '../support/cliProcess';
import { eventually, startNode, type ClusterNode } from '../support/clusterNodes';
import { freePort, startPostgres, startRedis, type RealPostgres, type RealRedis } from '../support/realServers';
import { ChatClient } from '../../src/engine/client/chatClient';

/**
 * `tcp-chat serve --store/--bus` and `tcp-chat connect` with a list, as an
 * operator and a user run them: options and environment, refusals, and
 * passwords kept out of every line the processes print.
 */
describe('tcp-chat serve and connect in a cluster', function () {
  this.timeout(120_000);
  const h = new Harness();
  let pg: RealPostgres;
  let redis: RealRedis;
  const nodes: ClusterNode[] = [];
  before(async () => {
    ensureCliBuilt();
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  });
  after(async () => {
    await Promise.all([pg?.dispose(), redis?.dispose()]);
  });
  afterEach(async () => {
    await h.cleanup();
    await Promise.all(nodes.splice(0).map((n) => n.kill('SIGKILL')));
  });

  /** The password in a URL (both test servers require one). */
  const secretOf = (url: string) => decodeURIComponent(new URL(url).password);

  it('refuses a bus without a shared store, and says what to add', async () => {
    for (const [args, env] of [
      [['--bus', redis.url], {}],
      [[], { TCP_CHAT_BUS: redis.url }],
      [['--data', h.tmpDir()], { TCP_CHAT_BUS: redis.url }],
    ] as Array<[string[], NodeJS.ProcessEnv]>) {
      const r = await runCli(['serve', '--port', '0', ...args], { TCP_CHAT_STORE: '', ...env });
      assert.equal(r.code, 2, `${args.join(' ')} ${JSON.stringify(env)} is refused`);
      assert.match(r.stderr, /^tcp-chat: --bus \(TCP_CHAT_BUS\) joins other nodes, which must share one history: add --store postgres:\/\/USER@HOST:PORT\/DB \(or set TCP_CHAT_STORE\); with --data or in memory the nodes' histories would diverge\n$/);
      assert.ok(!r.stderr.includes(secretOf(redis.url)) && !r.stdout.includes(secretOf(redis.url)), 'the refusal does not print the Redis password');
      assert.equal(r.stdout, '', 'nothing was started');
    }
  });

  it('a shared store alone is a single node with durable history', async () => {
    const url = await pg.createDatabase();
    const p = spawnCli(['serve', '--port', '0', '--quiet'], false, { TCP_CHAT_STORE: url, TCP_CHAT_BUS: '' });
    h.own(() => killed(p));
    const [, port] = await waitForOutput(p, /serving on \S+:(\d+)/, 30_000);
    const alice = new ChatClient({ host: '127.0.0.1', port: Number(port), name: 'alice' });
    h.own(() => alice.dispose());
    await alice.connect();
    alice.send('kept in PostgreSQL');
    await eventually(() => alice.unacked === 0, () => 'the message is acknowledged', 20_000);
    assert.equal(alice.node, undefined, 'a server with no bus names no node');
  });

  it('takes the URLs from TCP_CHAT_STORE and TCP_CHAT_BUS, and no line it prints holds a password, through outages of both servers', async () => {
    // Servers of their own: this test stops them.
    const [ownPg, ownRedis] = await Promise.all([startPostgres(), startRedis()]);
    h.own(() => Promise.all([ownPg.dispose(), ownRedis.dispose()]).then(() => undefined));
    const url = await ownPg.createDatabase();
    const secrets = [secretOf(url), secretOf(ownRedis.url)];
    const a = await startNode('A', url, ownRedis.url, ['--store', url]);
    nodes.push(a);
    assert.match(a.output(), /history: shared, in PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/chat_\d+ \(history id [0-9a-f-]{36}\)/);
    assert.match(a.output(), /cluster: other nodes through Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
    await eventually(() => /this node is A\n/.test(a.output()), () => a.output(), 10_000);
    assert.match(a.output(), /warning: the --store URL holds a password, which anyone on this machine can read with ps: set TCP_CHAT_STORE or PGPASSWORD instead/);

    const alice = new ChatClient({ ...a.endpoint, name: 'alice', minBackoff: 100, maxBackoff: 1000 });
    h.own(() => alice.dispose());
    await alice.connect();
    assert.equal(alice.node, 'A', 'the welcome names the node');
    alice.send('one');
    await eventually(() => alice.unacked === 0, () => 'the message is acknowledged', 20_000);

    // Redis dies: the node warns, then carries on when it is back.
    let seen = a.output().length;
    await ownRedis.stop('SIGKILL');
    await eventually(() => /warning: Redis: /.test(a.output().slice(seen)), () => `no Redis warning in\n${a.output()}`, 20_000);
    await ownRedis.start();

    // PostgreSQL dies: a message is refused, and the node warns about the store.
    seen = a.output().length;
    await ownPg.stop();
    const refused = nextEvent(alice.onServerError, (e) => e.code === 'store_failed', 30_000);
    alice.send('two');
    await refused;
    await eventually(() => /warning: /.test(a.output().slice(seen)), () => `no warning about the store in\n${a.output()}`, 20_000);
    await ownPg.start();
    await eventually(() => alice.unacked === 0, () => `${alice.unacked} unacknowledged`, 60_000);

    // A wrong password at start-up: refused, named without it.
    const wrong = url.replace(`:${encodeURIComponent(secrets[0])}@`, ':not-the-password@');
    const r = await runCli(['serve', '--port', '0'], { TCP_CHAT_STORE: wrong, TCP_CHAT_BUS: ownRedis.url });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^tcp-chat: .*postgres:\/\/postgres:\*\*\*@127\.0\.0\.1/m);

    await a.kill('SIGTERM');
    for (const [what, text] of [['node A', a.output()], ['the refused start', r.stdout + r.stderr]]) {
      for (const s of [...secrets, 'not-the-password']) assert.ok(!text.includes(s), `${what} printed a password:\n${text}`);
    }
    assert.ok(a.output().split('\n').length > 8, 'the node printed enough to make the check mean something');
  });

  it('the terminal client says once that messages wait for PostgreSQL, and when they went out', async () => {
    const ownPg = await startPostgres();
    h.own(() => ownPg.dispose());
    const node = await startNode('solo', await ownPg.createDatabase(), '', []);
    nodes.push(node);
    const p = spawnCli(['connect', `127.0.0.1:${node.port}`, '--name', 'dave'], true);
    h.own(() => killed(p));
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await eventually(() => /\* 1 online: dave/.test(out), () => out, 20_000);
    await ownPg.stop();
    for (const line of ['first while down', 'second while down']) p.stdin!.write(`${line}\n`);
    await eventually(() => out.includes('! the server cannot store messages right now; yours are kept and resent until it can'), () => out, 30_000);
    await ownPg.start();
    await eventually(() => out.includes('* the server stores messages again; everything you wrote was sent'), () => out, 60_000);
    assert.equal(out.split('! the server cannot store').length, 2, `said once, not on every retry:\n${out}`);
    // Both went out once, before the line that says so (in the order the store took them: docs/reliability.md).
    const done = out.indexOf('* the server stores messages again');
    for (const line of ['first while down', 'second while down']) {
      assert.equal(out.split(`<dave> ${line}\n`).length, 2, `"${line}" shown once:\n${out}`);
      assert.ok(out.indexOf(`<dave> ${line}`) < done, `"${line}" before the all-sent line:\n${out}`);
    }
    p.stdin!.end();
  });

  it('tcp-chat connect HOST:PORT,HOST:PORT moves past a dead server and names the node it reached', async () => {
    const url = await pg.createDatabase();
    const b = await startNode('B', url, redis.url);
    nodes.push(b);
    const dead = await freePort();
    const p = spawnCli(['connect', `127.0.0.1:${dead},127.0.0.1:${b.port}`, '--name', 'carol'], true);
    h.own(() => killed(p));
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    await waitForOutput(p, new RegExp(`\\* connected to 127\\.0\\.0\\.1:${b.port} \\(node B\\) as carol`), 20_000);
    p.stdin!.end();
    assert.equal(await exited, 0);
  });
});

async function killed(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await gone;
}
