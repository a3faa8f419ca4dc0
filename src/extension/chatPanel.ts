import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { parsePanelMessage, type HostToPanel, type PanelToHost } from '../shared/panelProtocol';

/** What the panel asks of whoever owns the conversation. */
export interface PanelHandler {
  /** A checked message from the webview. */
  onPanelMessage(msg: PanelToHost): void;
  /** The panel became visible or hidden (unread counting and notifications follow this). */
  onVisibility(visible: boolean): void;
}

/**
 * The chat webview panel: one instance at most. It renders what the host
 * posts and posts back intents; the conversation itself lives in the host, so
 * the panel needs no retainContextWhenHidden and survives reloads through the
 * serializer.
 */
export class ChatPanel implements vscode.Disposable {
  static readonly viewType = 'tcpChat.panel';
  static current: ChatPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private disposed = false;
  /** Posts made before the webview said `ready` wait here (it would drop them). */
  private queue: HostToPanel[] = [];

  /** Show the panel beside the active editor, creating it if needed. */
  static createOrShow(extensionUri: vscode.Uri, handler: PanelHandler, preserveFocus = false): ChatPanel {
    if (ChatPanel.current) {
      ChatPanel.current.panel.reveal(undefined, preserveFocus);
      return ChatPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(ChatPanel.viewType, 'Chat', { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, ChatPanel.options(extensionUri));
    ChatPanel.current = new ChatPanel(panel, extensionUri, handler);
    return ChatPanel.current;
  }

  /** Re-attach to a panel VS Code restored after a reload. */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, handler: PanelHandler): ChatPanel {
    panel.webview.options = ChatPanel.options(extensionUri);
    ChatPanel.current?.dispose();
    ChatPanel.current = new ChatPanel(panel, extensionUri, handler);
    return ChatPanel.current;
  }

  private static options(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      enableFindWidget: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
    };
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly handler: PanelHandler,
  ) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'chat.svg');
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState((e) => handler.onVisibility(e.webviewPanel.visible)),
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        const msg = parsePanelMessage(raw);
        if (!msg) return; // unknown input from the webview is dropped, never trusted
        if (msg.type === 'ready') {
          this.ready = true;
          this.queue = [];
        }
        handler.onPanelMessage(msg);
        if (msg.type === 'ready') this.drain();
      }),
    );
  }

  get visible(): boolean {
    return this.panel.visible;
  }

  get active(): boolean {
    return this.panel.active;
  }

  /** Send to the webview, or hold it until the webview is ready. */
  post(msg: HostToPanel): void {
    if (!this.ready) {
      // Only the latest snapshot matters before `ready`; the host sends `init` on ready anyway.
      if (this.queue.length < 1000) this.queue.push(msg);
      return;
    }
    void this.panel.webview.postMessage(msg);
  }

  setTitle(unread: number): void {
    this.panel.title = unread > 0 && !this.panel.visible ? `Chat (${unread})` : 'Chat';
  }

  private drain(): void {
    const q = this.queue;
    this.queue = [];
    for (const m of q) void this.panel.webview.postMessage(m);
  }

  private html(): string {
    const w = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const script = w.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js'));
    const style = w.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'chat.css'));
    const csp = [`default-src 'none'`, `style-src ${w.cspSource}`, `img-src ${w.cspSource}`, `font-src ${w.cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${style}" rel="stylesheet">
<title>Chat</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (ChatPanel.current === this) ChatPanel.current = undefined;
    this.handler.onVisibility(false);
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
