import * as vscode from 'vscode';
import type { ChatClient } from '../engine/client/chatClient';
import { DEFAULT_ROOM, type ChatMessage, type Person } from '../engine/protocol';
import type { HostToPanel, PanelConnState, RoomSettingsMsg } from '../shared/panelProtocol';
import { CommandId } from './commandIds';
import { TYPING_MS, panelState, type Conversation } from './conversation';
import { wireFileEvents } from './fileEventLines';
import type { IncomingFiles } from './incomingFiles';
import { wireRoomEventLines } from './roomEventLines';

/** What the client's events need from the session: its conversation, its panel and its helpers. */
export interface ClientEventsHost {
  readonly convo: Conversation;
  readonly log: vscode.LogOutputChannel;
  readonly incoming: IncomingFiles;
  /** Typing notices expire: the timer per room that posts the shorter list. */
  readonly typingTimers: Map<string, NodeJS.Timeout>;
  /** This client is still the session's: a replaced one's late state changes are ignored. */
  isCurrent(c: ChatClient): boolean;
  /** This user's name now. */
  name(): string | undefined;
  setState(s: PanelConnState): void;
  post(msg: HostToPanel): void;
  /** A quiet line in a room's conversation. */
  system(room: string, text: string): void;
  /** Connection state, unread count or identity changed (the status bar listens). */
  changed(): void;
  /** The full snapshot for the panel. */
  initMessage(): HostToPanel;
  roomSettings(room?: string): RoomSettingsMsg;
  /** A room's members as @-completion offers them. */
  members(room: string): { members: string[]; memberCount?: number };
  /** Warn when a name shows up with another identity key than before. */
  checkKeys(people: readonly Person[]): void;
  postUsers(): void;
  postRooms(): void;
  postTyping(room: string): void;
  switchRoom(room: string): void;
  /** True (once) when a join asked to show this room as soon as it is joined. */
  takePendingSwitch(room: string): boolean;
  onMessage(m: ChatMessage): void;
  /** True (once) when a refusal names a reaction, edit or delete this session sent. */
  ownChange(ref: string): boolean;
}

/**
 * The engine's client events as the panel, the conversation and the log see
 * them: the welcome, joins, messages, updates, presence, typing, errors and
 * reconnects, with the room-moderation and file events from their own
 * modules. Kept apart from ChatSession, which owns the connection and the
 * commands. Returns the listeners to drop with the client.
 */
export function wireClientEvents(c: ChatClient, target: { host: string; port: number }, host: ClientEventsHost): { dispose(): void }[] {
  const convo = host.convo;
  return [
    c.onState((s) => {
      if (host.isCurrent(c)) host.setState(panelState(s));
    }),
    c.onWelcome((w) => {
      convo.me = w.name;
      convo.myId = w.id ?? null;
      convo.people.reset(w.users, w.people);
      const first = w.history[0];
      convo.setBacklog(DEFAULT_ROOM, w.history, first !== undefined && first.seq > 1);
      host.log.info(`connected to ${c.address} as ${w.name}${w.id ? ` (${w.guest ? 'guest' : 'identity ' + w.id})` : ''}`);
      // Why the server gave another name than the one asked for (taken by another key, say): said where the person looks.
      if (w.notice) {
        convo.addSystem(convo.active, w.notice);
        host.log.info(`server notice: ${w.notice}`);
      }
      host.post(host.initMessage());
      host.checkKeys(w.people ?? []);
      host.postUsers();
      host.post(host.roomSettings());
      host.changed();
    }),
    c.onJoined((j) => {
      convo.setMembers(j.room, j.members);
      host.post({ type: 'members', room: j.room, ...host.members(j.room) });
      const first = j.history[0];
      if (!convo.hasRoom(j.room) || convo.items(j.room).length === 0) convo.setBacklog(j.room, j.history, first !== undefined && first.seq > 1);
      if (host.takePendingSwitch(j.room)) host.switchRoom(j.room);
      else host.postRooms();
    }),
    c.onLeft((room) => {
      convo.forget(room);
      host.switchRoom(convo.active);
    }),
    c.onMessage((m) => host.onMessage(m)),
    c.onUpdate((m) => {
      // The message itself, and the quote in each reply to it.
      for (const changed of convo.applyUpdate(m)) host.post({ type: 'update', room: changed.room, message: changed });
    }),
    c.onPresence((p) => {
      const line = convo.applyPresence(p);
      if (line) host.system(line.room, line.text);
      if (p.id !== undefined && p.event !== 'offline' && p.event !== 'leave') host.checkKeys([p.guest ? { name: p.name, id: p.id, guest: true } : { name: p.name, id: p.id }]);
      host.postUsers();
      if (p.event === 'rename') host.postRooms(); // a direct conversation's label follows its person
      // Who @-completion offers: the room someone joined or left, or (a rename) the room in view.
      const membersOf = p.room ?? (p.event === 'rename' ? convo.active : undefined);
      if (membersOf !== undefined) host.post({ type: 'members', room: membersOf, ...host.members(membersOf) });
      host.changed();
    }),
    // A large server names nobody in its arrivals: only the count changes.
    c.onPeople((f) => {
      if (f.room === undefined && f.online === undefined && f.offline === undefined) host.postUsers();
      // Its count decides whether @-completion asks the server.
      if (f.room !== undefined) host.post({ type: 'members', room: f.room, ...host.members(f.room) });
    }),
    c.onTyping((t) => {
      const room = t.to !== undefined ? convo.dmWith(t.name) : (t.room ?? DEFAULT_ROOM);
      convo.setTyping(room, t.name);
      host.postTyping(room);
      clearTimeout(host.typingTimers.get(room));
      host.typingTimers.set(
        room,
        setTimeout(() => host.postTyping(room), TYPING_MS + 50),
      );
    }),
    c.onServerError((e) => {
      if (e.ref === undefined || host.ownChange(e.ref)) host.system(convo.active, `server: ${e.message}`);
      host.log.warn(`server error ${e.code}: ${e.message}`);
    }),
    ...wireFileEvents(c, host.incoming, {
      post: (msg) => host.post(msg),
      system: (room, text) => host.system(room, text),
      known: (room) => void convo.room(room),
    }),
    c.onSendFailed((f) => host.system(convo.active, `not sent: ${f.error.message}`)),
    // Said once each way, not on every retry of the outbox.
    c.onStoreWait((waiting) => host.system(convo.active, waiting ? 'the server cannot save messages right now; yours are kept and sent again until it can' : 'the server saves messages again; everything you wrote was sent')),
    c.onRefused((err) => {
      // A reconnect met something retrying cannot fix (a changed certificate, a new password).
      host.log.warn(`reconnect refused: ${err.message}`);
      host.system(convo.active, `not reconnecting: ${err.message}`);
      void vscode.window.showErrorMessage(`Chat: ${err.message}`, 'Connect Again').then((p) => {
        if (p) void vscode.commands.executeCommand(CommandId.connect, target);
      });
    }),
    c.onDropped((why) => {
      host.system(convo.active, `${why}; reconnecting…`);
      host.log.warn(why);
    }),
    ...wireRoomEventLines(c, {
      me: () => host.name(),
      active: () => convo.active,
      system: (room, text) => host.system(room, text),
      settingsChanged: (room) => {
        if (room === convo.active) host.post(host.roomSettings(room));
      },
      kickedFrom: (room) => {
        convo.forget(room);
        host.switchRoom(convo.active);
      },
    }),
  ];
}
