import type { IrcMessage } from './ircMessage';
import {
  errSaslAborted,
  errSaslAlready,
  errSaslFail,
  errSaslTooLong,
  rplLoggedIn,
  rplSaslMechs,
  rplSaslSuccess,
  type ReplyContext,
} from './numerics';

/**
 * SASL over `AUTHENTICATE` (IRCv3 sasl-3.1/3.2), as pure logic: PLAIN
 * (authzid NUL authcid NUL password) and EXTERNAL (the TLS client
 * certificate, whose fingerprint the server turns into the identity
 * `cert:<sha256>` with idOfCertificate).
 *
 * Payloads travel as base64 in chunks of at most 400 bytes; a chunk of exactly
 * 400 means more follows, and `+` alone is an empty chunk (or the end after a
 * full one). `*` aborts. The exchange never checks a password or a
 * certificate itself: it hands the server `verify` with what was presented,
 * and the server answers with succeed() or fail().
 */

/** The mechanisms the gateway speaks. */
export type SaslMechanism = 'PLAIN' | 'EXTERNAL';
export const SASL_MECHANISMS: readonly SaslMechanism[] = ['PLAIN', 'EXTERNAL'];

/** What a client presented, for the server to check. */
export type SaslCredentials =
  | { mechanism: 'PLAIN'; authzid: string; authcid: string; password: string }
  /** The certificate is the proof; authzid is the identity asked for ('' for "whatever the certificate says"). */
  | { mechanism: 'EXTERNAL'; authzid: string };

/** The next thing to do after one AUTHENTICATE from the client. */
export type SaslStep =
  /** Send `AUTHENTICATE +` (ready for the payload). */
  | { kind: 'continue' }
  /** A chunk was taken; more must follow. Send nothing. */
  | { kind: 'more' }
  /** Check these credentials, then call succeed() or fail(). */
  | { kind: 'verify'; credentials: SaslCredentials }
  /** The exchange failed or was aborted: send these numerics. */
  | { kind: 'fail'; reason: 'unknown_mechanism' | 'too_long' | 'bad_payload' | 'aborted' | 'already' | 'busy' };

/** Longest chunk in one AUTHENTICATE. */
export const SASL_CHUNK = 400;
/** Longest whole payload we accept (base64 characters): PLAIN with a long password is far below. */
export const SASL_MAX_PAYLOAD = 8192;

type Phase = { kind: 'idle' } | { kind: 'collecting'; mechanism: SaslMechanism; data: string } | { kind: 'verifying' } | { kind: 'done' };

/** One client's SASL exchange. */
export class SaslExchange {
  private phase: Phase = { kind: 'idle' };

  constructor(private readonly mechanisms: readonly SaslMechanism[] = SASL_MECHANISMS) {}

  /** True once a login succeeded: a second AUTHENTICATE earns 907. */
  get authenticated(): boolean {
    return this.phase.kind === 'done';
  }

  /** Handles the parameter of one `AUTHENTICATE`. */
  step(param: string): SaslStep {
    const phase = this.phase;
    switch (phase.kind) {
      case 'done':
        return { kind: 'fail', reason: 'already' };
      case 'verifying':
        // The client spoke before we answered: the attempt is over.
        this.phase = { kind: 'idle' };
        return { kind: 'fail', reason: 'busy' };
      case 'idle': {
        if (param === '*') return { kind: 'fail', reason: 'aborted' };
        const mechanism = this.mechanisms.find((m) => m === param.toUpperCase());
        if (mechanism === undefined) return { kind: 'fail', reason: 'unknown_mechanism' };
        this.phase = { kind: 'collecting', mechanism, data: '' };
        return { kind: 'continue' };
      }
      case 'collecting': {
        if (param === '*') return this.reset('aborted');
        if (Buffer.byteLength(param) > SASL_CHUNK) return this.reset('too_long');
        if (param !== '+') {
          if (!/^[A-Za-z0-9+/]*={0,2}$/.test(param)) return this.reset('bad_payload');
          phase.data += param;
          if (phase.data.length > SASL_MAX_PAYLOAD) return this.reset('too_long');
          if (param.length === SASL_CHUNK) return { kind: 'more' };
        }
        const credentials = decodeCredentials(phase.mechanism, phase.data);
        if (credentials === undefined) return this.reset('bad_payload');
        this.phase = { kind: 'verifying' };
        return { kind: 'verify', credentials };
      }
    }
  }

  /** The server accepted the credentials. Returns false when the attempt was already over (the client moved on). */
  succeed(): boolean {
    if (this.phase.kind !== 'verifying') return false;
    this.phase = { kind: 'done' };
    return true;
  }

  /** The server refused the credentials; the client may try again. */
  fail(): void {
    if (this.phase.kind === 'verifying') this.phase = { kind: 'idle' };
  }

  /** Registration ended without a login (CAP END during an exchange): forget it. */
  abandon(): void {
    if (this.phase.kind !== 'done') this.phase = { kind: 'idle' };
  }

  private reset(reason: 'too_long' | 'bad_payload' | 'aborted'): SaslStep {
    this.phase = { kind: 'idle' };
    return { kind: 'fail', reason };
  }
}

/** Decodes a complete payload, or undefined when it is not what the mechanism expects. */
function decodeCredentials(mechanism: SaslMechanism, base64: string): SaslCredentials | undefined {
  if (base64.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(base64, 'base64');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  if (mechanism === 'EXTERNAL') return text.includes('\0') ? undefined : { mechanism, authzid: text };
  const parts = text.split('\0');
  if (parts.length !== 3) return undefined;
  const [authzid, authcid, password] = parts;
  if (authcid === '' || password === '') return undefined;
  return { mechanism, authzid, authcid, password };
}

/** The replies for a step: `AUTHENTICATE +` to continue, and the numerics for a failure. */
export function saslReplies(ctx: ReplyContext, step: SaslStep, mechanisms: readonly SaslMechanism[] = SASL_MECHANISMS): IrcMessage[] {
  switch (step.kind) {
    case 'continue':
      return [{ command: 'AUTHENTICATE', params: ['+'] }];
    case 'more':
    case 'verify':
      return [];
    case 'fail':
      switch (step.reason) {
        case 'unknown_mechanism':
          return [rplSaslMechs(ctx, mechanisms), errSaslFail(ctx)];
        case 'too_long':
          return [errSaslTooLong(ctx)];
        case 'aborted':
          return [errSaslAborted(ctx)];
        case 'already':
          return [errSaslAlready(ctx)];
        case 'bad_payload':
        case 'busy':
          return [errSaslFail(ctx)];
      }
  }
}

/** The replies for a login the server accepted: 900 then 903. */
export function saslSuccessReplies(ctx: ReplyContext, mask: string, account: string): IrcMessage[] {
  return [rplLoggedIn(ctx, mask, account), rplSaslSuccess(ctx)];
}

/** A payload as the AUTHENTICATE parameters a client sends: 400-byte base64 chunks, `+` for empty or after a full last chunk. */
export function authenticateChunks(payload: Buffer | string): string[] {
  const b64 = Buffer.from(payload).toString('base64');
  const chunks: string[] = [];
  for (let i = 0; i < b64.length; i += SASL_CHUNK) chunks.push(b64.slice(i, i + SASL_CHUNK));
  if (chunks.length === 0 || chunks[chunks.length - 1].length === SASL_CHUNK) chunks.push('+');
  return chunks;
}

/** The PLAIN payload: authzid NUL authcid NUL password. */
export function plainPayload(authcid: string, password: string, authzid = ''): Buffer {
  return Buffer.from(`${authzid}\0${authcid}\0${password}`, 'utf8');
}
