import type { ConnectError } from '../engine/client/connectError';
import { PASSWORD_ENV } from './password';

/** A ConnectError, plus what to type next when the fix is a flag of this CLI. */
export function explainConnectError(err: ConnectError, address: string, knownFile: string): string {
  switch (err.code) {
    case 'cert_changed':
      return [
        `WARNING: ${err.message}`,
        `  pinned (in ${knownFile}): ${err.expected}`,
        `  presented now:           ${err.fingerprint}`,
        'The connection was stopped before anything was sent. If the operator confirms the new fingerprint, trust it with:',
        `  tcp-chat connect ${address} --fingerprint ${err.fingerprint}`,
        'or run with --trust-new to be asked.',
      ].join('\n');
    case 'cert_unknown':
      return [
        `the certificate of ${address} is not pinned yet, and there is no terminal to ask.`,
        `  SHA-256 fingerprint: ${err.fingerprint}`,
        "If it matches the fingerprint in the server's banner, trust it with:",
        `  tcp-chat connect ${address} --fingerprint ${err.fingerprint}`,
      ].join('\n');
    case 'tls_required':
      return `${err.message} (add --tls)`;
    case 'tls_unsupported':
      return `${err.message} (drop --tls)`;
    case 'auth_required':
      return `the server at ${address} needs a password: put it in a file only you can read and pass --password-file FILE, or set ${PASSWORD_ENV}`;
    case 'name_claimed':
      return `${err.message} (--name NAME picks another)`;
    case 'identity_required':
      return `the server at ${address} admits only people with an identity key: connect without --guest (a key is made in ~/.tcp-chat/identity on first use)`;
    default:
      return err.message;
  }
}
