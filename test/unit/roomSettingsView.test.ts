import * as assert from 'node:assert/strict';
import { RoomSettings } from '../../src/engine/client/roomSettings';
import type { JoinedFrame, WelcomeFrame } from '../../src/engine/protocol';
import { roomSettingsView } from '../../src/extension/roomSettingsView';

/** What the panel is told about a room, from the client's RoomSettings as the frames fill them. */
describe('roomSettingsView (the panel header and people list)', () => {
  const modes = { n: true as const, t: true, i: false, m: false };
  function settings(): RoomSettings {
    const s = new RoomSettings();
    s.welcome({ type: 'welcome', room: 'general', modes, ops: ['Alice'], voiced: [], away: {} } as unknown as WelcomeFrame);
    s.joined({ type: 'joined', room: 'dev', members: [], seq: 0, history: [], topic: { text: 'Ship it', by: 'bob', at: '2026-11-29T18:00:00Z' }, modes, ops: ['bob'], voiced: [] } as JoinedFrame);
    return s;
  }

  it('an operator may set the topic and moderate; names compare folded', () => {
    assert.deepEqual(roomSettingsView('general', 'alice', settings()), { type: 'roomSettings', room: 'general', topic: '', topicBy: '', canSetTopic: true, operator: true });
  });

  it('a member of a +t room sees the topic but may not set it; -t lets them', () => {
    const s = settings();
    assert.deepEqual(roomSettingsView('dev', 'alice', s), { type: 'roomSettings', room: 'dev', topic: 'Ship it', topicBy: 'bob', canSetTopic: false, operator: false });
    s.mode({ type: 'mode', room: 'dev', by: 'bob', changes: [{ mode: '-t' }], modes: { ...modes, t: false } });
    assert.equal(roomSettingsView('dev', 'alice', s).canSetTopic, true);
    s.mode({ type: 'mode', room: 'dev', by: 'bob', changes: [{ mode: '+o', arg: 'alice' }], modes: { ...modes, t: false } });
    assert.equal(roomSettingsView('dev', 'alice', s).operator, true);
  });

  it('a DM, a room not joined, or no connection offers nothing', () => {
    const none = { topic: '', topicBy: '', canSetTopic: false, operator: false };
    for (const [room, s] of [['@alice,bob', settings()], ['ops', settings()], ['general', undefined]] as const) {
      assert.deepEqual(roomSettingsView(room, 'alice', s), { type: 'roomSettings', room, ...none }, room);
    }
  });
});
