import * as fs from 'node:fs';
import { IdentityError, exportIdentity, importIdentity, loadIdentity, loadOrCreateIdentity, saveIdentity } from '../engine/identity';
import { NoAnswer, askSecret, canAsk } from './ask';
import { PasswordError, readSecretFile } from './password';

/** What `tcp-chat identity` does, and with which files. */
export interface IdentityArgs {
  action: 'show' | 'export' | 'import';
  /** The exported file to write or read (export, import). */
  file?: string;
  /** The key file this machine uses (default ~/.tcp-chat/identity). */
  identityFile: string;
  /** Read the passphrase from this file instead of asking. */
  passphraseFile?: string;
}

/**
 * `tcp-chat identity show|export FILE|import FILE`: see your key's
 * fingerprint, and move your identity to another machine as a file sealed
 * with a passphrase (scrypt + AES-256-GCM, see exportIdentity). The
 * passphrase is asked on the terminal without echo, or read from
 * --passphrase-file; never taken as a flag.
 */
export async function runIdentity(a: IdentityArgs): Promise<number> {
  try {
    switch (a.action) {
      case 'show':
        return show(a);
      case 'export':
        return await exportTo(a, a.file!);
      case 'import':
        return await importFrom(a, a.file!);
    }
  } catch (err) {
    if (err instanceof IdentityError || err instanceof PasswordError) {
      process.stderr.write(`tcp-chat: ${err.message}\n`);
      return 1;
    }
    if (err instanceof NoAnswer) {
      process.stderr.write('tcp-chat: no passphrase given; nothing was written\n');
      return 1;
    }
    throw err;
  }
}

function show(a: IdentityArgs): number {
  const { identity, created } = loadOrCreateIdentity(a.identityFile);
  if (created) process.stdout.write(`made a new identity key in ${a.identityFile}\n`);
  process.stdout.write(`identity:    ${identity.id}\nfingerprint: ${identity.fingerprint}\nkey file:    ${a.identityFile}\n`);
  return 0;
}

async function exportTo(a: IdentityArgs, file: string): Promise<number> {
  const identity = loadIdentity(a.identityFile);
  if (!identity) throw new IdentityError(`there is no identity key at ${a.identityFile} yet: it is made the first time you connect (or run tcp-chat identity show)`);
  if (fs.existsSync(file)) throw new IdentityError(`${file} exists already: choose another file name (nothing was written)`);
  const sealed = await exportIdentity(identity, await readPassphrase(a, true));
  try {
    fs.writeFileSync(file, sealed, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    throw new IdentityError(`cannot write ${file}: ${(err as Error).message}`);
  }
  process.stdout.write(
    `exported the identity ${identity.fingerprint} to ${file}, sealed with your passphrase.\n` +
      `On the other machine: tcp-chat identity import ${file}\n`,
  );
  return 0;
}

async function importFrom(a: IdentityArgs, file: string): Promise<number> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new IdentityError((err as NodeJS.ErrnoException).code === 'ENOENT' ? `there is no file at ${file}` : `cannot read ${file}: ${(err as Error).message}`);
  }
  const identity = await importIdentity(text, await readPassphrase(a, false));
  const current = loadIdentity(a.identityFile);
  if (current?.id === identity.id) {
    process.stdout.write(`${a.identityFile} already holds this identity (${identity.fingerprint}); nothing to do\n`);
    return 0;
  }
  if (current || !saveIdentity(a.identityFile, identity)) {
    const other = current ?? loadIdentity(a.identityFile);
    throw new IdentityError(
      `${a.identityFile} already holds another identity (${other?.fingerprint ?? 'unreadable'}), which owns your names on the servers you used with it. ` +
        `Nothing was replaced. To use the imported one instead, move the old key away first: mv ${a.identityFile} ${a.identityFile}.old`,
    );
  }
  process.stdout.write(`imported the identity ${identity.fingerprint} into ${a.identityFile}\n`);
  return 0;
}

/** The passphrase from --passphrase-file, or asked on the terminal (twice when it seals a new file). */
async function readPassphrase(a: IdentityArgs, confirm: boolean): Promise<string> {
  if (a.passphraseFile !== undefined) {
    const { secret, warnings } = readSecretFile(a.passphraseFile, 'passphrase');
    for (const w of warnings) process.stderr.write(`tcp-chat: warning: ${w}\n`);
    return secret;
  }
  if (!canAsk()) throw new PasswordError('there is no terminal to ask for the passphrase: put it in a file only you can read and pass --passphrase-file FILE');
  for (;;) {
    const first = await askSecret(confirm ? 'Passphrase to seal the identity (8 characters or more): ' : 'Passphrase of the identity file: ');
    if (!confirm) return first;
    if (first.length < 8) {
      process.stdout.write('That is shorter than 8 characters; choose a longer one.\n');
      continue;
    }
    if ((await askSecret('The same passphrase again: ')) === first) return first;
    process.stdout.write('The two did not match; try again.\n');
  }
}
