import { awayText, inviteText, kickText, modeText, modesText, topicChangeText, topicText } from '../engine/client/roomEventText';
import type { InviteEvent, KickEvent, ModeEvent, PresenceFrame, RoomModes, Topic, TopicEvent } from '../engine/protocol';
import { clean, time } from './terminalText';

/**
 * What the terminal client prints for room moderation: the shared texts of
 * engine/client/roomEventText.ts as `* ` lines, with every control character
 * of remote text stripped.
 */

/** The topic line printed on joining a room (and for /topic). */
export function topicLine(room: string, topic: Topic | undefined): string {
  return `* ${clean(topicText(room, topic, time))}`;
}

export function topicChangeLine(t: TopicEvent): string {
  return `* ${clean(topicChangeText(t))}`;
}

export function modeLine(m: ModeEvent): string {
  return `* ${clean(modeText(m))}`;
}

/** `/mode` without changes: the modes and operators of a room. */
export function modesLine(room: string, modes: RoomModes, ops: readonly string[]): string {
  return `* ${clean(`modes of #${room}: ${modesText(modes)}; operators: ${ops.join(', ') || 'none'}`)}`;
}

export function kickLine(k: KickEvent, me: string): string {
  return `* ${clean(kickText(k, me))}`;
}

/** An invite; one to this client says how to take it up. */
export function inviteLine(i: InviteEvent, me: string): string {
  return `* ${clean(inviteText(i, me))}${i.name === me ? `: type /join ${i.room}` : ''}`;
}

/** A presence `away` or `back`, or undefined for other events. */
export function awayLine(p: PresenceFrame): string | undefined {
  const text = awayText(p);
  return text === undefined ? undefined : `* ${clean(text)}`;
}

/** A person in the /who list as shown (already cleaned), with their away message. */
export function whoEntry(shown: string, away: string | undefined): string {
  return away === undefined ? shown : `${shown} (away: ${clean(away)})`;
}
