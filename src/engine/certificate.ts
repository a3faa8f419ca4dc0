import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';

/** A certificate and key ready for ServerOptions.tls, with what a person needs to check it. */
export interface TlsMaterial {
  cert: string;
  key: string;
  /** SHA-256 of the DER certificate, colon hex: `AB:CD:…`. Clients pin this. */
  fingerprint: string;
  /** True when this call made the certificate. */
  generated: boolean;
  certFile: string;
  keyFile: string;
  /** Something the operator should know (e.g. a key file others can read). */
  warnings: string[];
}

/** Thrown when a certificate or key cannot be made or loaded; the message says what to do. */
export class CertificateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateError';
  }
}

/** Where the CLI keeps its state (generated certificate, known hosts) when not told otherwise. */
export function defaultDataDir(): string {
  return path.join(os.homedir(), '.tcp-chat');
}

export const CERT_FILE = 'server-cert.pem';
export const KEY_FILE = 'server-key.pem';

/** SHA-256 fingerprint of a PEM or DER certificate, as colon-separated uppercase hex. */
export function fingerprintOf(cert: string | Buffer): string {
  return new X509Certificate(cert).fingerprint256;
}

/**
 * Canonical form of a fingerprint a person typed or pasted: accepts any case,
 * with or without colons or spaces, and an optional `SHA256:` prefix. Returns
 * undefined when it is not 32 bytes of hex.
 */
export function normalizeFingerprint(s: string): string | undefined {
  const hex = s
    .trim()
    .replace(/^sha-?256[:=\s]*/i, '')
    .replace(/[:\s-]/g, '')
    .toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return undefined;
  return hex.match(/../g)!.join(':');
}

/** Options for a generated certificate. */
export interface GenerateOptions {
  /** Subject common name and DNS name. Default: this machine's host name. */
  commonName?: string;
  /** Validity in days. Default 3650: clients pin the fingerprint, so expiry would only force a needless re-pin. */
  days?: number;
}

/**
 * Load the certificate and key kept in `dir`, or make a self-signed pair there
 * on first use. The key file is written with mode 0600 and the directory 0700.
 */
export async function loadOrCreateCertificate(dir: string, opts: GenerateOptions = {}): Promise<TlsMaterial> {
  const certFile = path.join(dir, CERT_FILE);
  const keyFile = path.join(dir, KEY_FILE);
  const hasCert = fs.existsSync(certFile);
  const hasKey = fs.existsSync(keyFile);
  if (hasCert && hasKey) return loadCertificate(certFile, keyFile);
  if (hasCert !== hasKey) {
    throw new CertificateError(`found ${hasCert ? certFile : keyFile} without ${hasCert ? keyFile : certFile}: restore the missing file, or delete both to make a new certificate (clients will then see a changed fingerprint)`);
  }
  const pems = await generateCertificate(opts);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Write under temporary names and rename, so a crash never leaves a half-written key
    // and two servers starting at once cannot interleave their files.
    const tmpKey = `${keyFile}.${process.pid}.tmp`;
    const tmpCert = `${certFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmpKey, pems.key, { mode: 0o600, flag: 'wx' });
    fs.chmodSync(tmpKey, 0o600); // the mode above is filtered by umask; this is not
    fs.writeFileSync(tmpCert, pems.cert, { mode: 0o644, flag: 'wx' });
    fs.renameSync(tmpKey, keyFile);
    fs.renameSync(tmpCert, certFile);
  } catch (err) {
    throw new CertificateError(`cannot write a certificate to ${dir}: ${(err as Error).message}; pick a writable directory with --data`);
  }
  return { ...pems, fingerprint: fingerprintOf(pems.cert), generated: true, certFile, keyFile, warnings: [] };
}

/** Read a certificate and key from PEM files, check that they belong together, and fingerprint the certificate. */
export function loadCertificate(certFile: string, keyFile: string): TlsMaterial {
  const cert = readPem(certFile, 'certificate');
  const key = readPem(keyFile, 'key');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new CertificateError(`${certFile} is not a PEM certificate (${(err as Error).message})`);
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key))) throw new Error('mismatch');
  } catch (err) {
    const why = (err as Error).message === 'mismatch' ? 'belongs to a different certificate' : `is not a usable private key (${(err as Error).message})`;
    throw new CertificateError(`${keyFile} ${why}: give the key that matches ${certFile}`);
  }
  const warnings: string[] = [];
  if (process.platform !== 'win32') {
    const mode = fs.statSync(keyFile).mode & 0o777;
    if (mode & 0o077) warnings.push(`${keyFile} can be read by other users (mode ${mode.toString(8)}): run chmod 600 ${keyFile}`);
  }
  if (Date.parse(x509.validTo) < Date.now()) {
    warnings.push(`the certificate in ${certFile} expired on ${x509.validTo}; TCP Chat clients pin the fingerprint and still connect, other TLS tools will complain`);
  }
  return { cert, key, fingerprint: x509.fingerprint256, generated: false, certFile, keyFile, warnings };
}

/** A fresh self-signed certificate and key as PEM strings. */
export async function generateCertificate(opts: GenerateOptions = {}): Promise<{ cert: string; key: string }> {
  // Loaded on demand: only a TLS server that has no certificate yet needs it.
  const selfsigned = await import('selfsigned');
  const cn = (opts.commonName ?? os.hostname()).slice(0, 64) || 'tcp-chat';
  const notBeforeDate = new Date(Date.now() - 60_000); // tolerate a little clock skew
  const notAfterDate = new Date(notBeforeDate.getTime() + (opts.days ?? 3650) * 86_400_000);
  const pems = await selfsigned.generate([{ name: 'commonName', value: cn }], {
    // P-256 ECDSA: fast to make and to handshake with, and supported by every TLS 1.2/1.3 stack.
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: cn }, { type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

function readPem(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CertificateError(`no ${what} file at ${file}: check the path`);
    if (code === 'EACCES') throw new CertificateError(`not allowed to read the ${what} file ${file}: check its permissions`);
    throw new CertificateError(`cannot read the ${what} file ${file}: ${(err as Error).message}`);
  }
}
