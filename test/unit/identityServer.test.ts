import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { authProof, deriveKey } from '../../src/engine/auth';
import { generateCertificate } from '../../src/engine/certificate';
import { ChatClient } from '../../src/engine/client/chatClient';
import { generateIdentity, isGuestId, tlsBinding } from '../../src/engine/identity';
import { dmKey, type ChatMessage } from '../../src/engine/protocol';
import { FileStore } from '../../src/engine/stores/fileStore';
import { MemoryStore } from '../../src/engine/stores/memoryStore';
import { Harness } from '../support/harness';
import { RawClient } from '../support/rawClient';

/**
 * The server's side of identities (issue 10, docs/security.md "Identities"),
 * over real sockets with raw JSON frames: trust on first use for names,
 * guests, DMs that belong to identities, dedupe by identity. The client's
 * side is in clientIdentity.test.ts.
 */

/** What a search over everything the asker may read finds. */
async function found(c: RawClient, query: string): Promise<ChatMessage[]> {
  const reply = await c.search(query);
  assert.equal(reply.type, 'search_results', JSON.stringify(reply));
  return reply.messages as ChatMessage[];
}

describe('identities on the server', function () {
  this.timeout(20_000);
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('issue 10: a stranger who takes alice\'s free name is not alice, reads nothing of her DMs, and cannot post as her', async () => {
    const dir = h.tmpDir();
    const { port } = await h.server({ store: await FileStore.open(dir) });
    const aliceKey = generateIdentity();
    const bobKey = generateIdentity();
    // 1. alice and bob connect; alice sends bob a DM.
    const alice = await h.keyed(port, 'alice', aliceKey);
    const bob = await h.keyed(port, 'bob', bobKey);
    assert.equal(alice.welcome.name, 'alice');
    assert.equal(alice.welcome.id, aliceKey.id);
    alice.client.send({ type: 'message', id: 'dm1', to: 'bob', text: 'the launch code is 7431' });
    const dm = await bob.client.waitFor((f) => f.type === 'message' && f.id === 'dm1');
    const key = dmKey(aliceKey.id, bobKey.id);
    assert.equal(dm.room, key);
    // 2. alice disconnects.
    alice.client.close();
    await bob.client.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'alice');

    // 3. A new connection asks for "alice": as a guest, then with a key of its own. It is never alice.
    const guest = await h.rawNoHello(port);
    guest.send({ type: 'hello', v: 1, name: 'alice', insist: true });
    const insisted = await guest.waitFor((f) => f.type === 'error');
    assert.equal(insisted.code, 'name_claimed');
    assert.match(String(insisted.message), /alice is claimed/);
    // Refused, not closed: like bad_name, it may try again, and without insisting it gets another name and the reason.
    guest.send({ type: 'hello', v: 1, name: 'alice' });
    const guestWelcome = await guest.waitFor((f) => f.type === 'welcome');
    assert.equal(guestWelcome.name, 'alice2');
    assert.equal(guestWelcome.guest, true);
    assert.ok(isGuestId(guestWelcome.id as string));
    assert.match(String(guestWelcome.notice), /alice is claimed.*so you are alice2/);

    const strangerKey = generateIdentity();
    const keyedStranger = await h.rawNoHello(port);
    const refused = await keyedStranger.helloWithKey('ALICE', strangerKey, { insist: true });
    assert.deepEqual([refused.type, refused.code], ['error', 'name_claimed']);
    assert.match(String(refused.message), /ALICE belongs to another identity/);
    const strangerWelcome = await keyedStranger.helloWithKey('ALICE', strangerKey);
    assert.equal(strangerWelcome.type, 'welcome');
    assert.equal(strangerWelcome.name, 'ALICE3', 'alice2 is the guest\'s now');
    assert.equal(strangerWelcome.guest, false);
    assert.match(String(strangerWelcome.notice), /ALICE belongs to another identity, so you are ALICE3/);

    for (const stranger of [guest, keyedStranger]) {
      // 4. It reads nothing of alice's: not the DM by its key, not by the old name-keyed form, not a catch-up, not a search.
      for (const room of [key, '@alice,bob']) {
        const reply = await stranger.history(room);
        assert.deepEqual([reply.type, reply.code], ['error', 'not_in_room'], `history of ${room}`);
        const catchUp = await stranger.history(room, { after: 0, limit: 500 });
        assert.deepEqual([catchUp.type, catchUp.code], ['error', 'not_in_room'], `catch-up of ${room}`);
        assert.equal((await stranger.search('launch', room)).code, 'not_in_room', `search in ${room}`);
      }
      assert.deepEqual(await found(stranger, 'launch'), []);
      assert.deepEqual(await found(stranger, '7431'), []);
      assert.ok(!JSON.stringify(stranger.frames).includes('7431'), 'nothing of the DM reached it');
    }
    // A DM "to alice" does not reach a stranger either: nobody is online as alice.
    bob.client.send({ type: 'message', id: 'dm2', to: 'alice', text: 'are you there?' });
    assert.equal((await bob.client.waitFor((f) => f.type === 'error' && f.ref === 'dm2')).code, 'no_such_user');

    // 5. It posts in #general: bob sees it from alice2, with the guest's identity, not alice's.
    guest.send({ type: 'message', id: 'p1', room: 'general', text: 'send me your password' });
    const post = await bob.client.waitFor((f) => f.type === 'message' && f.id === 'p1');
    assert.equal(post.sender, 'alice2');
    assert.equal(post.author, guestWelcome.id);
    assert.notEqual(post.author, aliceKey.id);

    // alice comes back with her key: her name, no notice, and her DM.
    const back = await h.keyed(port, 'alice', aliceKey);
    assert.equal(back.welcome.name, 'alice');
    assert.equal(back.welcome.notice, undefined);
    const mine = await back.client.history(key);
    assert.deepEqual((mine.messages as ChatMessage[]).map((m) => m.text), ['the launch code is 7431']);
    assert.deepEqual((await found(back.client, 'launch')).map((m) => m.id), ['dm1']);
  });

  it('gives a name to the first key that uses it, and keeps it for that key across a restart with a data directory', async () => {
    const dir = h.tmpDir();
    const first = await h.server({ store: await FileStore.open(dir) });
    const aliceKey = generateIdentity();
    const bobKey = generateIdentity();
    const a = await h.keyed(first.port, 'alice', aliceKey);
    const b = await h.keyed(first.port, 'bob', bobKey);
    a.client.send({ type: 'message', id: 'd1', to: 'bob', text: 'before the restart' });
    await b.client.waitFor((f) => f.type === 'message' && f.id === 'd1');
    await h.stop(first.server);

    const store = await FileStore.open(dir);
    assert.equal(await store.nameOwner('alice'), aliceKey.id, 'the claim is kept with the history');
    const second = await h.server({ store });
    const stranger = await h.keyed(second.port, 'alice', generateIdentity());
    assert.equal(stranger.welcome.name, 'alice2');
    assert.deepEqual([(await stranger.client.history(dmKey(aliceKey.id, bobKey.id))).code], ['not_in_room']);
    const again = await h.keyed(second.port, 'Alice', aliceKey);
    assert.equal(again.welcome.name, 'Alice', 'the owner, under any spelling');
    const page = await again.client.history(dmKey(aliceKey.id, bobKey.id));
    assert.deepEqual((page.messages as ChatMessage[]).map((m) => m.id), ['d1']);
  });

  it('never serves a DM kept under names, from before identities, to whoever now has those names', async () => {
    const dir = h.tmpDir();
    const old = await FileStore.open(dir);
    // As a server before identities stored it: keyed by the two names, the author a name.
    await old.append({ id: 'o1', room: '@alice,bob', sender: 'alice', author: 'alice', text: 'an old secret', ts: new Date().toISOString() });
    await old.close();
    const { port } = await h.server({ store: await FileStore.open(dir) });
    const alice = await h.keyed(port, 'alice', generateIdentity());
    assert.equal((await alice.client.history('@alice,bob')).code, 'not_in_room');
    assert.deepEqual(await found(alice.client, 'secret'), []);
  });

  it('lets a guest use only unclaimed names, marks it a guest everywhere, claims nothing for it, and frees its name when it leaves', async () => {
    const store = new MemoryStore();
    const { port } = await h.server({ store });
    const watcher = await h.keyed(port, 'watcher', generateIdentity());
    const guest = await h.raw(port, 'carol');
    assert.equal(guest.welcome.name, 'carol');
    assert.equal(guest.welcome.guest, true);
    assert.equal(guest.welcome.notice, undefined);
    const gid = guest.welcome.id as string;
    assert.ok(isGuestId(gid));
    assert.deepEqual((guest.welcome.people as unknown[]).find((p) => (p as { name: string }).name === 'carol'), { name: 'carol', id: gid, guest: true });
    assert.deepEqual(await watcher.client.waitFor((f) => f.type === 'presence' && f.event === 'online'), { type: 'presence', event: 'online', name: 'carol', id: gid, guest: true });
    watcher.client.send({ type: 'who', id: 'w' });
    const who = await watcher.client.waitFor((f) => f.type === 'users');
    assert.deepEqual(who.people, [
      { name: 'watcher', id: watcher.welcome.id },
      { name: 'carol', id: gid, guest: true },
    ]);
    assert.equal(await store.nameOwner('carol'), undefined, 'a guest claims nothing');
    guest.client.send({ type: 'message', id: 'g1', room: 'general', text: 'hi' });
    assert.equal((await watcher.client.waitFor((f) => f.type === 'message')).author, gid);
    // A guest cannot rename to a claimed name.
    guest.client.send({ type: 'nick', name: 'watcher2' });
    await watcher.client.waitFor((f) => f.type === 'presence' && f.event === 'rename');
    guest.client.send({ type: 'nick', name: 'WATCHER' });
    const nick = await guest.client.waitFor((f) => f.type === 'error');
    assert.equal(nick.code, 'bad_name');
    assert.match(String(nick.message), /guests can use only unclaimed names/);
    // Leaving frees the name: a key takes it and owns it from now on.
    guest.client.close();
    await watcher.client.waitFor((f) => f.type === 'presence' && f.event === 'offline');
    const key = generateIdentity();
    const owner = await h.keyed(port, 'watcher2', key);
    assert.equal(owner.welcome.name, 'watcher2');
    assert.equal(await store.nameOwner('watcher2'), key.id);
  });

  it('turns guests away with identity_required when the server requires identity keys', async () => {
    const { port } = await h.server({ requireIdentity: true });
    const guest = await h.rawNoHello(port);
    guest.send({ type: 'hello', v: 1, name: 'carol' });
    const refused = await guest.waitFor((f) => f.type === 'error');
    assert.equal(refused.code, 'identity_required');
    assert.match(String(refused.message), /tcp-chat connect/);
    const keyed = await h.keyed(port, 'carol', generateIdentity());
    assert.equal(keyed.welcome.guest, false);
  });

  it('refuses a signature that does not prove the key, and a malformed key', async () => {
    const { port } = await h.server();
    const key = generateIdentity();
    const c = await h.rawNoHello(port);
    c.send({ type: 'hello', v: 1, name: 'mallory', key: key.publicKey });
    const challenge = await c.waitFor((f) => f.type === 'challenge');
    assert.equal(challenge.identity, true);
    assert.equal(challenge.salt, undefined, 'no password, no salt');
    // Signed by another key: someone who knows alice's public key only.
    c.send({ type: 'auth', signature: generateIdentity().signChallenge(challenge.nonce as string) });
    const failed = await c.waitFor((f) => f.type === 'error', 10_000);
    assert.equal(failed.code, 'auth_failed');
    assert.match(String(failed.message), /identity proof did not verify/);
    await c.waitClosed();
    const bad = await h.rawNoHello(port);
    bad.send({ type: 'hello', v: 1, name: 'mallory', key: 'not-a-key' });
    assert.equal((await bad.waitFor((f) => f.type === 'error')).code, 'bad_frame');
  });

  it('proves the key and the password in one challenge, bound to its TLS session: a signature relayed from another session fails', async () => {
    const kdf = { N: 2 ** 10, r: 8, p: 1, keylen: 32 };
    const { server, port } = await h.server({ tls: await generateCertificate(), password: 'pw', passwordKdf: kdf });
    const key = generateIdentity();
    const client = new ChatClient({ host: '127.0.0.1', port, name: 'alice', identity: key, password: 'pw', tls: { fingerprint: server.fingerprint }, reconnect: false });
    h.own(() => client.dispose());
    await client.connect();
    assert.deepEqual([client.name, client.id, client.guest], ['alice', key.id, false]);

    // A server in the middle that the victim connected to (session one) relays the challenge of its own session to the real server (two).
    const one = await RawClient.connectTls(port);
    const two = await RawClient.connectTls(port);
    h.own(() => (one.close(), two.close()));
    for (const c of [one, two]) c.send({ type: 'hello', v: 1, name: 'bob', key: key.publicKey });
    const [c1, c2] = [await one.waitFor((f) => f.type === 'challenge'), await two.waitFor((f) => f.type === 'challenge')];
    assert.deepEqual([c2.identity, typeof c2.salt, (c2.kdf as { name: string }).name], [true, 'string', 'scrypt'], 'one challenge for both proofs');
    const proof = async (c: Record<string, unknown>) => authProof(await deriveKey('pw', Buffer.from(c.salt as string, 'hex'), kdf), Buffer.from(c.nonce as string, 'hex'));
    // Signed over its own session, the proof holds...
    one.send({ type: 'auth', proof: await proof(c1), signature: key.signChallenge(c1.nonce as string, tlsBinding(one.socket)) });
    assert.equal((await one.waitFor((f) => f.type === 'welcome' || f.type === 'error')).type, 'welcome');
    // ...and relayed into another session, where the binding differs, it does not.
    two.send({ type: 'auth', proof: await proof(c2), signature: key.signChallenge(c2.nonce as string, tlsBinding(one.socket)) });
    const relayed = await two.waitFor((f) => f.type === 'error', 10_000);
    assert.equal(relayed.code, 'auth_failed');
    assert.match(String(relayed.message), /identity proof did not verify/);
  });

  it('keeps DMs through a rename: the conversation belongs to the identities, and the new name is claimed beside the old', async () => {
    const store = new MemoryStore();
    const { port } = await h.server({ store });
    const aliceKey = generateIdentity();
    const a = await h.keyed(port, 'alice', aliceKey);
    const b = await h.keyed(port, 'bob', generateIdentity());
    const key = dmKey(aliceKey.id, b.welcome.id as string);
    a.client.send({ type: 'message', id: 'd1', to: 'bob', text: 'before' });
    await b.client.waitFor((f) => f.type === 'message' && f.id === 'd1');
    a.client.send({ type: 'nick', name: 'alicia' });
    await b.client.waitFor((f) => f.type === 'presence' && f.event === 'rename');
    b.client.send({ type: 'message', id: 'd2', to: 'alicia', text: 'after' });
    const got = await a.client.waitFor((f) => f.type === 'message' && f.id === 'd2');
    assert.equal(got.room, key, 'the same conversation');
    const page = await a.client.history(key);
    assert.deepEqual((page.messages as ChatMessage[]).map((m) => m.text), ['before', 'after']);
    assert.deepEqual((await store.namesOf(aliceKey.id)).sort(), ['alice', 'alicia']);
    // The old name stays hers: nobody else can take it while she is alicia.
    const c = await h.keyed(port, 'carol', generateIdentity());
    c.client.send({ type: 'nick', name: 'alice' });
    const refused = await c.client.waitFor((f) => f.type === 'error');
    assert.equal(refused.code, 'bad_name');
    assert.match(String(refused.message), /alice belongs to another identity/);
  });

  it('caps the names one key may claim, saying what the limit is', async () => {
    const store = new MemoryStore();
    const { port } = await h.server({ store, maxNamesPerIdentity: 2 });
    const key = generateIdentity();
    const a = await h.keyed(port, 'one', key);
    a.client.send({ type: 'nick', name: 'two' });
    await a.client.waitFor((f) => f.type === 'presence' && f.event === 'rename');
    a.client.send({ type: 'nick', name: 'three' });
    const refused = await a.client.waitFor((f) => f.type === 'error');
    assert.equal(refused.code, 'bad_name');
    assert.match(String(refused.message), /owns 2 names \(one, two\), the most one key may claim/);
    assert.equal(await store.nameOwner('three'), undefined);
    // The refused name is free for someone else at once.
    const other = await h.raw(port, 'three');
    assert.equal(other.welcome.name, 'three');
  });

  it('gives a second window of the same key a temporary name, claims nothing for it, and delivers DMs to both windows', async () => {
    const store = new MemoryStore();
    const { port } = await h.server({ store });
    const key = generateIdentity();
    const first = await h.keyed(port, 'alice', key);
    const second = await h.keyed(port, 'alice', key);
    assert.equal(second.welcome.name, 'alice2');
    assert.match(String(second.welcome.notice), /already open with your key/);
    assert.equal(await store.nameOwner('alice2'), undefined);
    const bob = await h.raw(port, 'bob');
    bob.client.send({ type: 'message', id: 'd1', to: 'alice', text: 'to both' });
    for (const w of [first, second]) assert.equal((await w.client.waitFor((f) => f.type === 'message' && f.id === 'd1')).room, dmKey(key.id, bob.welcome.id as string));
    // What one window sends, the other sees too.
    first.client.send({ type: 'message', id: 'd2', to: 'bob', text: 'from window one' });
    await second.client.waitFor((f) => f.type === 'message' && f.id === 'd2');
    // One window closing leaves the other subscribed to the identity's DMs.
    second.client.close();
    await bob.client.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'alice2');
    bob.client.send({ type: 'message', id: 'd3', to: 'alice', text: 'still there?' });
    await first.client.waitFor((f) => f.type === 'message' && f.id === 'd3');
  });

  it('relays a file to a DM to every connection of the recipient\'s identity, under the identities\' DM key, and to nobody else', async () => {
    const { port } = await h.server();
    const bobKey = generateIdentity();
    const alice = await h.keyed(port, 'alice', generateIdentity());
    const bob = await h.keyed(port, 'bob', bobKey);
    const bobElsewhere = await h.keyed(port, 'bob', bobKey);
    const carol = await h.raw(port, 'carol');
    const sha256 = createHash('sha256').update('').digest('hex');
    alice.client.send({ type: 'file_offer', id: 'f1', to: 'bob', name: 'plan.txt', size: 0, sha256 });
    const key = dmKey(alice.welcome.id as string, bobKey.id);
    for (const w of [bob, bobElsewhere]) assert.equal((await w.client.waitFor((f) => f.type === 'file_offer' && f.id === 'f1')).room, key);
    await carol.client.settle();
    assert.equal(carol.client.frames.filter((f) => f.type === 'file_offer').length, 0);
  });

  it('de-duplicates by identity: a resend after a reconnect under another name is delivered once', async () => {
    const { port } = await h.server();
    const key = generateIdentity();
    const bob = await h.raw(port, 'bob');
    const a = await h.keyed(port, 'alice', key);
    a.client.send({ type: 'message', id: 'once', room: 'general', text: 'only once' });
    const original = await a.client.waitFor((f) => f.type === 'message' && f.id === 'once');
    await bob.client.waitFor((f) => f.type === 'message' && f.id === 'once');
    a.client.close();
    const again = await h.keyed(port, 'alice-laptop', key);
    again.client.send({ type: 'message', id: 'once', room: 'general', text: 'only once' });
    const echo = await again.client.waitFor((f) => f.type === 'message' && f.id === 'once');
    assert.deepEqual(echo, original, 'the original comes back as the acknowledgement');
    await bob.client.settle();
    assert.equal(bob.client.frames.filter((f) => f.type === 'message' && f.id === 'once').length, 0, 'bob got it once');
    // The same id from another identity is another message.
    const c = await h.keyed(port, 'carol', generateIdentity());
    c.client.send({ type: 'message', id: 'once', room: 'general', text: 'mine' });
    assert.equal((await bob.client.waitFor((f) => f.type === 'message' && f.id === 'once')).text, 'mine');
  });
  it('releases a name for the operator (the editor\'s Chat: Release Name): the next key owns it', async () => {
    const { server, port } = await h.server();
    const watcher = await h.raw(port, 'watcher');
    const lost = generateIdentity();
    const a = await h.keyed(port, 'alice', lost);
    a.client.close();
    await watcher.client.waitFor((f) => f.type === 'presence' && f.event === 'offline' && f.name === 'alice');
    const next = generateIdentity();
    const refused = await (await h.rawNoHello(port)).helloWithKey('alice', next, { insist: true });
    assert.equal(refused.code, 'name_claimed');
    assert.equal(await server.releaseName('Alice'), lost.id);
    assert.equal(await server.releaseName('alice'), undefined, 'nothing left to release');
    const taken = await h.keyed(port, 'alice', next, { insist: true });
    assert.equal(taken.welcome.name, 'alice');
    assert.equal(await server.store.nameOwner('alice'), next.id);
  });
});
