import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { CASEMAPPING, ircEquals, ircLower } from '../../src/engine/codecs/irc/casemap';
import { serializeIrcMessage, MAX_BODY_BYTES } from '../../src/engine/codecs/irc/ircMessage';
import { CHANNEL_MAX, NICK_MAX, ROOM_MAX, channelForRoom, nickForName, nickProblem, roomForChannel } from '../../src/engine/codecs/irc/ircNames';
import { escapeIsupportValue, isupportReplies, isupportTokens } from '../../src/engine/codecs/irc/isupport';
import * as numerics from '../../src/engine/codecs/irc/numerics';
import { nameProblem, roomProblem } from '../../src/engine/protocol';
import { foldName } from '../../src/engine/stores/store';
import { FUZZ } from '../support/ircFuzz';

const ctx = { server: 'irc.test', nick: 'ann' };

describe('IRC nicks, channels and casemapping', () => {
  it('accepts nicks that are chat names and IRC nicks at once, with the reason otherwise', () => {
    for (const ok of ['ann', 'Ann_Lee', 'x', 'a-b', '`^{|}\\', '_lead', 'n'.repeat(NICK_MAX)]) assert.equal(nickProblem(ok), undefined, ok);
    for (const bad of ['', '1st', '-x', 'has space', 'a,b', 'a!b', 'a@b', '#c', 'a.b', '[bot]', 'Zoë', 'n'.repeat(NICK_MAX + 1), 'server', 'ADMIN']) {
      assert.equal(typeof nickProblem(bad), 'string', bad);
    }
  });

  it('keeps its limits equal to the chat’s own name and room rules', () => {
    assert.equal(nameProblem('n'.repeat(NICK_MAX)), undefined);
    assert.notEqual(nameProblem('n'.repeat(NICK_MAX + 1)), undefined);
    assert.equal(roomProblem('r'.repeat(ROOM_MAX)), undefined);
    assert.notEqual(roomProblem('r'.repeat(ROOM_MAX + 1)), undefined);
    assert.equal(CHANNEL_MAX, ROOM_MAX + 1);
  });

  it('maps channels to rooms case-insensitively, and refuses what cannot be a room', () => {
    assert.deepEqual(roomForChannel('#General'), { room: 'general' });
    assert.equal(channelForRoom('general'), '#general');
    for (const bad of ['general', '#', '#a.b', '#ünï', '#with space', `#${'r'.repeat(ROOM_MAX + 1)}`]) assert.ok('problem' in roomForChannel(bad), bad);
  });

  it('gives every chat name a valid nick: the name itself when it can be, a readable one otherwise', () => {
    assert.equal(nickForName('ann'), 'ann');
    assert.equal(nickForName('Zoë Chen'), 'Zoe_Chen');
    assert.equal(nickForName('9lives'), '_9lives');
    assert.match(nickForName('李雷'), /^u[0-9a-f]{8}$/);
    assert.equal(nickForName('李雷'), nickForName('李雷'), 'stable');
    const taken = new Set(['Zoe_Chen', 'Zoe_Chen_2']);
    assert.equal(nickForName('Zoë Chen', (n) => taken.has(n)), 'Zoe_Chen_3');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 32 }).filter((n) => nameProblem(n) === undefined), (name) => {
        assert.equal(nickProblem(nickForName(name)), undefined, name);
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
  });

  it(`folds as ${CASEMAPPING}: A-Z only, which is what the name registry does on ASCII`, () => {
    assert.equal(CASEMAPPING, 'ascii');
    assert.equal(ircLower('AnN[]\\~É'), 'ann[]\\~É', 'no rfc1459 folding, and nothing beyond ASCII');
    assert.ok(ircEquals('#General', '#gENERAL'));
    assert.ok(!ircEquals('a[', 'a{'));
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 32 }), (s) => ircLower(s) === foldName(s)),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
  });
});

