import { createHash } from 'node:crypto';
import { safeFileName, type FileChunkEvent, type FileDoneEvent, type FileOfferEvent } from '../engine/protocol';
import type { FileOfferView } from '../shared/panelProtocol';

interface Incoming {
  view: FileOfferView;
  sha256: string;
  chunks: Buffer[];
  received: number;
  /** Past the cap the offer is refused and its chunks are dropped unread. */
  accepting: boolean;
}

/**
 * Files others offered: collects chunks in memory (never on disk), checks
 * the size cap before accepting a byte and the SHA-256 when complete. Saving
 * is the user's choice, made elsewhere through a save dialog.
 */
export class IncomingFiles {
  private readonly files = new Map<string, Incoming>();

  constructor(private readonly cap: () => number) {}

  /** Returns the view to show for a new offer. */
  offer(o: FileOfferEvent): FileOfferView {
    const cap = this.cap();
    const view: FileOfferView = { fileId: key(o.sender, o.id), room: o.room, sender: o.sender, name: safeFileName(o.name), size: o.size, ts: o.ts, status: 'receiving' };
    const accepting = o.size <= cap;
    if (!accepting) {
      view.status = 'failed';
      view.detail = `refused: ${formatBytes(o.size)} is over your limit of ${formatBytes(cap)} (setting tcpChat.maxFileSize)`;
    }
    this.files.set(view.fileId, { view, sha256: o.sha256, chunks: [], received: 0, accepting });
    return view;
  }

  /** Returns the changed view when the chunk broke the transfer, else undefined. */
  chunk(c: FileChunkEvent): FileOfferView | undefined {
    const f = this.files.get(key(c.sender, c.id));
    if (!f || !f.accepting) return undefined;
    const bytes = Buffer.from(c.data, 'base64');
    if (f.received + bytes.length > f.view.size) {
      f.accepting = false;
      f.chunks = [];
      f.view.status = 'failed';
      f.view.detail = 'the sender sent more bytes than it offered; discarded';
      return f.view;
    }
    f.chunks.push(bytes);
    f.received += bytes.length;
    return undefined;
  }

  /** Completes a transfer: checks size and checksum. */
  done(d: FileDoneEvent): FileOfferView | undefined {
    const f = this.files.get(key(d.sender, d.id));
    if (!f) return undefined;
    if (!f.accepting) return f.view;
    const data = Buffer.concat(f.chunks, f.received);
    f.chunks = [data];
    const sha = createHash('sha256').update(data).digest('hex');
    if (data.length !== f.view.size || sha !== f.sha256) {
      f.accepting = false;
      f.chunks = [];
      f.view.status = 'failed';
      f.view.detail = data.length !== f.view.size ? `incomplete: ${data.length} of ${f.view.size} bytes arrived` : 'the checksum does not match; the file was damaged or altered in transit and was discarded';
    } else {
      f.view.status = 'ready';
      f.view.detail = `SHA-256 ${sha.slice(0, 16)}… verified`;
    }
    return f.view;
  }

  /** The verified bytes of a file ready to save. */
  data(fileId: string): { view: FileOfferView; data: Buffer } | undefined {
    const f = this.files.get(fileId);
    if (!f || (f.view.status !== 'ready' && f.view.status !== 'saved')) return undefined;
    return { view: f.view, data: f.chunks[0] ?? Buffer.alloc(0) };
  }

  markSaved(fileId: string, where: string): FileOfferView | undefined {
    const f = this.files.get(fileId);
    if (!f) return undefined;
    f.view.status = 'saved';
    f.view.detail = `saved to ${where}`;
    return f.view;
  }

  clear(): void {
    this.files.clear();
  }

  views(): FileOfferView[] {
    return [...this.files.values()].map((f) => f.view);
  }
}

function key(sender: string, id: string): string {
  return `${sender}/${id}`;
}

/** 1536 -> "1.5 KB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
