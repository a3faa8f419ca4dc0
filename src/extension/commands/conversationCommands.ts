import * as vscode from 'vscode';
import { roomProblem } from '../../engine/protocol';
import { CommandId } from '../commandIds';
import type { CommandContext, CommandTable } from './commandContext';

/** Open the panel, join rooms, write to someone, search: moving around the conversation. */
export function conversationCommands(ctx: CommandContext): CommandTable {
  const { session, log } = ctx;
  const connectFirst = () => void vscode.window.showWarningMessage(vscode.l10n.t('Chat: connect first (Chat: Connect).'));
  return {
    [CommandId.openChat]: async () => {
      if (!session.connected) {
        const connect = vscode.l10n.t('Connect');
        const p = await vscode.window.showInformationMessage(vscode.l10n.t('Chat is not connected.'), connect);
        if (p === connect) await vscode.commands.executeCommand(CommandId.connect);
        if (!session.connected) return;
      }
      session.openPanel().post({ type: 'focus' });
    },

    [CommandId.joinRoom]: async (arg?: string) => {
      const room =
        arg ??
        (await vscode.window.showInputBox({
          title: vscode.l10n.t('Chat: Join Room'),
          prompt: vscode.l10n.t('Room name (a-z, 0-9, - and _)'),
          placeHolder: 'design',
          validateInput: (v) => roomProblem(v.replace(/^#/, '')) ?? null,
        }));
      if (room === undefined) return;
      const clean = room.replace(/^#/, '');
      const why = roomProblem(clean);
      if (why) return void vscode.window.showErrorMessage(vscode.l10n.t('Chat: {0}', why));
      if (!session.connected) return connectFirst();
      session.join(clean);
      session.openPanel(true);
    },

    [CommandId.directMessage]: async (arg?: string) => {
      if (!session.connected) return connectFirst();
      const others = session.users.filter((u) => u !== session.name);
      let name = arg;
      if (name === undefined) {
        if (others.length === 0) return void vscode.window.showInformationMessage(vscode.l10n.t('Chat: nobody else is online right now.'));
        name = await vscode.window.showQuickPick(others, { title: vscode.l10n.t('Chat: Direct Message'), placeHolder: vscode.l10n.t('Who do you want to write to?') });
      }
      if (!name) return;
      session.openDm(name);
      session.openPanel().post({ type: 'focus' });
    },

    [CommandId.searchHistory]: async (arg?: string) => {
      if (!session.connected) return connectFirst();
      const query = arg ?? (await vscode.window.showInputBox({ title: vscode.l10n.t('Chat: Search Message History'), prompt: vscode.l10n.t('Find messages containing…') }));
      if (!query) return;
      const results = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Searching chat history…') }, () => session.search(query));
      if (results.length === 0) return void vscode.window.showInformationMessage(vscode.l10n.t('Chat: no messages contain "{0}".', query));
      const pick = await vscode.window.showQuickPick(
        results.map((m) => ({
          label: m.text.split('\n')[0].slice(0, 120),
          description: `${m.sender} · ${m.room.startsWith('@') ? vscode.l10n.t('direct') : '#' + m.room}`,
          detail: new Date(m.ts).toLocaleString(),
          m,
        })),
        { title: vscode.l10n.t('{0} messages contain "{1}"', results.length, query), matchOnDescription: true },
      );
      if (pick) {
        session.switchRoom(pick.m.room);
        session.openPanel().post({ type: 'showSearch', query });
      }
      return results.length;
    },

    [CommandId.showLog]: () => log.show(true),
  };
}
