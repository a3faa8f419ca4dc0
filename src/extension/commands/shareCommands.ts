import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Snippet } from '../../engine/protocol';
import { CommandId } from '../commandIds';
import { gitOrigin } from '../gitInfo';
import { formatBytes } from '../incomingFiles';
import { readSettings } from '../settings';
import type { CommandContext, CommandTable } from './commandContext';

/** The largest snippet that fits a default 64 KiB line with room for JSON escaping. */
const MAX_SNIPPET_CHARS = 24_000;

/** Share Selection, Send File, Save Received File, and the snippet actions: code and files in and out. */
export function shareCommands(ctx: CommandContext): CommandTable {
  const { session } = ctx;
  const connectFirst = () => void vscode.window.showWarningMessage(vscode.l10n.t('Chat: connect first (Chat: Connect).'));
  return {
    [CommandId.shareSelection]: async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) return void vscode.window.showInformationMessage(vscode.l10n.t('Chat: open a file and select some code to share.'));
      if (!session.connected) return connectFirst();
      const doc = editor.document;
      const sel = editor.selection;
      // Nothing selected: the line the cursor is on, when it has something to share.
      const line = doc.lineAt(sel.active.line);
      if (sel.isEmpty && line.isEmptyOrWhitespace) return void vscode.window.showInformationMessage(vscode.l10n.t('Chat: nothing is selected, and the cursor is on an empty line. Select the code to share.'));
      const range = sel.isEmpty ? line.range : sel;
      const code = doc.getText(range);
      if (code.length > MAX_SNIPPET_CHARS) {
        return void vscode.window.showErrorMessage(vscode.l10n.t('Chat: the selection has {0} characters; share at most {1}, or send the file with Chat: Send File.', code.length, MAX_SNIPPET_CHARS));
      }
      const file = doc.isUntitled ? doc.uri.path : vscode.workspace.asRelativePath(doc.uri, false);
      // The receiver can tell whether their checkout matches: the remote and commit go along when there are any.
      const origin = doc.uri.scheme === 'file' ? await gitOrigin(path.dirname(doc.uri.fsPath)) : {};
      const snippet: Snippet = { lang: doc.languageId, file, startLine: range.start.line + 1, endLine: range.end.line + 1, code, ...origin };
      const lines = snippet.startLine === snippet.endLine ? vscode.l10n.t('line {0}', snippet.startLine) : vscode.l10n.t('lines {0}–{1}', snippet.startLine, snippet.endLine);
      session.sendToActive(vscode.l10n.t('shared {0}, {1}', file, lines), snippet);
      session.openPanel(true);
      return snippet;
    },

    [CommandId.sendFile]: async (arg?: vscode.Uri) => {
      if (!session.connected) return connectFirst();
      const uri = arg ?? (await vscode.window.showOpenDialog({ title: vscode.l10n.t('Chat: Send File'), canSelectMany: false, openLabel: vscode.l10n.t('Send') }))?.[0];
      if (!uri) return;
      const cap = readSettings().maxFileSize;
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.size > cap) {
        return void vscode.window.showErrorMessage(vscode.l10n.t('Chat: {0} is {1}; the limit is {2} (setting tcpChat.maxFileSize).', path.basename(uri.fsPath), formatBytes(stat.size), formatBytes(cap)));
      }
      const data = Buffer.from(await vscode.workspace.fs.readFile(uri));
      const name = path.basename(uri.path);
      const room = session.convo.active;
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Sending {0}', name), cancellable: false }, async (progress) => {
        let last = 0;
        await session.sendFile(room, name, data, (sent) => {
          const pct = data.length ? (sent / data.length) * 100 : 100;
          progress.report({ increment: pct - last, message: vscode.l10n.t('{0} of {1}', formatBytes(sent), formatBytes(data.length)) });
          last = pct;
        });
      });
      return true;
    },

    [CommandId.saveFile]: async (fileId?: string, target?: vscode.Uri) => {
      if (!fileId) return;
      const f = session.incoming.data(fileId);
      if (!f) return void vscode.window.showWarningMessage(vscode.l10n.t('Chat: that file is not available (it failed its checks, or the window reloaded since).'));
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const uri =
        target ??
        (await vscode.window.showSaveDialog({
          title: vscode.l10n.t('Save {0} from {1}', f.view.name, f.view.sender),
          defaultUri: folder ? vscode.Uri.joinPath(folder, f.view.name) : undefined,
          saveLabel: vscode.l10n.t('Save'),
        }));
      if (!uri) return;
      await vscode.workspace.fs.writeFile(uri, f.data);
      const view = session.incoming.markSaved(fileId, uri.fsPath);
      if (view) session.onFileChanged(view);
      void vscode.window.setStatusBarMessage(vscode.l10n.t('Saved {0}', f.view.name), 3000);
      return uri.fsPath;
    },

    // The panel's snippet buttons; commands too, so they can be driven without the webview.
    [CommandId.openSnippet]: (args?: { room?: string; seq?: number }) => (args?.room !== undefined && args.seq !== undefined ? session.snippetAction('openSnippet', args.room, args.seq) : undefined),
    [CommandId.compareSnippet]: (args?: { room?: string; seq?: number }) =>
      args?.room !== undefined && args.seq !== undefined ? session.snippetAction('compareSnippet', args.room, args.seq) : undefined,
  };
}
