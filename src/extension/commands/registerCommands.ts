import * as vscode from 'vscode';
import type { DisposableStore } from '../disposableStore';
import type { CommandContext, CommandTable } from './commandContext';
import { serverCommands } from './serverCommands';
import { connectionCommands } from './connectionCommands';
import { conversationCommands } from './conversationCommands';
import { shareCommands } from './shareCommands';
import { moderationCommands } from './moderationCommands';
import { identityCommands } from './identityCommands';

/** Every command module, in the order their commands are registered. */
const MODULES: ((ctx: CommandContext) => CommandTable)[] = [serverCommands, connectionCommands, conversationCommands, shareCommands, moderationCommands, identityCommands];

/**
 * Registers every command into `store`. A command never throws at the user:
 * a failure is logged in full and shown as one sentence.
 */
export function registerCommands(store: DisposableStore, ctx: CommandContext): void {
  for (const make of MODULES) {
    for (const [id, fn] of Object.entries(make(ctx)) as [string, (...args: never[]) => unknown][]) {
      store.add(
        vscode.commands.registerCommand(id, async (...args: never[]) => {
          try {
            await ctx.ready;
            return await fn(...args);
          } catch (err) {
            ctx.log.error(`${id} failed: ${(err as Error).stack ?? err}`);
            void vscode.window.showErrorMessage(vscode.l10n.t('Chat: {0}', (err as Error).message));
            return undefined;
          }
        }),
      );
    }
  }
}
