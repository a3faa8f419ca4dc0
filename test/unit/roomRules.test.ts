import * as assert from 'node:assert/strict';
import { applyModes, banOf, emptyRoomState, globMatch, joinRefusal, newRoomState, parseRoomState, withRename, writeRefusal } from '../../src/engine/server/roomRules';

/** The room rules on their own, without sockets: masks, refusals, mode changes, and what a damaged stored state becomes. */
describe('room rules', () => {
  it('matches ban masks as globs over folded names', () => {
    const cases: Array<[string, string, boolean]> = [
      ['mal*', 'mallory', true],
      ['mal*', 'amal', false],
      ['*spam*', 'i-spam-you', true],
      ['b?b', 'bob', true],
      ['b?b', 'bb', false],
      ['*', '', true],
      ['ann lee', 'ann lee', true],
      ['émile*', 'émile2', true],
      ['😀?', '😀x', true],
    ];
    for (const [mask, name, want] of cases) assert.equal(globMatch(mask, name), want, `${mask} ~ ${name}`);
  });

  it('takes linear time on a mask full of stars (no regular expression backtracking)', () => {
    const mask = '*a'.repeat(30) + 'b';
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) assert.equal(globMatch(mask, 'a'.repeat(32)), false);
    assert.ok(performance.now() - t0 < 500, 'a thousand pathological matches take well under half a second');
  });

  it('bans by name compare folded; id: masks match only a proven identity', () => {
    const state = { ...emptyRoomState(), bans: [{ mask: 'bob', by: 'a', at: 't' }, { mask: 'id:SHA256:xyz', by: 'a', at: 't' }] };
    assert.equal(banOf(state, { name: 'BOB' })?.mask, 'bob');
    assert.equal(banOf(state, { name: 'ＢＯＢ' })?.mask, 'bob', 'full-width letters fold');
    assert.equal(banOf(state, { name: 'carol' }), undefined);
    assert.equal(banOf(state, { name: 'carol', id: 'SHA256:xyz' })?.mask, 'id:SHA256:xyz');
    assert.equal(banOf(state, { name: 'id:SHA256:xyz' }), undefined, 'a name never matches an identity mask');
  });

  it('checks a join in order: operator, ban, invite-only, key, limit; general lets everyone in', () => {
    const state = { ...newRoomState('alice'), modes: { t: true, i: true, m: false, k: 'k1', l: 2 }, bans: [{ mask: 'mal*', by: 'alice', at: 't' }], invites: ['carol'] };
    assert.equal(joinRefusal(state, { name: 'Alice' }, 'dev', undefined, 99), undefined);
    assert.equal(joinRefusal(state, { name: 'mallory' }, 'dev', 'k1', 0)?.code, 'banned');
    assert.equal(joinRefusal(state, { name: 'bob' }, 'dev', 'k1', 0)?.code, 'invite_only');
    assert.equal(joinRefusal(state, { name: 'carol' }, 'dev', undefined, 1), undefined, 'an invite stands for the key');
    assert.equal(joinRefusal(state, { name: 'carol' }, 'dev', undefined, 2)?.code, 'room_full', 'not for the limit');
    assert.equal(joinRefusal({ ...state, modes: { ...state.modes, i: false } }, { name: 'bob' }, 'dev', 'nope', 0)?.code, 'bad_key');
    assert.equal(joinRefusal(state, { name: 'mallory' }, 'general', undefined, 99), undefined);
    assert.equal(writeRefusal(state, { name: 'mallory' }, 'general')?.code, 'banned', 'a ban in general silences');
  });

  it('applies all the changes of a frame or none', () => {
    const state = newRoomState('alice');
    const ctx = { room: 'dev', by: 'alice', now: 't', identities: false, member: (n: string) => (n.toLowerCase() === 'bob' ? 'bob' : undefined) };
    const ok = applyModes(state, [{ mode: '+i' }, { mode: '+o', arg: 'BOB' }, { mode: '+b', arg: 'Mal*' }, { mode: '+l', arg: '10' }], ctx);
    assert.ok(!('code' in ok));
    assert.deepEqual(ok.applied, [{ mode: '+i' }, { mode: '+o', arg: 'bob' }, { mode: '+b', arg: 'mal*' }, { mode: '+l', arg: '10' }]);
    assert.deepEqual([ok.state.modes, ok.state.ops, ok.state.bans.map((b) => b.mask)], [{ t: true, i: true, m: false, l: 10 }, ['alice', 'bob'], ['mal*']]);
    assert.deepEqual(state, newRoomState('alice'), 'the state given is not changed');
    const bad = applyModes(state, [{ mode: '+i' }, { mode: '+o', arg: 'carol' }], ctx);
    assert.equal('code' in bad && bad.code, 'user_not_in_room');
  });

  it('reads a damaged stored state as far as it makes sense', () => {
    assert.deepEqual(parseRoomState(null), emptyRoomState());
    const parsed = parseRoomState({ topic: { text: 1 }, modes: { t: false, k: 5, l: -1 }, ops: ['a', 2], bans: [{ mask: 'x' }], invites: 'no' });
    assert.deepEqual(parsed, { modes: { t: false, i: false, m: false }, ops: ['a'], voiced: [], bans: [], invites: [] });
  });

  it('moves operator and voice entries with a rename', () => {
    const state = { ...newRoomState('Alice'), voiced: ['alice', 'bob'] };
    assert.deepEqual(withRename(state, 'ALICE', 'alicia'), { ...state, ops: ['alicia'], voiced: ['alicia', 'bob'] });
    assert.equal(withRename(state, 'carol', 'caroline'), undefined);
  });
});
