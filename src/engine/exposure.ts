/** True when only this machine can reach an address (so TLS and a password matter less). */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address.startsWith('::ffff:127.') || address === '::1' || address === 'localhost';
}

/** A protection a server reachable from other machines should have. */
export type Safeguard = 'tls' | 'password';

/** What a server bound to `address` lacks, given what it has; empty when only this machine can reach it. */
export function missingSafeguards(address: string, has: { tls: boolean; password: boolean }): Safeguard[] {
  if (isLoopback(address)) return [];
  const missing: Safeguard[] = [];
  if (!has.tls) missing.push('tls');
  if (!has.password) missing.push('password');
  return missing;
}

/**
 * The warning for a server that other machines can reach without TLS or a
 * password, or undefined when nothing is exposed. `fixes` says, in the words
 * of the caller's interface, how to add each safeguard: the terminal names
 * flags, the editor names settings and commands.
 */
export function exposureWarning(address: string, has: { tls: boolean; password: boolean }, fixes: Record<Safeguard, string>): string | undefined {
  const missing = missingSafeguards(address, has);
  if (missing.length === 0) return undefined;
  const where = `other machines can reach this server (${address})`;
  const risk =
    missing.length === 2
      ? 'traffic is not encrypted and anyone who can reach the port can join'
      : missing[0] === 'tls'
        ? 'traffic is not encrypted, so anyone on the network path can read the chat (the password itself is never sent)'
        : 'traffic is encrypted, but anyone who can reach the port can join';
  return `${where}: ${risk}; ${missing.map((m) => fixes[m]).join(' and ')}`;
}
