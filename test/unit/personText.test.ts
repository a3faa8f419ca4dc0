import * as assert from 'node:assert/strict';
import { cleanPeople, fromGuest, personHover, personLabel, senderHover } from '../../src/webview/personText';

describe('how the panel speaks of people', () => {
  it('a keyed person’s hover card shows their key’s short fingerprint', () => {
    const hover = personHover({ name: 'bob', fingerprint: '3f2a 9c11 07be 4d5e' }, false);
    assert.match(hover, /^Message bob\n/);
    assert.match(hover, /Identity key 3f2a 9c11 07be 4d5e/);
    assert.match(personHover({ name: 'me', fingerprint: 'aaaa bbbb cccc dddd' }, true), /^me \(you\)\nIdentity key aaaa bbbb cccc dddd$/);
  });

  it('a guest is marked in the hover card and in what a screen reader hears', () => {
    assert.match(personHover({ name: 'nc', guest: true }, false), /Guest: no identity key/);
    assert.doesNotMatch(personHover({ name: 'nc', guest: true }, false), /Identity key/);
    assert.equal(personLabel({ name: 'nc', guest: true }, false), 'nc, guest, online. Send a direct message');
    assert.equal(personLabel({ name: 'bob' }, false), 'bob, online. Send a direct message');
    assert.equal(personLabel({ name: 'me', guest: true }, true), 'me (you), guest, online');
    // Away, in the order the tags show ("nc guest away"), so the visible text stays inside the name.
    assert.equal(personLabel({ name: 'nc', guest: true }, false, 'lunch'), 'nc, guest, away: lunch. Send a direct message');
    assert.equal(personLabel({ name: 'me' }, true, ''), 'me (you), away');
    assert.equal(personHover({ name: 'bob' }, false, 'in a meeting'), 'Message bob (away: in a meeting)');
  });

  it('a message sender’s hover card shows the fingerprint of the key that wrote it, matched by author id, not by name', () => {
    const people = [
      { name: 'robert', id: 'ed25519:bob', fingerprint: '1111 2222 3333 4444' },
      { name: 'bob', id: 'ed25519:stranger', fingerprint: '9999 8888 7777 6666' },
    ];
    assert.equal(senderHover('bob', 'ed25519:bob', people), 'bob: identity key 1111 2222 3333 4444 (now robert)');
    assert.equal(senderHover('bob', 'ed25519:stranger', people), 'bob: identity key 9999 8888 7777 6666');
    assert.equal(senderHover('bob', 'ed25519:gone', people), 'bob', 'an author offline now: nothing claimed');
    assert.equal(senderHover('nc', 'guest:1', people), 'nc: a guest, with no identity key');
    assert.equal(senderHover('old', undefined, people), 'old');
  });

  it('a message is from a guest only when the server’s author id says so', () => {
    assert.equal(fromGuest({ author: 'guest:abc' }), true);
    assert.equal(fromGuest({ author: 'ed25519:abc' }), false);
    assert.equal(fromGuest({}), false, 'servers before identities say nothing');
  });

  it('people from the host are data until checked', () => {
    assert.deepEqual(cleanPeople([{ name: 'a', guest: true }, { name: 'b', id: 'ed25519:x', fingerprint: 'f', evil: '<img>' }, { name: 3 }, null, 'c', { name: 'd', guest: 'yes', id: 7 }]), [
      { name: 'a', guest: true },
      { name: 'b', id: 'ed25519:x', fingerprint: 'f' },
      { name: 'd' },
    ]);
    assert.deepEqual(cleanPeople(undefined), []);
  });
});
