import { randomUUID } from 'node:crypto';
import type { ChangesFrame, ClientFrame, DeleteFrame, EditFrame, HistoryFrame, ModeChange, ReactFrame, RoomInfoFrame, SearchResultsFrame, UsersFrame, WhoRequest } from '../protocol';
import { ClientEvents } from './clientEvents';
import type { ClientState } from './clientOptions';
import { ConnectError } from './connectError';
import type { Replies, RequestOf, Requests } from './requests';

/**
 * The commands and requests a ChatClient sends that need nothing of its state
 * but the live link: room moderation, history, search, reactions, edits and
 * deletes. ChatClient supplies `write` and `ask`; keeping these thin senders
 * here leaves chatClient.ts to the connection, the rooms and the people.
 */
export abstract class ClientCommands extends ClientEvents {
  /** Write to the live link; false when there is none. */
  protected abstract write(frame: ClientFrame): boolean;
  /** The requests waiting for their answers. */
  protected abstract readonly requests: Requests;
  abstract get state(): ClientState;

  /** Ask the server and await the answer; rejects when not connected. */
  protected ask<K extends keyof Replies>(request: RequestOf<K> & { type: K }): Promise<Replies[K]> {
    if (this.state !== 'connected') return Promise.reject(new ConnectError('not connected'));
    return this.requests.ask<K>(request);
  }

  /** Set a room's topic; an empty text clears it. The change comes back as onTopic; a refusal as onServerError. */
  setTopic(room: string, topic: string): void {
    this.write({ type: 'topic', room, topic });
  }

  /** Change a room's modes, operators, voices or bans (operators only): all of them or none. */
  setModes(room: string, changes: ModeChange[]): void {
    this.write({ type: 'mode', room, changes });
  }

  /** Put someone out of a room (operators only). */
  kick(room: string, name: string, reason?: string): void {
    this.write({ type: 'kick', room, name, ...(reason && { reason }) });
  }

  /** Invite someone into a room, past +i and +k. */
  invite(room: string, name: string): void {
    this.write({ type: 'invite', room, name });
  }

  /** Mark yourself away with a message, or back with none. */
  setAway(message?: string): void {
    this.write({ type: 'away', ...(message && { message }) });
  }

  /** A room's topic, modes, operators, voices and bans. */
  roomInfo(room: string): Promise<RoomInfoFrame> {
    return this.ask({ type: 'room_info', room });
  }

  /** A page of a room's history, oldest first. */
  history(room: string, page: { before?: number; after?: number; limit?: number } = {}): Promise<HistoryFrame> {
    return this.ask({ type: 'history', room, ...page });
  }

  /**
   * Add or take back your reaction to a message (`room` is the room, or the
   * DM key it was delivered under). Returns the frame's id, which a refusal
   * (`onServerError`) names in `ref`; false when not connected. The change
   * arrives through `onUpdate`, like everyone else's.
   */
  react(room: string, seq: number, emoji: string, on = true): string | false {
    return this.change({ type: 'react', room, seq, emoji, on });
  }

  /** Replace the text of your own message; see react() for what it returns. */
  edit(room: string, seq: number, text: string): string | false {
    return this.change({ type: 'edit', room, seq, text });
  }

  /** Delete your own message (or any, as a room operator); see react() for what it returns. */
  deleteMessage(room: string, seq: number): string | false {
    return this.change({ type: 'delete', room, seq });
  }

  /** The messages of a room changed after `since` (a rev), latest states, by rev. */
  changes(room: string, since: number, limit?: number): Promise<ChangesFrame> {
    return this.ask({ type: 'changes', room, since, ...(limit !== undefined && { limit }) });
  }

  /** Search stored history; newest first. */
  search(query: string, opts: { room?: string; limit?: number } = {}): Promise<SearchResultsFrame> {
    return this.ask({ type: 'search', query, ...opts });
  }

  /**
   * One page of who is online, or of a room's members: sorted, names
   * starting with `prefix` (case-insensitive, for @-completion), after the
   * name `after` (the last of the previous page). `more` says whether
   * another page follows.
   */
  whoPage(query: Omit<WhoRequest, 'type' | 'id'> = {}): Promise<UsersFrame> {
    return this.ask({ type: 'who', limit: query.limit ?? 100, ...query });
  }

  /** A change goes out once with a fresh id: it is not queued across reconnects (a stale edit must not land later). */
  private change(frame: Omit<ReactFrame, 'id'> | Omit<EditFrame, 'id'> | Omit<DeleteFrame, 'id'>): string | false {
    const id = randomUUID();
    return this.write({ ...frame, id }) ? id : false;
  }
}
