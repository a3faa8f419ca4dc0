import type { ChangesFrame, ChatMessage } from '../protocol';

/** Fetches the changes of `room` after rev `since`: on a live client, a `changes` request. */
export type FetchChanges = (room: string, since: number) => Promise<ChangesFrame>;

/**
 * Keeps each room's rev and delivers changed messages (edits, deletes,
 * reactions) in their latest state, never an older state after a newer one:
 * live `update` frames and `changes` pages can cross. When a room's rev
 * jumps (a reconnect, an update that skipped some), the changes in between
 * are fetched.
 */
export class ChangeTracker {
  /** The rev seen per room, once it is known. */
  private readonly revs = new Map<string, number>();
  /** The rev of the state delivered per message, by room then seq. */
  private readonly delivered = new Map<string, Map<number, number>>();
  private readonly fetching = new Set<string>();

  constructor(
    private readonly deliver: (m: ChatMessage) => void,
    private readonly fetch: FetchChanges,
  ) {}

  /** The rev seen in a room, or undefined when it was never heard of. */
  rev(room: string): number | undefined {
    return this.revs.get(room);
  }

  /**
   * A room's rev as the server reports it (welcome, joined). The first time
   * it is taken as seen: the history that came with it shows latest states.
   * After that a higher rev means changes were missed: fetch them.
   */
  sync(room: string, rev: number | undefined): void {
    if (rev === undefined) return; // a server without edits
    const known = this.revs.get(room);
    if (known === undefined) this.revs.set(room, rev);
    else if (rev > known) this.catchUp(room);
  }

  /** Ask for what a known room missed (a DM after a reconnect has no joined reply to say). */
  catchUp(room: string): void {
    if (!this.revs.has(room) || this.fetching.has(room)) return;
    this.fetching.add(room);
    void this.pages(room).finally(() => this.fetching.delete(room));
  }

  /** A live update: delivered unless a newer state of that message was; a skipped rev is fetched. */
  update(room: string, rev: number, message: ChatMessage): void {
    const known = this.revs.get(room);
    this.offer(message);
    if (known === undefined || rev === known + 1) this.revs.set(room, Math.max(rev, known ?? 0));
    else if (rev > known) this.catchUp(room);
  }

  /** The server started its history over: every rev counts from 0 again. */
  restart(): void {
    for (const room of this.revs.keys()) this.revs.set(room, 0);
    this.delivered.clear();
  }

  private async pages(room: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const since = this.revs.get(room) ?? 0;
      let page: ChangesFrame;
      try {
        page = await this.fetch(room, since);
      } catch {
        return; // the next reconnect or update asks again
      }
      for (const m of page.messages) this.offer(m);
      const last = page.messages.length > 0 ? (page.messages[page.messages.length - 1].rev ?? since) : since;
      this.revs.set(room, Math.max(this.revs.get(room) ?? 0, page.more ? last : page.rev));
      if (!page.more || last <= since) return;
    }
  }

  private offer(m: ChatMessage): void {
    const rev = m.rev ?? 0;
    let seen = this.delivered.get(m.room);
    if (!seen) this.delivered.set(m.room, (seen = new Map()));
    if ((seen.get(m.seq) ?? -1) >= rev) return;
    seen.set(m.seq, rev);
    this.deliver(m);
  }
}
