import * as vscode from 'vscode';
import { nameProblem } from '../../engine/protocol';
import { CommandId } from '../commandIds';
import type { ConnectRequest } from '../connector';
import { readSettings, writeUserSetting } from '../settings';
import type { CommandContext, CommandTable } from './commandContext';

/** Connect, Disconnect and Set Display Name: who you are and where. */
export function connectionCommands(ctx: CommandContext): CommandTable {
  const { session, connector } = ctx;
  return {
    [CommandId.connect]: (args?: ConnectRequest) => connector.connect(args ?? {}),

    [CommandId.disconnect]: async () => {
      session.disconnect();
      // Disconnecting on purpose also means: do not reconnect when the window reloads.
      await connector.forgetLast();
    },

    [CommandId.setName]: async (arg?: string) => {
      const name =
        arg ??
        (await vscode.window.showInputBox({
          title: vscode.l10n.t('Chat: Set Display Name'),
          prompt: vscode.l10n.t('The name others see'),
          value: session.name ?? readSettings().displayName,
          validateInput: (v) => nameProblem(v) ?? null,
        }));
      if (name === undefined) return;
      const why = nameProblem(name);
      if (why) return void vscode.window.showErrorMessage(vscode.l10n.t('Chat: {0}', why));
      await writeUserSetting('displayName', name);
      if (session.connected) session.rename(name);
    },
  };
}
