import * as assert from 'node:assert/strict';
import { Directory } from '../../src/engine/server/directory';

/** A keyed person as presence and rosters carry them. */
const who = (name: string) => ({ name, id: `ed25519:${name.toLowerCase()}-key` });

describe('Directory (a cluster node\'s view of the others)', () => {
  it('tells what a roster changed, so local people see arrivals, departures, joins and leaves they missed', () => {
    const d = new Directory();
    d.roster('n1', [
      { ...who('ann'), rooms: ['general', 'dev'] },
      { ...who('bob'), rooms: ['general'] },
    ]);
    const c = d.roster('n1', [
      { ...who('ann'), rooms: ['general', 'ops'] },
      { name: 'cy', id: 'guest:cy', guest: true, rooms: ['general'] },
    ]);
    assert.deepEqual(c, {
      online: [{ name: 'cy', id: 'guest:cy', guest: true }],
      offline: ['bob'],
      joined: [
        { ...who('ann'), room: 'ops' },
        { name: 'cy', id: 'guest:cy', guest: true, room: 'general' },
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
    d.online(who('Ann'), 'n1', 'hash-a');
    d.joined(who('Ann'), 'dev', 'n1');
    d.online(who('bob'), 'n1');
    assert.equal(d.movable('ann', 'hash-a', 0), 'Ann');
    assert.equal(d.movable('ann', 'hash-x', 0), undefined);
    assert.equal(d.movable('bob', 'hash-a', 0), undefined, 'no session known: no move');
    const gone = d.expire('n1', 1000);
    assert.deepEqual(gone, [
      { ...who('Ann'), rooms: ['dev'] },
      { ...who('bob'), rooms: [] },
    ]);
    assert.equal(d.find('ann'), undefined);
    assert.equal(d.count('dev'), 0);
    assert.equal(d.movable('ANN', 'hash-a', 30_000), 'Ann', 'the dead node\'s session may still move');
    assert.equal(d.movable('ann', 'hash-a', 62_000), undefined, 'not forever');
  });
});
