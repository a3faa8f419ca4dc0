import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import { PacedRoom, startFlooder, type FloodStats } from './floodHarness';
import { percentile, report, sleep, startServer, type ServerProc } from './support';

/** This process's CPU affinity list, e.g. "0,1", to restore after pinning. */
function affinity(): string | undefined {
  try {
    return /list: (\S+)/.exec(execFileSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' }))?.[1];
  } catch {
    return undefined;
  }
}

/** Pin this process's threads to a core set; false when taskset is missing. */
function pin(cores: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cores, String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('chaos: flood', function () {
  this.timeout(180_000);
  let server: ServerProc | undefined;
  let pinned = false;
  const original = affinity();
  afterEach(async () => {
    if (pinned && original) pin(original);
    await server?.kill();
    server = undefined;
  });

  it("limits a flooding client (rate_limited, then cut for flooding) and the other clients' p99 stays within 2x of an unflooded run", async () => {
    // Server on core 0, this process (20 paced clients and the flooder) on core 1,
    // as in ../shared/peers.md. The phases alternate so drift hits both sides.
    server = await startServer(['--quiet'], { cpu: 0 });
    pinned = pin('1');
    const room = await PacedRoom.open(server.port, 20, 'p');
    const RATE = 5; // per client per second: under the default limit of 10
    const MS = 3000;
    const base: number[] = [];
    const flooded: number[] = [];
    const junked: number[] = [];
    const floods: FloodStats[] = [];
    const junks: FloodStats[] = [];
    let expected = 0;
    try {
      await room.phase(RATE, 1000); // warm-up, not counted
      for (let round = 0; round < 3; round++) {
        let r = await room.phase(RATE, MS);
        base.push(...r.latencies);
        expected += r.expected;
        let f = startFlooder(server.port, 'messages', 500);
        await sleep(100);
        r = await room.phase(RATE, MS);
        floods.push(await f.stop());
        flooded.push(...r.latencies);
        expected += r.expected;
        f = startFlooder(server.port, 'junk', 500);
        await sleep(100);
        r = await room.phase(RATE, MS);
        junks.push(await f.stop());
        junked.push(...r.latencies);
        expected += r.expected;
      }
    } finally {
      room.close();
    }
    const sum = (xs: FloodStats[]) => xs.reduce((a, x) => ({ connections: a.connections + x.connections, accepted: a.accepted + x.accepted, rateLimited: a.rateLimited + x.rateLimited, floodCuts: a.floodCuts + x.floodCuts, otherErrors: a.otherErrors + x.otherErrors, linesSent: a.linesSent + x.linesSent }));
    const fl = sum(floods);
    const jk = sum(junks);
    const p = (xs: number[], q: number) => +percentile(xs, q).toFixed(2);
    const figures = {
      pinned,
      loadAverage1m: +os.loadavg()[0].toFixed(1), // other work on the machine: the ratio is what holds

      clients: 20,
      ratePerClient: RATE,
      samples: { base: base.length, flooded: flooded.length, junk: junked.length, expected },
      lost: room.lost,
      p50: { base: p(base, 50), flooded: p(flooded, 50), junk: p(junked, 50) },
      p99: { base: p(base, 99), flooded: p(flooded, 99), junk: p(junked, 99) },
      ratioFlooded: +(percentile(flooded, 99) / percentile(base, 99)).toFixed(2),
      ratioJunk: +(percentile(junked, 99) / percentile(base, 99)).toFixed(2),
      messageFlooder: fl,
      junkFlooder: jk,
    };
    report('flood full', figures);
    assert.equal(room.lost, 0, 'every paced message reached every client');
    assert.ok(fl.rateLimited > 0 && fl.floodCuts > 0, 'the message flooder was rate limited, then cut');
    assert.ok(figures.ratioFlooded <= 2, `p99 with a message flooder is ${figures.ratioFlooded}x the unflooded p99`);
    assert.ok(figures.ratioJunk <= 2, `p99 with a junk flooder is ${figures.ratioJunk}x the unflooded p99`);
  });
});
