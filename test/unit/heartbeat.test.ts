import * as assert from 'node:assert/strict';
import { Heartbeat } from '../../src/engine/server/heartbeat';

/** The liveness clock of a cluster node, driven by explicit times. */
describe('Heartbeat', () => {
  function make() {
    const beats: number[] = [];
    const expired: string[] = [];
    let now = 0;
    const hb = new Heartbeat({ beat: () => beats.push(now), expire: (node) => expired.push(node) }, 0, 5000, 15_000);
    const at = (t: number) => {
      now = t;
      hb.tick(t);
    };
    return { hb, beats, expired, at };
  }

  it('beats every interval and expires a node silent for the timeout, once', () => {
    const { hb, beats, expired, at } = make();
    assert.equal(hb.hear('b', 0), true, 'a node first heard is new');
    assert.equal(hb.hear('b', 1000), false);
    for (let t = 0; t <= 16_000; t += 1000) at(t);
    assert.deepEqual(beats, [0, 5000, 10_000, 15_000]);
    assert.deepEqual(expired, ['b'], 'silent since 1 s: gone at 16 s');
    at(30_000);
    assert.deepEqual(expired, ['b']);
    assert.equal(hb.hear('b', 31_000), true, 'back from the dead: new again');
  });

  it('keeps a node that keeps talking', () => {
    const { hb, expired, at } = make();
    for (let t = 0; t <= 60_000; t += 1000) {
      if (t % 5000 === 0) hb.hear('b', t);
      at(t);
    }
    assert.deepEqual(expired, []);
  });

  it('expires nobody for silence while its own link is down, and gives everyone a fresh timeout when it is back', () => {
    const { hb, expired, at } = make();
    hb.hear('b', 0);
    hb.down();
    for (let t = 0; t <= 40_000; t += 1000) at(t);
    assert.deepEqual(expired, [], 'nobody could be heard');
    hb.up(40_000);
    at(54_000);
    assert.deepEqual(expired, []);
    at(55_000);
    assert.deepEqual(expired, ['b'], 'still silent 15 s after the link came back');
  });
});
