import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStore } from '../../src/engine/stores/fileStore';
import { describeStoreContract } from './store.contract';

describeStoreContract(
  'FileStore',
  async (options) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-chat-store-'));
    let current = await FileStore.open(dir, { retention: options?.retention });
    return {
      store: current,
      reopen: async () => {
        await current.close();
        current = await FileStore.open(dir, { retention: options?.retention });
        return current;
      },
      cleanup: async () => {
        await current.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  { durable: true },
);
