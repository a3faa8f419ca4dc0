import { DEFAULT_ROOM, dmKey, dmParticipants, dmPeer, isDmKey, type ChatMessage, type PresenceFrame, type ReplyQuote } from '../engine/protocol';
import type { ClientState } from '../engine/client/clientOptions';
import { fingerprintOf, isGuestId, isIdentityId } from '../engine/identity';
import type { FileOfferView, InitMsg, PanelConnState, RoomView, SystemLine, ViewItem } from '../shared/panelProtocol';
import { PeopleBook } from './peopleBook';
import { quoteOf } from '../engine/stores/messageChanges';

/** The conversation as stored between window reloads. */
export interface SavedConversation {
  address: string | null;
  me: string | null;
  /** Your identity id on that server (absent from versions before identities). */
  myId?: string | null;
  /** Identity id → the name last seen for it, so direct conversations keep their labels. */
  names?: Record<string, string>;
  active: string;
  rooms: { key: string; items: ViewItem[]; more: boolean }[];
}

interface RoomState {
  view: RoomView;
  items: ViewItem[];
  /** The server has messages older than the oldest we hold. */
  more: boolean;
}

/** Items kept per room in the extension host; older ones are fetched again on scroll. */
const MAX_ITEMS = 5000;
/** A typing notice counts for this long. */
export const TYPING_MS = 4000;

/**
 * The conversation the panel shows: rooms, their messages, unread counts,
 * people and typing. It knows nothing of `vscode` or sockets, so the panel's
 * message handling can be unit tested; the session feeds it and reads it.
 */
export class Conversation {
  me: string | null = null;
  /**
   * Your identity id as the server knows it (`ed25519:…`, or `guest:…`); null
   * before a welcome, and from servers that predate identities, whose DM keys
   * hold names instead (the code below takes either).
   */
  myId: string | null = null;
  address: string | null = null;
  state: PanelConnState = 'disconnected';
  active = DEFAULT_ROOM;
  /** Who is online, and the name of every identity seen. */
  people = new PeopleBook();
  private readonly rooms = new Map<string, RoomState>();
  private readonly typing = new Map<string, Map<string, number>>();
  /** Who is in each room (joined replies, then joins, leaves and renames), for @-completion. */
  private readonly members = new Map<string, Set<string>>();
  /** The first message of each room that arrived unseen, until the room is looked at. */
  private readonly firstUnread = new Map<string, number>();

  constructor() {
    this.room(DEFAULT_ROOM);
  }

  /** What survives a window reload: the last items of each room, without unread counts or people. */
  snapshot(perRoom = 200): SavedConversation {
    return {
      address: this.address,
      me: this.me,
      myId: this.myId,
      names: this.people.snapshot(),
      active: this.active,
      rooms: [...this.rooms.values()].slice(0, 50).map((r) => ({ key: r.view.key, items: r.items.slice(-perRoom), more: r.more || r.items.length > perRoom })),
    };
  }

  /** Load a snapshot saved before a reload; the server's welcome later refreshes it. */
  restore(saved: SavedConversation): void {
    this.reset();
    this.address = saved.address;
    this.me = saved.me;
    this.myId = typeof saved.myId === 'string' ? saved.myId : null;
    this.people.restore(saved.names);
    for (const r of saved.rooms) {
      const room = this.room(r.key);
      room.items = r.items;
      room.more = r.more;
    }
    if (this.rooms.has(saved.active)) this.active = saved.active;
  }

  /** Forget everything: a new connection starts in its server's `general`, with nothing unread. */
  reset(): void {
    this.me = null;
    this.myId = null;
    this.address = null;
    this.active = DEFAULT_ROOM;
    this.people = new PeopleBook();
    this.rooms.clear();
    this.typing.clear();
    this.members.clear();
    this.firstUnread.clear();
    this.room(DEFAULT_ROOM);
  }

