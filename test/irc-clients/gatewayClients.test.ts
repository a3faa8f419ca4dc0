import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateCertificate } from '../../src/engine/certificate';
import { Harness } from '../support/harness';
import { CLIENT_WAIT_MS, requireRealClientTools, startRealClient, type RealClientKind, type RealIrcClient } from '../support/ircClients';
import { gatewayServer } from '../support/ircGateway';
import { IrcLineClient } from '../support/ircLineClient';
import { pollUntil, Tmux } from '../support/ircTmux';
import type { RawClient } from '../support/rawClient';

/**
 * Real IRC clients from Debian against our gateway (`--irc-port`), in the
 * same #general as a JSON client, the way the panel connects: irssi through
 * tmux keys and screen captures, WeeChat headless through its FIFO and
 * logs, ii through its files. Each joins, sees the JSON client's message
 * with the right sender, answers, sends the JSON user a direct message and
 * changes its nick, and the JSON side sees all of it.
 */
describe('real IRC clients against the gateway, with a JSON client in #general', function () {
  const channel = '#general';
  const kinds: RealClientKind[] = ['irssi', 'weechat', 'ii'];
  const h = new Harness();
  let tmux: Tmux;
  let panel: RawClient;
  const clients = new Map<RealClientKind, RealIrcClient>();

  before(async function () {
    requireRealClientTools();
    const { port, ircPort } = await gatewayServer(h);
    panel = (await h.raw(port, 'panel_user')).client;
    tmux = await Tmux.start();
    for (const kind of kinds) clients.set(kind, await startRealClient(kind, tmux, { host: '127.0.0.1', port: ircPort }, `${kind}_user`));
  });

  after(async function () {
    for (const c of clients.values()) await c.close();
    await tmux?.stop();
    await h.cleanup();
  });

  function client(kind: RealClientKind): RealIrcClient {
    const c = clients.get(kind);
    assert.ok(c, `${kind} started`);
    return c;
  }

  it('each joins #general and sees the JSON client’s message from its sender, and the JSON client sees each answer', async function () {
    for (const kind of kinds) await client(kind).join(channel);
    panel.send({ type: 'message', id: 'p1', text: 'hello from the panel' });
    for (const kind of kinds) await client(kind).seesChannelMessage(channel, 'panel_user', 'hello from the panel');
    for (const kind of kinds) await client(kind).say(channel, `hello from ${kind}`);
    for (const kind of kinds) {
      const m = await panel.waitFor((f) => f.type === 'message' && f.sender === `${kind}_user` && f.text === `hello from ${kind}`, CLIENT_WAIT_MS);
      assert.equal(m.room, 'general');
    }
    // And the IRC clients see each other.
    for (const reader of kinds) {
      for (const writer of kinds) if (writer !== reader) await client(reader).seesChannelMessage(channel, `${writer}_user`, `hello from ${writer}`);
    }
  });

  it('each sends the JSON user a direct message, and sees one back', async function () {
    for (const kind of kinds) await client(kind).msg('panel_user', `psst from ${kind}`);
    for (const kind of kinds) {
      const dm = await panel.waitFor((f) => f.type === 'message' && f.sender === `${kind}_user` && f.text === `psst from ${kind}`, CLIENT_WAIT_MS);
      assert.equal(dm.to, 'panel_user');
    }
    for (const kind of kinds) panel.send({ type: 'message', id: `dm-${kind}`, to: `${kind}_user`, text: `psst back to ${kind}` });
    for (const kind of kinds) await client(kind).seesDirectMessage('panel_user', `psst back to ${kind}`);
  });

  it('each changes its nick; the JSON client sees the renames, and messages carry the new names', async function () {
    for (const kind of kinds) await client(kind).changeNick(`${kind}_renamed`);
    for (const kind of kinds) {
      await panel.waitFor((f) => f.type === 'presence' && f.event === 'rename' && f.from === `${kind}_user` && f.name === `${kind}_renamed`, CLIENT_WAIT_MS);
    }
    for (const reader of kinds) {
      for (const writer of kinds) if (writer !== reader) await client(reader).seesNickChange(channel, `${writer}_user`, `${writer}_renamed`);
    }
    await client('ii').say(channel, 'still here');
    await panel.waitFor((f) => f.type === 'message' && f.sender === 'ii_renamed' && f.text === 'still here', CLIENT_WAIT_MS);
    await client('irssi').seesChannelMessage(channel, 'ii_renamed', 'still here');
  });
});

