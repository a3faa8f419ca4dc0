import * as assert from 'node:assert/strict';
import { dmKey, dmParticipants, dmPeer } from '../../src/engine/protocol';

describe('DM keys', () => {
  it('the other party, seen from either side', () => {
    const key = dmKey('bob', 'alice');
    assert.equal(key, '@alice,bob');
    assert.equal(dmPeer(key, 'alice'), 'bob');
    assert.equal(dmPeer(key, 'bob'), 'alice');
  });

  it('a conversation with yourself has yourself as the other party (not #general)', () => {
    assert.equal(dmPeer(dmKey('alice', 'alice'), 'alice'), 'alice');
  });

  it('names with spaces and short names that occur inside others', () => {
    assert.equal(dmPeer(dmKey('Ann Lee', 's'), 's'), 'Ann Lee');
    assert.equal(dmPeer(dmKey('ms', 's'), 's'), 'ms');
    assert.equal(dmPeer(dmKey('ms', 's'), 'ms'), 's');
  });

  it('nothing for a stranger, a room, or a broken key', () => {
    assert.equal(dmPeer('@alice,bob', 'carol'), undefined);
    assert.equal(dmPeer('general', 'alice'), undefined);
    assert.equal(dmPeer('@alice', 'alice'), undefined);
    assert.deepEqual(dmParticipants('@alice,bob'), ['alice', 'bob']);
    assert.equal(dmParticipants('general'), undefined);
  });
});
