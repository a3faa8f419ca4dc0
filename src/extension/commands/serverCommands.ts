import * as vscode from 'vscode';
import * as os from 'node:os';
import { exposureWarning, isLoopback, type Safeguard } from '../../engine/exposure';
import { DEFAULT_ROOM, isDmKey } from '../../engine/protocol';
import { terminalInvite, vscodeInvite, type Invite } from '../../shared/inviteLink';
import { CommandId } from '../commandIds';
import { connectHostFor } from '../connector';
import { readSettings } from '../settings';
import type { CommandContext, CommandTable } from './commandContext';

/** Start Server, Stop Server, Set Server Password and Copy Invite Link: the host's side. */
export function serverCommands(ctx: CommandContext): CommandTable {
  const { host, trust, log } = ctx;
  return {
    [CommandId.startServer]: async (args?: { host?: string; port?: number }) => {
      const s = readSettings();
      const bindHost = args?.host ?? s.serverHost;
      const port = args?.port ?? s.serverPort;
      const password = await trust.serverPassword();
      if (!(await confirmExposure(bindHost, s.serverTls, password !== undefined))) return undefined;
      try {
        const addr = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Starting chat server…') }, () =>
          host.start(bindHost, port, { tls: s.serverTls, certFile: s.serverCertFile || undefined, keyFile: s.serverKeyFile || undefined, password }),
        );
        const extra = host.fingerprint ? ' ' + vscode.l10n.t('TLS fingerprint {0}', host.fingerprint) : '';
        const connect = vscode.l10n.t('Connect');
        const invite = vscode.l10n.t('Copy Invite Link');
        void vscode.window.showInformationMessage(vscode.l10n.t('Chat server listening on {0}:{1}.', addr.host, addr.port) + extra, connect, invite).then((p) => {
          if (p === connect) void vscode.commands.executeCommand(CommandId.connect, { host: connectHostFor(addr.host), port: addr.port });
          if (p === invite) void vscode.commands.executeCommand(CommandId.copyInviteLink);
        });
        return addr;
      } catch (err) {
        log.warn(`start server failed: ${(err as Error).message}`);
        const change = vscode.l10n.t('Change Port');
        const inUse = (err as { code?: string }).code === 'EADDRINUSE';
        void vscode.window.showErrorMessage(vscode.l10n.t('Chat: {0}', (err as Error).message), ...(inUse ? [change] : [])).then((p) => {
          if (p === change) void vscode.commands.executeCommand('workbench.action.openSettings', 'tcpChat.server.port');
        });
        return undefined;
      }
    },

    [CommandId.setServerPassword]: async (arg?: string) => {
      const pw =
        arg ??
        (await vscode.window.showInputBox({
          title: vscode.l10n.t('Chat: Set Server Password'),
          prompt: vscode.l10n.t('The password people need to join the server this window starts. Leave empty to remove it. Kept in the system keychain (SecretStorage), never in settings.'),
          password: true,
        }));
      if (pw === undefined) return;
      await trust.setServerPassword(pw || undefined);
      void vscode.window.showInformationMessage(pw ? vscode.l10n.t('Chat: server password set. It applies the next time you start the server.') : vscode.l10n.t('Chat: server password removed.'));
    },

    [CommandId.stopServer]: async () => {
      if (!host.running) {
        void vscode.window.showInformationMessage(vscode.l10n.t('Chat: no server is running in this window.'));
        return;
      }
      await host.stop();
      void vscode.window.setStatusBarMessage(vscode.l10n.t('Chat server stopped'), 3000);
    },

    [CommandId.copyInviteLink]: async (args?: { host?: string }) => {
      const invite = await inviteFor(ctx, args?.host);
      if (!invite) return undefined;
      const link = vscodeInvite(invite);
      await vscode.env.clipboard.writeText(link);
      log.info(`invite link copied: ${link}`);
      const terminal = vscode.l10n.t('Copy Terminal Command');
      const local = isLoopback(invite.host) ? ' ' + vscode.l10n.t('It points at {0}, so it works only on this machine: to invite others, set tcpChat.server.host to 0.0.0.0 (with TLS and a password) and start the server again.', invite.host) : '';
      void vscode.window.showInformationMessage(vscode.l10n.t('Chat: invite link to #{0} on {1}:{2} copied. It carries no password.', invite.room, invite.host, invite.port) + local, terminal).then(async (p) => {
        if (p === terminal) await vscode.env.clipboard.writeText(`tcp-chat connect '${terminalInvite(invite)}'`);
      });
      return link;
    },
  };
}

/**
 * The exposure question before serving beyond this machine without TLS or a
 * password: true to go on.
 */
async function confirmExposure(bindHost: string, tls: boolean, hasPassword: boolean): Promise<boolean> {
  // The CLI warns with the same helper; only the fixes are named in this interface's words.
  const warning = exposureWarning(bindHost, { tls, password: hasPassword }, editorFixes());
  if (!warning) return true;
  const go = vscode.l10n.t('Start Anyway');
  const pick = await vscode.window.showWarningMessage(
    vscode.l10n.t('Start the chat server on {0}?', bindHost),
    { modal: true, detail: vscode.l10n.t('Careful: {0}. Or bind to 127.0.0.1 to keep it on this machine.', warning) },
    go,
  );
  return pick === go;
}

/** How to add each safeguard, said in the editor's words (the CLI names its flags). */
function editorFixes(): Record<Safeguard, string> {
  return {
    tls: vscode.l10n.t('turn on the setting tcpChat.server.tls'),
    password: vscode.l10n.t('set a password with Chat: Set Server Password'),
  };
}

/** What to invite to: this window's server when it hosts one, else the server it is connected to. */
async function inviteFor(ctx: CommandContext, preferredHost?: string): Promise<Invite | undefined> {
  const { host, session } = ctx;
  const active = session.connected && !isDmKey(session.convo.active) ? session.convo.active : DEFAULT_ROOM;
  if (host.address) {
    const h = preferredHost ?? (await reachableHost(host.address.host));
    if (!h) return undefined;
    return { host: h, port: host.address.port, room: active, ...(host.fingerprint && { fingerprint: host.fingerprint }) };
  }
  if (session.connected && session.address) {
    const m = /^(.*):(\d+)$/.exec(session.address);
    if (m) return { host: m[1], port: Number(m[2]), room: active, ...(session.fingerprint && { fingerprint: session.fingerprint }) };
  }
  void vscode.window.showInformationMessage(vscode.l10n.t('Chat: start a server (Chat: Start Server) or connect to one first; the invite link points at it.'));
  return undefined;
}

/** The address others use for a server bound to `bound`: for a wildcard, this machine's network address (asked when there are several). */
async function reachableHost(bound: string): Promise<string | undefined> {
  if (bound !== '0.0.0.0' && bound !== '::') return bound;
  const addrs = Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => a !== undefined && !a.internal && (a.family === 'IPv4' || bound === '::'))
    .map((a) => a.address);
  if (addrs.length === 0) return '127.0.0.1';
  if (addrs.length === 1) return addrs[0];
  return vscode.window.showQuickPick(addrs, { title: vscode.l10n.t('Chat: Copy Invite Link'), placeHolder: vscode.l10n.t('Which address of this machine can your guests reach?') });
}
