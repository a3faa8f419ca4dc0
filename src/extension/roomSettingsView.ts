import type { RoomSettings } from '../engine/client/roomSettings';
import { isDmKey } from '../engine/protocol';
import type { RoomSettingsMsg } from '../shared/panelProtocol';

/**
 * What the panel is told about a room: its topic, and what `me` may do
 * there. A DM, or a room the client has no settings for (not in it yet, or a
 * server from before room moderation), has no topic and offers nothing.
 */
export function roomSettingsView(room: string, me: string | undefined, settings: RoomSettings | undefined): RoomSettingsMsg {
  const s = isDmKey(room) ? undefined : settings?.get(room);
  const operator = s !== undefined && me !== undefined && settings!.isOperator(room, me);
  return {
    type: 'roomSettings',
    room,
    topic: s?.topic?.text ?? '',
    topicBy: s?.topic?.by ?? '',
    canSetTopic: s !== undefined && (operator || !s.modes.t),
    operator,
  };
}
