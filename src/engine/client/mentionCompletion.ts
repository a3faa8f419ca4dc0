import type { UsersFrame, WhoRequest } from '../protocol';
import { foldName } from '../stores/store';

/**
 * @-completion of a room's members, shared by the terminal client (Tab) and
 * the panel's composer. Pure apart from the one `who` it may ask for, so the
 * webview bundles the matching too and every client matches names the way
 * the server compares them (folded, see foldName).
 */

/** Names one completion offers at most, and asks the server for. */
export const MENTION_LIMIT = 20;

/** The names that start with `prefix`, compared folded as the server does; sorted, each once, at most `limit`. */
export function namesStartingWith(names: Iterable<string>, prefix: string, limit = MENTION_LIMIT): string[] {
  const want = foldName(prefix);
  const found = new Map<string, string>();
  for (const n of names) {
    const key = foldName(n);
    if (key.startsWith(want) && !found.has(key)) found.set(key, n);
  }
  return [...found.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, limit)
    .map(([, n]) => n);
}

/** What completing needs of a client: its room counts and paged `who` (ChatClient has both). */
export interface MemberDirectory {
  count(room: string): number | undefined;
  whoPage(query: Omit<WhoRequest, 'type' | 'id'>): Promise<UsersFrame>;
}

/**
 * The members of `room` whose names start with `prefix`. `known` are the
 * names this side already holds: when the server's count says they are the
 * whole room, they answer without a round trip. A large room's welcome and
 * joined reply name only some members (docs/protocol.md, "Rooms: join and
 * leave"), so
 * then the server is asked for one page with the prefix. Rejects as the
 * request does (not connected, rate limited, not in the room).
 */
export async function completeMember(dir: MemberDirectory, room: string, prefix: string, known: readonly string[] = [], limit = MENTION_LIMIT): Promise<string[]> {
  const count = dir.count(room);
  if (count !== undefined && count <= new Set(known).size) return namesStartingWith(known, prefix, limit);
  const page = await dir.whoPage({ room, prefix, limit });
  return namesStartingWith(page.users, prefix, limit);
}
