import type { ChatMessage } from '../protocol';
import type { Store } from '../stores/store';
import type { Connection } from './connection';

/** Messages read from the store per request while catching up. */
const PAGE = 500;

/** What the catch-up needs from the server. */
export interface DirectCatchUpHost {
  /** Deliver a direct message to one local connection: `own` when it is the sender's own copy. */
  deliver(conn: Connection, message: ChatMessage, own: boolean): void;
  /** Who a connection is in DM keys (what Store.conversationsOf takes). */
  participant(conn: Connection): string;
  warn(message: string): void;
}

/** One outage, as this node saw it. */
interface Outage {
  /** Per local person: the newest seq of each of their DM conversations when the link went down. */
  readonly before: Map<Connection, Map<string, number>>;
  /** The seqs delivered to each person per conversation since, so the catch-up does not repeat them. */
  readonly seen: Map<Connection, Map<string, Set<number>>>;
  /** Set when the link came back before the snapshot was taken. */
  done: boolean;
}

/**
 * Direct messages across a bus outage. Unlike room messages, a person's DMs
 * are not sequenced on the node (the client orders them and fills gaps when
 * it sees one); but a DM the bus dropped during an outage, in a conversation
 * that then goes quiet, would only show up at the next reconnect. So when the
 * link goes down this notes, per local person, how far each of their DM
 * conversations had got in the store; when it comes back, it reads what was
 * added since and delivers what did not arrive meanwhile.
 */
export class DirectCatchUp {
  private outage?: Outage;

  constructor(
    private readonly store: Store,
    private readonly host: DirectCatchUpHost,
  ) {}

  /** Deliver a DM to a local person (`own`: their own copy of one they sent), remembering it while the link is down. */
  deliver(conn: Connection, message: ChatMessage, own: boolean): void {
    this.host.deliver(conn, message, own);
    const seen = this.outage?.seen.get(conn);
    if (!seen) return;
    let seqs = seen.get(message.room);
    if (!seqs) seen.set(message.room, (seqs = new Set()));
    seqs.add(message.seq);
  }

  /** The bus link went down: note where each local person's conversations stand. */
  async down(people: Iterable<Connection>): Promise<void> {
    const outage: Outage = { before: new Map(), seen: new Map(), done: false };
    this.outage = outage;
    const list = [...people];
    for (const conn of list) outage.seen.set(conn, new Map());
    await Promise.all(
      list.map(async (conn) => {
        try {
          const convs = await this.store.conversationsOf(this.host.participant(conn));
          if (!outage.done) outage.before.set(conn, new Map(convs.map((c) => [c.name, c.lastSeq])));
        } catch (err) {
          this.host.warn(`cannot note the direct conversations of ${conn.session.name} as the bus went down: ${(err as Error).message}`);
        }
      }),
    );
  }

  /** The bus link is back: deliver to each person what their conversations gained in the store meanwhile. */
  async up(): Promise<void> {
    const outage = this.outage;
    if (!outage) return;
    outage.done = true;
    this.outage = undefined;
    await Promise.all([...outage.before].map(([conn, before]) => this.catchUp(conn, before, outage.seen.get(conn) ?? new Map())));
  }

  private async catchUp(conn: Connection, before: Map<string, number>, seen: Map<string, Set<number>>): Promise<void> {
    try {
      for (const conv of await this.store.conversationsOf(this.host.participant(conn))) {
        // A conversation missing from the snapshot started during the outage: all of it is news.
        let after = before.get(conv.name) ?? 0;
        while (after < conv.lastSeq && !conn.closing) {
          const page = await this.store.history(conv.name, { after, limit: PAGE });
          for (const m of page.messages) if (!seen.get(conv.name)?.has(m.seq) && !conn.closing) this.host.deliver(conn, m, m.author === conn.session.id);
          const last = page.messages.at(-1)?.seq;
          if (!page.more || last === undefined) break;
          after = last;
        }
      }
    } catch (err) {
      this.host.warn(`cannot catch ${conn.session.name} up on direct messages: ${(err as Error).message}`);
    }
  }
}
