/**
 * Messages between the extension host and the chat panel's webview
 * (postMessage). Neither side imports `vscode` here; both switch over these
 * unions exhaustively. The host owns the conversation; the webview renders it.
 */
import type { ChatMessage } from '../engine/protocol';

export type { ChatMessage, Snippet } from '../engine/protocol';
/** The longest text the server accepts; the composer stops there rather than have Enter refused. */
export { MAX_TEXT_CHARS } from '../engine/protocol';

/** A quiet line in the conversation: joins, leaves, renames, notices. */
export interface SystemLine {
  type: 'system';
  room: string;
  text: string;
  ts: string;
}

/** One entry of a room's conversation. */
export type ViewItem = ChatMessage | SystemLine;

/** A room or direct conversation in the room list. */
export interface RoomView {
  /** Room name, or the DM key `@a,b`. */
  key: string;
  /** What the list shows: `#general`, or the other person's name. */
  label: string;
  kind: 'room' | 'dm';
  unread: number;
}

/** Someone online, as the people list and its hover text show them. */
export interface PersonView {
  name: string;
  /** Their identity id (public), so a message's `author` can be matched to them. */
  id?: string;
  /** Proved no identity key: may use only names nobody has claimed (see docs/security.md). */
  guest?: true;
  /** Short fingerprint of their identity key (`3f2a 9c11 07be 4d5e`), to compare with them another way. */
  fingerprint?: string;
}

/** Connection state as the panel shows it. */
export type PanelConnState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting';

/** A file someone offered, waiting for the user to save or ignore it. */
export interface FileOfferView {
  fileId: string;
  room: string;
  sender: string;
  name: string;
  size: number;
  ts: string;
  /** 'receiving' while chunks arrive, then 'ready', 'saved' or 'failed'. */
  status: 'receiving' | 'ready' | 'saved' | 'failed';
  detail?: string;
}

// ---------------------------------------------------------------- host -> webview

/** Full snapshot; sent in answer to `ready` (first load, and after every reload). */
export interface InitMsg {
  type: 'init';
  me: string | null;
  address: string | null;
  state: PanelConnState;
  rooms: RoomView[];
  active: string;
  /** The active room's recent items, oldest first. */
  items: ViewItem[];
  /** True when the server has older messages than `items`. */
  more: boolean;
  people: PersonView[];
  /** You proved no identity key (a server that predates identities, or a guest). */
  guest: boolean;
  /** Your key's short fingerprint, for others to compare. */
  fingerprint?: string;
  typing: string[];
  files: FileOfferView[];
  /** Seq of the first message not yet seen in the active room: the "new messages" line goes above it. */
  unreadFrom?: number;
  /** Who is in the active room (for @-completion). */
  members?: string[];
  /** How many are in it, when that is more than `members` names (a large room): @-completion asks the host. */
  memberCount?: number;
}
/** New items for a room: appended live, or an older page prepended. */
export interface ItemsMsg {
  type: 'items';
  room: string;
  items: ViewItem[];
  position: 'append' | 'prepend';
  /** For prepend: whether still older history exists. */
  more?: boolean;
}
/** The active room changed (after a switch request, a join, or a DM). */
export interface RoomMsg {
  type: 'room';
  active: string;
  items: ViewItem[];
  more: boolean;
  typing: string[];
  /** Seq of the first message not yet seen in this room: the "new messages" line goes above it. */
  unreadFrom?: number;
  /** Who is in this room (for @-completion). */
  members?: string[];
  /** How many are in it, when more than `members` names. */
  memberCount?: number;
}
/** A message changed (edited, deleted, reacted to): its whole latest state, to replace by seq. */
export interface UpdateMsg {
  type: 'update';
  room: string;
  message: ChatMessage;
}
/** The members of a room changed (for @-completion). */
export interface MembersMsg {
  type: 'members';
  room: string;
  members: string[];
  /** How many are in it, when more than `members` names. */
  memberCount?: number;
}
/** Answer to findMembers: the room's members starting with `prefix`, as the server listed them. */
export interface MemberMatchesMsg {
  type: 'memberMatches';
  /** The findMembers `id` this answers; the composer ignores all but its latest. */
  id: number;
  room: string;
  prefix: string;
  names: string[];
  /** Why the server could not be asked (the composer keeps the names it knows). */
  error?: string;
}
/** Scroll to a message of the active room and mark it (a message link was opened). */
export interface JumpMsg {
  type: 'jump';
  room: string;
  seq: number;
  /** Something to say about it (it was deleted); the row itself shows the rest. */
  note?: string;
}
/** Room list with unread counts. */
export interface RoomsMsg {
  type: 'rooms';
  rooms: RoomView[];
  active: string;
}
/** Who is online, and who of them is away (name → away message). */
export interface UsersMsg {
  type: 'users';
  people: PersonView[];
  away?: Record<string, string>;
  /** How many are online, when the server names only some of them (a large room). */
  count?: number;
}
/** Who is typing in a room right now. */
export interface TypingMsg {
  type: 'typing';
  room: string;
  names: string[];
}
/** Connection state and identity. */
export interface StatusMsg {
  type: 'status';
  state: PanelConnState;
  me: string | null;
  address: string | null;
  /** You are a guest: connected without an identity key the server checked. */
  guest: boolean;
  /** Your key's short fingerprint. */
  fingerprint?: string;
}
/** Answer to a search request, newest first. */
export interface SearchResultsMsg {
  type: 'searchResults';
  query: string;
  items: ChatMessage[];
  error?: string;
}
/** A file offer appeared or changed. */
export interface FileMsg {
  type: 'file';
  file: FileOfferView;
}
/** Put the keyboard focus in the composer (after Open Chat, say). */
export interface FocusMsg {
  type: 'focus';
}
/** Open the search box with a query (Chat: Search History). */
export interface ShowSearchMsg {
  type: 'showSearch';
  query: string;
}

