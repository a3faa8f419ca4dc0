/**
 * Credentials in service URLs (`postgres://user:PASS@host/db`,
 * `redis://:PASS@host`) must never reach a log line or an error message.
 * Everything that may print such a URL, or an error that a client library
 * built from one, goes through these helpers first.
 */

const MASK = '***';

/** Query parameters that carry secrets (pg accepts `?password=`, some tools `?sslpassword=` or tokens). */
const SECRET_PARAM = /pass|secret|token|key/i;

/** The URL with its password and any secret-looking query parameter replaced by `***`; the rest stays readable. */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not a URL we can parse: hide anything between "//" and "@", which is where a password would sit.
    return raw.replace(/\/\/[^/@]*@/, `//${MASK}@`).replace(/([?&][^=&]*(?:pass|secret|token|key)[^=&]*=)[^&]*/gi, `$1${MASK}`);
  }
  if (url.password) url.password = MASK;
  for (const key of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) url.searchParams.set(key, MASK);
  }
  // URLSearchParams percent-encodes the mask; show it as typed.
  return url.toString().replace(/%2A%2A%2A/g, MASK);
}

/**
 * Removes the URL's password from a message (a client library's error may
 * quote its connection string or parts of it), and any whole copy of the URL.
 */
export function redactSecrets(message: string, raw: string): string {
  let out = message.split(raw).join(redactUrl(raw));
  for (const secret of secretsOf(raw)) out = out.split(secret).join(MASK);
  return out;
}

/** The password (raw and decoded) and secret query values of a URL; short ones are skipped to avoid masking ordinary words. */
function secretsOf(raw: string): string[] {
  const found = new Set<string>();
  try {
    const url = new URL(raw);
    if (url.password) {
      found.add(url.password);
      found.add(safeDecode(url.password));
    }
    for (const [key, value] of url.searchParams) if (SECRET_PARAM.test(key) && value) found.add(value);
  } catch {
    const m = /\/\/[^/@:]*:([^/@]*)@/.exec(raw);
    if (m?.[1]) found.add(m[1]);
  }
  return [...found].filter((s) => s.length >= 3);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