  /** The full snapshot the panel gets in answer to `ready`. */
  initMessage(files: FileOfferView[]): InitMsg {
    const room = this.active;
    return {
      type: 'init',
      me: this.me,
      address: this.address,
      state: this.state,
      rooms: this.roomViews(),
      active: room,
      items: this.items(room),
      more: this.hasMore(room),
      people: this.people.views(),
      guest: this.guest,
      ...(this.fingerprint && { fingerprint: this.fingerprint }),
      typing: this.typingIn(room),
      files,
      members: this.membersOf(room),
      ...(this.firstUnread.has(room) && { unreadFrom: this.firstUnread.get(room) }),
    };
  }

  /** Who is in a room, as far as this window knows (a DM: its two people). */
  membersOf(room: string): string[] {
    if (isDmKey(room)) return [...new Set([this.me ?? '', this.peerOf(room) ?? ''])].filter((n) => n !== '');
    const known = this.members.get(room);
    // Everyone starts in general and the welcome lists everyone, not general's members.
    if (!known && room === DEFAULT_ROOM) return [...this.users];
    return [...(known ?? [])];
  }

  /** A joined reply: the room's members now. */
  setMembers(room: string, names: readonly string[]): void {
    this.members.set(room, new Set(names));
  }

  /**
   * A message changed (edit, delete, reaction): replace the copy held by seq,
   * and the quote in every held reply to it, which the server filled in when
   * the reply was sent. Returns the messages whose rows must be redrawn:
   * none when this window holds neither the message nor a reply to it.
   */
  applyUpdate(m: ChatMessage): ChatMessage[] {
    const items = this.rooms.get(m.room)?.items;
    if (!items) return [];
    const changed: ChatMessage[] = [];
    const i = items.findIndex((x) => x.type === 'message' && x.seq === m.seq);
    const held = i < 0 ? undefined : (items[i] as ChatMessage);
    // Never an older state over a newer one.
    if (held && (held.rev ?? 0) > (m.rev ?? 0)) return [];
    if (held) {
      items[i] = m;
      changed.push(m);
    }
    const quote = quoteOf(m.seq, m);
    for (let j = 0; j < items.length; j++) {
      const r = items[j];
      if (r.type !== 'message' || r.replyTo !== m.seq || sameQuote(r.reply, quote)) continue;
      items[j] = { ...r, reply: quote };
      changed.push(items[j] as ChatMessage);
    }
    return changed;
  }

  /** Someone came, went, renamed, joined or left: update the people, and return the quiet line to show, if any. */
  applyPresence(p: PresenceFrame): { room: string; text: string } | undefined {
    this.people.apply(p);
    switch (p.event) {
      case 'online':
      case 'offline':
        return undefined;
      case 'rename':
        if (!p.from) return undefined;
        if (this.me === p.from) this.me = p.name;
        for (const set of this.members.values()) {
          if (set.delete(p.from)) set.add(p.name);
        }
        return { room: DEFAULT_ROOM, text: `${p.from} is now ${p.name}` };
      case 'join':
      case 'leave':
        if (!p.room) return undefined;
        if (p.event === 'join') (this.members.get(p.room) ?? this.members.set(p.room, new Set()).get(p.room)!).add(p.name);
        else this.members.get(p.room)?.delete(p.name);
        return { room: p.room, text: `${p.name} ${p.event === 'join' ? 'joined' : 'left'}` };
    }
    return undefined;
  }

  /** Names of everyone online. */
  get users(): string[] {
    return this.people.users;
  }

  /** True when connected without a proven key (a guest, or a server that predates identities). */
  get guest(): boolean {
    return this.myId === null || isGuestId(this.myId);
  }

  /** Your key's short fingerprint, when you proved one. */
  get fingerprint(): string | undefined {
    return this.myId !== null && !this.guest ? fingerprintOf(this.myId) : undefined;
  }

