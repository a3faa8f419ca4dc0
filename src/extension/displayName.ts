import * as vscode from 'vscode';
import { nameProblem } from '../engine/protocol';
import { loginName, suggestedName, usableName } from '../engine/defaultName';
import { gitUserName } from './gitInfo';
import { readSettings, writeUserSetting } from './settings';

/** Where a default name came from, for the log and the question. */
export type NameSource = 'setting' | 'git' | 'login';

/** A name to connect with, or a question to ask first. */
export type NameChoice = { name: string; source: NameSource } | { ask: true; refused: string[]; suggestion: string };

/**
 * The name to connect with: the setting when it is set, else git's
 * `user.name`, else the login name, each as the engine takes
 * it (`usableName`: cut to 32 characters, and only when a server would accept it). When
 * none is allowed (`root`, `admin`, anything the name rules refuse), the
 * caller must ask, with the engine's suggestedName() filled in: `user-` and
 * four hex digits of the identity's fingerprint, the same every run and the
 * same the terminal client suggests for the same key.
 */
export async function chooseDisplayName(cwd: string | undefined, identityId?: string): Promise<NameChoice> {
  const set = readSettings().displayName;
  // A name the user typed is theirs: Connect reports a problem with it instead of replacing it.
  if (set) return { name: set, source: 'setting' };
  const refused: string[] = [];
  for (const [source, get] of [
    ['git', () => gitUserName(cwd)],
    ['login', async () => loginName()],
  ] as const) {
    const candidate = (await get())?.trim();
    if (!candidate) continue;
    const name = usableName(candidate);
    if (name) return { name, source };
    refused.push(candidate);
  }
  // git's name was refused above, so this is the identity's `user-xxxx`.
  return { ask: true, refused, suggestion: suggestedName(undefined, identityId) };
}

/**
 * Asks for a display name with `suggestion` filled in, checked as it is
 * typed; keeps the answer in the user's settings so it is asked once.
 * Undefined when the user cancels.
 */
export async function askDisplayName(suggestion: string, refused: string[]): Promise<string | undefined> {
  const why = refused.length ? vscode.l10n.t('"{0}" cannot be used as a chat name. ', refused[refused.length - 1]) : '';
  const name = await vscode.window.showInputBox({
    title: vscode.l10n.t('Chat: Pick Your Display Name'),
    prompt: why + vscode.l10n.t('The name others see in the chat. You can change it later with Chat: Set Display Name.'),
    value: suggestion,
    ignoreFocusOut: true,
    validateInput: (v) => nameProblem(v.trim()) ?? null,
  });
  if (name === undefined || nameProblem(name.trim())) return undefined;
  await writeUserSetting('displayName', name.trim());
  return name.trim();
}
