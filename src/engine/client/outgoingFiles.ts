import { createHash, randomUUID } from 'node:crypto';
import { FILE_CHUNK_BYTES } from '../protocol';
import type { Connection } from './connection';

/**
 * Files this client is sending. Each transfer waits for the server's
 * file_done; a refusal, a file_abort or a dropped link fails it instead
 * (files are not resent after a reconnect).
 */
export class OutgoingFiles {
  private readonly waits = new Map<string, { resolve(): void; reject(e: Error): void }>();

  /**
   * Offer `data` on `conn`, then write its chunks in order, waiting for the
   * socket to drain when its buffer fills. Stops writing once `live()` is
   * false. Resolves with the transfer id when the server relayed every chunk.
   */
  async send(conn: Connection, live: () => boolean, data: Buffer, name: string, where: { room: string } | { to: string }, onProgress?: (sent: number) => void): Promise<string> {
    const id = randomUUID();
    const sha256 = createHash('sha256').update(data).digest('hex');
    const done = new Promise<void>((resolve, reject) => this.waits.set(id, { resolve, reject }));
    done.catch(() => undefined); // awaited below; this only keeps a failure during the chunk loop from counting as unhandled
    conn.write({ type: 'file_offer', id, ...where, name, size: data.length, sha256 });
    for (let i = 0, off = 0; off < data.length; i++, off += FILE_CHUNK_BYTES) {
      if (!live()) break;
      const ok = conn.write({ type: 'file_chunk', id, index: i, data: data.subarray(off, off + FILE_CHUNK_BYTES).toString('base64') });
      onProgress?.(Math.min(data.length, off + FILE_CHUNK_BYTES));
      if (!ok) await conn.drained();
    }
    await done;
    return id;
  }

  /** Finish transfer `id`: done, or failed with `err`. True when it was one of ours. */
  settle(id: string, err?: Error): boolean {
    const w = this.waits.get(id);
    if (!w) return false;
    this.waits.delete(id);
    if (err) w.reject(err);
    else w.resolve();
    return true;
  }

  /** Fail every transfer under way (the link dropped). */
  failAll(err: Error): void {
    for (const id of [...this.waits.keys()]) this.settle(id, err);
  }
}
