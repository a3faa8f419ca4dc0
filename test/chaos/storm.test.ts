import * as assert from 'node:assert/strict';
import { procCpuSeconds, report, sleep, startServer, type ServerProc } from './support';
import { runStorm } from './stormHarness';

describe('chaos: connection storm', function () {
  this.timeout(120_000);
  let server: ServerProc | undefined;
  afterEach(async () => {
    await server?.kill();
    server = undefined;
  });

  it('survives 2,000 connects in one second (a third silent, cut by --handshake-timeout) and still serves a normal client', async () => {
    const handshake = 2000;
    server = await startServer(['--quiet', '--handshake-timeout', String(handshake), '--idle-timeout', '60000']);
    await sleep(200);
    const before = server.memory();
    const cpu0 = procCpuSeconds(server.pid);
    const t0 = process.cpuUsage();
    const r = await runStorm(server.port, 2000, 1000, handshake);
    const testCpu = process.cpuUsage(t0);
    const serverCpuS = +(procCpuSeconds(server.pid) - cpu0).toFixed(2);
    const after = server.memory();
    assert.ok(server.alive(), 'server still running');
    assert.ok(r.spreadMs < 2000, `the storm took ${r.spreadMs} ms`);
    report('storm full', { ...r, serverCpuS, clientCpuS: +((testCpu.user + testCpu.system) / 1e6).toFixed(2), rssBeforeMiB: +(before.rssKiB / 1024).toFixed(1), peakRssMiB: +(after.peakKiB / 1024).toFixed(1) });
  });
});
