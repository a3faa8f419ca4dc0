import * as assert from 'node:assert/strict';
import { generateCertificate, fingerprintOf } from '../../src/engine/certificate';
import { generateIdentity, idOfCertificate, type Identity } from '../../src/engine/identity';
import { dmKey, type ChatMessage } from '../../src/engine/protocol';
import { FileStore } from '../../src/engine/stores/fileStore';
import { MemoryStore } from '../../src/engine/stores/memoryStore';
import { authenticateChunks, plainPayload } from '../../src/engine/codecs/irc/sasl';
import { msgidFor } from '../../src/engine/codecs/irc/messageRefs';
import { Harness } from '../support/harness';
import { gatewayServer } from '../support/ircGateway';
import { IrcLineClient } from '../support/ircLineClient';
import { RawClient } from '../support/rawClient';
import type { IrcMessage } from '../../src/engine/codecs/irc/ircMessage';

const CAPS = ['batch', 'draft/chathistory', 'echo-message', 'message-tags', 'server-time', 'extended-join', 'account-tag'];
const FAST_KDF = { N: 1024 };

/**
 * Issue 12: "An IRC user is a guest unless they prove an identity." A TLS
 * client certificate proven with SASL EXTERNAL is an identity like a panel's
 * key (issue 10): it owns the nicks it claims, in the same claims, and its
 * direct messages belong to it, not to whoever holds the nick later.
 */
