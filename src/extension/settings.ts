import * as vscode from 'vscode';
import { DEFAULT_HOST, DEFAULT_PORT } from '../engine/protocol';

/** The extension's settings section: its own namespace, apart from VS Code's `chat.*`. */
export const SECTION = 'tcpChat';

/** Which messages raise a notification while the panel is hidden or unfocused. */
export type NotifyLevel = 'all' | 'mentions' | 'none';

/** The `tcpChat.*` settings, read fresh each time so changes apply at once. */
export interface ChatSettings {
  /** As typed in the settings; empty means "work one out" (see displayName.ts). */
  displayName: string;
  serverHost: string;
  serverPort: number;
  historyPageSize: number;
  notifications: NotifyLevel;
  maxFileSize: number;
  serverTls: boolean;
  serverCertFile: string;
  serverKeyFile: string;
}

export function readSettings(): ChatSettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    displayName: c.get<string>('displayName', '').trim(),
    serverHost: c.get<string>('server.host', DEFAULT_HOST) || DEFAULT_HOST,
    serverPort: c.get<number>('server.port', DEFAULT_PORT),
    historyPageSize: Math.min(500, Math.max(10, c.get<number>('historyPageSize', 50))),
    notifications: c.get<NotifyLevel>('notifications', 'mentions'),
    maxFileSize: Math.max(1, c.get<number>('maxFileSize', 10 * 1024 * 1024)),
    serverTls: c.get<boolean>('server.tls', false),
    serverCertFile: c.get<string>('server.certFile', ''),
    serverKeyFile: c.get<string>('server.keyFile', ''),
  };
}

/** Writes one `tcpChat.*` setting in user scope. */
export function writeUserSetting(key: string, value: unknown): Thenable<void> {
  return vscode.workspace.getConfiguration(SECTION).update(key, value, vscode.ConfigurationTarget.Global);
}
