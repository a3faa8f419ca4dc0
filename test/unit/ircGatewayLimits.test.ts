import * as assert from 'node:assert/strict';
import { Harness } from '../support/harness';
import { gatewayServer } from '../support/ircGateway';
import { IrcLineClient } from '../support/ircLineClient';

/** The JSON port's limits hold on the IRC port: rate limit, flood, timeouts, slow readers, endless lines. */
describe('IRC gateway limits', function () {
  this.timeout(30_000);
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('rate-limits messages with a NOTICE, then cuts a flood with ERROR, while others carry on', async () => {
    const { port, ircPort } = await gatewayServer(h, { rate: 10, burst: 30 });
    const jay = await h.raw(port, 'jay');
    const c = await IrcLineClient.register(ircPort, 'ann');
    h.own(() => c.close());
    c.send(...Array.from({ length: 150 }, (_, i) => `PRIVMSG #general :flood ${i}`));
    const notice = await c.waitFor((m) => m.command === 'NOTICE');
    assert.match(notice.params[1], /not sent: slow down/);
    assert.match((await c.waitFor((m) => m.command === 'ERROR')).params[0], /too many requests/);
    await c.closed;
    await jay.client.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'ann');
    const got = jay.client.frames.filter((f) => f.type === 'message' && f.sender === 'ann').length;
    assert.ok(got <= 35, `at most the burst got through (${got})`);
    const other = await IrcLineClient.register(ircPort, 'bob');
    h.own(() => other.close());
    jay.client.send({ type: 'message', id: 'after', text: 'still fine' });
    await other.waitFor((m) => m.params[1] === 'still fine');
  });

  it('pings an idle client and closes it when it does not answer; closes a client that never registers', async () => {
    const { ircPort } = await gatewayServer(h, { idleTimeout: 2500, handshakeTimeout: 500 });
    const c = await IrcLineClient.register(ircPort, 'ann');
    h.own(() => c.close());
    assert.deepEqual((await c.waitFor((m) => m.command === 'PING')).params, ['irc.tcp-chat']);
    assert.match((await c.waitFor((m) => m.command === 'ERROR')).params[0], /nothing received/);
    await c.closed;
    const mute = await IrcLineClient.connect(ircPort);
    h.own(() => mute.close());
    mute.send('NICK half');
    assert.match((await mute.waitFor((m) => m.command === 'ERROR')).params[0], /within 500 ms/);
    await mute.closed;
  });

  it('keeps a client that answers the server PING', async () => {
    const { ircPort } = await gatewayServer(h, { idleTimeout: 2500 });
    const c = await IrcLineClient.register(ircPort, 'ann');
    h.own(() => c.close());
    for (let i = 0; i < 3; i++) {
      const ping = await c.waitFor((m) => m.command === 'PING', 5000);
      c.send(`PONG :${ping.params[0]}`);
    }
    c.send('PING :alive');
    await c.waitFor((m) => m.command === 'PONG');
  });

  it('cuts a client that stops reading, and one that sends an endless line', async function () {
    // Megabytes through a shared, busy machine: the cut comes when the queue fills, which takes its time under load.
    this.timeout(120_000);
    const { port, ircPort } = await gatewayServer(h, { maxQueue: 64 * 1024, rate: 0 });
    const jay = await h.raw(port, 'jay');
    const slow = await IrcLineClient.register(ircPort, 'slow');
    slow.socket.pause();
    h.own(() => slow.close());
    // Batches of 4 MB until the kernel's socket buffers (several MB on loopback, more when autotuned)
    // are full and the queue grows past maxQueue; each batch is done when jay's own last message is back.
    const text = 'x'.repeat(4000);
    const cut = (f: Record<string, unknown>) => f.type === 'presence' && f.event === 'offline' && f.name === 'slow';
    for (let batch = 0; batch < 12 && !jay.client.frames.some(cut); batch++) {
      for (let i = 0; i < 1000; i++) jay.client.send({ type: 'message', id: `m${batch}.${i}`, text });
      await jay.client.waitFor((f) => f.type === 'message' && f.id === `m${batch}.999`, 60_000);
    }
    await jay.client.waitFor(cut, 30_000);
    const endless = await IrcLineClient.connect(ircPort);
    h.own(() => endless.close());
    endless.socket.write('PRIVMSG #general :' + 'y'.repeat(40_000));
    await endless.closed;
  });
});
