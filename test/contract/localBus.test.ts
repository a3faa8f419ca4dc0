import * as assert from 'node:assert/strict';
import { LocalBus, LocalBusHub } from '../../src/engine/buses/localBus';
import { describeBusContract } from './bus.contract';

describeBusContract('LocalBus', async () => {
  const hub = new LocalBusHub();
  const a = new LocalBus(hub);
  const b = new LocalBus(hub);
  return { a, b, cleanup: async () => void (await Promise.all([a.close(), b.close()])) };
});

describe('LocalBus', () => {
  it('delivers synchronously, before publish returns', () => {
    const bus = new LocalBus();
    const seen: unknown[] = [];
    bus.subscribe('t', (e) => seen.push(e.n));
    bus.publish('t', { n: 1 });
    assert.deepEqual(seen, [1]);
  });

  it('still delivers to the other listeners when one throws, then tells the publisher', () => {
    const bus = new LocalBus();
    const seen: unknown[] = [];
    let failures = 1;
    bus.subscribe('t', () => {
      if (failures-- > 0) throw new Error('listener failed');
    });
    bus.subscribe('t', (e) => seen.push(e.n));
    assert.throws(() => bus.publish('t', { n: 1 }), /listener failed/);
    bus.publish('t', { n: 2 });
    assert.deepEqual(seen, [1, 2], 'the failure did not stop delivery or jam the queue');
  });

  it('gives up its leases and refuses use once closed', async () => {
    const hub = new LocalBusHub();
    const a = new LocalBus(hub);
    const b = new LocalBus(hub);
    assert.equal(await a.lease('k', 60_000), true);
    await a.close();
    assert.equal(await b.lease('k', 60_000), true, 'a closed node holds nothing');
    assert.throws(() => a.publish('t', { n: 1 }), /the bus is closed/);
    assert.throws(() => a.subscribe('t', () => undefined), /the bus is closed/);
    await b.close();
  });

});
