import * as vscode from 'vscode';
import { assertNever } from '../shared/assertNever';
import type { HostToPanel, PanelToHost, RoomSettingsMsg } from '../shared/panelProtocol';
import type { ChatSession } from './chatSession';
import { CommandId } from './commandIds';
import { openChatLink } from './linkOpener';
import type { MessageNavigator } from './messageNavigator';

/** What a panel message reaches of the session beyond its public methods. */
export interface PanelMessageHost {
  /** @-completion asks who in a room starts with a prefix. */
  findMembers: MessageNavigator['findMembers'];
  /** The panel scrolled to the top of what it holds. */
  loadOlder: MessageNavigator['loadOlder'];
  post(msg: HostToPanel): void;
  /** The full snapshot for the panel. */
  initMessage(): HostToPanel;
  postUsers(): void;
  roomSettings(): RoomSettingsMsg;
  /** Tell the room's people (or the DM's other party) that this user types, when connected. */
  typing(room: string): void;
}

/** The session's methods a panel message calls. */
export type PanelSession = Pick<ChatSession, 'send' | 'change' | 'linkTo' | 'showMessage' | 'switchRoom' | 'search' | 'openDm' | 'snippetAction'>;

/**
 * What the panel asks of the host, one case per message (an exhaustive
 * switch over PanelToHost). Kept apart from ChatSession so the session reads
 * as the connection and its commands, and this as the panel's side.
 */
export function handlePanelMessage(msg: PanelToHost, session: PanelSession, host: PanelMessageHost): void {
  switch (msg.type) {
    case 'ready':
      host.post(host.initMessage());
      host.postUsers();
      return host.post(host.roomSettings());
    case 'send':
      if (msg.text.trim()) session.send(msg.room, msg.text, undefined, msg.replyTo);
      return;
    case 'react':
    case 'edit':
    case 'delete':
      return session.change(msg);
    case 'copyLink': {
      const link = session.linkTo(msg.room, msg.seq);
      if (link) void vscode.env.clipboard.writeText(link).then(() => vscode.window.setStatusBarMessage(vscode.l10n.t('Link to the message copied'), 2000));
      return;
    }
    case 'showMessage':
      return void session.showMessage(msg.room, msg.seq);
    case 'findMembers':
      return void host.findMembers(msg);
    case 'switchRoom':
      return session.switchRoom(msg.room);
    case 'loadOlder':
      return void host.loadOlder(msg.room, msg.before);
    case 'search':
      return void session.search(msg.query).then(
        (items) => host.post({ type: 'searchResults', query: msg.query, items }),
        (err: Error) => host.post({ type: 'searchResults', query: msg.query, items: [], error: err.message }),
      );
    case 'typing':
      return host.typing(msg.room);
    case 'openLink':
      return void openChatLink(msg.url);
    case 'copy':
      return void vscode.env.clipboard.writeText(msg.text).then(() => vscode.window.setStatusBarMessage('Copied to the clipboard', 2000));
    case 'saveFile':
      return void vscode.commands.executeCommand(CommandId.saveFile, msg.fileId);
    case 'command':
      return void vscode.commands.executeCommand(CommandId[msg.command]);
    case 'openDm':
      return session.openDm(msg.name);
    case 'openSnippet':
    case 'compareSnippet':
      return void session.snippetAction(msg.type, msg.room, msg.seq);
    case 'moderate':
      // The commands ask first (a kick's reason, a ban's confirmation).
      return void vscode.commands.executeCommand(msg.action === 'kick' ? CommandId.kickUser : CommandId.banUser, msg.name);
    default:
      return assertNever(msg);
  }
}
