import { PostgresStore } from '../../src/engine/stores/postgresStore';
import type { Store } from '../../src/engine/stores/store';
import { startPostgres, type RealPostgres } from '../support/realServers';
import { describeStoreContract } from './store.contract';

/** The Store contract against a real PostgreSQL 15, one fresh database per test. */
describe('PostgresStore contract (real PostgreSQL)', function () {
  this.timeout(60_000);
  let pg: RealPostgres;
  before(async () => {
    pg = await startPostgres();
  });
  after(async () => {
    await pg?.dispose();
  });

  describeStoreContract(
    'PostgresStore',
    async (options) => {
      const url = await pg.createDatabase();
      const open = () => PostgresStore.open(url, { retention: options?.retention });
      let current: Store = await open();
      return {
        store: current,
        reopen: async () => {
          await current.close();
          current = await open();
          return current;
        },
        cleanup: () => current.close(),
      };
    },
    { durable: true },
  );
});
