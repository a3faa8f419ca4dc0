import * as fs from 'node:fs';
import * as path from 'node:path';
import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { DEFAULT_KDF, deriveKey, kdfProblem, type KdfParams } from './auth';

/**
 * Identity keys (docs/security.md, "Identities"). Every client may hold an
 * Ed25519 key pair; the server remembers which key first claimed a name, and
 * only that key may use the name again. Private history (direct messages)
 * belongs to identities, not names.
 *
 * An identity id is a typed string, so ids from different proofs never
 * collide: `ed25519:<base64url of the 32-byte public key>` for keys,
 * `cert:<hex SHA-256 of a TLS client certificate>` for IRC users with SASL
 * EXTERNAL, and `guest:<random>` for a connection that proved nothing.
 */

/** An identity key pair this process can sign with. */
export interface Identity {
  /** `ed25519:<base64url public key>`: what the server and DM keys know this person by. */
  readonly id: string;
  /** base64url of the raw 32-byte Ed25519 public key, as sent in `hello.key`. */
  readonly publicKey: string;
  /** Short fingerprint for people to compare (see fingerprintOf). */
  readonly fingerprint: string;
  /** The private key as PKCS#8 PEM, for storage. */
  toPem(): string;
  /** base64url Ed25519 signature of the identity challenge (see challengeMessage). */
  signChallenge(nonce: string, binding?: Buffer): string;
}

const ED25519 = 'ed25519:';
const GUEST = 'guest:';
const CERT = 'cert:';
/** TLS exporter label: binds a signature to one TLS session, so a relaying server cannot reuse it. */
export const TLS_BINDING_LABEL = 'EXPORTER-tcp-chat-identity';

class Ed25519Identity implements Identity {
  readonly id: string;
  readonly publicKey: string;
  readonly fingerprint: string;

  constructor(private readonly key: KeyObject) {
    const jwk = createPublicKey(key).export({ format: 'jwk' });
    this.publicKey = String(jwk.x);
    this.id = ED25519 + this.publicKey;
    this.fingerprint = fingerprintOf(this.id);
  }

  toPem(): string {
    return this.key.export({ format: 'pem', type: 'pkcs8' }).toString();
  }

  signChallenge(nonce: string, binding?: Buffer): string {
    return sign(null, challengeMessage(nonce, binding), this.key).toString('base64url');
  }
}

/** A new random identity. */
export function generateIdentity(): Identity {
  return new Ed25519Identity(generateKeyPairSync('ed25519').privateKey);
}

