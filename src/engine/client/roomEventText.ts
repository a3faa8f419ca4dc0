import type { InviteEvent, KickEvent, ModeChange, ModeEvent, PresenceFrame, RoomModes, Topic, TopicEvent } from '../protocol';

/**
 * Room-moderation events as one line of plain text for a person, shared by
 * the terminal client and the panel. The text holds remote strings as they
 * came: each front end makes it safe for its own screen (the terminal strips
 * control characters, the panel renders it with textContent).
 */

/** A room's topic, with who set it; `at` is formatted by the caller. */
export function topicText(room: string, topic: Topic | undefined, at: (ts: string) => string): string {
  return topic ? `topic of #${room}: ${topic.text} (set by ${topic.by} at ${at(topic.at)})` : `#${room} has no topic`;
}

/** A topic change. */
export function topicChangeText(t: TopicEvent): string {
  return t.text === '' ? `${t.by} cleared the topic of #${t.room}` : `${t.by} set the topic of #${t.room}: ${t.text}`;
}

/** Mode changes as IRC writes them, one per change: `+i +k sesame +o bob`. */
export function changesText(changes: readonly ModeChange[]): string {
  return changes.map((c) => (c.arg === undefined ? c.mode : `${c.mode} ${c.arg}`)).join(' ');
}

/** A room's modes as IRC writes them: `+ntk sesame`, the arguments after the letters. */
export function modesText(modes: RoomModes): string {
  const letters = (['n', 't', 'i', 'm'] as const).filter((m) => modes[m]).join('');
  const k = modes.k !== undefined ? 'k' : '';
  const l = modes.l !== undefined ? 'l' : '';
  return [`+${letters}${k}${l}`, ...(modes.k !== undefined ? [modes.k] : []), ...(modes.l !== undefined ? [String(modes.l)] : [])].join(' ');
}

/** A mode change. */
export function modeText(m: ModeEvent): string {
  return `${m.by} sets ${changesText(m.changes)} on #${m.room}`;
}

/** A kick: of `me`, or of someone else. */
export function kickText(k: KickEvent, me: string | undefined): string {
  const why = k.reason ? ` (${k.reason})` : '';
  return k.name === me ? `you were kicked from #${k.room} by ${k.by}${why}` : `${k.name} was kicked from #${k.room} by ${k.by}${why}`;
}

/** An invite to `me`, or the acknowledgement of one `me` sent. */
export function inviteText(i: InviteEvent, me: string | undefined): string {
  return i.name === me ? `${i.by} invites you to #${i.room}` : `invited ${i.name} to #${i.room}`;
}

/** A presence `away` or `back`, or undefined for other events. */
export function awayText(p: PresenceFrame): string | undefined {
  if (p.event === 'away') return `${p.name} is away: ${p.message ?? ''}`;
  if (p.event === 'back') return `${p.name} is back`;
  return undefined;
}
