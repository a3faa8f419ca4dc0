import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { isIdentityId } from '../identity';
import type { ChatMessage, Snippet } from '../protocol';
import { IndexedStore, type IndexedStoreOptions } from './indexedStore';
import { parseJson, readLines } from './jsonLines';
import { parseReactors, publicReactions, type Reactors } from './messageChanges';
import { NameClaimsFile } from './nameClaimsFile';
import { RoomStatesFile } from './roomStatesFile';
import { RoomFiles, type OpenFile } from './roomFiles';
import { StoreError, type AppendResult, type Change, type MutateResult, type MessageDraft, type RoomState, type Store, type VersionedRoomState } from './store';

/** How a FileStore keeps its data directory. */
export interface FileStoreOptions extends IndexedStoreOptions {
  /** Room files kept open at once (default 64); the others are reopened when written to. */
  maxOpenFiles?: number;
  /**
   * Fault injection for tests only: opens a room file for appending. A test
   * makes it throw to check that a failed open leaves nothing stale behind.
   */
  openFile?: OpenFile;
}

/** What recovery found on disk. */
export interface RecoveryReport {
  rooms: number;
  messages: number;
  /** Lines that could not be read (a torn last line after a crash, for example). */
  skipped: number;
  /** Names with an owner. */
  names: number;
  ms: number;
}

/**
 * History in append-only JSON Lines files, one per room, under `<dir>/rooms/`,
 * name claims in `<dir>/names.jsonl`, and room settings in
 * `<dir>/room-states.jsonl`. Each append is written with
 * synchronous write() calls before the promise resolves, so a killed process
 * loses nothing it acknowledged (the page cache keeps it). An in-memory
 * MessageIndex holds the retained window for reads and search.
 */
export class FileStore extends IndexedStore implements Store {
  private historyId: string = randomUUID();
  recovery: RecoveryReport = { rooms: 0, messages: 0, skipped: 0, names: 0, ms: 0 };
  private readonly files: RoomFiles;
  private names!: NameClaimsFile;
  private roomStates!: RoomStatesFile;
  private closed = false;

  private constructor(
    private readonly dir: string,
    options: FileStoreOptions,
  ) {
    super(options);
    this.files = new RoomFiles(path.join(dir, 'rooms'), options.maxOpenFiles, options.openFile);
  }

  /** Open (creating if needed) a data directory and replay its history and name claims. */
  static async open(dir: string, options: FileStoreOptions = {}): Promise<FileStore> {
    const store = new FileStore(dir, options);
    try {
      fs.mkdirSync(store.files.dir, { recursive: true });
      fs.accessSync(store.files.dir, fs.constants.W_OK);
    } catch (err) {
      throw new StoreError(`cannot write to data directory ${dir}: ${(err as Error).message}. Pick another --data directory or fix its permissions`, err);
    }
    const t0 = performance.now();
    try {
      store.recoverRooms();
      store.names = NameClaimsFile.load(path.join(dir, 'names.jsonl'));
      store.roomStates = RoomStatesFile.load(path.join(dir, 'room-states.jsonl'));
      store.historyId = store.loadId();
    } catch (err) {
      store.files.closeAll();
      throw new StoreError(`cannot read the history in data directory ${dir}: ${(err as Error).message}. Fix its permissions or move the damaged file away`, err);
    }
    store.recovery.skipped += store.names.skipped + store.roomStates.skipped;
    store.recovery.names = store.names.size;
    store.recovery.ms = Math.round(performance.now() - t0);
    return store;
  }

  get id(): string {
    return this.historyId;
  }