  /** A message is yours: by identity when the server says who wrote it, else by name. */
  isMine(m: ChatMessage): boolean {
    return m.author !== undefined && this.myId !== null ? m.author === this.myId : m.sender === this.me;
  }

  /** The room list as the panel shows it: rooms first, then direct conversations. */
  roomViews(): RoomView[] {
    const all = [...this.rooms.values()].map((r) => ({ ...r.view, label: this.label(r.view.key) }));
    return all.sort((a, b) => (a.kind === b.kind ? a.label.localeCompare(b.label) : a.kind === 'room' ? -1 : 1));
  }

  items(room: string): ViewItem[] {
    return this.rooms.get(room)?.items ?? [];
  }

  hasMore(room: string): boolean {
    return this.rooms.get(room)?.more ?? false;
  }

  hasRoom(room: string): boolean {
    return this.rooms.has(room);
  }

  /** Total unread over every room. */
  get unread(): number {
    let n = 0;
    for (const r of this.rooms.values()) n += r.view.unread;
    return n;
  }

  /** Register a room (or DM key) so it shows in the list. */
  room(key: string): RoomState {
    let r = this.rooms.get(key);
    if (!r) {
      r = { view: { key, label: this.label(key), kind: isDmKey(key) ? 'dm' : 'room', unread: 0 }, items: [], more: false };
      this.rooms.set(key, r);
    }
    return r;
  }

  forget(key: string): void {
    if (key === DEFAULT_ROOM) return;
    this.rooms.delete(key);
    if (this.active === key) this.active = DEFAULT_ROOM;
  }

  /** Replace a room's backlog (welcome or join); `more` says whether older history exists. */
  setBacklog(room: string, messages: ChatMessage[], more: boolean): void {
    const r = this.room(room);
    const live = r.items.filter((i) => i.type === 'message' && messages.length > 0 && i.seq > messages[messages.length - 1].seq);
    r.items = [...messages, ...live];
    r.more = more;
    for (const m of messages) this.people.learn(m);
  }

  /**
   * Add a live message. Returns true when it counts as unread (the room is
   * not the one being looked at, or the panel is not visible).
   */
  addMessage(m: ChatMessage, panelVisible: boolean): boolean {
    this.people.learn(m);
    const r = this.room(m.room);
    r.items.push(m);
    if (r.items.length > MAX_ITEMS) {
      r.items.splice(0, r.items.length - MAX_ITEMS);
      r.more = true;
    }
    this.stopTyping(m.room, m.sender);
    const unseen = !this.isMine(m) && (!panelVisible || this.active !== m.room);
    if (unseen) {
      r.view.unread++;
      if (!this.firstUnread.has(m.room)) this.firstUnread.set(m.room, m.seq);
    }
    return unseen;
  }

  /** Prepend an older page; returns the items actually added. */
  addOlder(room: string, messages: ChatMessage[], more: boolean): ChatMessage[] {
    const r = this.room(room);
    const first = r.items.find((i): i is ChatMessage => i.type === 'message');
    const older = first ? messages.filter((m) => m.seq < first.seq) : messages;
    for (const m of older) this.people.learn(m);
    r.items = [...older, ...r.items];
    r.more = more;
    return older;
  }

  addSystem(room: string, text: string, ts = new Date().toISOString()): SystemLine {
    const line: SystemLine = { type: 'system', room, text, ts };
    const r = this.room(room);
    r.items.push(line);
    if (r.items.length > MAX_ITEMS) r.items.splice(0, r.items.length - MAX_ITEMS);
    return line;
  }

  /** Make a room the active one and clear its unread count; returns where the unread messages start, if any. */
  switchTo(room: string): number | undefined {
    this.room(room).view.unread = 0;
    this.active = room;
    const from = this.firstUnread.get(room);
    this.firstUnread.delete(room);
    return from;
  }

  /** The room is being looked at: nothing in it is unread; returns where the unread messages started, if any. */
  markRead(room: string): number | undefined {
    const r = this.rooms.get(room);
    if (r) r.view.unread = 0;
    const from = this.firstUnread.get(room);
    this.firstUnread.delete(room);
    return from;
  }

