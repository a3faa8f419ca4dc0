import { DEFAULT_HOST } from './protocol';

/** One server to reach: a host name or IP address (IPv6 without brackets) and a port. */
export interface Endpoint {
  host: string;
  port: number;
}

/** A host:port a person typed that cannot be used; the message says what to type instead. */
export class AddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressError';
  }
}

const EXAMPLE = 'for example 127.0.0.1:12345';

/**
 * Reads one `host:port`, `[v6 address]:port`, `:port` or bare `port`; a
 * missing host is 127.0.0.1. The terminal client and the editor's Chat:
 * Connect both read addresses with this, so they accept the same things.
 */
export function parseHostPort(text: string): Endpoint {
  const s = text.trim();
  if (s === '') throw new AddressError(`give a server as HOST:PORT, ${EXAMPLE}`);
  const m = /^(?:\[([^\],\s]+)\]|([^:,\s[\]]*)):(\d+)$/.exec(s) ?? /^()()(\d+)$/.exec(s);
  if (!m) {
    // An IPv6 address without brackets cannot be told apart from its port.
    const hint = (s.match(/:/g) ?? []).length > 1 && !s.startsWith('[') ? ': put an IPv6 address in brackets, for example [::1]:12345' : `, ${EXAMPLE}`;
    throw new AddressError(`"${s.slice(0, 100)}" is not HOST:PORT${hint}`);
  }
  const port = Number(m[3]);
  if (!Number.isSafeInteger(port) || port < 1 || port > 65535) throw new AddressError(`port ${m[3].slice(0, 20)} in "${s.slice(0, 100)}" is out of range 1-65535`);
  return { host: m[1] || m[2] || DEFAULT_HOST, port };
}

/**
 * Reads a comma-separated list of servers to try in turn
 * (`host1:12345,host2:12345`), each as parseHostPort reads it. Duplicates are
 * kept once, in first-seen order.
 */
export function parseHostPorts(text: string): Endpoint[] {
  const items = text.split(',');
  if (items.length > 1 && items.some((i) => i.trim() === '')) throw new AddressError(`"${text.trim().slice(0, 100)}" has an empty entry: separate servers with single commas, for example 10.0.0.1:12345,10.0.0.2:12345`);
  const seen = new Set<string>();
  const out: Endpoint[] = [];
  for (const item of items) {
    const e = parseHostPort(item);
    const key = formatHostPort(e).toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}

/** `host:port`, with an IPv6 host in brackets: the form parseHostPort reads back. */
export function formatHostPort(e: Endpoint): string {
  const host = e.host.replace(/^\[|\]$/g, '');
  return host.includes(':') ? `[${host}]:${e.port}` : `${host}:${e.port}`;
}
