import { isHex } from '../auth';
import type { Identity } from '../identity';
import type { AuthFrame, ChallengeFrame } from '../protocol';
import { ConnectError } from './connectError';
import type { PasswordProver } from './passwordProver';

/** What answering a challenge needs besides the challenge. */
export interface AnswerContext {
  /** host:port, to name the server in messages. */
  address: string;
  prover: PasswordProver;
  /** The key sent in the hello; undefined for a guest. */
  identity?: Identity;
  /** The TLS channel binding of this connection (tlsBinding), undefined on plain TCP. */
  binding?: Buffer;
}

/**
 * The one `auth` frame that answers a server's challenge (docs/protocol.md,
 * Authentication): the password proof when it carries `salt` and `kdf`, the
 * identity signature when it carries `identity`, both in the same frame when
 * it asks for both, so a password and a key cost one round trip together.
 */
export async function answerChallenge(c: ChallengeFrame, ctx: AnswerContext): Promise<AuthFrame> {
  const wantsPassword = c.salt !== undefined || c.kdf !== undefined;
  const wantsIdentity = c.identity === true;
  if (!wantsPassword && !wantsIdentity) throw new ConnectError(`the server at ${ctx.address} sent a challenge that asks for nothing this client knows how to prove`, 'bad_challenge');
  const frame: AuthFrame = { type: 'auth' };
  if (wantsIdentity) {
    if (!ctx.identity) throw new ConnectError(`the server at ${ctx.address} asked for an identity proof, but this client sent no key`, 'bad_challenge');
    if (!isHex(c.nonce, 16, 64)) throw new ConnectError(`the server at ${ctx.address} sent an identity challenge this client will not sign: the nonce must be 16 to 64 bytes of hex`, 'bad_challenge');
    frame.signature = ctx.identity.signChallenge(c.nonce, ctx.binding);
  }
  if (wantsPassword) frame.proof = await ctx.prover.prove(c, ctx.address);
  return frame;
}