  async append(draft: MessageDraft): Promise<AppendResult> {
    this.assertOpen();
    const stored = this.index.find(draft.author, draft.id);
    if (stored) return { message: stored, duplicate: true };
    const message = this.index.next(draft);
    try {
      this.files.write(message.room, toLine(message, draft.author));
    } catch (err) {
      throw new StoreError(`could not save message to history: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, err);
    }
    this.index.add(message, draft.author);
    if (this.unscrubbed.has(message.room)) this.scrub(message.room);
    else if (this.retention.maxPerRoom > 0 && this.files.lines(message.room) > this.retention.maxPerRoom * 2) this.compact(message.room);
    return { message, duplicate: false };
  }

  /**
   * A change is appended to the room's file as a `change` line, which recovery
   * applies. A delete then rewrites the file at once with every message in
   * its latest state, so neither the deleted text nor its earlier edits stay
   * on disk in the file (docs/security.md says what the file system may keep).
   * An edit leaves the old text in the file until the next compaction.
   */
  async mutate(room: string, seq: number, change: Change, actor: string): Promise<MutateResult> {
    this.assertOpen();
    const applied = this.index.prepare(room, seq, change, actor);
    if (!applied.ok) return applied;
    if (applied.changed) {
      const line = JSON.stringify({ type: 'change', room, seq, rev: applied.message.rev, change, actor });
      try {
        this.files.write(room, line);
      } catch (err) {
        throw new StoreError(`could not save the change to history: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, err);
      }
      this.index.apply(applied);
      if (change.kind === 'delete' || this.unscrubbed.has(room)) this.scrub(room);
    }
    return { ok: true, message: applied.message, rev: this.index.lastRev(room), changed: applied.changed };
  }

  /** Rooms whose file may still hold a deleted text because the rewrite after the delete failed: tried again at each write. */
  private readonly unscrubbed = new Set<string>();

  private scrub(room: string): void {
    if (this.compact(room)) this.unscrubbed.delete(room);
    else this.unscrubbed.add(room);
  }

  async nameOwner(name: string): Promise<string | undefined> {
    return this.names.owner(name);
  }

  async claimName(name: string, identity: string): Promise<string> {
    this.assertOpen();
    return this.names.claim(name, identity);
  }

  async namesOf(identity: string): Promise<string[]> {
    return this.names
      .entries()
      .filter(([, owner]) => owner === identity)
      .map(([name]) => name);
  }

  async releaseName(name: string): Promise<boolean> {
    this.assertOpen();
    return this.names.release(name);
  }

  async roomState(room: string): Promise<VersionedRoomState | undefined> {
    return this.roomStates.get(room);
  }

  async setRoomState(room: string, state: RoomState, expected: number): Promise<boolean> {
    this.assertOpen();
    return this.roomStates.set(room, state, expected);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.files.closeAll();
    this.names.close();
    this.roomStates.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('could not save to history: the store is closed');
  }

  /** The history id lives beside the logs, so it survives restarts and changes with the directory. */
  private loadId(): string {
    const file = path.join(this.dir, 'history-id');
    try {
      const id = fs.readFileSync(file, 'utf8').trim();
      if (/^[0-9a-f-]{36}$/.test(id)) return id;
    } catch {
      // first start in this directory
    }
    fs.writeFileSync(file, this.historyId + '\n', { mode: 0o600 });
    return this.historyId;
  }

  private recoverRooms(): void {
    for (const entry of fs.readdirSync(this.files.dir)) {
      if (!entry.endsWith('.jsonl')) continue;
      let room: string | undefined;
      const read = readLines(fs.readFileSync(path.join(this.files.dir, entry)), (line) => {
        const other = parseJson(line) as Record<string, unknown> | undefined;
        if (other?.type === 'change' || other?.type === 'rev') {
          if (room === undefined ? typeof other.room === 'string' && this.replay(other) : other.room === room && this.replay(other)) {
            room = other.room as string;
          } else {
            this.recovery.skipped++;
          }
          return;
        }
        const stored = parseStored(line);
        // A file holds one room, with rising seqs; any other line is as unreadable as a torn one.
        if (stored && (room === undefined || stored.message.room === room) && this.index.add(stored.message, stored.author, stored.reactors)) {
          room = stored.message.room;
          this.recovery.messages++;
        } else {
          this.recovery.skipped++;
        }
      });
      if (room === undefined) continue;
      this.recovery.rooms++;
      this.files.found(room, read.lines, read.torn);
      if (this.retention.maxPerRoom > 0 && read.lines > this.retention.maxPerRoom * 2) this.compact(room);
    }
  }

  /** A `change` or `rev` line read back: true when it applied (a change to a message this file no longer holds is skipped). */
  private replay(line: Record<string, unknown>): boolean {
    const room = line.room as string;
    if (!Number.isSafeInteger(line.rev)) return false;
    const rev = line.rev as number;
    if (line.type === 'rev') {
      this.index.raiseRev(room, rev);
      return true;
    }
    const change = parseChange(line.change);
    if (!change || !Number.isSafeInteger(line.seq) || typeof line.actor !== 'string') return false;
    const applied = this.index.prepare(room, line.seq as number, change, line.actor, rev);
    if (!applied.ok) return false;
    this.index.apply(applied);
    this.index.raiseRev(room, rev);
    return true;
  }

  /**
   * Rewrite a room's file with only the retained messages, each in its latest
   * state, after a line with the room's rev (the message with the newest rev
   * may be one retention dropped). False when it could not.
   */
  private compact(room: string): boolean {
    const { messages, authors, reactors } = this.index.retained(room);
    const rev = this.index.lastRev(room);
    try {
      this.files.rewrite(room, [...(rev > 0 ? [JSON.stringify({ type: 'rev', room, rev })] : []), ...messages.map((m, i) => toLine(m, authors[i], reactors[i]))]);
      return true;
    } catch {
      // Compaction is an optimisation (a delete retries it: see scrub); the full log still holds everything.
      return false;
    }
  }
}

