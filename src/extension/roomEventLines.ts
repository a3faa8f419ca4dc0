import type { ChatClient } from '../engine/client/chatClient';
import { awayText, inviteText, kickText, modeText, topicChangeText } from '../engine/client/roomEventText';
import { DEFAULT_ROOM } from '../engine/protocol';

/** What the room-moderation events need from the session. */
export interface RoomEventLinesHost {
  /** This user's name now. */
  me(): string | undefined;
  /** The room or DM key the panel shows. */
  active(): string;
  /** A quiet line in a room's conversation. */
  system(room: string, text: string): void;
  /** A room's topic, modes or operators changed: the panel hears it when it shows that room. */
  settingsChanged(room: string): void;
  /** This user was kicked from a room: it is out of it, as after a leave. */
  kickedFrom(room: string): void;
}

/**
 * Room moderation as the panel's conversation tells it: topic, mode, kick
 * and invite lines in their rooms, away and back in general, and the panel's
 * room settings refreshed when they change. Returns the listeners to drop
 * with the client.
 */
export function wireRoomEventLines(c: ChatClient, host: RoomEventLinesHost): { dispose(): void }[] {
  return [
    c.onTopic((t) => {
      host.system(t.room, topicChangeText(t));
      host.settingsChanged(t.room);
    }),
    c.onMode((m) => {
      host.system(m.room, modeText(m));
      host.settingsChanged(m.room);
    }),
    c.onKick((k) => {
      if (k.name !== host.me()) {
        host.system(k.room, kickText(k, host.me()));
        return host.settingsChanged(k.room);
      }
      host.kickedFrom(k.room);
      // The room is gone from the list: the news goes where the panel lands.
      host.system(DEFAULT_ROOM, kickText(k, host.me()));
    }),
    c.onInvite((i) => host.system(i.name === host.me() ? host.active() : i.room, inviteText(i, host.me()))),
    c.onJoined((j) => host.settingsChanged(j.room)),
    c.onPresence((p) => {
      const away = awayText(p);
      if (away) host.system(DEFAULT_ROOM, away);
      // A renamed operator stays one: what the panel offers follows the name.
      if (p.event === 'rename') host.settingsChanged(host.active());
    }),
  ];
}
