import type * as vscode from 'vscode';
import { KnownPeople, keyChangeWarning, type KeyChange } from '../engine/knownPeople';
import { DEFAULT_ROOM, dmKey, type Person } from '../engine/protocol';
import type { Conversation } from './conversation';

/** The global-state key of the KnownPeople record (name → identity id, per server). */
export const KNOWN_PEOPLE_KEY = 'tcpChat.knownPeople';

/**
 * The editor's side of changed-key warnings (the terminal's is cli/keyWatch.ts):
 * the identity last seen behind each name, per server, kept in global state so
 * it outlives windows, like SSH's known_hosts. Read on first use; written once
 * per batch, and only when something new was learned.
 */
export class KeyChangeWatch {
  private known?: KnownPeople;

  constructor(
    private readonly state: Pick<vscode.Memento, 'get' | 'update'>,
    private readonly warn: (message: string) => void,
  ) {}

  /** Check the people a welcome or presence shows on `server`; returns the names that came back with another key. */
  see(server: string, people: readonly Person[], me: string | undefined): KeyChange[] {
    const known = (this.known ??= KnownPeople.fromJSON(this.state.get(KNOWN_PEOPLE_KEY)));
    const { changes, learned } = known.seeAll(server, people, me);
    if (learned) void Promise.resolve(this.state.update(KNOWN_PEOPLE_KEY, known.toJSON())).catch((err: Error) => this.warn(`could not remember who is who: ${err.message}`));
    return changes;
  }

  /**
   * Someone appeared under a name this editor knew with another identity key
   * (the operator released it, or a guest holds it now): a warning line, like
   * SSH's for a changed host key, where the person looks and in the old
   * direct conversation, and in the log.
   */
  warnIn(convo: Conversation, people: readonly Person[], system: (room: string, text: string) => void): void {
    const server = convo.address;
    if (!server) return;
    for (const change of this.see(server, people, convo.myId ?? undefined)) {
      const text = keyChangeWarning(change);
      this.warn(text);
      const rooms = new Set([convo.active, DEFAULT_ROOM]);
      const myId = convo.myId;
      if (myId !== null && convo.hasRoom(dmKey(myId, change.was))) rooms.add(dmKey(myId, change.was));
      for (const room of rooms) system(room, text);
    }
  }
}