/** An identity from its PKCS#8 PEM; throws an IdentityError that says what is wrong. */
export function identityFromPem(pem: string): Identity {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new IdentityError(`the identity key cannot be read: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new IdentityError(`the identity key is ${key.asymmetricKeyType ?? 'unknown'}, not Ed25519`);
  return new Ed25519Identity(key);
}

/** Thrown when an identity cannot be made, read, exported or imported; the message says what to do. */
export class IdentityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentityError';
  }
}

/** Why a `hello.key` is refused, or undefined when it is a well-formed Ed25519 public key. */
export function publicKeyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(key)) return '"key" must be the base64url of a 32-byte Ed25519 public key (43 characters)';
  try {
    createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key }, format: 'jwk' });
  } catch {
    return '"key" is not a valid Ed25519 public key';
  }
  return undefined;
}

/** The identity id of a public key sent in a hello. */
export function idOfPublicKey(key: string): string {
  return ED25519 + key;
}

/** The identity id of a TLS client certificate (IRC SASL EXTERNAL), from its SHA-256 fingerprint in any common form. */
export function idOfCertificate(fingerprint256: string): string {
  return CERT + fingerprint256.replace(/:/g, '').toLowerCase();
}

/** A fresh guest id: names nothing but this connection's session. */
export function newGuestId(): string {
  return GUEST + randomBytes(9).toString('base64url');
}

/**
 * The guest id of a session: derived from its secret token, so a guest that
 * reconnects with its token keeps its id (its direct messages, its resends)
 * on any node, and nobody can work back from the public id to the token.
 */
export function guestIdOfSession(token: string): string {
  return GUEST + createHash('sha256').update(`tcp-chat guest\n${token}`, 'utf8').digest('base64url').slice(0, 16);
}

/** True for an identity id of any kind (a display name never holds ":", see nameProblem). */
export function isIdentityId(s: string): boolean {
  return s.startsWith(ED25519) || s.startsWith(GUEST) || s.startsWith(CERT);
}

/** True for a guest id: a connection that proved no identity. */
export function isGuestId(id: string): boolean {
  return id.startsWith(GUEST);
}

/**
 * The identity someone proved, which IRC shows as their account; undefined
 * for a guest. Takes a session, a Person from a bus event or a message's
 * author, and treats anything that is not a proven id (no id, a guest id, a
 * `guest` flag, an event from a node that did not say) as a guest, so an
 * account is never shown for someone who proved nothing.
 */
export function provenIdentity(who: { id?: unknown; guest?: unknown }): string | undefined {
  const { id } = who;
  if (who.guest === true || typeof id !== 'string') return undefined;
  return id.startsWith(ED25519) || id.startsWith(CERT) ? id : undefined;
}

/**
 * A short fingerprint of an identity for people to compare, like SSH's:
 * the first 8 bytes of SHA-256 over the id, as four groups of hex
 * (`3f2a 9c11 07be 4d5e`). Guests have none worth comparing, but get one anyway.
 */
export function fingerprintOf(id: string): string {
  const hex = createHash('sha256').update(id, 'utf8').digest('hex').slice(0, 16);
  return hex.match(/..../g)!.join(' ');
}

/**
 * The bytes a client signs to prove its key: a fixed context string, the
 * server's nonce, and the TLS channel binding when the connection is TLS. The
 * binding is what stops a hostile server from relaying another server's nonce
 * and reusing the signature there: the two TLS sessions export different values.
 */
export function challengeMessage(nonce: string, binding?: Buffer): Buffer {
  return Buffer.from(`tcp-chat identity v1\n${nonce}\n${binding ? binding.toString('hex') : '-'}`, 'utf8');
}

/** Checks a client's signature of the identity challenge. Anything malformed is simply wrong. */
export function verifyChallenge(publicKey: string, nonce: string, binding: Buffer | undefined, signature: unknown): boolean {
  if (typeof signature !== 'string' || !/^[A-Za-z0-9_-]{86}$/.test(signature)) return false;
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
    return verify(null, challengeMessage(nonce, binding), key, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}

/** The channel binding of a TLS socket (both ends compute the same 32 bytes), or undefined for plain TCP. */
export function tlsBinding(socket: unknown): Buffer | undefined {
  const s = socket as Partial<TLSSocket>;
  if (typeof s.exportKeyingMaterial !== 'function' || !s.encrypted) return undefined;
  try {
    return s.exportKeyingMaterial(32, TLS_BINDING_LABEL, Buffer.alloc(0));
  } catch {
    return undefined;
  }
}

/**
 * Read the identity kept in `file`, or make one and keep it there (mode 0600,
 * its folder 0700) when there is none. Other people must not read it: a
 * readable key file is refused with a message that says how to fix it.
 */
export function loadOrCreateIdentity(file: string): { identity: Identity; created: boolean } {
  const kept = loadIdentity(file);
  if (kept) return { identity: kept, created: false };
  const identity = generateIdentity();
  // Another process may have made one meanwhile: then that one is the identity.
  if (!saveIdentity(file, identity)) return loadOrCreateIdentity(file);
  return { identity, created: true };
}

/** The identity kept in `file`, or undefined when there is no such file; an IdentityError when it cannot be used. */
export function loadIdentity(file: string): Identity | undefined {
  let pem: string;
  try {
    const st = fs.statSync(file);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw new IdentityError(`the identity key ${file} can be read by other users: run chmod 600 ${file}`);
    }
    pem = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof IdentityError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IdentityError(`cannot read the identity key ${file}: ${(err as Error).message}`);
  }
  return identityFromPem(pem);
}

/**
 * Keep an identity in `file` (mode 0600, its folder 0700). Never overwrites:
 * returns false when the file exists already, since a key file replaced by
 * mistake loses every name the old key owns.
 */
export function saveIdentity(file: string, identity: Identity): boolean {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, identity.toPem(), { mode: 0o600, flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new IdentityError(`cannot save the identity key to ${file}: ${(err as Error).message}`);
  }
}

/** What an exported identity file holds: the PEM, sealed with a key derived from a passphrase. */
interface SealedIdentity {
  format: 'tcp-chat-identity';
  v: 1;
  id: string;
  kdf: { name: 'scrypt' } & KdfParams;
  salt: string;
  iv: string;
  tag: string;
  data: string;
}

/**
 * Seal an identity for moving it to another machine: scrypt(passphrase) as an
 * AES-256-GCM key over the PEM. The id stays readable so a person can see
 * whose key a file holds before typing the passphrase.
 */
export async function exportIdentity(identity: Identity, passphrase: string, kdf: KdfParams = DEFAULT_KDF): Promise<string> {
  if (passphrase.length < 8) throw new IdentityError('choose a passphrase of at least 8 characters');
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await deriveKey(passphrase, salt, { ...kdf, keylen: 32 });
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(identity.toPem(), 'utf8'), cipher.final()]);
  const sealed: SealedIdentity = {
    format: 'tcp-chat-identity',
    v: 1,
    id: identity.id,
    kdf: { name: 'scrypt', ...kdf, keylen: 32 },
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
  return JSON.stringify(sealed, null, 2) + '\n';
}

/** Open an exported identity; a wrong passphrase or a damaged file gives an IdentityError that says which. */
export async function importIdentity(text: string, passphrase: string): Promise<Identity> {
  let sealed: SealedIdentity;
  try {
    sealed = JSON.parse(text) as SealedIdentity;
  } catch {
    throw new IdentityError('this is not an exported identity file (it is not JSON)');
  }
  if (sealed?.format !== 'tcp-chat-identity' || sealed.v !== 1) throw new IdentityError('this is not an exported TCP Chat identity file');
  const bad = kdfProblem(sealed.kdf);
  if (bad) throw new IdentityError(`the identity file is damaged: ${bad}`);
  let pem: string;
  try {
    const key = await deriveKey(passphrase, Buffer.from(sealed.salt, 'base64'), sealed.kdf);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    pem = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new IdentityError('wrong passphrase, or the identity file is damaged');
  }
  const identity = identityFromPem(pem);
  if (identity.id !== sealed.id) throw new IdentityError('the identity file is damaged: its key does not match its id');
  return identity;
}
