import * as vscode from 'vscode';
import { ChatPanel } from './chatPanel';
import { parsePanelMessage, type HostToPanel, type PanelToHost } from '../shared/panelProtocol';

/** Posts to the panel remembered for the integration tests (the newest). */
const RECENT_POSTS = 200;

/**
 * Owns the chat panel (one at most) and places it: beside the code, never
 * over it. The session gets this injected and listens to its events; posts
 * made while no panel is open go nowhere (the next panel asks for `init`).
 */
export class PanelHost implements vscode.Disposable {
  private current?: ChatPanel;
  private readonly messages = new vscode.EventEmitter<PanelToHost>();
  private readonly visibility = new vscode.EventEmitter<boolean>();
  /** A checked message from the webview. */
  readonly onDidReceiveMessage = this.messages.event;
  /** The panel became visible or hidden, or closed (false). */
  readonly onDidChangeVisibility = this.visibility.event;

  /** The newest posts to the panel, oldest first (the integration tests read them). */
  readonly recent: HostToPanel[] = [];

  constructor(private readonly extensionUri: vscode.Uri) {}

  /**
   * A message as the webview posts it, checked the same way (the integration
   * tests speak for the panel through this). False when it is not one.
   */
  receive(raw: unknown): boolean {
    const msg = parsePanelMessage(raw);
    if (!msg) return false;
    this.messages.fire(msg);
    return true;
  }

  /** The open panel, if any. */
  get panel(): ChatPanel | undefined {
    return this.current;
  }

  get visible(): boolean {
    return this.current?.visible ?? false;
  }

  /**
   * Show the panel, creating it if needed. It goes beside the active editor
   * whenever it would otherwise share that editor's group (and so hide the
   * code); `preserveFocus` leaves the keyboard where the user is typing.
   */
  show(preserveFocus = false): ChatPanel {
    const editor = vscode.window.activeTextEditor;
    const cur = this.current;
    if (cur) {
      const sameGroup = editor !== undefined && editor.viewColumn !== undefined && cur.panel.viewColumn === editor.viewColumn;
      if (sameGroup) cur.panel.reveal(vscode.ViewColumn.Beside, preserveFocus);
      else cur.panel.reveal(cur.panel.viewColumn, preserveFocus);
      return cur;
    }
    const column = editor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    const panel = vscode.window.createWebviewPanel(ChatPanel.viewType, vscode.l10n.t('Chat'), { viewColumn: column, preserveFocus }, ChatPanel.options(this.extensionUri));
    return this.attach(panel);
  }

  /** Re-attach to a panel VS Code restored after a reload. */
  revive(panel: vscode.WebviewPanel): ChatPanel {
    panel.webview.options = ChatPanel.options(this.extensionUri);
    this.current?.dispose();
    return this.attach(panel);
  }

  /** Post to the panel if one is open. */
  post(msg: HostToPanel): void {
    this.recent.push(msg);
    if (this.recent.length > RECENT_POSTS) this.recent.splice(0, this.recent.length - RECENT_POSTS);
    this.current?.post(msg);
  }

  setTitle(unread: number): void {
    this.current?.setTitle(unread);
  }

  private attach(panel: vscode.WebviewPanel): ChatPanel {
    const p = new ChatPanel(panel, this.extensionUri, {
      message: (m) => this.messages.fire(m),
      visibility: (v) => this.visibility.fire(v),
    });
    this.current = p;
    p.onDidClose(() => {
      if (this.current === p) this.current = undefined;
      this.visibility.fire(false);
    });
    return p;
  }

  dispose(): void {
    this.current?.dispose();
    this.messages.dispose();
    this.visibility.dispose();
  }
}
