import { runCrash } from './crashHarness';
import { report } from './support';

describe('chaos: crash and restart', function () {
  this.timeout(180_000);
  it('SIGKILL mid-stream of 10,000 messages, restart on the same --data: every client gets every message once, in order', async () => {
    const r = await runCrash(10_000, 5);
    report('crash full', { ...r });
  });
});
