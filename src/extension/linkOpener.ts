import * as vscode from 'vscode';

/**
 * Opens a link someone posted in the chat: only http and https, and only
 * after the user confirms, since the text came from another person.
 */
export async function openChatLink(url: string): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    void vscode.window.showWarningMessage(vscode.l10n.t('Chat opens only http and https links, not {0} links.', parsed.protocol));
    return;
  }
  const open = vscode.l10n.t('Open Link');
  const pick = await vscode.window.showInformationMessage(vscode.l10n.t('Open this link from the chat?\n\n{0}', parsed.toString()), { modal: true }, open);
  if (pick === open) await vscode.env.openExternal(vscode.Uri.parse(parsed.toString(), true));
}
