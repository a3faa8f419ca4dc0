import * as fs from 'node:fs';

/** The environment variable both `serve` and `connect` read the password from. */
export const PASSWORD_ENV = 'TCP_CHAT_PASSWORD';

/** A password that could not be read; the message names the file, never the password. */
export class PasswordError extends Error {}

/**
 * The password from `--password-file FILE`, else from TCP_CHAT_PASSWORD, else
 * none. There is deliberately no flag that takes the password itself: every
 * user on the machine can read a command line with `ps`.
 */
export function readPassword(file: string | undefined, env: NodeJS.ProcessEnv = process.env): { password?: string; warnings: string[] } {
  const warnings: string[] = [];
  if (file !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new PasswordError(code === 'ENOENT' ? `no password file at ${file}` : `cannot read the password file ${file} (${code ?? 'error'})`);
    }
    // One trailing newline is what `echo secret > file` adds; it is not part of the password.
    const password = text.replace(/\r?\n$/, '');
    if (password === '') throw new PasswordError(`the password file ${file} is empty`);
    if (/[\r\n]/.test(password)) throw new PasswordError(`the password file ${file} holds more than one line; put only the password in it`);
    if (process.platform !== 'win32' && fs.statSync(file).mode & 0o077) warnings.push(`${file} can be read by other users: run chmod 600 ${file}`);
    return { password, warnings };
  }
  const fromEnv = env[PASSWORD_ENV];
  // Dropped from our own environment so nothing we start inherits it.
  delete env[PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { password: fromEnv, warnings };
  return { warnings };
}