describe('the gateway over TLS, with openssl s_client', function () {
  const h = new Harness();
  after(() => h.cleanup());

  it('registers, joins #general and talks over the same certificate as the JSON port', async function () {
    const cert = await generateCertificate({ commonName: 'irc.test' });
    const { server, ircPort } = await gatewayServer(h, { tls: cert });
    const other = await IrcLineClient.connect(ircPort, {});
    h.own(() => other.close());
    other.send('NICK tls_friend', 'USER tls_friend 0 * :Friend');
    await other.numeric('001', CLIENT_WAIT_MS);

    const proc = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${ircPort}`, '-quiet', '-verify_quiet'], { stdio: ['pipe', 'pipe', 'pipe'] });
    h.own(() => {
      proc.kill();
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const until = (re: RegExp, what: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`s_client: no ${what} within ${CLIENT_WAIT_MS} ms; got:\n${out}\n${err}`)), CLIENT_WAIT_MS);
        const check = () => {
          if (!re.test(out)) return;
          clearTimeout(timer);
          proc.stdout.off('data', check);
          resolve();
        };
        proc.stdout.on('data', check);
        check();
      });
    proc.stdin.write('NICK tls_user\r\nUSER tls_user 0 * :TLS User\r\n');
    await until(/ 001 tls_user :Welcome to the /, 'welcome');
    await until(/:tls_user!~tls_user@irc JOIN :?#general/, 'JOIN #general');
    other.send('PRIVMSG #general :over TLS');
    await until(/:tls_friend!~tls_friend@irc PRIVMSG #general :over TLS/, 'message from tls_friend');
    proc.stdin.write('PRIVMSG #general :hello back\r\n');
    await other.waitFor((m) => m.command === 'PRIVMSG' && m.source?.startsWith('tls_user!') === true && m.params[1] === 'hello back', CLIENT_WAIT_MS);
    assert.ok(server.fingerprint, 'the server has a certificate');
    proc.stdin.write('QUIT :done\r\n');
    await until(/ERROR :Closing link/, 'ERROR after QUIT');
  });
});

/**
 * Room moderation typed in real clients: irssi and WeeChat each make a room
 * (so they are its operator) and use their own /topic, /op, /kick and /away,
 * which they turn into IRC commands the gateway maps onto the room model;
 * the JSON client sees each change, and each client shows the JSON client's
 * topic as a topic change.
 */
describe('room moderation from irssi and WeeChat through the gateway', function () {
  const h = new Harness();
  let tmux: Tmux;
  let panel: RawClient;
  const clients: RealIrcClient[] = [];

  before(async function () {
    requireRealClientTools();
    const { port, ircPort } = await gatewayServer(h, { rate: 0 });
    panel = (await h.raw(port, 'panel_mod')).client;
    tmux = await Tmux.start();
    for (const kind of ['irssi', 'weechat'] as const) clients.push(await startRealClient(kind, tmux, { host: '127.0.0.1', port: ircPort }, `${kind}_op`));
  });

  after(async function () {
    for (const c of clients) await c.close();
    await tmux?.stop();
    await h.cleanup();
  });

  for (const [i, kind] of (['irssi', 'weechat'] as const).entries()) {
    it(`${kind}: /topic, /op, /kick and /away reach the JSON client; the JSON client's topic reaches ${kind}`, async function () {
      const c = clients[i];
      const room = `${kind}room`;
      const channel = `#${room}`;
      await c.join(channel);
      panel.send({ type: 'join', room });
      const joined = await panel.waitFor((f) => f.type === 'joined' && f.room === room, CLIENT_WAIT_MS);
      assert.deepEqual(joined.ops, [c.nick], `${kind} made ${channel}, so it is the operator`);

      await c.command(channel, `/topic ${kind} sets the topic`);
      const topic = await panel.waitFor((f) => f.type === 'topic' && f.room === room, CLIENT_WAIT_MS);
      assert.deepEqual([topic.text, topic.by], [`${kind} sets the topic`, c.nick]);

      await c.command(channel, '/op panel_mod');
      const mode = await panel.waitFor((f) => f.type === 'mode' && f.room === room, CLIENT_WAIT_MS);
      assert.deepEqual(mode.changes, [{ mode: '+o', arg: 'panel_mod' }]);
      panel.send({ type: 'topic', room, topic: 'set from the panel' });
      await pollUntil(async () => (/set from the panel/.test(await c.transcript(channel)) ? true : undefined), CLIENT_WAIT_MS, `${kind} shows the panel's topic`, () => c.transcript(channel));

      await c.command(channel, '/kick panel_mod enough');
      const kick = await panel.waitFor((f) => f.type === 'kick' && f.room === room, CLIENT_WAIT_MS);
      assert.deepEqual([kick.name, kick.by, kick.reason], ['panel_mod', c.nick, 'enough']);

      await c.command(channel, `/away back in five from ${kind}`);
      const away = await panel.waitFor((f) => f.type === 'presence' && f.event === 'away' && f.name === c.nick, CLIENT_WAIT_MS);
      assert.equal(away.message, `back in five from ${kind}`);
    });
  }
});
