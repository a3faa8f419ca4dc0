import { redactUrl } from '../redactUrl';
import type { PostgresStoreOptions } from './postgresStore';
import { StoreError, type Store } from './store';

/**
 * Opens the shared store that `--store URL` (or TCP_CHAT_STORE) names.
 *
 * The PostgreSQL client is loaded here, on first use, and never before: the
 * extension and a server without `--store` never load it. esbuild keeps
 * `./postgresStore.js` as a bundle of its own beside cli.js (see
 * esbuild.mjs), so the extension's bundle does not carry it either.
 */
export async function openStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    throw new StoreError(`--store takes a PostgreSQL URL like postgres://USER[:PASS]@HOST:PORT/DB, not "${redactUrl(url)}"`);
  }
  let mod: typeof import('./postgresStore.js');
  try {
    mod = await import('./postgresStore.js');
  } catch (err) {
    throw new StoreError(`PostgreSQL support is missing from this installation (postgresStore.js did not load: ${(err as Error).message})`, err);
  }
  return mod.PostgresStore.open(url, options);
}
