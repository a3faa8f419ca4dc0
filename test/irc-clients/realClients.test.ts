import * as assert from 'node:assert/strict';
import { requireRealClientTools, startRealClient, type RealClientKind, type RealIrcClient } from '../support/ircClients';
import { IrcFrameworkClient } from '../support/ircFrameworkClient';
import { IrcPeerServer } from '../support/ircPeerServer';
import { Tmux } from '../support/ircTmux';

/**
 * Proves the real-client harness against a real IRC server (ngIRCd): irssi,
 * WeeChat and ii, driven the way their users drive them, plus an
 * irc-framework client, all in #general. The same drivers run against our
 * gateway in gatewayClients.test.ts; when a step fails there but passes
 * here, the gateway is at fault, not the harness.
 */
describe('real IRC clients against ngIRCd (the harness proves itself)', function () {
  const channel = '#general';
  const kinds: RealClientKind[] = ['irssi', 'weechat', 'ii'];
  let server: IrcPeerServer;
  let tmux: Tmux;
  const clients = new Map<RealClientKind, RealIrcClient>();
  let framework: IrcFrameworkClient;

  before(async function () {
    requireRealClientTools();
    server = await IrcPeerServer.start();
    tmux = await Tmux.start();
    // One at a time: ngIRCd's listen backlog is small and the machine is shared.
    for (const kind of kinds) clients.set(kind, await startRealClient(kind, tmux, server, `${kind}_user`));
    framework = await IrcFrameworkClient.connect(server, 'framework_user');
  });

  after(async function () {
    await framework?.close();
    for (const c of clients.values()) await c.close();
    await tmux?.stop();
    await server?.stop();
  });

  function client(kind: RealClientKind): RealIrcClient {
    const c = clients.get(kind);
    assert.ok(c, `${kind} started`);
    return c;
  }

  it('irssi, WeeChat and ii join #general and each sees the others’ messages with the right sender', async function () {
    for (const kind of kinds) await client(kind).join(channel);
    await framework.join(channel);
    for (const kind of kinds) await client(kind).say(channel, `hello from ${kind}`);
    framework.say(channel, 'hello from irc-framework');
    for (const reader of kinds) {
      for (const writer of kinds) {
        if (writer !== reader) await client(reader).seesChannelMessage(channel, client(writer).nick, `hello from ${writer}`);
      }
      await client(reader).seesChannelMessage(channel, framework.nick, 'hello from irc-framework');
    }
    for (const writer of kinds) await framework.seesMessage(client(writer).nick, channel, `hello from ${writer}`);
  });

  it('each sends a direct message and sees one sent to it', async function () {
    for (const kind of kinds) await client(kind).msg(framework.nick, `psst from ${kind}`);
    for (const kind of kinds) await framework.seesMessage(client(kind).nick, framework.nick, `psst from ${kind}`);
    for (const kind of kinds) framework.say(client(kind).nick, `psst back to ${kind}`);
    for (const kind of kinds) await client(kind).seesDirectMessage(framework.nick, `psst back to ${kind}`);
  });

  it('each changes its nick, and everyone else sees the change', async function () {
    const before = new Map(kinds.map((k) => [k, client(k).nick] as const));
    for (const kind of kinds) await client(kind).changeNick(`${kind}_renamed`);
    await framework.changeNick('framework_renamed');
    for (const kind of kinds) await framework.seesNickChange(before.get(kind) as string, `${kind}_renamed`);
    for (const reader of kinds) {
      for (const writer of kinds) if (writer !== reader) await client(reader).seesNickChange(channel, before.get(writer) as string, `${writer}_renamed`);
      await client(reader).seesNickChange(channel, 'framework_user', 'framework_renamed');
    }
    // And the new names carry messages.
    await client('ii').say(channel, 'still here');
    await client('irssi').seesChannelMessage(channel, 'ii_renamed', 'still here');
    await framework.seesMessage('ii_renamed', channel, 'still here');
  });
});
