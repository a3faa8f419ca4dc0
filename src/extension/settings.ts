import * as vscode from 'vscode';
import * as os from 'node:os';
import { DEFAULT_HOST, DEFAULT_PORT } from '../engine/protocol';

/** Which messages raise a notification while the panel is hidden or unfocused. */
export type NotifyLevel = 'all' | 'mentions' | 'none';

/** The `chat.*` settings, read fresh each time so changes apply at once. */
export interface ChatSettings {
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
  const c = vscode.workspace.getConfiguration('chat');
  const name = c.get<string>('displayName', '').trim();
  return {
    displayName: name || defaultName(),
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

function defaultName(): string {
  try {
    return os.userInfo().username.slice(0, 32) || 'guest';
  } catch {
    return 'guest';
  }
}
