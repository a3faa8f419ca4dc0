import { DEFAULT_ROOM, FILE_CHUNK_BYTES, dmKey, safeFileName, type ErrorCode, type FileChunkFrame, type FileOfferFrame, type ServerFrame } from '../protocol';
import type { Connection } from './connection';
import type { Registry } from './registry';

/** What file relay needs from the server. */
export interface FileRelayHost {
  /** The same frame to several connections (encoded once). */
  sendAll(conns: Iterable<Connection>, frame: ServerFrame): void;
  error(conn: Connection, code: ErrorCode, message: string, ref?: string): void;
  /** Charge a frame to the sender's rate limit; false (and answered) when over it. */
  charge(conn: Connection, ref: string): boolean;
}

/** A file being relayed: recipients are fixed when it is offered. */
interface Transfer {
  recipients: Connection[];
  size: number;
  received: number;
  next: number;
}

/** Files one connection may be sending at once. */
const MAX_PARALLEL_FILES = 4;

/**
 * Relays offered files chunk by chunk, in order, to the recipients fixed at
 * the offer. Nothing is stored: a chunk is forwarded as it arrives.
 */
export class FileRelay {
  /** Transfers by sender, then by transfer id. */
  private readonly sending = new Map<Connection, Map<string, Transfer>>();

  constructor(
    private readonly registry: Registry,
    private readonly host: FileRelayHost,
    private readonly maxFileSize: number,
  ) {}

  offer(conn: Connection, f: FileOfferFrame): void {
    // An offer costs a message token, so files cannot dodge the rate limit.
    if (!this.host.charge(conn, f.id)) return;
    if (f.size > this.maxFileSize) return this.host.error(conn, 'file_too_large', `files are limited to ${this.maxFileSize} bytes on this server`, f.id);
    const mine = this.sending.get(conn);
    if (mine?.has(f.id)) return this.host.error(conn, 'bad_file', 'a transfer with this id is already running', f.id);
    if (mine && mine.size >= MAX_PARALLEL_FILES) return this.host.error(conn, 'bad_file', `at most ${MAX_PARALLEL_FILES} files at once`, f.id);
    const name = conn.session.name;
    let room: string;
    let to: string | undefined;
    let recipients: Connection[];
    if (f.to !== undefined) {
      const peer = this.registry.find(f.to);
      if (!peer) return this.host.error(conn, 'no_such_user', `nobody called ${f.to} is online`, f.id);
      to = peer.session.name;
      room = dmKey(name, peer.session.name);
      recipients = peer === conn ? [] : [peer];
    } else {
      room = f.room ?? DEFAULT_ROOM;
      if (!conn.session.rooms.has(room)) return this.host.error(conn, 'not_in_room', `join ${room} before sending files to it`, f.id);
      recipients = [...(this.registry.room(room)?.members ?? [])].filter((c) => c !== conn);
    }
    this.transfers(conn).set(f.id, { recipients, size: f.size, received: 0, next: 0 });
    this.host.sendAll([conn, ...recipients], {
      type: 'file_offer',
      id: f.id,
      sender: name,
      room,
      ...(to !== undefined && { to }),
      name: safeFileName(f.name),
      size: f.size,
      sha256: f.sha256,
      ts: new Date().toISOString(),
    });
    if (f.size === 0) this.finish(conn, f.id);
  }

  chunk(conn: Connection, f: FileChunkFrame): void {
    const t = this.sending.get(conn)?.get(f.id);
    if (!t) return this.host.error(conn, 'bad_file', 'no file with this id is being sent; send file_offer first', f.id);
    const bytes = Math.floor((f.data.length * 3) / 4) - (f.data.endsWith('==') ? 2 : f.data.endsWith('=') ? 1 : 0);
    if (f.index !== t.next || bytes > FILE_CHUNK_BYTES || t.received + bytes > t.size) {
      this.forget(conn, f.id);
      return this.host.error(conn, 'bad_file', 'chunks must come in order, at most 32768 bytes each, and add up to the offered size; transfer cancelled', f.id);
    }
    t.next++;
    t.received += bytes;
    this.host.sendAll(t.recipients, { type: 'file_chunk', id: f.id, sender: conn.session.name, index: f.index, data: f.data });
    if (t.received === t.size) this.finish(conn, f.id);
  }

  /** The sender is gone: forget its transfers. */
  dropped(conn: Connection): void {
    this.sending.delete(conn);
  }

  private finish(conn: Connection, id: string): void {
    const t = this.forget(conn, id);
    this.host.sendAll([conn, ...(t?.recipients ?? [])], { type: 'file_done', id, sender: conn.session.name });
  }

  private transfers(conn: Connection): Map<string, Transfer> {
    let m = this.sending.get(conn);
    if (!m) this.sending.set(conn, (m = new Map()));
    return m;
  }

  private forget(conn: Connection, id: string): Transfer | undefined {
    const m = this.sending.get(conn);
    const t = m?.get(id);
    m?.delete(id);
    if (m?.size === 0) this.sending.delete(conn);
    return t;
  }
}
