/**
 * Links to one message ("Copy Link to Message"):
 * `vscode://tcp-chat.tcp-chat/message?server=HOST:PORT&room=ROOM&seq=N`.
 * The URI handler opens the panel at that message when this window is
 * connected to that server. No `vscode` import: plain string work, tested
 * under mocha.
 */
import { isDmKey, roomProblem } from '../engine/protocol';
import { EXTENSION_ID } from './inviteLink';

/** The path of message links. */
export const MESSAGE_PATH = '/message';

/** Where a message link points. */
export interface MessageTarget {
  /** `host:port` as the session reports its address. */
  server: string;
  room: string;
  seq: number;
}

/** The link for a message, as the clipboard gets it. */
export function messageLink(t: MessageTarget, scheme = 'vscode'): string {
  const q = new URLSearchParams({ server: t.server, room: t.room, seq: String(t.seq) });
  return `${scheme}://${EXTENSION_ID}${MESSAGE_PATH}?${q.toString()}`;
}

/** The target of a message link's query, or a sentence saying what is wrong with it. */
export function parseMessageLink(query: string): MessageTarget | string {
  const q = new URLSearchParams(query);
  const server = q.get('server') ?? '';
  const room = q.get('room') ?? '';
  const seqText = q.get('seq') ?? '';
  if (!/^[^\s/?#]{1,300}:\d{1,5}$/.test(server)) return 'the link names no server (host:port)';
  if (!isDmKey(room) && roomProblem(room) !== undefined) return 'the link names no valid room';
  if (isDmKey(room) && room.length > 300) return 'the link names no valid conversation';
  if (!/^[1-9]\d{0,15}$/.test(seqText) || !Number.isSafeInteger(Number(seqText))) return 'the link names no message number';
  return { server, room, seq: Number(seqText) };
}
