/** True when only this machine can reach an address (so TLS and a password matter less). */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address.startsWith('::ffff:127.') || address === '::1' || address === 'localhost';
}
