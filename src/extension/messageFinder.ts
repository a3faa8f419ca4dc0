import type { ChatMessage, HistoryFrame } from '../engine/protocol';
import type { Conversation } from './conversation';

/** What finding a message needs of the client: history pages (ChatClient.history). */
export interface HistorySource {
  history(room: string, opts: { before?: number; after?: number; limit?: number }): Promise<HistoryFrame>;
}

/** Messages the panel loads at most to reach one (a reply's original, a message link); further back, search finds it. */
export const MAX_LOAD_BACK = 2000;
/** The largest history page the server sends. */
const PAGE = 500;
/** Older messages loaded above the one looked for, so it is seen in its context. */
const CONTEXT = 10;

/** A message found and held, with what had to be loaded for it; or why it cannot be shown. */
export type Found = { message: ChatMessage; added: ChatMessage[]; more: boolean } | { problem: string };

/**
 * Makes a message of a room held by the conversation, so the panel can
 * scroll to it: from what is held, else by loading every page between the
 * oldest message held and it (the conversation stays one unbroken run of
 * messages, which scrolling up and the unread line rely on). One request
 * first asks for just that message, so a message the server no longer keeps,
 * or one the user may not read, is said plainly before anything is loaded.
 * Rejections of the requests become problems; nothing is thrown.
 */
export async function findMessage(convo: Conversation, client: HistorySource, room: string, seq: number): Promise<Found> {
  const held = convo.message(room, seq);
  if (held) return { message: held, added: [], more: convo.hasMore(room) };
  const where = room.startsWith('@') ? 'this conversation' : `#${room}`;
  try {
    const probe = await client.history(room, { after: seq - 1, limit: 1 });
    const message = probe.messages[0];
    if (message?.seq !== seq) return { problem: `message ${seq} of ${where} is not on the server: it never existed, or is older than the history the server keeps` };
    const oldest = convo.items(room).find((i): i is ChatMessage => i.type === 'message')?.seq;
    if (oldest !== undefined && oldest < seq) return { problem: `message ${seq} of ${where} is not loaded here: reopen the room to load it` };
    if (oldest !== undefined && oldest - seq > MAX_LOAD_BACK) {
      return { problem: `message ${seq} is ${oldest - seq} messages back in ${where}, more than the panel loads at once (${MAX_LOAD_BACK}): Chat: Search History finds it by its words` };
    }
    // Pages back from the oldest held, so what is added joins what is held.
    const pages: ChatMessage[][] = [];
    let before = oldest;
    let more = false;
    // Nothing held (an empty room): from the newest, within the same bound.
    for (let n = 0; n <= MAX_LOAD_BACK / PAGE; n++) {
      const want = before === undefined ? PAGE : Math.min(PAGE, before - seq + CONTEXT);
      const page = await client.history(room, { ...(before !== undefined && { before }), limit: want });
      pages.unshift(page.messages);
      more = page.more;
      const first = page.messages[0];
      if (!first || first.seq <= seq || !page.more) break;
      before = first.seq;
    }
    const added = convo.addOlder(room, pages.flat(), more);
    const now = convo.message(room, seq);
    return now ? { message: now, added, more } : { problem: `message ${seq} of ${where} is more than ${MAX_LOAD_BACK} messages back: Chat: Search History finds it by its words` };
  } catch (err) {
    return { problem: `cannot show message ${seq} of ${where}: ${(err as Error).message}` };
  }
}
