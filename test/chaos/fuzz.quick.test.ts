import * as assert from 'node:assert/strict';
import { runFuzz } from './fuzzHarness';

// The quick run throws a few thousand generated lines; `npm run test:chaos` throws 100,000.
describe('chaos (quick): fuzz', function () {
  this.timeout(60_000);
  it('survives 3,000 hostile lines cut at random byte offsets, answers ping after every batch, and chat goes on', async () => {
    const r = await runFuzz('fuzz quick', 3000, 200);
    assert.ok(r.frames >= 3000);
  });
});
