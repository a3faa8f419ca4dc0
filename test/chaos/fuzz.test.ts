import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runFuzz } from './fuzzHarness';

describe('chaos: fuzz', function () {
  this.timeout(600_000);
  it('survives 100,000 hostile lines cut at random byte offsets, answers ping after every batch, and chat goes on', async () => {
    // With a data directory, so hostile messages also go through FileStore and come back on restart.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-fuzz-'));
    try {
      const r = await runFuzz('fuzz full', 100_000, 250, dir);
      assert.ok(r.frames >= 100_000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
