import * as vscode from 'vscode';
import { DEFAULT_ROOM } from '../engine/protocol';
import { INVITE_PATH, InviteError, checkInvite, type Invite } from '../shared/inviteLink';
import { MESSAGE_PATH, parseMessageLink } from '../shared/messageLink';
import type { ChatSession } from './chatSession';
import type { Connector } from './connector';

/** What became of an invite link (the tests read it). */
export type InviteOutcome = 'connected' | 'declined' | 'failed' | 'invalid' | 'shown' | 'elsewhere';

/**
 * Opens invite links (`vscode://tcp-chat.tcp-chat/join?host=…`): shows what
 * the link points at, asks before connecting, and connects expecting the
 * link's certificate fingerprint, so a match needs no trust prompt and a
 * mismatch is blocked (Connector shows both fingerprints).
 */
export class InviteUriHandler implements vscode.UriHandler {
  constructor(
    private readonly connector: Connector,
    private readonly session: ChatSession,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async handleUri(uri: vscode.Uri): Promise<void> {
    await this.open(uri);
  }

  async open(uri: vscode.Uri): Promise<InviteOutcome> {
    if (uri.path === MESSAGE_PATH) return this.openMessage(uri);
    let invite: Invite;
    try {
      if (uri.path !== INVITE_PATH) throw new InviteError(vscode.l10n.t('this extension opens only invite links ({0})', INVITE_PATH));
      const q = new URLSearchParams(uri.query);
      invite = checkInvite({ host: q.get('host'), port: q.get('port'), room: q.get('room'), fingerprint: q.get('fingerprint') });
    } catch (err) {
      this.log.warn(`invite link refused: ${(err as Error).message}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Chat: this invite link cannot be used: {0}.', (err as Error).message));
      return 'invalid';
    }
    const connect = vscode.l10n.t('Connect');
    const where = `${invite.host}:${invite.port}`;
    const pick = await vscode.window.showInformationMessage(
      vscode.l10n.t('Join #{0} on {1}?', invite.room, where),
      {
        modal: true,
        detail: invite.fingerprint
          ? vscode.l10n.t('The link says the server speaks TLS with the certificate\n{0}\n\nThe server must present exactly this certificate; a different one is blocked.', invite.fingerprint)
          : vscode.l10n.t('The link names no certificate: if the server uses TLS you will be asked to check its fingerprint.'),
      },
      connect,
    );
    if (pick !== connect) return 'declined';
    const ok = await this.connector.connect({ host: invite.host, port: invite.port, fingerprint: invite.fingerprint });
    if (!ok) return 'failed';
    if (invite.room !== DEFAULT_ROOM) this.session.join(invite.room);
    return 'connected';
  }

  /**
   * A message link (Copy Link to Message): the panel opens at that message
   * when this window is connected to the link's server. A link to another
   * server says so rather than connect anywhere: it carries no certificate.
   */
  private async openMessage(uri: vscode.Uri): Promise<InviteOutcome> {
    const target = parseMessageLink(uri.query);
    if (typeof target === 'string') {
      this.log.warn(`message link refused: ${target}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Chat: this message link cannot be used: {0}.', target));
      return 'invalid';
    }
    if (!this.session.connected || this.session.address !== target.server) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Chat: that message is on {0}. Connect to it first, then open the link again.', target.server));
      return 'elsewhere';
    }
    await this.session.showMessage(target.room, target.seq);
    return 'shown';
  }
}
