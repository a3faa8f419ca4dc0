import { MemoryStore } from '../../src/engine/stores/memoryStore';
import { describeStoreContract } from './store.contract';

describeStoreContract(
  'MemoryStore',
  async (options) => {
    const store = new MemoryStore({ retention: options?.retention });
    return { store, cleanup: () => store.close() };
  },
  { durable: false },
);

// A budget far below any page, so searches answer early with a cursor and
// yield between tiny slices: the paging must still be exact.
describeStoreContract(
  'MemoryStore, searching 3 messages per call in slices of 2',
  async (options) => {
    const store = new MemoryStore({ retention: options?.retention, search: { perCall: 3, perSlice: 2 } });
    return { store, cleanup: () => store.close() };
  },
  { durable: false },
);
