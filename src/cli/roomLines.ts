import type { InviteEvent, KickEvent, ModeChange, ModeEvent, PresenceFrame, RoomModes, Topic, TopicEvent } from '../engine/protocol';
import { clean, time } from './terminalText';

/**
 * What the terminal client prints for room moderation: topics, modes, kicks,
 * invites and away status. Every piece of remote text goes through clean().
 */

/** The topic line printed on joining a room (and for /topic). */
export function topicLine(room: string, topic: Topic | undefined): string {
  if (!topic) return `* #${room} has no topic`;
  return `* topic of #${room}: ${clean(topic.text)} (set by ${clean(topic.by)} at ${time(topic.at)})`;
}

/** A topic change. */
export function topicChangeLine(t: TopicEvent): string {
  return t.text === '' ? `* ${clean(t.by)} cleared the topic of #${t.room}` : `* ${clean(t.by)} set the topic of #${t.room}: ${clean(t.text)}`;
}

/** Mode changes as IRC writes them, one per change: `+i +k sesame +o bob`. */
export function changesText(changes: readonly ModeChange[]): string {
  return changes.map((c) => (c.arg === undefined ? c.mode : `${c.mode} ${clean(c.arg)}`)).join(' ');
}

/** A room's modes as IRC writes them: `+ntk sesame`, the arguments after the letters. */
export function modesText(modes: RoomModes): string {
  const letters = (['n', 't', 'i', 'm'] as const).filter((m) => modes[m]).join('');
  const args: string[] = [];
  let withArgs = '';
  if (modes.k !== undefined) {
    withArgs += 'k';
    args.push(clean(modes.k));
  }
  if (modes.l !== undefined) {
    withArgs += 'l';
    args.push(String(modes.l));
  }
  return [`+${letters}${withArgs}`, ...args].join(' ');
}

/** A mode change. */
export function modeLine(m: ModeEvent): string {
  return `* ${clean(m.by)} sets ${changesText(m.changes)} on #${m.room}`;
}

/** A kick: of this client, or of someone else. */
export function kickLine(k: KickEvent, me: string): string {
  const why = k.reason ? ` (${clean(k.reason)})` : '';
  return k.name === me ? `* you were kicked from #${k.room} by ${clean(k.by)}${why}` : `* ${clean(k.name)} was kicked from #${k.room} by ${clean(k.by)}${why}`;
}

/** An invite to this client, or the acknowledgement of one it sent. */
export function inviteLine(i: InviteEvent, me: string): string {
  return i.name === me ? `* ${clean(i.by)} invites you to #${i.room}: type /join ${i.room}` : `* invited ${clean(i.name)} to #${i.room}`;
}

/** A presence `away` or `back`, or undefined for other events. */
export function awayLine(p: PresenceFrame): string | undefined {
  if (p.event === 'away') return `* ${clean(p.name)} is away: ${clean(p.message ?? '')}`;
  if (p.event === 'back') return `* ${clean(p.name)} is back`;
  return undefined;
}

/** A name in the /who list, with their away message. */
export function whoEntry(name: string, away: string | undefined): string {
  return away === undefined ? clean(name) : `${clean(name)} (away: ${clean(away)})`;
}
