import * as assert from 'node:assert/strict';
import { isoNow } from '../../src/engine/isoNow';

describe('isoNow', () => {
  it('is the time now in ISO 8601 UTC, and moves on with the clock', async () => {
    const before = Date.now();
    const a = isoNow();
    assert.match(a, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Date.parse(a) >= before && Date.parse(a) <= Date.now());
    const t = Date.now();
    while (Date.now() === t) await new Promise((r) => setImmediate(r));
    const b = isoNow();
    assert.ok(Date.parse(b) > Date.parse(a), `${b} after ${a}`);
  });
});