describe('ISUPPORT and numerics', () => {
  const limits = { network: 'Team Chat', topicLen: 390, awayLen: 200, kickLen: 255, maxChannels: 50, maxTargets: 4, maxBans: 100, modesPerCommand: 4, chathistory: 100 };

  it('reports the limits it is given and the rules the codec enforces', () => {
    const tokens = isupportTokens(limits);
    for (const t of ['CASEMAPPING=ascii', 'CHANTYPES=#', `NICKLEN=${NICK_MAX}`, `CHANNELLEN=${CHANNEL_MAX}`, 'PREFIX=(ov)@+', 'CHANMODES=b,k,l,imnt', 'TOPICLEN=390', 'CHANLIMIT=#:50', 'MAXTARGETS=4', 'LINELEN=512', 'NETWORK=Team\\x20Chat', 'CHATHISTORY=100', 'UTF8ONLY']) {
      assert.ok(tokens.includes(t), `${t} in ${tokens.join(' ')}`);
    }
    assert.ok(tokens.some((t) => t.startsWith('TARGMAX=') && t.includes('PRIVMSG:4')));
    assert.ok(!isupportTokens({ ...limits, chathistory: undefined }).some((t) => t.startsWith('CHATHISTORY')), 'no CHATHISTORY while it is off');
    assert.equal(escapeIsupportValue('a b\\c=d'), 'a\\x20b\\x5Cc\\x3Dd');
  });

  it('sends at most 13 tokens per 005, each line within 512 bytes, none lost', () => {
    const tokens = [...isupportTokens(limits), ...Array.from({ length: 30 }, (_, i) => `X${i}=${'v'.repeat(30)}`)];
    const replies = isupportReplies(ctx, tokens);
    for (const r of replies) {
      assert.equal(r.command, '005');
      assert.ok(r.params.length - 2 <= 13);
      assert.equal(r.params[r.params.length - 1], 'are supported by this server');
      const s = serializeIrcMessage(r);
      assert.ok(s.ok && Buffer.byteLength(s.line) + 2 <= MAX_BODY_BYTES);
    }
    assert.deepEqual(replies.flatMap((r) => r.params.slice(1, -1)), tokens);
  });

  it('builds every numeric as a serializable reply to the client, from the server', () => {
    const builders = Object.entries(numerics).filter(([name, f]) => /^(rpl|err)[A-Z]/.test(name) && typeof f === 'function') as [string, (...a: unknown[]) => { source?: string; command: string; params: string[] }][];
    assert.ok(builders.length >= 90, `${builders.length} builders`);
    // Builders that take a list, and where: the rest take strings (numbers are written with String()).
    const listAt: Record<string, number> = { rplUserhost: 0, rplIson: 0, rplWhoisChannels: 1, rplNamReply: 2, rplSaslMechs: 0 };
    for (const [name, build] of builders) {
      const args = Array.from({ length: build.length - 1 }, (_, i) => (listAt[name] === i ? ['x', 'y'] : i === 0 && name === 'rplNamReply' ? '=' : '7'));
      const m = build(ctx, ...args);
      assert.equal(m.source, 'irc.test', name);
      assert.match(m.command, /^\d{3}$/, name);
      assert.equal(m.params[0], 'ann', name);
      assert.ok(serializeIrcMessage(m as never).ok, name);
    }
    assert.deepEqual(numerics.errNicknameInUse(ctx, 'bob').params, ['ann', 'bob', 'Nickname is already in use']);
    assert.deepEqual(numerics.errUnknownCommand({ server: 's', nick: '' }, 'FOO').params, ['*', 'FOO', 'Unknown command'], 'before registration the target is *');
    assert.deepEqual(numerics.errErroneusNickname(ctx, '9x', 'starts with a digit').params[2], 'Erroneous nickname: starts with a digit');
    assert.deepEqual(numerics.standardReply('s', 'FAIL', 'BATCH', 'MULTILINE_MAX_LINES', ['100'], 'too many').params, ['BATCH', 'MULTILINE_MAX_LINES', '100', 'too many']);
  });

  it('spreads NAMES over as many 353 replies as it takes, in order, then 366', () => {
    const members = Array.from({ length: 2000 }, (_, i) => `${i % 7 === 0 ? '@' : ''}member_${i}`);
    const replies = numerics.namesReplies(ctx, '=', '#general', members);
    assert.equal(replies[replies.length - 1].command, '366');
    const lists = replies.slice(0, -1);
    lists.forEach((r, i) => {
      const s = serializeIrcMessage(r);
      assert.ok(s.ok && Buffer.byteLength(s.line) + 2 <= MAX_BODY_BYTES);
      if (i < lists.length - 1) assert.ok(Buffer.byteLength(s.line) + 2 > MAX_BODY_BYTES - 20, 'each line but the last is filled');
    });
    assert.deepEqual(lists.flatMap((r) => r.params[3].split(' ')), members);
    assert.deepEqual(numerics.namesReplies(ctx, '=', '#empty', []).map((r) => r.command), ['366']);
  });
});
