import * as assert from 'node:assert/strict';
import { Directory } from '../../src/engine/server/directory';

describe('Directory (a cluster node\'s view of the others)', () => {
  it('tells what a roster changed, so local people see arrivals, departures, joins and leaves they missed', () => {
    const d = new Directory();
    d.roster('n1', [
      { name: 'ann', rooms: ['general', 'dev'] },
      { name: 'bob', rooms: ['general'] },
    ]);
    const c = d.roster('n1', [
      { name: 'ann', rooms: ['general', 'ops'] },
      { name: 'cy', rooms: ['general'] },
    ]);
    assert.deepEqual(c, {
      online: ['cy'],
      offline: ['bob'],
      joined: [
        { name: 'ann', room: 'ops' },
        { name: 'cy', room: 'general' },
      ],
      left: [
        { name: 'ann', room: 'dev' },
        { name: 'bob', room: 'general' },
      ],
    });
    assert.deepEqual(d.members('general').sort(), ['ann', 'cy']);
  });

  it('lets a session move its name to another node only with its own session, also for a minute after its node died', () => {
    const d = new Directory();
    d.online('Ann', 'n1', 'hash-a');
    d.joined('Ann', 'dev', 'n1');
    d.online('bob', 'n1');
    assert.equal(d.movable('ann', 'hash-a', 0), 'Ann');
    assert.equal(d.movable('ann', 'hash-x', 0), undefined);
    assert.equal(d.movable('bob', 'hash-a', 0), undefined, 'no session known: no move');
    const gone = d.expire('n1', 1000);
    assert.deepEqual(gone, [
      { name: 'Ann', rooms: ['dev'] },
      { name: 'bob', rooms: [] },
    ]);
    assert.equal(d.find('ann'), undefined);
    assert.equal(d.count('dev'), 0);
    assert.equal(d.movable('ANN', 'hash-a', 30_000), 'Ann', 'the dead node\'s session may still move');
    assert.equal(d.movable('ann', 'hash-a', 62_000), undefined, 'not forever');
  });
});
