import * as assert from 'node:assert/strict';
import { LineDecoder } from '../../src/engine/lineCodec';

// LineDecoder.pause/resume carries the server's line budget (chargeLine): the
// flood tests depend on it stopping mid-chunk and losing nothing.
describe('chaos (quick): LineDecoder pause and resume', () => {
  it('stops mid-chunk, holds the rest and later chunks in order, and replays them on resume', () => {
    const got: string[] = [];
    const d: LineDecoder = new LineDecoder({
      line: (t) => {
        got.push(t);
        if (t === 'b' || t === 'e') d.pause();
      },
      overflow: () => assert.fail('no overflow'),
    });
    d.push(Buffer.from('a\nb\nc\nd'));
    assert.deepEqual(got, ['a', 'b']);
    d.push(Buffer.from('\ne\nf\n'));
    assert.deepEqual(got, ['a', 'b'], 'nothing while paused');
    d.resume();
    assert.deepEqual(got, ['a', 'b', 'c', 'd', 'e'], 'paused again at e');
    d.resume();
    assert.deepEqual(got, ['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('keeps enforcing the line cap on held bytes, and stop() drops them', () => {
    let overflow = 0;
    const got: string[] = [];
    const d: LineDecoder = new LineDecoder(
      {
        line: (t) => {
          got.push(t);
          d.pause();
        },
        overflow: () => overflow++,
      },
      10,
    );
    d.push(Buffer.from('ok\n' + 'x'.repeat(50) + '\n'));
    d.resume();
    assert.deepEqual(got, ['ok']);
    assert.equal(overflow, 1);
    const e: LineDecoder = new LineDecoder({ line: (t) => got.push(t), overflow: () => overflow++ });
    e.pause();
    e.push(Buffer.from('held\n'));
    e.stop();
    e.resume();
    assert.deepEqual(got, ['ok']);
  });
});
