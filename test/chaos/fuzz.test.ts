import * as assert from 'node:assert/strict';
import { runFuzz } from './fuzzHarness';

describe('chaos: fuzz', function () {
  this.timeout(600_000);
  it('survives 100,000 hostile lines cut at random byte offsets, answers ping after every batch, and chat goes on', async () => {
    const r = await runFuzz('fuzz full', 100_000, 250);
    assert.ok(r.frames >= 100_000);
  });
});
