/**
 * The guard every line from a client passes: JSON, a known `type`, and the
 * fields that type needs. Bad input becomes a typed error, never an exception
 * (docs/protocol.md, "Errors").
 */
import { CONVERSATION_CLIENT_TYPES, conversationProblem } from './conversationFrames';
import { fileFrameProblem } from './fileFrames';
import { isObj, isSeq, optInt, optStr } from './frameChecks';
import type { ClientFrame, ErrorCode, Snippet } from './protocol';
import { ROOM_CLIENT_TYPES, roomFrameProblem } from './roomFrames';
/** The outcome of checking one parsed line from a client. */
export type ParseResult = { ok: true; frame: ClientFrame } | { ok: false; code: ErrorCode; message: string; ref?: string };

const CLIENT_TYPES = new Set<string>(['hello', 'auth', 'message', 'join', 'leave', 'typing', 'history', 'search', 'nick', 'who', 'ping', 'pong', 'file_offer', 'file_chunk', ...CONVERSATION_CLIENT_TYPES, ...ROOM_CLIENT_TYPES]);
const ROOM_TYPES = new Set<unknown>(ROOM_CLIENT_TYPES);

function isSnippet(v: unknown): v is Snippet {
  return (
    isObj(v) &&
    typeof v.lang === 'string' &&
    typeof v.file === 'string' &&
    typeof v.code === 'string' &&
    Number.isSafeInteger(v.startLine) &&
    Number.isSafeInteger(v.endLine) &&
    (v.remote === undefined || (typeof v.remote === 'string' && v.remote.length <= 512)) &&
    (v.commit === undefined || (typeof v.commit === 'string' && /^[0-9a-f]{40,64}$/.test(v.commit)))
  );
}

/** Why a field set is wrong, or undefined when the frame is well formed. */
function problem(o: Record<string, unknown>): string | undefined {
  if (ROOM_TYPES.has(o.type)) return roomFrameProblem(o);
  switch (o.type) {
    case 'hello':
      if (typeof o.v !== 'number') return 'hello needs a numeric "v"';
      if (typeof o.name !== 'string') return 'hello needs a string "name"';
      if (!optStr(o, 'session')) return '"session" must be a string';
      if (o.features !== undefined && !(Array.isArray(o.features) && o.features.length <= 32 && o.features.every((x) => typeof x === 'string'))) return '"features" must be an array of strings';
      if (!optStr(o, 'key')) return '"key" must be a string';
      if (o.insist !== undefined && typeof o.insist !== 'boolean') return '"insist" must be true or false';
      return;
    case 'auth':
      if (!optStr(o, 'proof') || !optStr(o, 'signature')) return '"proof" and "signature" must be strings';
      if (o.proof === undefined && o.signature === undefined) return 'auth needs a "proof", a "signature", or both';
      return;
    case 'message':
      if (typeof o.id !== 'string' || o.id.length === 0 || o.id.length > 128) return 'message needs a string "id" of 1-128 characters';
      if (typeof o.text !== 'string') return 'message needs a string "text"';
      if (!optStr(o, 'room') || !optStr(o, 'to')) return '"room" and "to" must be strings';
      if (o.room !== undefined && o.to !== undefined) return 'give "room" or "to", not both';
      if (o.snippet !== undefined && !isSnippet(o.snippet)) return '"snippet" needs lang, file, code, startLine and endLine';
      if (o.replyTo !== undefined && !isSeq(o.replyTo)) return '"replyTo" must be a positive integer seq';
      return;
    case 'react':
    case 'edit':
    case 'delete':
    case 'changes':
      return conversationProblem(o);
    case 'join':
      if (!optStr(o, 'key')) return '"key" must be a string';
      return typeof o.room === 'string' ? undefined : 'join needs a string "room"';
    case 'leave':
      return typeof o.room === 'string' ? undefined : 'leave needs a string "room"';
    case 'typing':
      if (!optStr(o, 'room') || !optStr(o, 'to')) return '"room" and "to" must be strings';
      return;
    case 'history':
      if (typeof o.room !== 'string') return 'history needs a string "room"';
      if (!optInt(o, 'before') || !optInt(o, 'after') || !optInt(o, 'limit')) return '"before", "after" and "limit" must be non-negative integers';
      if (!optStr(o, 'id')) return '"id" must be a string';
      return;
    case 'search':
      if (typeof o.query !== 'string') return 'search needs a string "query"';
      if (!optStr(o, 'room') || !optStr(o, 'id') || !optStr(o, 'cursor')) return '"room", "id" and "cursor" must be strings';
      if (!optInt(o, 'limit')) return '"limit" must be a non-negative integer';
      return;
    case 'nick':
      return typeof o.name === 'string' ? undefined : 'nick needs a string "name"';
    case 'who':
      if (!optStr(o, 'id') || !optStr(o, 'room') || !optStr(o, 'prefix') || !optStr(o, 'after')) return '"id", "room", "prefix" and "after" must be strings';
      if (!optInt(o, 'limit')) return '"limit" must be a non-negative integer';
      return;
    case 'file_offer':
    case 'file_chunk':
      return fileFrameProblem(o);
    case 'ping':
    case 'pong':
      return o.id === undefined || typeof o.id === 'string' || typeof o.id === 'number' ? undefined : '"id" must be a string or number';
  }
  return 'unknown';
}

/** Turns one line (without its newline) into a checked client frame or an error. */
export function parseClientFrame(line: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, code: 'bad_json', message: 'each line must be one JSON object' };
  }
  if (!isObj(value)) return { ok: false, code: 'bad_json', message: 'each line must be one JSON object' };
  const ref = typeof value.id === 'string' ? value.id : undefined;
  if (typeof value.type !== 'string') return { ok: false, code: 'bad_frame', message: 'every frame needs a string "type"', ref };
  if (!CLIENT_TYPES.has(value.type)) {
    return { ok: false, code: 'unknown_type', message: `unknown frame type "${value.type.slice(0, 40)}"`, ref };
  }
  const why = problem(value);
  if (why !== undefined) return { ok: false, code: 'bad_frame', message: why, ref };
  return { ok: true, frame: value as unknown as ClientFrame };
}
