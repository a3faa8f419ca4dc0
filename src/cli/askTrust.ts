import type * as readline from 'node:readline';

/** Trust on first use, on the terminal: show the fingerprint and ask. */
export function askTrust(rl: readline.Interface, address: string, fp: string, pinned: string | undefined, knownFile: string): Promise<boolean> {
  const intro = pinned
    ? `The certificate of ${address} is NOT the one pinned in ${knownFile}:\n  pinned: ${pinned}\n  now:    ${fp}\nOnly go on if the server's operator confirms the new fingerprint.`
    : `The server at ${address} presents a certificate this machine has not seen before.\n  SHA-256 fingerprint: ${fp}`;
  return new Promise((resolve) => {
    rl.once('close', () => resolve(false));
    rl.question(`${intro}\nCompare it with the fingerprint in the server's banner. Trust it and remember it? [y/N] `, (answer) => resolve(/^\s*y(es)?\s*$/i.test(answer)));
  });
}