describe('IRC gateway: a client certificate is an identity', function () {
  this.timeout(30_000);
  const h = new Harness();
  afterEach(() => h.cleanup());
  let serverCert: { cert: string; key: string };
  let annCert: { cert: string; key: string };
  let otherCert: { cert: string; key: string };
  let annId: string;
  before(async () => {
    [serverCert, annCert, otherCert] = await Promise.all([
      generateCertificate({ commonName: 'server.test' }),
      generateCertificate({ commonName: 'ann' }),
      generateCertificate({ commonName: 'mallory' }),
    ]);
    annId = idOfCertificate(fingerprintOf(annCert.cert));
  });

  /** An IRC client that logs in with a certificate; closed at the end of the test. */
  async function withCert(ircPort: number, nick: string, cert: { cert: string; key: string }): Promise<IrcLineClient> {
    const c = await IrcLineClient.registerWithCertificate(ircPort, nick, CAPS, { cert: cert.cert, key: cert.key });
    h.own(() => c.close());
    return c;
  }

  /** An IRC client over TLS without a certificate, registered or not; closed at the end of the test. */
  async function guest(ircPort: number, nick?: string): Promise<IrcLineClient> {
    const c = nick === undefined ? await IrcLineClient.connect(ircPort, {}) : await IrcLineClient.register(ircPort, nick, CAPS, {});
    h.own(() => c.close());
    return c;
  }

  /** A JSON client over TLS that proves an identity key. */
  async function keyed(port: number, name: string, identity: Identity): Promise<{ client: RawClient; welcome: Record<string, unknown> }> {
    const client = await RawClient.connectTls(port);
    h.own(() => client.close());
    return { client, welcome: await client.helloWithKey(name, identity) };
  }

  /** The texts of a CHATHISTORY answer (a FAIL throws). */
  async function history(c: IrcLineClient, target: string, ref = '*'): Promise<{ texts: string[]; fail?: IrcMessage }> {
    c.send(`CHATHISTORY LATEST ${target} ${ref} 50`);
    const end = await c.waitFor((m) => (m.command === 'BATCH' && m.params[0].startsWith('+') && m.params[1] === 'chathistory') || m.command === 'FAIL');
    if (end.command === 'FAIL') return { texts: [], fail: end };
    const ref2 = end.params[0].slice(1);
    const lines = await c.until((m) => m.command === 'BATCH' && m.params[0] === `-${ref2}`);
    return { texts: lines.filter((m) => m.command === 'PRIVMSG').map((m) => m.params[1]) };
  }

  it('owns its nick (trust on first use, the same claims as keys) across a reconnect and a restart with a data directory; a guest gets 433 and reads none of its DMs', async () => {
    const dir = h.tmpDir();
    const bobKey = generateIdentity();
    const first = await gatewayServer(h, { tls: serverCert, store: await FileStore.open(dir) });
    const bob = await keyed(first.port, 'bob', bobKey);
    const ann = await withCert(first.ircPort, 'ann', annCert);

    // ann is no guest: the panel sees her identity, and IRC her account.
    ann.send('WHOIS ann');
    assert.deepEqual((await ann.numeric('330')).params.slice(1, 3), ['ann', annId]);
    ann.send('WHOIS bob');
    assert.deepEqual((await ann.numeric('330')).params.slice(1, 3), ['bob', bobKey.id], 'a panel user with a key has an account too');
    bob.client.send({ type: 'who' });
    const who = await bob.client.waitFor((f) => f.type === 'users');
    assert.deepEqual(
      (who.people as Array<{ name: string; id: string; guest?: true }>).find((p) => p.name === 'ann'),
      { name: 'ann', id: annId },
    );

    ann.send('PRIVMSG bob :the launch code is 7431');
    const echo = await ann.waitFor((m) => m.command === 'PRIVMSG' && m.params[0] === 'bob');
    const dm = await bob.client.waitFor((f) => f.type === 'message' && f.text === 'the launch code is 7431');
    assert.equal(dm.room, dmKey(annId, bobKey.id), 'the DM belongs to the two identities');
    assert.equal(echo.tags?.msgid, msgidFor({ room: dm.room as string, seq: dm.seq as number }));
    ann.close();
    await bob.client.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'ann');

    // A guest asks for the free nick: it is claimed, so 433 with the reason, and the guest picks another, as IRC clients do.
    const stranger = await guest(first.ircPort);
    stranger.send('CAP LS 302', `CAP REQ :${CAPS.join(' ')}`, 'NICK ann', 'USER ann 0 * :not ann', 'CAP END');
    assert.match((await stranger.numeric('433')).params[2], /claimed by someone with an identity key/);
    stranger.send('NICK ann_');
    await stranger.numeric('001');
    assert.deepEqual(await history(stranger, 'bob'), { texts: [] }, "the guest's own conversation with bob is empty");
    const byMsgid = await history(stranger, 'bob', `msgid=${echo.tags!.msgid}`);
    assert.equal(byMsgid.fail?.params[1], 'INVALID_MSGREFTYPE', "ann's msgid names no message the guest can read");
    assert.deepEqual(await history(stranger, 'ann'), { texts: [] }, "the guest's own (empty) conversation with ann's identity");

    // Another certificate is another identity: 433 too.
    await assert.rejects(withCert(first.ircPort, 'ann', otherCert), /433 for ann: Nickname is already in use: ann belongs to another identity/);
    // The claims are the same as the keys': a panel user asking for ann gets ann2.
    const panel = await keyed(first.port, 'ann', generateIdentity());
    assert.equal(panel.welcome.name, 'ann2');

    // ann comes back with her certificate: her nick, and her DM.
    const back = await withCert(first.ircPort, 'ann', annCert);
    assert.deepEqual((await history(back, 'bob')).texts, ['the launch code is 7431']);
    back.close();
    await bob.client.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'ann');
    await h.stop(first.server);

    const store = await FileStore.open(dir);
    assert.equal(await store.nameOwner('ann'), annId, 'the claim is kept with the history');
    const second = await gatewayServer(h, { tls: serverCert, store });
    const again = await guest(second.ircPort);
    again.send('NICK ann', 'USER ann 0 * :not ann');
    await again.numeric('433');
    const after = await withCert(second.ircPort, 'ANN', annCert);
    after.send('WHOIS ann');
    assert.equal((await after.numeric('311')).params[1], 'ANN', 'the owner, under any spelling');
    // bob is offline now, but his key claimed bob: the DM is found through the claim.
    assert.deepEqual((await history(after, 'bob')).texts, ['the launch code is 7431']);
    const page = await store.history(dmKey(annId, bobKey.id), { limit: 10 });
    assert.deepEqual(
      page.messages.map((m: ChatMessage) => [m.author, m.text]),
      [[annId, 'the launch code is 7431']],
    );
  });

  it('claims a nick it changes to, which a guest then cannot take; a guest stays a guest under any nick', async () => {
    const store = new MemoryStore();
    const { ircPort } = await gatewayServer(h, { tls: serverCert, store });
    const ann = await withCert(ircPort, 'ann', annCert);
    ann.send('NICK anna');
    await ann.waitFor((m) => m.command === 'NICK' && m.params[0] === 'anna');
    assert.deepEqual((await store.namesOf(annId)).sort(), ['ann', 'anna']);
    const g = await guest(ircPort, 'gus');
    g.send('NICK ann');
    assert.match((await g.numeric('433')).params[2], /claimed by someone with an identity key/);
    g.send('WHOIS gus');
    const whois = await g.until((m) => m.command === '318');
    assert.equal(whois.find((m) => m.command === '330'), undefined, 'a guest has no account');
    assert.equal(await store.nameOwner('gus'), undefined, 'a guest claims nothing');
    // extended-join: the account, or * for a guest.
    ann.send('JOIN #certs');
    g.send('JOIN #certs');
    const seen = await ann.waitFor((m) => m.command === 'JOIN' && m.source?.startsWith('gus!') === true);
    assert.equal(seen.params[1], '*');
    const own = await g.waitFor((m) => m.command === 'JOIN' && m.source?.startsWith('gus!') === true);
    assert.equal(own.params[1], '*');
  });

  it('SASL PLAIN with the server password is a password, not an identity: the user stays a guest and claims nothing', async () => {
    const store = new MemoryStore();
    const { ircPort } = await gatewayServer(h, { tls: serverCert, store, password: 'open sesame', passwordKdf: FAST_KDF });
    const c = await IrcLineClient.connect(ircPort, {});
    h.own(() => c.close());
    c.send('CAP LS 302', 'CAP REQ :sasl extended-join', 'NICK pat', 'USER pat 0 * :Pat', 'AUTHENTICATE PLAIN');
    await c.waitFor((m) => m.command === 'AUTHENTICATE' && m.params[0] === '+');
    for (const chunk of authenticateChunks(plainPayload('pat', 'open sesame'))) c.send(`AUTHENTICATE ${chunk}`);
    await c.numeric('903');
    c.send('CAP END');
    const burst = await c.until((m) => m.command === '366');
    assert.equal(burst.find((m) => m.command === '900'), undefined, 'no account to announce');
    assert.deepEqual(burst.find((m) => m.command === 'JOIN')?.params.slice(0, 2), ['#general', '*']);
    c.send('WHOIS pat');
    assert.equal((await c.until((m) => m.command === '318')).find((m) => m.command === '330'), undefined);
    assert.equal(await store.nameOwner('pat'), undefined);
  });

  it('with --require-identity, admits a certificate and turns an IRC guest away, saying how to prove one', async () => {
    const { ircPort } = await gatewayServer(h, { tls: serverCert, requireIdentity: true });
    const ann = await withCert(ircPort, 'ann', annCert);
    ann.send('WHOIS ann');
    assert.equal((await ann.numeric('330')).params[2], annId);
    const g = await guest(ircPort);
    g.send('NICK gus', 'USER gus 0 * :Gus');
    const notice = await g.waitFor((m) => m.command === 'NOTICE');
    assert.match(notice.params[1], /identity key.*SASL EXTERNAL with a TLS client certificate/);
    await g.waitFor((m) => m.command === 'ERROR');
    await g.closed;
    assert.equal(g.raw.some((l) => / 001 /.test(l)), false);
  });
});
