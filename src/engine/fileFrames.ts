/**
 * The file-transfer part of wire protocol v1 (docs/protocol.md, "Files"): an
 * offer, chunks in order, and the relay's done and abort notices, with the
 * checks on what a client sends. protocol.ts folds these frames into its
 * unions; they live here so the protocol file stays readable.
 */
import { optStr } from './frameChecks';

/** Offer a file to a room or a person; chunks follow. */
export interface FileOfferFrame {
  type: 'file_offer';
  /** Client-made transfer id. */
  id: string;
  room?: string;
  to?: string;
  name: string;
  /** Bytes, checked against the server's cap before any chunk is accepted. */
  size: number;
  /** Hex SHA-256 of the whole file; the receiver checks it. */
  sha256: string;
}
/** One piece of an offered file: base64 of at most FILE_CHUNK_BYTES bytes, in order from 0. */
export interface FileChunkFrame {
  type: 'file_chunk';
  id: string;
  index: number;
  data: string;
}

/** A file offer relayed to its recipients (and echoed to the sender as acknowledgement). */
export interface FileOfferEvent {
  type: 'file_offer';
  id: string;
  sender: string;
  room: string;
  to?: string;
  name: string;
  size: number;
  sha256: string;
  ts: string;
}
/** A relayed chunk of an offered file. */
export interface FileChunkEvent {
  type: 'file_chunk';
  id: string;
  sender: string;
  index: number;
  data: string;
}
/** Every chunk of a file has been relayed (sent to recipients and, as acknowledgement, to the sender). */
export interface FileDoneEvent {
  type: 'file_done';
  id: string;
  sender: string;
}
/** A transfer was cancelled (its sender dropped, sent a bad chunk, or went silent): receivers discard what they hold of it. */
export interface FileAbortEvent {
  type: 'file_abort';
  id: string;
  sender: string;
  /** Why, for a person. */
  reason: string;
}

/** Why a `file_offer` or `file_chunk` frame's fields are wrong, or undefined when it is well formed. */
export function fileFrameProblem(o: Record<string, unknown>): string | undefined {
  if (o.type === 'file_offer') {
    if (typeof o.id !== 'string' || o.id.length === 0 || o.id.length > 128) return 'file_offer needs a string "id" of 1-128 characters';
    if (typeof o.name !== 'string' || o.name.length === 0 || o.name.length > 255) return 'file_offer needs a "name" of 1-255 characters';
    if (!Number.isSafeInteger(o.size) || (o.size as number) < 0) return 'file_offer needs a non-negative integer "size"';
    if (typeof o.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(o.sha256)) return 'file_offer needs "sha256" as 64 lowercase hex digits';
    if (!optStr(o, 'room') || !optStr(o, 'to')) return '"room" and "to" must be strings';
    if (o.room !== undefined && o.to !== undefined) return 'give "room" or "to", not both';
    return;
  }
  if (typeof o.id !== 'string') return 'file_chunk needs a string "id"';
  if (!Number.isSafeInteger(o.index) || (o.index as number) < 0) return 'file_chunk needs a non-negative integer "index"';
  if (typeof o.data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(o.data)) return 'file_chunk needs base64 "data"';
  return;
}
