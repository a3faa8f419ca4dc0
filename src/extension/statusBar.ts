import * as vscode from 'vscode';
import type { ChatSession } from './chatSession';
import type { ServerHost } from './serverHost';
import { CommandId } from './commandIds';

/** The one status bar item that always shows where chat stands. */
export class ChatStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subs: vscode.Disposable[];

  constructor(
    private readonly session: ChatSession,
    private readonly host: ServerHost,
  ) {
    this.item = vscode.window.createStatusBarItem('tcpChat.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'TCP Chat';
    this.subs = [session.onDidChange(() => this.update()), host.onDidChange(() => this.update())];
    this.update();
    this.item.show();
  }

  /** The text currently shown (the tests read this). */
  get text(): string {
    return this.item.text;
  }
  /** The tooltip's Markdown source. */
  get tooltip(): string {
    const t = this.item.tooltip;
    return typeof t === 'string' ? t : (t?.value ?? '');
  }

  update(): void {
    const parts: string[] = [];
    const tip = new vscode.MarkdownString(undefined, true);
    tip.isTrusted = false;
    tip.appendMarkdown('**TCP Chat**\n\n');
    const srv = this.host.address;
    if (srv) {
      parts.push(`$(radio-tower) serving :${srv.port} · ${this.host.online} online`);
      tip.appendMarkdown(`Serving on \`${srv.host}:${srv.port}\` · ${this.host.online} online · ${this.host.secure ? 'TLS' : 'plain TCP'}${this.host.requiresPassword ? ' · password required' : ''}\n\n`);
      if (this.host.fingerprint) tip.appendMarkdown(`Certificate SHA-256: \`${this.host.fingerprint}\`\n\n`);
    }
    const s = this.session;
    switch (s.state) {
      case 'connected': {
        const unread = s.convo.unread;
        parts.push(`$(comment-discussion) ${s.name} @ ${s.address}${unread ? ` · ${unread} unread` : ''}`);
        tip.appendText(`Connected to ${s.server ?? s.address}${s.node !== undefined ? ` (node ${s.node})` : ''} as ${s.name}; ${s.onlineCount} online; ${unread} unread.`);
        // Your key's fingerprint, for others to compare; or why the name is not yours to keep.
        const fp = s.convo.fingerprint;
        tip.appendText(fp ? `\n\nYour identity key: ${fp}` : s.convo.guest ? '\n\nYou are a guest here (no identity key): your name is free for others when you leave.' : '');
        if (s.fingerprint) tip.appendMarkdown(`\n\nTLS, certificate SHA-256: \`${s.fingerprint}\``);
        tip.appendMarkdown('\n\nClick to open the chat.');
        break;
      }
      case 'connecting':
        parts.push(`$(sync~spin) connecting to ${s.address}…`);
        tip.appendText(`Connecting to ${s.address}.`);
        break;
      case 'reconnecting':
        parts.push('$(sync~spin) reconnecting…');
        tip.appendText(`Lost the connection to ${s.address}; reconnecting. Messages you send now are kept and sent when it is back.`);
        break;
      default:
        parts.push('$(circle-slash) chat: disconnected');
        tip.appendMarkdown('Not connected. Click to connect.');
    }
    this.item.text = parts.join('  ');
    this.item.tooltip = tip;
    this.item.command = s.state === 'disconnected' ? CommandId.connect : CommandId.openChat;
    this.item.backgroundColor = s.state === 'reconnecting' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.accessibilityInformation = { label: this.item.text.replace(/\$\([^)]+\)\s*/g, ''), role: 'button' };
  }

  dispose(): void {
    for (const d of this.subs) d.dispose();
    this.item.dispose();
  }
}
