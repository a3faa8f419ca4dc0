import * as assert from 'node:assert/strict';
import { fingerprintOf, generateIdentity, newGuestId } from '../../src/engine/identity';
import { dmKey, type ChatMessage, type Person } from '../../src/engine/protocol';
import { Conversation } from '../../src/extension/conversation';

const alice = generateIdentity().id;
const bob = generateIdentity().id;
const carol = generateIdentity().id;

function dm(seq: number, from: { name: string; id: string }, to: { name: string; id: string }, text = `m${seq}`): ChatMessage {
  return { type: 'message', id: `id${seq}`, seq, room: dmKey(from.id, to.id), sender: from.name, author: from.id, to: to.name, text, ts: new Date(2026, 0, 1, 12, 0, seq).toISOString() };
}

/** A conversation as alice sees it after a welcome from a server with identities. */
function welcomed(people: Person[]): Conversation {
  const c = new Conversation();
  c.me = 'alice';
  c.myId = alice;
  c.people.reset(
    people.map((p) => p.name),
    people,
  );
  return c;
}

describe('direct conversations keyed by identities (issue 10)', () => {
  it('opens the DM with the identity behind the name, not the name', () => {
    const c = welcomed([
      { name: 'alice', id: alice },
      { name: 'bob', id: bob },
    ]);
    assert.equal(c.dmWith('bob'), dmKey(alice, bob));
    assert.equal(c.dmWith('alice'), dmKey(alice, alice), 'a note to yourself');
  });

  it('follows a rename: the same conversation, labelled and addressed by the new name', () => {
    const c = welcomed([
      { name: 'alice', id: alice },
      { name: 'bob', id: bob },
    ]);
    const key = c.dmWith('bob');
    c.addMessage(dm(1, { name: 'bob', id: bob }, { name: 'alice', id: alice }), true);
    c.applyPresence({ type: 'presence', event: 'rename', from: 'bob', name: 'robert', id: bob });
    assert.equal(c.dmWith('robert'), key);
    assert.deepEqual(
      c.roomViews().filter((r) => r.kind === 'dm').map((r) => [r.key, r.label]),
      [[key, 'robert']],
    );
    assert.deepEqual(c.dmTarget(key), { to: 'robert' });
  });

  it('follows your own rename in a note to yourself', () => {
    const c = welcomed([{ name: 'alice', id: alice }]);
    const key = c.dmWith('alice');
    c.room(key);
    c.applyPresence({ type: 'presence', event: 'rename', from: 'alice', name: 'ally', id: alice });
    assert.deepEqual(c.dmTarget(key), { to: 'ally' });
    assert.equal(c.roomViews().find((r) => r.key === key)?.label, 'ally');
  });

  it('never sends to a stranger who holds the old name now', () => {
    const c = welcomed([
      { name: 'alice', id: alice },
      { name: 'bob', id: bob },
    ]);
    const key = c.dmWith('bob');
    c.addMessage(dm(1, { name: 'alice', id: alice }, { name: 'bob', id: bob }), true);
    c.applyPresence({ type: 'presence', event: 'offline', name: 'bob' });
    const target = c.dmTarget(key);
    assert.ok('problem' in target && /bob is not online/.test(target.problem), JSON.stringify(target));
    const stranger = newGuestId();
    c.applyPresence({ type: 'presence', event: 'online', name: 'bob', id: stranger, guest: true });
    const again = c.dmTarget(key);
    assert.ok('problem' in again && /bob is someone else now/.test(again.problem), JSON.stringify(again));
    assert.notEqual(c.dmWith('bob'), key, 'the stranger is another conversation');
  });

  it('learns the other person’s name from a message, so an incoming DM is labelled', () => {
    const c = welcomed([{ name: 'alice', id: alice }]);
    c.addMessage(dm(1, { name: 'carol', id: carol }, { name: 'alice', id: alice }), false);
    assert.equal(c.roomViews().find((r) => r.key === dmKey(alice, carol))?.label, 'carol');
  });

  it('keeps the names of identities across a reload, and labels an unknown one by its fingerprint', () => {
    const c = welcomed([
      { name: 'alice', id: alice },
      { name: 'bob', id: bob },
    ]);
    c.address = 'h:1';
    c.room(c.dmWith('bob'));
    c.room(dmKey(alice, carol));
    const back = new Conversation();
    back.restore(JSON.parse(JSON.stringify(c.snapshot())) as ReturnType<Conversation['snapshot']>);
    assert.equal(back.myId, alice);
    const labels = Object.fromEntries(back.roomViews().map((r) => [r.key, r.label]));
    assert.equal(labels[dmKey(alice, bob)], 'bob');
    assert.equal(labels[dmKey(alice, carol)], `key ${fingerprintOf(carol).slice(0, 9)}`);
  });

  it('counts your own messages as read by identity, even under an older name', () => {
    const c = welcomed([{ name: 'ally', id: alice }]);
    c.me = 'ally';
    assert.equal(c.addMessage({ ...dm(1, { name: 'alice', id: alice }, { name: 'bob', id: bob }) }, false), false);
  });

  it('marks guests in the people list and gives keyed people a fingerprint', () => {
    const g = newGuestId();
    const c = welcomed([
      { name: 'alice', id: alice },
      { name: 'nc', id: g, guest: true },
    ]);
    assert.deepEqual(c.people.views(), [
      { name: 'alice', id: alice, fingerprint: fingerprintOf(alice) },
      { name: 'nc', id: g, guest: true },
    ]);
    assert.equal(c.guest, false);
    c.myId = g;
    assert.equal(c.guest, true);
  });

  it('still works with a server that predates identities (DM keys of names)', () => {
    const c = new Conversation();
    c.me = 'alice';
    c.people.reset(['alice', 'bob']);
    assert.equal(c.dmWith('bob'), '@alice,bob');
    assert.deepEqual(c.dmTarget('@alice,bob'), { to: 'bob' });
    assert.deepEqual(c.dmTarget('@alice,alice'), { to: 'alice' });
  });
});
