import { encodeFrame } from '../lineCodec';
import type { ServerFrame } from '../protocol';
import type { Connection } from './connection';
import type { OutputQueue } from './outputQueue';
import type { Registry } from './registry';

/**
 * Puts frames on the output queue of the connections they are for: one, a
 * few, a room's members, or everyone. Each frame is encoded once per call,
 * however many receive it.
 */
export class Delivery {
  constructor(
    private readonly registry: Registry,
    private readonly output: OutputQueue,
  ) {}

  toConn(conn: Connection, frame: ServerFrame): void {
    this.output.send(conn, encodeFrame(frame));
  }

  /** Frame bytes already encoded (a stored message echoed again, say). */
  toConnEncoded(conn: Connection, buf: Buffer): void {
    this.output.send(conn, buf);
  }

  toConns(conns: Iterable<Connection>, frame: ServerFrame): void {
    let buf: Buffer | undefined;
    for (const c of conns) this.output.send(c, (buf ??= encodeFrame(frame)));
  }

  /** To every local member of a room but `except`; members share the bytes through the room's segment. */
  toRoom(room: string, frame: ServerFrame, except?: Connection): void {
    const r = this.registry.room(room);
    if (r) this.output.fanOut(r, encodeFrame(frame), except);
  }

  /** Encoded room frames from the bus. */
  toRoomEncoded(room: string, buf: Buffer): void {
    const r = this.registry.room(room);
    if (r) this.output.fanOut(r, buf);
  }

  /** To everyone who completed the handshake but `except`. */
  toEveryone(frame: ServerFrame, except?: Connection): void {
    let buf: Buffer | undefined;
    for (const c of this.registry.everyone()) if (c !== except) this.output.send(c, (buf ??= encodeFrame(frame)));
  }
}
