import { isoNow } from '../isoNow';
import { DEFAULT_ROOM, FILE_CHUNK_BYTES, dmKey, safeFileName, type ErrorCode, type FileChunkFrame, type FileOfferFrame, type Person, type ServerFrame } from '../protocol';
import type { FileEvent } from './busEvents';
import type { Connection } from './connection';

/** What file relay needs from the server. */
export interface FileRelayHost {
  /** A shared frame to a few local connections (encoded once per codec variant). */
  sendAll(conns: Iterable<Connection>, frame: ServerFrame): void;
  error(conn: Connection, code: ErrorCode, message: string, ref?: string): void;
  /** Charge a frame to the sender's rate limit; false (and answered) when over it. */
  charge(conn: Connection, ref: string): boolean;
  /** The person online under a name on any node (compared folded), or undefined. */
  person(name: string): Person | undefined;
  /** Publish a file event on a room's topic, or on a person's. */
  publish(target: Target, e: FileEvent): void;
  /** Why a member may not write to a room now (a ban, a moderated room), or undefined. */
  writeRefusal(conn: Connection, room: string): { code: ErrorCode; message: string } | undefined;
}

/** Where a file goes: a room, or every connection of one identity. */
export type Target = { room: string } | { person: string };

/** The sender's side of a transfer: what it offered, and how far it got. */
interface Outgoing {
  /** Undefined for a note to oneself: nobody else receives it. */
  target?: Target;
  size: number;
  received: number;
  next: number;
  /** When the offer or the last chunk arrived. */
  at: number;
}

/** A receiving node's side: its local recipients, fixed at the offer. */
interface Incoming {
  to: Connection[];
  sender: string;
  id: string;
  /** When the last event of the transfer arrived. */
  at: number;
}

/** Files one connection may be sending at once. */
const MAX_PARALLEL_FILES = 4;

/**
 * Relays offered files chunk by chunk, in order, through the bus. The
 * sender's node checks the offer and every chunk; each node that receives
 * the offer fixes its own local recipients, and forwards the chunks to
 * them. Nothing is stored: a chunk is forwarded as it arrives. A transfer
 * that will not complete is announced to its receivers (`file_abort`) and
 * forgotten on every node.
 */
export class FileRelay {
  /** Transfers by sending connection, then by transfer id. */
  private readonly outgoing = new Map<Connection, Map<string, Outgoing>>();
  /** Local recipients of transfers offered on any node, by `node/connection/id`. */
  private readonly incoming = new Map<string, Incoming>();

  constructor(
    private readonly host: FileRelayHost,
    private readonly maxFileSize: number,
    /** A transfer with no chunk for this long is given up (its sender is stuck, or its node died). */
    private readonly idleMs: number,
  ) {}

  offer(conn: Connection, f: FileOfferFrame): void {
    // An offer costs a message token, so files cannot dodge the rate limit.
    if (!this.host.charge(conn, f.id)) return;
    if (f.size > this.maxFileSize) return this.host.error(conn, 'file_too_large', `files are limited to ${this.maxFileSize} bytes on this server`, f.id);
    const mine = this.outgoing.get(conn);
    if (mine?.has(f.id)) return this.host.error(conn, 'bad_file', 'a transfer with this id is already running', f.id);
    if (mine && mine.size >= MAX_PARALLEL_FILES) return this.host.error(conn, 'bad_file', `at most ${MAX_PARALLEL_FILES} files at once`, f.id);
    const name = conn.session.name;
    let room: string;
    let to: string | undefined;
    let target: Target | undefined;
    if (f.to !== undefined) {
      const peer = this.host.person(f.to);
      if (peer === undefined) return this.host.error(conn, 'no_such_user', `nobody called ${f.to} is online`, f.id);
      to = peer.name;
      room = dmKey(conn.session.id, peer.id);
      // Only the connections of the recipient's identity receive it (not whoever holds its name later).
      if (peer.id !== conn.session.id) target = { person: peer.id };
    } else {
      room = f.room ?? DEFAULT_ROOM;
      if (!conn.session.rooms.has(room)) return this.host.error(conn, 'not_in_room', `join ${room} before sending files to it`, f.id);
      const refused = this.host.writeRefusal(conn, room);
      if (refused) return this.host.error(conn, refused.code, refused.message, f.id);
      target = { room };
    }
    this.transfers(conn).set(f.id, { target, size: f.size, received: 0, next: 0, at: Date.now() });
    const offer = {
      type: 'file_offer' as const,
      id: f.id,
      sender: name,
      room,
      ...(to !== undefined && { to }),
      name: safeFileName(f.name),
      size: f.size,
      sha256: f.sha256,
      ts: isoNow(),
    };
    this.host.sendAll([conn], offer); // the sender's acknowledgement
    if (target) this.host.publish(target, { kind: 'file_offer', offer, origin: conn.id });
    if (f.size === 0) this.finish(conn, f.id);
  }

