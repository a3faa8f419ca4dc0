/**
 * How the gateway compares nicks and channel names: `ascii`, so only A-Z fold
 * to a-z. IRC nicks here are ASCII (see ircNames.ts), and on ASCII the chat
 * server's own folding (NFKC, then toLowerCase: foldName in stores/store.ts)
 * gives the same answer, so IRC clients and the name registry agree on who is
 * who. `rfc1459` would also fold `[]\~` to `{}|^`, which the registry does
 * not, and the modern spec advises against it.
 */
export const CASEMAPPING = 'ascii';

/** Folds A-Z to a-z and leaves every other character alone. */
export function ircLower(s: string): string {
  // Most names and channels arrive in lower case: no new string for them (this runs per message).
  return HAS_UPPER.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}

const HAS_UPPER = /[A-Z]/;

/** True when two nicks or channel names are the same under CASEMAPPING=ascii. */
export function ircEquals(a: string, b: string): boolean {
  return a.length === b.length && ircLower(a) === ircLower(b);
}
