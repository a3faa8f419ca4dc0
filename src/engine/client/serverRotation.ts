import { formatHostPort, type Endpoint } from '../address';

/**
 * Which server a ChatClient dials next, and how long it waits first. Every
 * server of the list is tried at once after a failure; only when all of them
 * failed since the last welcome does the backoff (doubling, with jitter)
 * apply, so one dead node of a cluster costs no waiting.
 */
export class ServerRotation {
  /** The servers this client may dial: one, or the nodes of a cluster, tried in turn. */
  readonly endpoints: Endpoint[];
  /** The one dialled last (an index into endpoints). */
  private current = 0;
  /** Servers tried since the last welcome or backoff. */
  private tried = 0;
  /** Backoffs since the last welcome: the next wait doubles with each. */
  private attempt = 0;

  constructor(list: Endpoint[]) {
    this.endpoints = uniqueEndpoints(list);
  }

  /** The server to dial, or dialled last. */
  get endpoint(): Endpoint {
    return this.endpoints[this.current];
  }

  /** A dial of `endpoint` starts. */
  dialling(): void {
    this.tried++;
  }

  /** The same server is dialled again (now pinned): it does not count as another one tried. */
  again(): void {
    this.tried--;
  }

  /** Move on to a server not tried since the last welcome or backoff; false (staying put) when there is none. */
  next(): boolean {
    if (this.endpoints.length <= 1 || this.tried >= this.endpoints.length) return false;
    this.current = (this.current + 1) % this.endpoints.length;
    return true;
  }

  /** Every server failed: the wait before the next round (half fixed, half random), which starts at the next server. */
  backoff(minMs: number, maxMs: number): number {
    const base = Math.min(maxMs, minMs * 2 ** this.attempt);
    const delay = Math.round(base / 2 + (Math.random() * base) / 2);
    this.attempt++;
    this.tried = 0;
    this.current = (this.current + 1) % this.endpoints.length;
    return delay;
  }

  /** A server welcomed us: the next failure starts a fresh round with no wait. */
  welcomed(): void {
    this.attempt = 0;
    this.tried = 0;
  }
}

/** The list without repeats (compared as host:port, case-insensitively), in first-seen order. */
function uniqueEndpoints(list: Endpoint[]): Endpoint[] {
  const seen = new Set<string>();
  return list.filter((e) => {
    const key = formatHostPort(e).toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
