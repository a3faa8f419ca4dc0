import * as assert from 'node:assert/strict';
import { People } from '../../src/engine/client/people';

const A = 'ed25519:' + 'A'.repeat(43);
const B = 'ed25519:' + 'B'.repeat(43);
const G = 'guest:abcdefghijkl';

describe('People (who is online, and who is behind each name)', () => {
  it('takes names and identities from a welcome, in the server order', () => {
    const p = new People();
    p.reset(
      ['alice', 'bob', 'carol'],
      [
        { name: 'bob', id: G, guest: true },
        { name: 'alice', id: A },
      ],
    );
    assert.deepEqual(p.names, ['alice', 'bob', 'carol']);
    assert.deepEqual(p.all, [
      { name: 'alice', id: A },
      { name: 'bob', id: G, guest: true },
    ]);
    assert.deepEqual(p.find('bob'), { name: 'bob', id: G, guest: true });
    assert.equal(p.find('carol'), undefined, 'a name without an identity (an older server) has no person');
    assert.equal(p.find('nobody'), undefined);
  });

  it('knows names only, from a server that predates identities', () => {
    const p = new People();
    p.reset(['alice', 'bob']);
    assert.deepEqual(p.names, ['alice', 'bob']);
    assert.deepEqual(p.all, []);
  });

  it('follows arrivals, departures and renames, keeping the identity with the person', () => {
    const p = new People();
    p.reset(['alice'], [{ name: 'alice', id: A }]);
    p.apply({ type: 'presence', event: 'online', name: 'bob', id: B });
    p.apply({ type: 'presence', event: 'online', name: 'gus', id: G, guest: true });
    assert.deepEqual(p.names, ['alice', 'bob', 'gus']);
    p.apply({ type: 'presence', event: 'rename', from: 'alice', name: 'ali' });
    assert.deepEqual(p.names, ['ali', 'bob', 'gus'], 'the renamed person keeps their place');
    assert.deepEqual(p.find('ali'), { name: 'ali', id: A }, 'a rename without id keeps the identity it had');
    p.apply({ type: 'presence', event: 'rename', from: 'bob', name: 'robert', id: B });
    assert.deepEqual(p.find('robert'), { name: 'robert', id: B });
    p.apply({ type: 'presence', event: 'offline', name: 'gus' });
    assert.deepEqual(p.names, ['ali', 'robert']);
    p.apply({ type: 'presence', event: 'join', name: 'nobody', room: 'dev', id: B });
    assert.deepEqual(p.names, ['ali', 'robert'], 'a join never adds someone who is not online');
    p.apply({ type: 'presence', event: 'online', name: 'ali', id: A });
    assert.deepEqual(p.names, ['ali', 'robert'], 'a repeated online does not list a name twice');
  });
});