  setTyping(room: string, name: string, now = Date.now()): void {
    let m = this.typing.get(room);
    if (!m) {
      m = new Map();
      this.typing.set(room, m);
    }
    m.set(name, now + TYPING_MS);
  }

  stopTyping(room: string, name: string): void {
    this.typing.get(room)?.delete(name);
  }

  typingIn(room: string, now = Date.now()): string[] {
    const m = this.typing.get(room);
    if (!m) return [];
    for (const [n, until] of m) if (until <= now) m.delete(n);
    return [...m.keys()];
  }

  /**
   * The DM key of the conversation with whoever is online as `name` now (the
   * engine's one helper): the two identities when the server says who they
   * are, so it stays the same conversation when either renames.
   */
  dmWith(name: string): string {
    const id = name === this.me ? this.myId : this.people.find(name)?.id;
    if (this.myId !== null && id !== undefined && id !== null) return dmKey(this.myId, id);
    return dmKey(this.me ?? '', name);
  }

  /**
   * The other participant of a DM key, as the key holds them: an identity id,
   * or a name on servers that predate identities (yourself, in a DM with
   * yourself); undefined for a room.
   */
  peerOf(key: string): string | undefined {
    // dmPeer knows only keys that hold me; before the welcome names me, a label still needs someone.
    return (this.myId !== null ? dmPeer(key, this.myId) : undefined) ?? dmPeer(key, this.me ?? '') ?? dmParticipants(key)?.[0];
  }

  /** The name of the other person of a DM key as last seen (they may have renamed since the conversation began). */
  peerName(key: string): string | undefined {
    const peer = this.peerOf(key);
    if (peer === undefined || !isIdentityId(peer)) return peer;
    return peer === this.myId ? (this.me ?? undefined) : this.people.nameOf(peer);
  }

  /**
   * Whom to address a direct message to: the name the other identity uses
   * online now. Undefined with the reason when that cannot be sent safely:
   * they are not online, or their last name is held by another identity now.
   */
  dmTarget(key: string): { to: string } | { problem: string } {
    const peer = this.peerOf(key);
    if (peer === undefined) return { problem: `${key} is not a conversation with anyone` };
    if (!isIdentityId(peer)) return { to: peer };
    if (peer === this.myId && this.me) return { to: this.me };
    const online = this.people.byId(peer);
    if (online) return { to: online.name };
    const last = this.people.nameOf(peer) ?? fingerprintOf(peer);
    const holder = this.people.find(last);
    if (holder?.id !== undefined) return { problem: `not sent: ${last} is someone else now (another identity key); the person you wrote to is not online` };
    return { problem: `not sent: ${last} is not online` };
  }

  /** A message held for a room, by its seq. */
  message(room: string, seq: number): ChatMessage | undefined {
    return this.rooms.get(room)?.items.find((i): i is ChatMessage => i.type === 'message' && i.seq === seq);
  }

  private label(key: string): string {
    if (!isDmKey(key)) return '#' + key;
    const peer = this.peerOf(key);
    // An identity nobody has named yet (a conversation restored from before a reload): its key's fingerprint.
    return this.peerName(key) ?? (peer !== undefined ? `key ${fingerprintOf(peer).slice(0, 9)}` : key);
  }
}

function sameQuote(a: ReplyQuote | undefined, b: ReplyQuote): boolean {
  return a !== undefined && a.sender === b.sender && a.excerpt === b.excerpt && a.deleted === b.deleted;
}

/** The engine's connection state as the panel shows it. */
export function panelState(s: ClientState): PanelConnState {
  switch (s) {
    case 'connecting':
      return 'connecting';
    case 'connected':
      return 'connected';
    case 'reconnecting':
      return 'reconnecting';
    default:
      return 'disconnected';
  }
}
