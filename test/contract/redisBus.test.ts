import { RedisBus } from '../../src/engine/buses/redisBus';
import { startRedis, type RealRedis } from '../support/realServers';
import { describeBusContract } from './bus.contract';

/** The Bus contract against a real redis-server: two nodes are two RedisBus instances on one server. */
describe('RedisBus contract (real redis-server)', function () {
  this.timeout(60_000);
  let redis: RealRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.dispose();
  });

  describeBusContract('RedisBus', async () => {
    // Each test gets its own channel and key prefix, so nothing from an earlier test (a lease, a late event) leaks in.
    const prefix = `tcp-chat:contract:${Date.now()}:${Math.random().toString(36).slice(2)}:`;
    const [a, b] = await Promise.all([RedisBus.open(redis.url, { prefix }), RedisBus.open(redis.url, { prefix })]);
    return {
      a,
      b,
      cleanup: async () => {
        await Promise.all([a.close(), b.close()]);
      },
    };
  });
});
