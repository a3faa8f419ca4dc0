import type { ErrorFrame } from '../protocol';

/** Facts some ConnectErrors carry besides their message. */
export interface ConnectErrorDetail {
  /** cert_changed, cert_unknown, cert_rejected: the fingerprint the server presented. */
  fingerprint?: string;
  /** cert_changed: the fingerprint that was pinned. */
  expected?: string;
  /** auth_failed while the address is locked, rate_limited: ms until the server will take the request again. */
  retryAfter?: number;
}

/**
 * A connection failure described for a person. `code` is a socket error code
 * (ECONNREFUSED…), a server error code (bad_name…), or one of the security
 * codes: cert_changed, cert_unknown, cert_rejected, tls_required,
 * tls_unsupported, tls_failed, auth_required, auth_failed, bad_challenge,
 * identity_required, name_claimed, and 'disconnected' when disconnect() ends an attempt.
 */
export class ConnectError extends Error {
  readonly fingerprint?: string;
  readonly expected?: string;
  readonly retryAfter?: number;
  constructor(
    message: string,
    readonly code?: string,
    detail: ConnectErrorDetail = {},
  ) {
    super(message);
    this.name = 'ConnectError';
    this.fingerprint = detail.fingerprint;
    this.expected = detail.expected;
    this.retryAfter = detail.retryAfter;
  }
}

/** ConnectError codes after which retrying with the same settings cannot help: the client stops reconnecting and fires onRefused. */
export const FINAL_CONNECT_CODES: ReadonlySet<string> = new Set([
  'cert_changed',
  'cert_unknown',
  'cert_rejected',
  'tls_required',
  'tls_unsupported',
  'auth_required',
  'auth_failed',
  'bad_challenge',
  'bad_version',
  'identity_required',
  'name_claimed',
]);

/** Server error codes that end a handshake. */
export const HANDSHAKE_ERRORS: ReadonlySet<string> = new Set(['bad_name', 'bad_version', 'server_full', 'auth_failed', 'auth_required', 'handshake_timeout', 'tls_required', 'identity_required', 'name_claimed']);

/** Turns a socket error into a sentence that says what to do. */
export function describeConnectError(err: NodeJS.ErrnoException, address: string): ConnectError {
  switch (err.code) {
    case 'ECONNREFUSED':
      return new ConnectError(`nothing is listening at ${address}: start a server there (Chat: Start Server, or tcp-chat serve) or check the port`, err.code);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectError(`cannot find the host in ${address}: check its spelling`, err.code);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new ConnectError(`${address} cannot be reached from this machine: check the network`, err.code);
    case 'ECONNRESET':
      return new ConnectError(`${address} reset the connection: is it a TCP Chat server (and does it expect TLS)?`, err.code);
    default:
      return new ConnectError(`cannot connect to ${address}: ${err.message}`, err.code);
  }
}

/** A plain client met TLS (`clientIsPlain`), or a TLS client met something that is not TLS. */
export function tlsMismatch(address: string, clientIsPlain: boolean, err?: NodeJS.ErrnoException): ConnectError {
  if (clientIsPlain) return new ConnectError(`the server at ${address} expects TLS: turn TLS on to connect to it`, 'tls_required');
  const notTls = err === undefined || err.code === 'ECONNRESET' || err.code === 'EPIPE' || /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|RECORD_LENGTH_MISMATCH|UNEXPECTED_EOF|socket disconnected/i.test(`${err.code} ${err.message}`);
  if (notTls) return new ConnectError(`the server at ${address} does not speak TLS: turn TLS off to connect to it, or check the port`, 'tls_unsupported');
  return new ConnectError(`the TLS handshake with ${address} failed: ${err.message}`, 'tls_failed');
}

/** A server's handshake error, told the way a person can act on it. */
export function describeRefusal(address: string, e: ErrorFrame): ConnectError {
  switch (e.code) {
    case 'tls_required':
      return tlsMismatch(address, true);
    case 'auth_failed':
      return new ConnectError(`the server at ${address} refused the password: ${e.message}`, e.code, { retryAfter: e.retryAfter });
    case 'auth_required':
      return new ConnectError(`the server at ${address} needs a password: set one and connect again`, e.code);
    case 'identity_required':
      return new ConnectError(`the server at ${address} admits only people with an identity key, and this connection has none: connect with a key (the editor and tcp-chat connect make one)`, e.code);
    case 'name_claimed':
      return new ConnectError(`the server at ${address} refused the name: ${e.message.replace(/[.\s]+$/, '')}. Choose another name; if the name is yours and your key is lost, ask the server's operator to release it`, e.code);
    default:
      return new ConnectError(`the server refused the connection: ${e.message}`, e.code);
  }
}
