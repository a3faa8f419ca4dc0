import { redactUrl } from '../redactUrl';
import type { Bus } from './bus';
import type { RedisBusOptions } from './redisBus';

/**
 * Opens the bus that `--bus URL` (or TCP_CHAT_BUS) names.
 *
 * The Redis client is loaded here, on first use, and never before: the
 * extension and a single-node server never load it. esbuild keeps
 * `./redisBus.js` as a bundle of its own beside cli.js (see esbuild.mjs), so
 * the extension's bundle does not carry it either.
 */
export async function openBus(url: string, options: RedisBusOptions = {}): Promise<Bus> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== 'redis' && scheme !== 'rediss') {
    throw new Error(`--bus takes a Redis URL like redis://[:PASS@]HOST:PORT[/DB] (rediss:// for TLS), not "${redactUrl(url)}"`);
  }
  let mod: typeof import('./redisBus.js');
  try {
    mod = await import('./redisBus.js');
  } catch (err) {
    throw new Error(`Redis support is missing from this installation (redisBus.js did not load: ${(err as Error).message})`, { cause: err });
  }
  return mod.RedisBus.open(url, options);
}
