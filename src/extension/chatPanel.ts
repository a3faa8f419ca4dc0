import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { parsePanelMessage, type HostToPanel, type PanelToHost } from '../shared/panelProtocol';

/**
 * One chat webview panel. It renders what the host posts and posts back
 * intents; the conversation itself lives in the host, so the panel needs no
 * retainContextWhenHidden and survives reloads through the serializer.
 * PanelHost owns it; nothing reaches it through a global.
 */
export class ChatPanel implements vscode.Disposable {
  static readonly viewType = 'tcpChat.panel';

  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private disposed = false;
  /** Posts made before the webview said `ready` wait here (it would drop them). */
  private queue: HostToPanel[] = [];
  private readonly closed = new vscode.EventEmitter<void>();
  /** The user closed the panel, or it was disposed. */
  readonly onDidClose = this.closed.event;

  static options(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      enableFindWidget: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
    };
  }

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    events: { message(msg: PanelToHost): void; visibility(visible: boolean): void },
  ) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'chat.svg');
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState((e) => events.visibility(e.webviewPanel.visible)),
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        const msg = parsePanelMessage(raw);
        if (!msg) return; // unknown input from the webview is dropped, never trusted
        if (msg.type === 'ready') {
          this.ready = true;
          this.queue = [];
        }
        events.message(msg);
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
    if (this.disposed) return;
    if (!this.ready) {
      // The host answers `ready` with a full `init`, so a bounded queue loses nothing that matters.
      if (this.queue.length < 1000) this.queue.push(msg);
      return;
    }
    void this.panel.webview.postMessage(msg);
  }

  setTitle(unread: number): void {
    this.panel.title = unread > 0 && !this.panel.visible ? vscode.l10n.t('Chat ({0})', unread) : vscode.l10n.t('Chat');
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
<html lang="${vscode.env.language}">
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
    this.closed.fire();
    this.closed.dispose();
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
