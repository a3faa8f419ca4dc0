import * as assert from 'node:assert/strict';
import { generateCertificate, fingerprintOf } from '../../src/engine/certificate';
import { RedisBus } from '../../src/engine/buses/redisBus';
import { generateIdentity, idOfCertificate } from '../../src/engine/identity';
import { PostgresStore } from '../../src/engine/stores/postgresStore';
import { asBusEvent, PEOPLE_TOPIC } from '../../src/engine/server/busEvents';
import { Harness } from '../support/harness';
import { gatewayServer } from '../support/ircGateway';
import { IrcLineClient } from '../support/ircLineClient';
import { ownedFrameworkClient } from '../support/ownedIrcClients';
import { RawClient } from '../support/rawClient';
import { startPostgres, startRedis, type RealPostgres, type RealRedis } from '../support/realServers';

/**
 * The IRC gateway on a cluster: two nodes on one real PostgreSQL and one real
 * Redis. Someone identified on node A (a certificate through SASL EXTERNAL,
 * a panel key) shows their account to IRC people on node B exactly as to
 * those on A: WHOIS 330, the `account` tag, `extended-join`. Their identity
 * travels with their presence on the bus; guests, and people a node
 * announces without an identity, show none.
 */
describe('IRC gateway on a cluster: accounts of people on other nodes', function () {
  this.timeout(60_000);
  const h = new Harness();
  let redis: RealRedis;
  let pg: RealPostgres;
  let serverCert: { cert: string; key: string };
  let annCert: { cert: string; key: string };
  before(async () => {
    [redis, pg, serverCert, annCert] = await Promise.all([startRedis(), startPostgres(), generateCertificate({ commonName: 'server.test' }), generateCertificate({ commonName: 'ann' })]);
  });
  after(async () => {
    await redis?.dispose();
    await pg?.dispose();
  });
  afterEach(() => h.cleanup());

  /** A node with the gateway, on the shared store and bus. */
  async function node(storeUrl: string) {
    return gatewayServer(h, { tls: serverCert, bus: await RedisBus.open(redis.url), store: await PostgresStore.open(storeUrl) });
  }

  it('shows the identity of someone on another node in WHOIS 330, the account tag and extended-join, and none for guests', async () => {
    const storeUrl = await pg.createDatabase();
    const a = await node(storeUrl);
    const b = await node(storeUrl);
    const tlsOptions = { tls: true, rejectUnauthorized: false };
    const carol = await ownedFrameworkClient(h, b.ircPort, 'carol', { ...tlsOptions, caps: ['account-tag', 'extended-join'] });
    await carol.join('#crew');

    // ann proves a certificate on node A; bob a panel key; dave proves nothing.
    const annId = idOfCertificate(fingerprintOf(annCert.cert));
    const ann = await IrcLineClient.registerWithCertificate(a.ircPort, 'ann', ['account-tag'], { cert: annCert.cert, key: annCert.key });
    h.own(() => ann.close());
    const bobKey = generateIdentity();
    const bob = await RawClient.connectTls(a.port);
    h.own(() => bob.close());
    assert.equal((await bob.helloWithKey('bob', bobKey)).type, 'welcome');
    const dave = await RawClient.connectTls(a.port);
    h.own(() => dave.close());
    dave.send({ type: 'hello', v: 1, name: 'dave' });
    assert.equal((await dave.waitFor((f) => f.type === 'welcome' || f.type === 'error')).type, 'welcome');

    // extended-join: each arrives in #general with their account, or none.
    const joined = async (nick: string, channel: string) => (await carol.waitFor('join', (e) => e.nick === nick && e.channel === channel)).account;
    assert.equal(await joined('ann', '#general'), annId);
    assert.equal(await joined('bob', '#general'), bobKey.id);
    assert.equal(await joined('dave', '#general'), false, 'a guest joins as *');
    ann.send('JOIN #crew');
    bob.send({ type: 'join', id: 'j1', room: 'crew' });
    dave.send({ type: 'join', id: 'j2', room: 'crew' });
    assert.equal(await joined('ann', '#crew'), annId);
    assert.equal(await joined('bob', '#crew'), bobKey.id);
    assert.equal(await joined('dave', '#crew'), false);

    // WHOIS 330, as for someone on carol's own node.
    assert.equal((await carol.whois('ann')).account, annId);
    assert.equal((await carol.whois('bob')).account, bobKey.id);
    const guest = await carol.whois('dave');
    assert.equal(guest.server, 'irc.tcp-chat', 'the guest is found');
    assert.equal(guest.account, undefined, 'a guest has no account');
    assert.equal(carol.lines.filter((l) => / 330 carol dave /.test(l)).length, 0);

    // The account tag on what each of them writes.
    ann.send('PRIVMSG #crew :from ann on A');
    bob.send({ type: 'message', id: 'm1', room: 'crew', text: 'from bob on A' });
    dave.send({ type: 'message', id: 'm2', room: 'crew', text: 'from dave on A' });
    assert.equal((await carol.seesMessage('ann', '#crew', 'from ann on A')).account, annId);
    assert.equal((await carol.seesMessage('bob', '#crew', 'from bob on A')).account, bobKey.id);
    assert.equal((await carol.seesMessage('dave', '#crew', 'from dave on A')).account, undefined);
    // History keeps the account of whoever wrote each line, also once they left.
    ann.send('QUIT :bye');
    await carol.waitFor('quit', (e) => e.nick === 'ann');
    const reader = await IrcLineClient.register(b.ircPort, 'reader', ['batch', 'draft/chathistory', 'message-tags', 'server-time', 'account-tag'], {});
    h.own(() => reader.close());
    reader.send('JOIN #crew');
    await reader.waitFor((m) => m.command === '366' && m.params[1] === '#crew', 10_000);
    reader.send('CHATHISTORY LATEST #crew * 10');
    const start = await reader.waitFor((m) => m.command === 'BATCH' && m.params[1] === 'chathistory', 10_000);
    const page = await reader.until((m) => m.command === 'BATCH' && m.params[0] === `-${start.params[0].slice(1)}`, 10_000);
    assert.deepEqual(
      page.filter((m) => m.command === 'PRIVMSG').map((m) => [m.params[1], m.tags?.account]),
      [
        ['from ann on A', annId],
        ['from bob on A', bobKey.id],
        ['from dave on A', undefined],
      ],
    );
    // What carol's own node shows of its own people is unchanged: she is a guest.
    bob.send({ type: 'who', id: 'w' });
    const who = await bob.waitFor((f) => f.type === 'users' && (f.people as Array<{ name: string }>).some((p) => p.name === 'carol'), 10_000);
    assert.equal((who.people as Array<{ name: string; guest?: true }>).find((p) => p.name === 'carol')?.guest, true);
  });

  it('gives a node that starts later the accounts through the roster, and keeps an account through a nick change', async () => {
    const storeUrl = await pg.createDatabase();
    const a = await node(storeUrl);
    const annId = idOfCertificate(fingerprintOf(annCert.cert));
    const ann = await IrcLineClient.registerWithCertificate(a.ircPort, 'ann', [], { cert: annCert.cert, key: annCert.key });
    h.own(() => ann.close());
    const dave = await RawClient.connectTls(a.port);
    h.own(() => dave.close());
    dave.send({ type: 'hello', v: 1, name: 'dave' });
    await dave.waitFor((f) => f.type === 'welcome');
    // Node B starts after they arrived: it knows them only from node A's answer to its roster question.
    const b = await node(storeUrl);
    const erin = await ownedFrameworkClient(h, b.ircPort, 'erin', { tls: true, rejectUnauthorized: false, caps: ['extended-join'] });
    // Whether the roster came before erin's NAMES or after it (a JOIN then), she knows ann once either arrived.
    const listed = (e: Record<string, unknown>) => e.channel === '#general' && (e.users as Array<{ nick: string }>).some((u) => u.nick === 'ann');
    await Promise.race([erin.waitFor('userlist', listed), erin.waitFor('join', (e) => e.nick === 'ann')]);
    assert.equal((await erin.whois('ann')).account, annId);
    ann.send('NICK anna');
    await erin.seesNickChange('ann', 'anna');
    assert.equal((await erin.whois('anna')).account, annId, 'the account follows the nick change');
    assert.equal((await erin.whois('dave')).account, undefined, 'the guest from the roster has none');
  });

  it('treats someone a node announces without an identity (a node that predates it) as a guest', async () => {
    const storeUrl = await pg.createDatabase();
    const b = await node(storeUrl);
    const carol = await ownedFrameworkClient(h, b.ircPort, 'carol', { tls: true, rejectUnauthorized: false, caps: ['account-tag', 'extended-join'] });
    // An older node's presence: a name, no id, no guest flag; and one that says "guest" over a key-shaped id.
    const old = await RedisBus.open(redis.url);
    h.own(() => old.close());
    await old.settled();
    old.publish(PEOPLE_TOPIC, { kind: 'join', name: 'elder', room: 'general', origin: 1 });
    old.publish(PEOPLE_TOPIC, asBusEvent({ kind: 'join', name: 'mask', id: generateIdentity().id, guest: true, room: 'general', origin: 2 }));
    assert.equal((await carol.waitFor('join', (e) => e.nick === 'elder')).account, false);
    assert.equal((await carol.waitFor('join', (e) => e.nick === 'mask')).account, false);
    for (const nick of ['elder', 'mask']) {
      const w = await carol.whois(nick);
      assert.equal(w.server, 'irc.tcp-chat', `${nick} is online`);
      assert.equal(w.account, undefined, `${nick} shows no account`);
    }
  });
});
