import * as fs from 'node:fs';

/** The environment variable both `serve` and `connect` read the password from. */
export const PASSWORD_ENV = 'TCP_CHAT_PASSWORD';

/** A password or passphrase that could not be read; the message names the file, never the secret. */
export class PasswordError extends Error {}

/**
 * The password from `--password-file FILE`, else from TCP_CHAT_PASSWORD, else
 * none. There is deliberately no flag that takes the password itself: every
 * user on the machine can read a command line with `ps`.
 */
export function readPassword(file: string | undefined, env: NodeJS.ProcessEnv = process.env): { password?: string; warnings: string[] } {
  if (file !== undefined) {
    const { secret, warnings } = readSecretFile(file, 'password');
    return { password: secret, warnings };
  }
  const fromEnv = env[PASSWORD_ENV];
  // Dropped from our own environment so nothing we start inherits it.
  delete env[PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { password: fromEnv, warnings: [] };
  return { warnings: [] };
}

/**
 * A one-line secret from a file (a password, a passphrase): one trailing
 * newline dropped, since that is what `echo secret > file` adds. Errors name
 * the file and what it should hold, never its content.
 */
export function readSecretFile(file: string, what: 'password' | 'passphrase'): { secret: string; warnings: string[] } {
  const warnings: string[] = [];
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PasswordError(code === 'ENOENT' ? `no ${what} file at ${file}` : `cannot read the ${what} file ${file} (${code ?? 'error'})`);
  }
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') throw new PasswordError(`the ${what} file ${file} is empty`);
  if (/[\r\n]/.test(secret)) throw new PasswordError(`the ${what} file ${file} holds more than one line; put only the ${what} in it`);
  if (process.platform !== 'win32' && fs.statSync(file).mode & 0o077) warnings.push(`${file} can be read by other users: run chmod 600 ${file}`);
  return { secret, warnings };
}
