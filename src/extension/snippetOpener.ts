import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Snippet } from '../engine/protocol';
import { gitOrigin } from './gitInfo';

/** The scheme of the read-only documents a comparison shows. */
export const SNIPPET_SCHEME = 'tcp-chat-snippet';
/** Comparisons kept open at once; older documents are forgotten. */
const MAX_DOCS = 40;

/** What "Open in My Editor" found. */
export interface SnippetOutcome {
  status: 'same' | 'differs' | 'missing';
  detail: string;
}

/**
 * Opens a snippet someone shared in the receiver's own copy of the file,
 * and compares the two in a diff editor. The path in a snippet comes from
 * someone else: it is only ever looked up inside this workspace's folders.
 */
export class SnippetOpener implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly docs = new Map<string, string>();
  private next = 0;
  private readonly registration: vscode.Disposable;

  constructor(private readonly avoidColumn: () => vscode.ViewColumn | undefined) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(SNIPPET_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.docs.get(uri.path.split('/')[1] ?? '') ?? '';
  }

  /** Opens the file at the snippet's lines when this workspace has it, and says whether the lines match. */
  async open(s: Snippet): Promise<SnippetOutcome> {
    const uri = await this.locate(s.file);
    if (!uri) return { status: 'missing', detail: vscode.l10n.t('{0} is not in your workspace.', s.file) };
    const doc = await vscode.workspace.openTextDocument(uri);
    const range = linesRange(doc, s.startLine, s.endLine);
    await vscode.window.showTextDocument(doc, { viewColumn: this.column(), selection: range, preview: true });
    const mine = doc.getText(range);
    if (sameCode(mine, s.code)) return { status: 'same', detail: vscode.l10n.t('Opened {0} at {1}: your copy matches.', s.file, linesLabel(s)) };
    let detail = vscode.l10n.t('Your copy of {0} differs at {1}.', s.file, linesLabel(s));
    const here = await gitOrigin(path.dirname(uri.fsPath));
    if (s.commit && here.commit && s.commit !== here.commit) detail += ' ' + vscode.l10n.t('The snippet is from commit {0}; you have {1} checked out.', s.commit.slice(0, 12), here.commit.slice(0, 12));
    return { status: 'differs', detail };
  }

  /** A diff editor: the snippet as shared on the left, the receiver's same lines on the right. */
  async compare(s: Snippet, from: string): Promise<void> {
    const uri = await this.locate(s.file);
    if (!uri) throw new Error(vscode.l10n.t('{0} is not in your workspace, so there is nothing to compare with.', s.file));
    const doc = await vscode.workspace.openTextDocument(uri);
    const mine = doc.getText(linesRange(doc, s.startLine, s.endLine));
    const name = path.posix.basename(s.file.replace(/\\/g, '/')) || 'snippet';
    const left = this.remember(s.code, name);
    const right = this.remember(mine, name);
    const title = vscode.l10n.t('{0} ({1}): from {2} ↔ yours', name, linesLabel(s), from);
    await vscode.commands.executeCommand('vscode.diff', left, right, title, { viewColumn: this.column(), preview: true });
  }

  /** The file in one of the workspace folders; never a path that leaves them. */
  private async locate(file: string): Promise<vscode.Uri | undefined> {
    const rel = file.replace(/\\/g, '/');
    if (!rel || rel.startsWith('/') || /^[a-z]:/i.test(rel) || rel.split('/').includes('..')) return undefined;
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const uri = vscode.Uri.joinPath(folder.uri, rel);
      try {
        const st = await vscode.workspace.fs.stat(uri);
        if (st.type & vscode.FileType.File) return uri;
      } catch {
        // not in this folder
      }
    }
    return undefined;
  }

  private remember(text: string, name: string): vscode.Uri {
    const id = String(this.next++);
    this.docs.set(id, text);
    if (this.docs.size > MAX_DOCS) this.docs.delete(this.docs.keys().next().value!);
    return vscode.Uri.from({ scheme: SNIPPET_SCHEME, path: `/${id}/${name}` });
  }

  /** A column for the code that is not the chat's, so the chat stays in view. */
  private column(): vscode.ViewColumn {
    const chat = this.avoidColumn();
    const editor = vscode.window.visibleTextEditors.find((e) => e.viewColumn !== undefined && e.viewColumn !== chat)?.viewColumn;
    if (editor) return editor;
    return chat === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
  }

  dispose(): void {
    this.registration.dispose();
    this.docs.clear();
  }
}

function linesRange(doc: vscode.TextDocument, startLine: number, endLine: number): vscode.Range {
  const last = doc.lineCount - 1;
  const a = Math.min(Math.max(0, startLine - 1), last);
  const b = Math.min(Math.max(a, endLine - 1), last);
  return new vscode.Range(a, 0, b, doc.lineAt(b).range.end.character);
}

function sameCode(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\r\n/g, '\n').replace(/[ \t]+$/gm, '');
  return norm(a) === norm(b);
}

function linesLabel(s: Snippet): string {
  return s.startLine === s.endLine ? vscode.l10n.t('line {0}', s.startLine) : vscode.l10n.t('lines {0}–{1}', s.startLine, s.endLine);
}
