import type { ChangesFrame, ChangesRequest, ClientFrame, ErrorFrame, HistoryFrame, HistoryRequest, RoomInfoFrame, RoomInfoRequest, SearchRequest, SearchResultsFrame, ServerFrame, UsersFrame, WhoRequest } from '../protocol';
import { ConnectError } from './connectError';

/** Each request frame's type, mapped to the frame the server answers it with. */
export interface Replies {
  history: HistoryFrame;
  search: SearchResultsFrame;
  who: UsersFrame;
  changes: ChangesFrame;
  room_info: RoomInfoFrame;
}

/** A frame that asks the server something and waits for the answer under its `id`. */
export type RequestFrame = HistoryRequest | SearchRequest | WhoRequest | ChangesRequest | RoomInfoRequest;

/** A request as the caller writes it: the id is this class's to assign. */
export type Unsent<F> = F extends RequestFrame ? Omit<F, 'id'> : never;

/** The request of kind K, as the caller writes it. */
export type RequestOf<K extends keyof Replies> = Unsent<Extract<RequestFrame, { type: K }>>;

/** The frame type that answers each kind of request; typed against Replies, so the two cannot disagree. */
const REPLY_TYPE: { [K in keyof Replies]: Replies[K]['type'] } = {
  history: 'history',
  search: 'search_results',
  who: 'users',
  changes: 'changes',
  room_info: 'room_info',
};

/** True when `f` is the kind of frame that answers a `kind` request. */
function answers(kind: keyof Replies, f: ServerFrame): f is Replies[keyof Replies] {
  return f.type === REPLY_TYPE[kind];
}

interface Pending {
  /** Settles with `f` when it is this request's kind of answer; false when it is not. */
  accept(f: ServerFrame): boolean;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Requests waiting for their answers, matched by id. A reply of the wrong
 * kind, an error that names the request, a timeout or a dropped link settle
 * each one exactly once.
 */
export class Requests {
  private readonly pending = new Map<string, Pending>();
  private seq = 0;

  constructor(
    /** Writes a frame; false when the link is down. */
    private readonly write: (frame: ClientFrame) => boolean,
    private readonly timeoutMs: number,
  ) {}

  /** Ask, and resolve with the matching answer. Rejects with a ConnectError on a server error, a timeout or a drop. */
  ask<K extends keyof Replies>(request: RequestOf<K> & { type: K }): Promise<Replies[K]>;
  ask(request: Unsent<RequestFrame>): Promise<Replies[keyof Replies]> {
    const id = `r${++this.seq}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ConnectError(`the server did not answer a ${request.type} request within ${this.timeoutMs / 1000} s`));
      }, this.timeoutMs);
      this.pending.set(id, {
        accept: (f) => {
          if (!answers(request.type, f)) return false;
          resolve(f);
          return true;
        },
        reject,
        timer,
      });
      const frame: RequestFrame = { ...request, id };
      if (!this.write(frame)) this.settle(id, new ConnectError('not connected'));
    });
  }

  /** Settle the request a reply answers. True when `f` was one. */
  reply(f: ServerFrame): boolean {
    if (!('id' in f) || typeof f.id !== 'string') return false;
    const req = this.pending.get(f.id);
    if (!req || !req.accept(f)) return false;
    this.pending.delete(f.id);
    clearTimeout(req.timer);
    return true;
  }

  /** Fail the request an error frame names. True when it named one. */
  refuse(e: ErrorFrame): boolean {
    if (e.ref === undefined || !this.pending.has(e.ref)) return false;
    this.settle(e.ref, new ConnectError(e.message, e.code, { retryAfter: e.retryAfter }));
    return true;
  }

  /** Fail everything still waiting (the link dropped, or the client closed). */
  failAll(err: Error): void {
    for (const id of [...this.pending.keys()]) this.settle(id, err);
  }

  get size(): number {
    return this.pending.size;
  }

  private settle(id: string, err: Error): void {
    const req = this.pending.get(id);
    if (!req) return;
    this.pending.delete(id);
    clearTimeout(req.timer);
    req.reject(err);
  }
}
