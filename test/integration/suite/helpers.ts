/**
 * Helpers for the suite that runs inside the extension host. Kept tiny: the
 * tests should read like the behaviour they prove.
 */
import * as net from 'node:net';
import * as vscode from 'vscode';
import type { TcpChatApi } from '../../../src/extension/extension';

export const EXTENSION_ID = 'tcp-chat.tcp-chat';

/** The extension, activated, with the API its `activate()` returned. */
export async function activated(): Promise<{ ext: vscode.Extension<TcpChatApi>; api: TcpChatApi }> {
  const ext = vscode.extensions.getExtension<TcpChatApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not installed in this host`);
  const api = await ext.activate();
  return { ext, api };
}

/** A port that was free a moment ago on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** True when something accepts connections on the port. */
export function isListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Polls until `check` holds; fails with `what` after the timeout. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Records what the extension shows with showErrorMessage while `fn` runs.
 * The test files sit inside the extension's folder, so the extension host
 * hands them the same `vscode` API object as the extension itself, and a
 * wrapper here sees the extension's calls.
 */
export async function capturingErrors<T>(fn: () => Thenable<T>): Promise<{ result: T; errors: string[] }> {
  const win = vscode.window as { showErrorMessage: (...a: unknown[]) => Thenable<unknown> };
  const original = win.showErrorMessage;
  const errors: string[] = [];
  win.showErrorMessage = (...a: unknown[]) => {
    errors.push(String(a[0]));
    // Answer as if the user dismissed it, so nothing waits on a click.
    return Promise.resolve(undefined);
  };
  try {
    const result = await fn();
    return { result, errors };
  } finally {
    win.showErrorMessage = original;
  }
}

/** Closes every editor and panel, so each test starts from an empty window. */
export async function closeAll(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
