import * as vscode from 'vscode';
import * as os from 'node:os';
import * as path from 'node:path';
import { exportIdentity, fingerprintOf, IdentityError, importIdentity } from '../../engine/identity';
import { nameProblem } from '../../engine/protocol';
import { CommandId } from '../commandIds';
import type { CommandContext, CommandTable } from './commandContext';

/** What tests (and other callers) may pass instead of answering the dialogs. */
interface IdentityFileArgs {
  file?: string;
  passphrase?: string;
  /** Import: replace a different key without asking. */
  replace?: boolean;
}

/** The shortest passphrase the engine accepts for a sealed identity (exportIdentity). */
const MIN_PASSPHRASE = 8;

/**
 * Export Identity…, Import Identity… (moving your key to another machine, as a
 * file sealed with a passphrase) and Release Name… (the operator of the server
 * this window hosts frees a name whose key was lost). There is no "release my
 * own name": the protocol has no frame for it, and a name's owner loses
 * nothing by keeping it.
 */
export function identityCommands(ctx: CommandContext): CommandTable {
  const { identities, session, host, log } = ctx;
  return {
    [CommandId.exportIdentity]: async (args: IdentityFileArgs = {}) => {
      const identity = await identities.get();
      const passphrase = args.passphrase ?? (await askPassphrase(vscode.l10n.t('Chat: Export Identity'), true));
      if (passphrase === undefined) return undefined;
      const target =
        args.file ??
        (
          await vscode.window.showSaveDialog({
            title: vscode.l10n.t('Chat: Export Identity'),
            // The home folder, not the workspace: a key file has no business in a repository, sealed or not.
            defaultUri: vscode.Uri.file(path.join(os.homedir(), 'tcp-chat-identity.json')),
            saveLabel: vscode.l10n.t('Export'),
          })
        )?.fsPath;
      if (!target) return undefined;
      const sealed = await exportIdentity(identity, passphrase);
      await vscode.workspace.fs.writeFile(vscode.Uri.file(target), Buffer.from(sealed, 'utf8'));
      log.info(`identity ${identity.fingerprint} exported to ${target}`);
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Chat: your identity (key {0}) is exported to {1}, sealed with your passphrase. On the other machine, run Chat: Import Identity….', identity.fingerprint, target),
      );
      return target;
    },

    [CommandId.importIdentity]: async (args: IdentityFileArgs = {}) => {
      const file =
        args.file ??
        (
          await vscode.window.showOpenDialog({
            title: vscode.l10n.t('Chat: Import Identity'),
            canSelectMany: false,
            openLabel: vscode.l10n.t('Import'),
            filters: { [vscode.l10n.t('Exported identity')]: ['json'] },
          })
        )?.[0]?.fsPath;
      if (!file) return undefined;
      const text = Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(file))).toString('utf8');
      const passphrase = args.passphrase ?? (await askPassphrase(vscode.l10n.t('Chat: Import Identity'), false));
      if (passphrase === undefined) return undefined;
      let imported;
      try {
        imported = await importIdentity(text, passphrase);
      } catch (err) {
        if (!(err instanceof IdentityError)) throw err;
        void vscode.window.showErrorMessage(vscode.l10n.t('Chat: {0}', err.message));
        return undefined;
      }
      const current = await identities.peek().catch(() => undefined);
      if (current?.id === imported.id) {
        void vscode.window.showInformationMessage(vscode.l10n.t('Chat: that is already your identity (key {0}).', imported.fingerprint));
        return imported.id;
      }
      if (current && !args.replace) {
        const replace = vscode.l10n.t('Replace');
        const pick = await vscode.window.showWarningMessage(
          vscode.l10n.t('Replace your identity key {0} with {1}?', current.fingerprint, imported.fingerprint),
          { modal: true, detail: vscode.l10n.t('The names your current key owns stay with it: export it first (Chat: Export Identity…) if you may need them again.') },
          replace,
        );
        if (pick !== replace) return undefined;
      }
      await identities.replace(imported);
      log.info(`identity ${imported.fingerprint} imported from ${file}`);
      const reconnect = vscode.l10n.t('Reconnect');
      const where = session.connected ? session.address : undefined;
      void vscode.window
        .showInformationMessage(
          vscode.l10n.t('Chat: your identity is now the key {0}.', imported.fingerprint) + (where ? ' ' + vscode.l10n.t('Reconnect to use it on {0}.', where) : ''),
          ...(where ? [reconnect] : []),
        )
        .then((p) => {
          const m = where ? /^(.*):(\d+)$/.exec(where) : null;
          if (p === reconnect && m) void vscode.commands.executeCommand(CommandId.connect, { host: m[1], port: Number(m[2]) });
        });
      return imported.id;
    },

    [CommandId.releaseName]: async (arg?: string) => {
      if (!host.running) return void vscode.window.showInformationMessage(vscode.l10n.t('Chat: Release Name frees a name on the server this window hosts, and none is running. For a server run with tcp-chat serve, use tcp-chat names release NAME --data DIR.'));
      const name =
        arg ??
        (await vscode.window.showInputBox({
          title: vscode.l10n.t('Chat: Release Name'),
          prompt: vscode.l10n.t('The name whose key was lost. The next key to use it will own it.'),
          validateInput: (v) => nameProblem(v.trim()) ?? null,
        }));
      if (!name?.trim()) return undefined;
      const owner = await host.nameOwner(name.trim());
      if (owner === undefined) {
        void vscode.window.showInformationMessage(vscode.l10n.t('Chat: nobody owns the name "{0}" on this server; there is nothing to release.', name.trim()));
        return false;
      }
      if (arg === undefined) {
        const release = vscode.l10n.t('Release');
        const pick = await vscode.window.showWarningMessage(
          vscode.l10n.t('Release "{0}"? It belongs to the key {1}.', name.trim(), fingerprintOf(owner)),
          { modal: true, detail: vscode.l10n.t('Do this only when its owner lost their key. Whoever uses the name next owns it, and people who knew the old key are warned that it changed.') },
          release,
        );
        if (pick !== release) return false;
      }
      const done = await host.releaseName(name.trim());
      void vscode.window.showInformationMessage(vscode.l10n.t('Chat: "{0}" is released: the next key to use it owns it.', name.trim()));
      return done;
    },
  };
}

/** A passphrase, typed hidden; for an export, typed twice so a typo cannot seal the key away. */
async function askPassphrase(title: string, confirm: boolean): Promise<string | undefined> {
  const first = await vscode.window.showInputBox({
    title,
    prompt: confirm ? vscode.l10n.t('A passphrase to seal the exported key with (at least {0} characters). You will need it to import the key.', MIN_PASSPHRASE) : vscode.l10n.t('The passphrase the identity was exported with.'),
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (confirm && v.length < MIN_PASSPHRASE ? vscode.l10n.t('At least {0} characters.', MIN_PASSPHRASE) : null),
  });
  if (first === undefined || !confirm) return first;
  const again = await vscode.window.showInputBox({
    title,
    prompt: vscode.l10n.t('The same passphrase again.'),
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v === first ? null : vscode.l10n.t('Not the same passphrase.')),
  });
  return again === first ? first : undefined;
}