  chunk(conn: Connection, f: FileChunkFrame): void {
    const t = this.outgoing.get(conn)?.get(f.id);
    if (!t) return this.host.error(conn, 'bad_file', 'no file with this id is being sent; send file_offer first', f.id);
    const bytes = Math.floor((f.data.length * 3) / 4) - (f.data.endsWith('==') ? 2 : f.data.endsWith('=') ? 1 : 0);
    if (f.index !== t.next || bytes > FILE_CHUNK_BYTES || t.received + bytes > t.size) {
      this.abort(conn, f.id, 'the sender sent a chunk out of order or too large');
      return this.host.error(conn, 'bad_file', 'chunks must come in order, at most 32768 bytes each, and add up to the offered size; transfer cancelled', f.id);
    }
    t.next++;
    t.received += bytes;
    t.at = Date.now();
    if (t.target) this.host.publish(t.target, { kind: 'file_chunk', chunk: { type: 'file_chunk', id: f.id, sender: conn.session.name, index: f.index, data: f.data }, origin: conn.id });
    if (t.received === t.size) this.finish(conn, f.id);
  }

  /** A file event from the bus (this node's own included): to the local recipients. `recipients` fixes them at the offer. */
  relay(e: FileEvent, node: string, recipients: () => Connection[]): void {
    switch (e.kind) {
      case 'file_offer': {
        const to = recipients();
        if (to.length === 0) return;
        this.incoming.set(transferKey(node, e.origin, e.offer.id), { to, sender: e.offer.sender, id: e.offer.id, at: Date.now() });
        return this.host.sendAll(to, e.offer);
      }
      case 'file_chunk': {
        const t = this.incoming.get(transferKey(node, e.origin, e.chunk.id));
        if (!t) return;
        t.at = Date.now();
        return this.host.sendAll(t.to, e.chunk);
      }
      case 'file_done':
      case 'file_abort': {
        const key = transferKey(node, e.origin, e.id);
        const t = this.incoming.get(key);
        if (!t) return;
        this.incoming.delete(key);
        if (e.kind === 'file_done') return this.host.sendAll(t.to, { type: 'file_done', id: e.id, sender: e.sender });
        return this.host.sendAll(t.to, { type: 'file_abort', id: e.id, sender: e.sender, reason: e.reason });
      }
    }
  }

  /** The sender is gone: its unfinished transfers are aborted everywhere. */
  dropped(conn: Connection): void {
    for (const id of [...(this.outgoing.get(conn)?.keys() ?? [])]) this.abort(conn, id, 'the sender disconnected');
  }

  /**
   * Once a second: give up transfers that stalled. A sender with no chunk for
   * idleMs is told and its receivers get `file_abort`; receivers of a
   * transfer whose events stopped for twice that (its node may have died)
   * get `file_abort` from here.
   */
  sweep(now: number): void {
    for (const [conn, transfers] of [...this.outgoing]) {
      for (const [id, t] of [...transfers]) {
        if (now - t.at < this.idleMs) continue;
        this.abort(conn, id, 'the sender stopped sending it');
        this.host.error(conn, 'bad_file', `no chunk for ${Math.round(this.idleMs / 1000)} s; transfer cancelled`, id);
      }
    }
    for (const [key, t] of [...this.incoming]) {
      if (now - t.at < 2 * this.idleMs) continue;
      this.incoming.delete(key);
      this.host.sendAll(t.to, { type: 'file_abort', id: t.id, sender: t.sender, reason: 'the transfer stalled' });
    }
  }

  private abort(conn: Connection, id: string, reason: string): void {
    const t = this.forget(conn, id);
    if (t?.target) this.host.publish(t.target, { kind: 'file_abort', id, sender: conn.session.name, reason, origin: conn.id });
  }

  private finish(conn: Connection, id: string): void {
    const t = this.forget(conn, id);
    const sender = conn.session.name;
    this.host.sendAll([conn], { type: 'file_done', id, sender });
    if (t?.target) this.host.publish(t.target, { kind: 'file_done', id, sender, origin: conn.id });
  }

  private transfers(conn: Connection): Map<string, Outgoing> {
    let m = this.outgoing.get(conn);
    if (!m) this.outgoing.set(conn, (m = new Map()));
    return m;
  }

  private forget(conn: Connection, id: string): Outgoing | undefined {
    const m = this.outgoing.get(conn);
    const t = m?.get(id);
    m?.delete(id);
    if (m?.size === 0) this.outgoing.delete(conn);
    return t;
  }
}

function transferKey(node: string, origin: number, id: string): string {
  return `${node}/${origin}/${id}`;
}
