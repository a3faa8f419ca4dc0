import * as vscode from 'vscode';
import type { ChatClient } from '../engine/client/chatClient';
import { completeMember, namesStartingWith } from '../engine/client/mentionCompletion';
import { isDmKey } from '../engine/protocol';
import type { HostToPanel } from '../shared/panelProtocol';
import type { Conversation } from './conversation';
import { findMessage, type Found } from './messageFinder';
import { readSettings } from './settings';

/** What the navigator needs of its session. */
export interface NavigatorHost {
  readonly convo: Conversation;
  readonly log: vscode.LogOutputChannel;
  /** The current connection, if any. */
  client(): ChatClient | undefined;
  post(msg: HostToPanel): void;
  /** A line from the extension in a room. */
  system(room: string, text: string): void;
  switchRoom(room: string): void;
  openPanel(): void;
}

/**
 * The panel's ways through a conversation that need the server: older pages,
 * a jump to a message it may not hold (a link, a quote), and the members
 * @-completion offers in a large room. Each answers the panel even when the
 * server cannot, since the panel waits for an answer.
 */
export class MessageNavigator {
  constructor(private readonly host: NavigatorHost) {}

  /**
   * Open the panel at a message (a message link, or a reply's quote): loads
   * it when it is older than what the panel holds, then the panel scrolls to
   * it and marks it. What stands in the way (a room not joined, a message
   * deleted or gone) is said in the room. Resolves when the panel was told.
   */
  async showMessage(room: string, seq: number): Promise<void> {
    const c = this.host.client();
    if (!isDmKey(room) && c && !c.rooms.includes(room)) {
      this.host.system(this.host.convo.active, vscode.l10n.t('That message is in #{0}, which you have not joined: join it (Chat: Join Room), then open the link again.', room));
      this.host.openPanel();
      return;
    }
    this.host.convo.room(room);
    if (this.host.convo.active !== room) this.host.switchRoom(room);
    this.host.openPanel();
    // Held already: no request, so it also works offline.
    const held = this.host.convo.message(room, seq);
    let found: Found;
    if (held) found = { message: held, added: [], more: false };
    else if (c?.state === 'connected') found = await findMessage(this.host.convo, c, room, seq);
    else return this.host.system(room, vscode.l10n.t('Message {0} is not loaded, and loading it needs a connection.', seq));
    if ('problem' in found) return this.host.system(room, found.problem);
    if (found.added.length > 0) this.host.post({ type: 'items', room, items: found.added, position: 'prepend', more: found.more });
    this.host.post({ type: 'jump', room, seq, ...(found.message.deleted && { note: vscode.l10n.t('That message was deleted.') }) });
  }

  /** The composer's @-word in a large room: the members the server finds; never throws (an error is an answer too). */
  async findMembers(msg: { id: number; room: string; prefix: string }): Promise<void> {
    const answer = (names: string[], error?: string) => this.host.post({ type: 'memberMatches', id: msg.id, room: msg.room, prefix: msg.prefix, names, ...(error !== undefined && { error }) });
    const known = this.host.convo.membersOf(msg.room);
    const c = this.host.client();
    if (isDmKey(msg.room)) return answer(namesStartingWith(known, msg.prefix));
    if (!c || c.state !== 'connected') return answer([], vscode.l10n.t('not connected'));
    try {
      answer(await completeMember(c, msg.room, msg.prefix, known));
    } catch (err) {
      this.host.log.warn(`member lookup in ${msg.room} failed: ${(err as Error).message}`);
      answer([], (err as Error).message);
    }
  }

  /** Who is in a room for @-completion, and how many, when the server named only some of them (a large room). */
  members(room: string): { members: string[]; memberCount?: number } {
    const members = this.host.convo.membersOf(room);
    const count = isDmKey(room) ? undefined : this.host.client()?.count(room);
    return { members, ...(count !== undefined && count > members.length && { memberCount: count }) };
  }

  async loadOlder(room: string, before: number): Promise<void> {
    const c = this.host.client();
    if (!c || c.state !== 'connected') {
      // The panel waits for an answer to every loadOlder; an empty page ends the wait.
      this.host.post({ type: 'items', room, items: [], position: 'prepend', more: this.host.convo.hasMore(room) });
      return;
    }
    try {
      const page = await c.history(room, { before, limit: readSettings().historyPageSize });
      const added = this.host.convo.addOlder(room, page.messages, page.more);
      this.host.post({ type: 'items', room, items: added, position: 'prepend', more: page.more });
    } catch (err) {
      this.host.log.warn(`history for ${room} failed: ${(err as Error).message}`);
      this.host.post({ type: 'items', room, items: [], position: 'prepend', more: this.host.convo.hasMore(room) });
    }
  }
}
