/**
 * Invite links: what a host shares so a guest can join in one step. Two
 * spellings of the same facts (host, port, room, TLS fingerprint; never a
 * password): a `vscode://` link for the extension's URI handler, and
 * `tcp-chat://HOST:PORT/ROOM#FINGERPRINT` for the terminal client.
 * No `vscode` import: the CLI parses these too.
 */
import { normalizeFingerprint } from '../engine/certificate';
import { DEFAULT_ROOM, roomProblem } from '../engine/protocol';

/** The extension's id, the authority of its `vscode://` links. */
export const EXTENSION_ID = 'tcp-chat.tcp-chat';
/** The path the URI handler answers. */
export const INVITE_PATH = '/join';

/** What an invite carries. */
export interface Invite {
  host: string;
  port: number;
  room: string;
  /** The server's SHA-256 certificate fingerprint (colon hex); absent for plain TCP. */
  fingerprint?: string;
}

/** Thrown for a link that is not a usable invite; the message says what is wrong. */
export class InviteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InviteError';
  }
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** `vscode://tcp-chat.tcp-chat/join?host=…&port=…&room=…&fingerprint=…`. */
export function vscodeInvite(i: Invite, scheme = 'vscode'): string {
  const q = new URLSearchParams({ host: i.host, port: String(i.port), room: i.room });
  if (i.fingerprint) q.set('fingerprint', i.fingerprint);
  return `${scheme}://${EXTENSION_ID}${INVITE_PATH}?${q.toString()}`;
}

/** `tcp-chat://HOST:PORT/ROOM#FINGERPRINT` (the fingerprint only for TLS servers). */
export function terminalInvite(i: Invite): string {
  return `tcp-chat://${hostForUrl(i.host)}:${i.port}/${encodeURIComponent(i.room)}${i.fingerprint ? `#${i.fingerprint}` : ''}`;
}

/** Checks and normalizes the parts of an invite, whichever spelling they came in. */
export function checkInvite(parts: { host?: string | null; port?: string | null; room?: string | null; fingerprint?: string | null }): Invite {
  const host = (parts.host ?? '').trim().replace(/^\[|\]$/g, '');
  if (!host || /[\s/?#@]/.test(host)) throw new InviteError('the link has no usable host');
  const port = Number(parts.port);
  if (!/^\d{1,5}$/.test(parts.port ?? '') || port < 1 || port > 65535) throw new InviteError(`the link's port "${parts.port ?? ''}" is not a number from 1 to 65535`);
  const room = (parts.room ?? '').replace(/^#/, '') || DEFAULT_ROOM;
  const why = roomProblem(room);
  if (why) throw new InviteError(`the link's room "${room.slice(0, 40)}" cannot be used: ${why}`);
  let fingerprint: string | undefined;
  if (parts.fingerprint) {
    fingerprint = normalizeFingerprint(parts.fingerprint);
    if (!fingerprint) throw new InviteError('the link\'s fingerprint is not a SHA-256 fingerprint (64 hex digits)');
  }
  return { host, port, room, ...(fingerprint && { fingerprint }) };
}

/** Reads either spelling of an invite; throws an InviteError that says what is wrong. */
export function parseInvite(link: string): Invite {
  const text = link.trim();
  if (/^tcp-chat:/i.test(text)) {
    // Read by hand: URL would refuse a bad port before we could say which part is wrong.
    const m = /^tcp-chat:\/\/(\[[^\]]+\]|[^/:#?]+):([^/#?]*)(?:\/([^#?]*))?(?:#(.*))?$/i.exec(text);
    if (!m) throw new InviteError('a tcp-chat link looks like tcp-chat://HOST:PORT/ROOM#FINGERPRINT');
    let room: string;
    try {
      room = decodeURIComponent(m[3] ?? '');
    } catch {
      throw new InviteError('the link\'s room is not readable');
    }
    return checkInvite({ host: m[1], port: m[2], room, fingerprint: m[4] || undefined });
  }
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new InviteError('that is not a link');
  }
  if (u.hostname.toLowerCase() === EXTENSION_ID && u.pathname === INVITE_PATH) {
    const q = u.searchParams;
    return checkInvite({ host: q.get('host'), port: q.get('port'), room: q.get('room'), fingerprint: q.get('fingerprint') });
  }
  throw new InviteError(`not a TCP Chat invite: it should start with tcp-chat:// or vscode://${EXTENSION_ID}${INVITE_PATH}`);
}
