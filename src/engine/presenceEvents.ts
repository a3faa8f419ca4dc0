import type { PeopleFrame, PresenceFrame } from './protocol';

/**
 * The version 1 `presence` events a `people` frame stands for, in version 1's
 * order (online, then leaves and joins, then offline). A count-only frame
 * stands for none.
 */
export function presenceEvents(f: PeopleFrame): PresenceFrame[] {
  const out: PresenceFrame[] = [];
  const ids = new Map((f.people ?? []).map((p) => [p.name, p] as const));
  const each = (names: string[] | undefined, event: PresenceFrame['event']) => {
    for (const name of names ?? []) {
      const p = event === 'online' || event === 'join' ? ids.get(name) : undefined;
      const who = p ? (p.guest ? { id: p.id, guest: true as const } : { id: p.id }) : {};
      out.push(f.room === undefined ? { type: 'presence', event, name, ...who } : { type: 'presence', event, name, room: f.room, ...who });
    }
  };
  each(f.online, 'online');
  each(f.left, 'leave');
  each(f.joined, 'join');
  each(f.offline, 'offline');
  return out;
}
