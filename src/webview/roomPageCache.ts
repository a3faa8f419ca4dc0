import type { ChatMessage, ViewItem } from '../shared/panelProtocol';

// Rooms whose loaded pages are kept in memory for switching back.
const MAX_CACHED_ROOMS = 20;

/** A room's items as the list held them, and whether older ones remain on the server. */
export interface CachedRoom {
  items: ViewItem[];
  more: boolean;
}

/**
 * The pages already loaded of the rooms the user left, so switching back
 * keeps the older pages fetched instead of starting again from the host's
 * latest page. The least recently left room is dropped first.
 */
export class RoomPageCache {
  private readonly rooms = new Map<string, CachedRoom>();

  /** Forget every room (a new snapshot from the host). */
  clear(): void {
    this.rooms.clear();
  }

  /** Forget one room: the list shows it now, and holds its items itself. */
  delete(room: string): void {
    this.rooms.delete(room);
  }

  /** The user leaves a room: keep what the list held of it. */
  keep(room: string, entry: CachedRoom): void {
    this.rooms.delete(room);
    this.rooms.set(room, entry);
    // Map iteration is insertion order: the first key is the least recently used.
    if (this.rooms.size > MAX_CACHED_ROOMS) this.rooms.delete(this.rooms.keys().next().value!);
  }

  /** A change to a message of a cached room: the cached copy is replaced, so switching back shows it. */
  update(room: string, m: ChatMessage): void {
    const c = this.rooms.get(room);
    if (!c) return;
    const i = c.items.findIndex((x) => x.type === 'message' && x.seq === m.seq);
    if (i >= 0) c.items[i] = m;
  }

  /** New items for a room not shown: a cached room gets the live ones at its end. */
  add(room: string, items: ViewItem[], position: 'append' | 'prepend'): void {
    const c = this.rooms.get(room);
    if (c && position === 'append') c.items.push(...items);
  }

  /** The host's fresh page of a room, with the older pages already fetched in front when the page continues them. */
  join(room: string, items: ViewItem[], more: boolean): CachedRoom {
    const cached = this.rooms.get(room);
    if (cached && items.length) {
      const first = items[0];
      const cut = first.type === 'message' ? cached.items.findIndex((x) => x.type === 'message' && x.seq === first.seq) : -1;
      if (cut > 0) return { items: [...cached.items.slice(0, cut), ...items], more: cached.more };
    }
    return { items, more };
  }
}
