import * as vscode from 'vscode';
import { SECTION } from './settings';

/** The settings that lived under VS Code Chat's `chat.*` before they moved to `tcpChat.*`. */
export const MOVED_SETTINGS = ['displayName', 'server.host', 'server.port', 'server.tls', 'server.certFile', 'server.keyFile', 'historyPageSize', 'notifications', 'maxFileSize'] as const;

const OLD_SECTION = 'chat';
/** Set once a scope was migrated, so a value that could not be removed is not moved again. */
const USER_DONE_KEY = 'tcpChat.settingsMigrated';
const WORKSPACE_DONE_KEY = 'tcpChat.workspaceSettingsMigrated';

/** One value moved from `chat.KEY` to `tcpChat.KEY`. */
export interface MovedSetting {
  key: string;
  scope: 'user' | 'workspace' | 'folder';
  /** The new key already had a value in that scope, so the old one was dropped, not copied. */
  kept?: boolean;
}

interface Scope {
  name: MovedSetting['scope'];
  target: vscode.ConfigurationTarget;
  value: (i: ReturnType<vscode.WorkspaceConfiguration['inspect']>) => unknown;
  resource?: vscode.Uri;
}

/**
 * Moves the user's and the workspace's `chat.*` values of this extension to
 * `tcpChat.*`, once. Removing the old key is allowed even though nothing
 * registers it any more (VS Code refuses only to write unknown keys).
 * Returns what moved; the caller says so once.
 */
export async function migrateSettings(globalState: vscode.Memento, workspaceState: vscode.Memento, log: vscode.LogOutputChannel): Promise<MovedSetting[]> {
  const scopes: Scope[] = [];
  if (!globalState.get<boolean>(USER_DONE_KEY)) scopes.push({ name: 'user', target: vscode.ConfigurationTarget.Global, value: (i) => i?.globalValue });
  const hasWorkspace = vscode.workspace.workspaceFolders !== undefined;
  if (hasWorkspace && !workspaceState.get<boolean>(WORKSPACE_DONE_KEY)) {
    scopes.push({ name: 'workspace', target: vscode.ConfigurationTarget.Workspace, value: (i) => i?.workspaceValue });
    // In a multi-root workspace each folder has settings of its own.
    if (vscode.workspace.workspaceFile) {
      for (const f of vscode.workspace.workspaceFolders ?? []) {
        scopes.push({ name: 'folder', target: vscode.ConfigurationTarget.WorkspaceFolder, value: (i) => i?.workspaceFolderValue, resource: f.uri });
      }
    }
  }
  const moved: MovedSetting[] = [];
  for (const scope of scopes) {
    const oldCfg = vscode.workspace.getConfiguration(OLD_SECTION, scope.resource);
    const newCfg = vscode.workspace.getConfiguration(SECTION, scope.resource);
    for (const key of MOVED_SETTINGS) {
      const old = scope.value(oldCfg.inspect(key));
      if (old === undefined) continue;
      const already = scope.value(newCfg.inspect(key)) !== undefined;
      try {
        if (!already) await newCfg.update(key, old, scope.target);
        await oldCfg.update(key, undefined, scope.target);
        moved.push({ key, scope: scope.name, ...(already && { kept: true }) });
      } catch (err) {
        log.warn(`could not move ${OLD_SECTION}.${key} (${scope.name} settings) to ${SECTION}.${key}: ${(err as Error).message}`);
      }
    }
  }
  if (scopes.some((s) => s.name === 'user')) await globalState.update(USER_DONE_KEY, true);
  if (scopes.some((s) => s.name !== 'user')) await workspaceState.update(WORKSPACE_DONE_KEY, true);
  for (const m of moved) log.info(`moved setting ${OLD_SECTION}.${m.key} to ${SECTION}.${m.key} (${m.scope} settings${m.kept ? '; the new key was already set, so it was kept' : ''})`);
  return moved;
}

/** The one sentence that tells the user their settings moved. */
export function describeMigration(moved: MovedSetting[]): string {
  const keys = [...new Set(moved.map((m) => `${SECTION}.${m.key}`))];
  const scopes = [...new Set(moved.map((m) => m.scope))].join(' and ');
  return vscode.l10n.t('TCP Chat settings moved from chat.* (where VS Code’s own Chat keeps its settings) to tcpChat.*, in your {0} settings: {1}.', scopes, keys.join(', '));
}