/** How a shared snippet compares with the receiver's own copy (after "Open in My Editor"). */
export interface SnippetStatusMsg {
  type: 'snippetStatus';
  room: string;
  seq: number;
  /** `same`: opened at those lines; `differs`: opened, but the lines differ; `missing`: no such file here. */
  status: 'same' | 'differs' | 'missing';
  /** One sentence for the panel to show. */
  detail: string;
}

/**
 * The active room's topic and what this user may do there; sent after every
 * `init` and `room`, and whenever the room's topic, modes or operators change.
 */
export interface RoomSettingsMsg {
  type: 'roomSettings';
  room: string;
  /** Empty when the room has none (and for a DM). */
  topic: string;
  /** Who set it, for the tooltip; empty with no topic. */
  topicBy: string;
  /** True when this user may set the topic (an operator, or the room is not +t); false in a DM. */
  canSetTopic: boolean;
  /** True when this user is one of the room's operators: the people list offers kick and ban. */
  operator: boolean;
}

/** Everything the host sends to the webview. */
export type HostToPanel = InitMsg | ItemsMsg | RoomMsg | RoomsMsg | UsersMsg | TypingMsg | StatusMsg | SearchResultsMsg | FileMsg | FocusMsg | ShowSearchMsg | SnippetStatusMsg | RoomSettingsMsg | UpdateMsg | MembersMsg | MemberMatchesMsg | JumpMsg;

// ---------------------------------------------------------------- webview -> host

/** The script loaded and wants a snapshot. */
export interface ReadyMsg {
  type: 'ready';
}
/** The user pressed Enter in the composer. `room` is the active room or DM key. */
export interface SendMsg {
  type: 'send';
  room: string;
  text: string;
  /** The seq (same room) this answers. */
  replyTo?: number;
}
/** Add or take back the user's reaction to a message. */
export interface ReactMsg {
  type: 'react';
  room: string;
  seq: number;
  emoji: string;
  on: boolean;
}
/** The user edited their message. */
export interface EditMsg {
  type: 'edit';
  room: string;
  seq: number;
  text: string;
}
/** The user deleted a message (their own; the server decides). */
export interface DeleteMsg {
  type: 'delete';
  room: string;
  seq: number;
}
/** "Copy Link to Message": the host puts a link that opens the panel at it on the clipboard. */
export interface CopyLinkMsg {
  type: 'copyLink';
  room: string;
  seq: number;
}
/** A reply's quote was clicked, and the original is not loaded: the host loads it, then answers with `jump`. */
export interface ShowMessageMsg {
  type: 'showMessage';
  room: string;
  seq: number;
}
/** The composer's @-word in a large room: ask the server for members starting with `prefix` (answered by memberMatches). */
export interface FindMembersMsg {
  type: 'findMembers';
  id: number;
  room: string;
  prefix: string;
}
/** The user picked a room in the list. */
export interface SwitchRoomMsg {
  type: 'switchRoom';
  room: string;
}
/** Scrolled to the top: fetch the page before `before`. */
export interface LoadOlderMsg {
  type: 'loadOlder';
  room: string;
  before: number;
}
/** Search box submitted. */
export interface SearchMsg {
  type: 'search';
  query: string;
}
/** The user is typing in `room`. */
export interface TypingIntentMsg {
  type: 'typing';
  room: string;
}
/** A link was clicked; the host checks it is http(s) and asks before opening. */
export interface OpenLinkMsg {
  type: 'openLink';
  url: string;
}
/** Copy text (a code snippet) to the clipboard. */
export interface CopyMsg {
  type: 'copy';
  text: string;
}
/** Save a received file: the host shows a save dialog. */
export interface SaveFileMsg {
  type: 'saveFile';
  fileId: string;
}
/** Run one of the extension's commands (Connect, Join Room, Direct Message, ...) from a panel button. */
export interface CommandMsg {
  type: 'command';
  command: 'connect' | 'joinRoom' | 'directMessage' | 'sendFile' | 'setName' | 'copyInviteLink' | 'setTopic';
}
/** An operator's Kick or Ban on someone in the people list, for the active room; the host asks before doing it. */
export interface ModerateMsg {
  type: 'moderate';
  action: 'kick' | 'ban';
  name: string;
}
/** Start a direct conversation with someone from the people list. */
export interface OpenDmMsg {
  type: 'openDm';
  name: string;
}

