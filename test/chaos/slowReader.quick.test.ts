import * as assert from 'node:assert/strict';
import { ChatServer } from '../../src/engine/server/chatServer';
import { runSlowReader } from './slowReaderHarness';
import { report } from './support';

describe('chaos (quick): slow reader', function () {
  this.timeout(30_000);
  let server: ChatServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('cuts a reader that stopped reading at maxQueue with slow_reader, while 9 others receive every message', async () => {
    const maxQueue = 256 * 1024;
    server = new ChatServer({ port: 0, rate: 0, maxQueue });
    const { port } = await server.listen();
    const cuts: string[] = [];
    server.onEvent((e) => {
      if (e.type === 'closed') cuts.push(`${e.address} ${e.code}`);
    });
    let slowPort = 0;
    const r = await runSlowReader(port, 9, 20, 60, () => cuts.some((c) => c.endsWith(`:${slowPort} slow_reader`) || (slowPort === 0 && c.endsWith('slow_reader'))));
    slowPort = r.slowReaderPort;
    assert.ok(cuts.some((c) => c.endsWith(`:${slowPort} slow_reader`)), `no slow_reader close for the paused reader: ${cuts.join(', ')}`);
    assert.equal(cuts.filter((c) => c.endsWith('slow_reader')).length, 1, 'only the paused reader is cut');
    report('slow reader quick', { maxQueue, ...r });
  });
});
