import { runCrash } from './crashHarness';
import { report } from './support';

describe('chaos (quick): crash and restart', function () {
  this.timeout(60_000);
  it('SIGKILL mid-stream of 1,000 messages, restart on the same --data: every client gets every message once, in order', async () => {
    const r = await runCrash(1000, 4);
    report('crash quick', { ...r });
  });
});