/** "Open in My Editor" on a shared snippet: the message is found by room and seq. */
export interface OpenSnippetMsg {
  type: 'openSnippet';
  room: string;
  seq: number;
}
/** "Compare" on a snippet whose file differs here: a diff editor, snippet against the receiver's lines. */
export interface CompareSnippetMsg {
  type: 'compareSnippet';
  room: string;
  seq: number;
}

/** Everything the webview sends to the host. */
export type PanelToHost = ReadyMsg | SendMsg | SwitchRoomMsg | LoadOlderMsg | SearchMsg | TypingIntentMsg | OpenLinkMsg | CopyMsg | SaveFileMsg | CommandMsg | OpenDmMsg | OpenSnippetMsg | CompareSnippetMsg | ReactMsg | EditMsg | DeleteMsg | CopyLinkMsg | ModerateMsg | ShowMessageMsg | FindMembersMsg;

const PANEL_TYPES = new Set(['ready', 'send', 'switchRoom', 'loadOlder', 'search', 'typing', 'openLink', 'copy', 'saveFile', 'command', 'openDm', 'openSnippet', 'compareSnippet', 'moderate', 'react', 'edit', 'delete', 'copyLink', 'showMessage', 'findMembers']);
const COMMANDS = new Set(['connect', 'joinRoom', 'directMessage', 'sendFile', 'setName', 'copyInviteLink', 'setTopic']);

function isSeq(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) > 0;
}

/** Input from the webview is unknown until this accepts it. */
export function parsePanelMessage(v: unknown): PanelToHost | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.type !== 'string' || !PANEL_TYPES.has(o.type)) return undefined;
  const str = (k: string) => typeof o[k] === 'string';
  switch (o.type) {
    case 'ready':
      return { type: 'ready' };
    case 'send':
      if (!str('room') || !str('text')) return undefined;
      if (o.replyTo !== undefined && !isSeq(o.replyTo)) return undefined;
      return { type: 'send', room: o.room as string, text: o.text as string, ...(o.replyTo !== undefined && { replyTo: o.replyTo as number }) };
    case 'react':
      return str('room') && isSeq(o.seq) && str('emoji') && typeof o.on === 'boolean' ? { type: 'react', room: o.room as string, seq: o.seq as number, emoji: o.emoji as string, on: o.on } : undefined;
    case 'edit':
      return str('room') && isSeq(o.seq) && str('text') ? { type: 'edit', room: o.room as string, seq: o.seq as number, text: o.text as string } : undefined;
    case 'delete':
    case 'copyLink':
    case 'showMessage':
      return str('room') && isSeq(o.seq) ? { type: o.type, room: o.room as string, seq: o.seq as number } : undefined;
    case 'findMembers':
      // A prefix is a name's start: names are at most 32 characters.
      return str('room') && str('prefix') && (o.prefix as string).length <= 64 && Number.isSafeInteger(o.id) ? { type: 'findMembers', id: o.id as number, room: o.room as string, prefix: o.prefix as string } : undefined;
    case 'switchRoom':
      return str('room') ? { type: 'switchRoom', room: o.room as string } : undefined;
    case 'loadOlder':
      return str('room') && Number.isSafeInteger(o.before) ? { type: 'loadOlder', room: o.room as string, before: o.before as number } : undefined;
    case 'search':
      return str('query') ? { type: 'search', query: o.query as string } : undefined;
    case 'typing':
      return str('room') ? { type: 'typing', room: o.room as string } : undefined;
    case 'openLink':
      return str('url') ? { type: 'openLink', url: o.url as string } : undefined;
    case 'copy':
      return str('text') ? { type: 'copy', text: o.text as string } : undefined;
    case 'saveFile':
      return str('fileId') ? { type: 'saveFile', fileId: o.fileId as string } : undefined;
    case 'command':
      return str('command') && COMMANDS.has(o.command as string) ? { type: 'command', command: o.command as CommandMsg['command'] } : undefined;
    case 'openDm':
      return str('name') ? { type: 'openDm', name: o.name as string } : undefined;
    case 'openSnippet':
    case 'compareSnippet':
      return str('room') && Number.isSafeInteger(o.seq) ? { type: o.type, room: o.room as string, seq: o.seq as number } : undefined;
    case 'moderate':
      return (o.action === 'kick' || o.action === 'ban') && str('name') ? { type: 'moderate', action: o.action, name: o.name as string } : undefined;
  }
  return undefined;
}
