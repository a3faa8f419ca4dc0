import * as assert from 'node:assert/strict';
import { parseClientFrame } from '../../src/engine/parseClientFrame';

const KEY = 'A'.repeat(43);

describe('protocol: identity fields in hello and auth', () => {
  it('accepts a hello with a key and insist, and a v1 hello without them', () => {
    for (const hello of [
      { type: 'hello', v: 1, name: 'alice' },
      { type: 'hello', v: 1, name: 'alice', key: KEY },
      { type: 'hello', v: 1, name: 'alice', key: KEY, insist: true, session: 's' },
      { type: 'hello', v: 1, name: 'alice', insist: false },
    ]) {
      assert.deepEqual(parseClientFrame(JSON.stringify(hello)), { ok: true, frame: hello });
    }
  });

  it('refuses a key or insist of the wrong type with bad_frame and a reason', () => {
    for (const [hello, why] of [
      [{ type: 'hello', v: 1, name: 'a', key: 7 }, /"key" must be a string/],
      [{ type: 'hello', v: 1, name: 'a', key: null }, /"key" must be a string/],
      [{ type: 'hello', v: 1, name: 'a', insist: 'yes' }, /"insist" must be true or false/],
    ] as const) {
      const r = parseClientFrame(JSON.stringify(hello));
      assert.ok(!r.ok && r.code === 'bad_frame' && why.test(r.message), JSON.stringify(r));
    }
  });

  it('accepts an auth with a proof, a signature, or both; refuses one with neither', () => {
    for (const auth of [
      { type: 'auth', proof: 'ab' },
      { type: 'auth', signature: 'cd' },
      { type: 'auth', proof: 'ab', signature: 'cd' },
    ]) {
      assert.deepEqual(parseClientFrame(JSON.stringify(auth)), { ok: true, frame: auth });
    }
    for (const [auth, why] of [
      [{ type: 'auth' }, /needs a "proof", a "signature", or both/],
      [{ type: 'auth', signature: 5 }, /must be strings/],
      [{ type: 'auth', proof: ['x'] }, /must be strings/],
    ] as const) {
      const r = parseClientFrame(JSON.stringify(auth));
      assert.ok(!r.ok && r.code === 'bad_frame' && why.test(r.message), JSON.stringify(r));
    }
  });
});