/** One stored line: the message as delivered, with who wrote it (for de-duplication after a restart) and who reacted. */
function toLine(message: ChatMessage, author: string, reactors: Reactors[] = []): string {
  const { reactions: _shown, ...rest } = message;
  return JSON.stringify({ ...rest, author, ...(reactors.length > 0 && { reactors }) });
}

/** A change as a `change` line stores it, or undefined when the line is not one this version wrote. */
function parseChange(v: unknown): Change | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const c = v as Record<string, unknown>;
  if (c.kind === 'edit' && typeof c.text === 'string' && typeof c.ts === 'string') return { kind: 'edit', text: c.text, ts: c.ts };
  if (c.kind === 'delete' && typeof c.ts === 'string') return { kind: 'delete', ts: c.ts };
  if (c.kind === 'react' && typeof c.emoji === 'string' && typeof c.on === 'boolean' && typeof c.name === 'string') return { kind: 'react', emoji: c.emoji, on: c.on, name: c.name };
  return undefined;
}

/** A stored line read back, or undefined for a torn or corrupt one. Lines written before identities were keyed by sender name. */
function parseStored(line: string): { message: ChatMessage; author: string; reactors: Reactors[] } | undefined {
  const m = parseJson(line) as Record<string, unknown> | undefined;
  if (!m || m.type !== 'message' || typeof m.room !== 'string' || !Number.isSafeInteger(m.seq) || typeof m.text !== 'string' || typeof m.sender !== 'string' || typeof m.id !== 'string' || typeof m.ts !== 'string') return undefined;
  const author = typeof m.author === 'string' ? m.author : m.sender;
  const message: ChatMessage = { type: 'message', id: m.id, seq: m.seq as number, room: m.room, sender: m.sender, text: m.text, ts: m.ts };
  // Lines from before identities name their author by display name (names cannot hold ":"; ids always do): not an identity to show.
  if (isIdentityId(author)) message.author = author;
  if (typeof m.to === 'string') message.to = m.to;
  if (m.snippet !== undefined) message.snippet = m.snippet as Snippet;
  if (Number.isSafeInteger(m.replyTo)) message.replyTo = m.replyTo as number;
  if (typeof m.edited === 'string') message.edited = m.edited;
  if (m.deleted === true) message.deleted = true;
  if (Number.isSafeInteger(m.rev)) message.rev = m.rev as number;
  const reactors = parseReactors(m.reactors);
  if (reactors.length > 0) message.reactions = publicReactions(reactors);
  return { message, author, reactors };
}
