import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { CapNegotiation, GATEWAY_CAPS, type CapOffer } from '../../src/engine/codecs/irc/capabilities';
import { serializeIrcMessage, type IrcMessage } from '../../src/engine/codecs/irc/ircMessage';
import { FUZZ } from '../support/ircFuzz';

const ctx = { server: 'irc.test', nick: '*' };
const OFFERS: CapOffer[] = GATEWAY_CAPS.map((name) =>
  name === 'sasl' ? { name, value: 'PLAIN,EXTERNAL' } : name === 'draft/multiline' ? { name, value: 'max-bytes=4096,max-lines=100' } : { name },
);

/** A reply as `SUB args…` without source and nick, for short assertions. */
function show(replies: IrcMessage[]): string[] {
  return replies.map((m) => (m.command === 'CAP' ? m.params.slice(1).join(' ') : `${m.command} ${m.params.slice(1).join(' ')}`));
}

describe('IRC capability negotiation', () => {
  it('lists every capability with its value for LS 302, and names only for a bare LS', () => {
    const neg = new CapNegotiation(OFFERS);
    const ls = neg.handle(['LS', '302'], ctx, false);
    assert.equal(ls.replies.length, 1);
    const offered = ls.replies[0].params[2].split(' ');
    assert.deepEqual(new Set(offered.map((o) => o.split('=')[0])), new Set(GATEWAY_CAPS));
    assert.ok(offered.includes('sasl=PLAIN,EXTERNAL'));
    assert.ok(offered.includes('draft/multiline=max-bytes=4096,max-lines=100'));
    const old = new CapNegotiation(OFFERS).handle(['LS'], ctx, false);
    assert.ok(old.replies[0].params[2].split(' ').includes('sasl'), 'no values for 301');
  });

  it('holds registration from LS until END, and not when CAP comes after registration', () => {
    const neg = new CapNegotiation(OFFERS);
    assert.equal(neg.phase, 'none');
    neg.handle(['LS', '302'], ctx, false);
    assert.equal(neg.phase, 'negotiating');
    assert.equal(neg.handle(['END'], ctx, false).released, true);
    assert.equal(neg.phase, 'done');
    const late = new CapNegotiation(OFFERS);
    late.handle(['LS', '302'], ctx, true);
    assert.equal(late.phase, 'none', 'a registered client is never held');
    assert.equal(late.handle(['END'], ctx, true).released, false);
    const reqFirst = new CapNegotiation(OFFERS);
    reqFirst.handle(['REQ', 'batch'], ctx, false);
    assert.equal(reqFirst.phase, 'negotiating', 'REQ without LS holds registration too');
  });

  it('acknowledges a request all or nothing, and turns capabilities off with "-"', () => {
    const neg = new CapNegotiation(OFFERS);
    neg.handle(['LS', '302'], ctx, false);
    assert.deepEqual(show(neg.handle(['REQ', 'batch server-time'], ctx, false).replies), ['ACK batch server-time']);
    assert.deepEqual(show(neg.handle(['REQ', 'echo-message no-such-cap'], ctx, false).replies), ['NAK echo-message no-such-cap']);
    assert.ok(!neg.has('echo-message'), 'nothing from a refused request');
    assert.deepEqual(show(neg.handle(['REQ', '-batch echo-message'], ctx, false).replies), ['ACK -batch echo-message']);
    assert.deepEqual([...neg.enabled].sort(), ['cap-notify', 'echo-message', 'server-time']);
    assert.deepEqual(show(neg.handle(['LIST'], ctx, false).replies), [`LIST ${[...neg.enabled].join(' ')}`]);
    assert.deepEqual(show(neg.handle(['REQ', '-cap-notify'], ctx, false).replies), ['NAK -cap-notify'], 'LS 302 implies cap-notify for good');
    assert.deepEqual(show(neg.handle(['REQ', ''], ctx, false).replies), ['NAK ']);
  });

  it('answers an unknown subcommand with 410 and a bare CAP with 461', () => {
    const neg = new CapNegotiation(OFFERS);
    assert.deepEqual(show(neg.handle(['FROB'], ctx, false).replies), ['410 FROB Invalid CAP command']);
    assert.deepEqual(show(neg.handle([], ctx, false).replies), ['461 CAP Not enough parameters']);
    assert.equal(neg.handle(['ls', '302'], ctx, false).replies[0].params[1], 'LS', 'subcommands are case-insensitive');
  });

  it('tells a cap-notify client of new and withdrawn capabilities, and no one else', () => {
    const notified = new CapNegotiation([{ name: 'batch' }, { name: 'cap-notify' }]);
    notified.handle(['LS', '302'], ctx, false);
    notified.handle(['REQ', 'batch'], ctx, false);
    assert.deepEqual(show(notified.offer([{ name: 'sasl', value: 'EXTERNAL' }], ctx)), ['NEW sasl=EXTERNAL']);
    assert.deepEqual(notified.offer([{ name: 'sasl', value: 'EXTERNAL' }], ctx), [], 'nothing new, nothing said');
    assert.deepEqual(show(notified.withdraw(['batch', 'unknown'], ctx)), ['DEL batch']);
    assert.ok(!notified.has('batch'), 'a withdrawn capability is off');
    const quiet = new CapNegotiation([{ name: 'batch' }, { name: 'cap-notify' }]);
    quiet.handle(['LS'], ctx, false);
    assert.deepEqual(quiet.offer([{ name: 'sasl' }], ctx), [], 'a 301 client without cap-notify hears nothing');
    quiet.handle(['REQ', 'cap-notify'], ctx, false);
    assert.deepEqual(show(quiet.withdraw(['sasl'], ctx)), ['DEL sasl'], 'unless it asked for cap-notify');
  });

  it('spreads a long LS over several lines with "*" for 302 clients, each within 512 bytes', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `vendor.example/cap-${i}`, value: 'x'.repeat(20) }));
    const neg = new CapNegotiation(many);
    const replies = neg.handle(['LS', '302'], { server: 'irc.test', nick: 'someone' }, false).replies;
    assert.ok(replies.length > 1);
    replies.forEach((r, i) => {
      assert.ok(serializeIrcMessage(r).ok);
      assert.equal(r.params[2] === '*', i < replies.length - 1, 'continuation marks on all but the last');
    });
    const items = replies.flatMap((r) => r.params[r.params.length - 1].split(' '));
    assert.deepEqual(items, many.map((c) => `${c.name}=${c.value}`));
  });

  it('keeps what is enabled a subset of what is offered, whatever the client sends', () => {
    const sub = fc.constantFrom('LS', 'LIST', 'REQ', 'END', 'NEW', 'ls', '');
    const item = fc.constantFrom(...GATEWAY_CAPS, 'bogus', '-batch', '-sasl', '-cap-notify', '');
    fc.assert(
      fc.property(fc.array(fc.tuple(sub, fc.array(item, { maxLength: 4 }), fc.boolean()), { maxLength: 12 }), fc.subarray([...GATEWAY_CAPS]), (commands, withdrawn) => {
        const neg = new CapNegotiation(OFFERS);
        for (const [s, items, registered] of commands) {
          const params = s === 'LS' ? [s, '302'] : [s, items.join(' ')];
          for (const r of neg.handle(params, ctx, registered).replies) assert.ok(serializeIrcMessage(r).ok);
        }
        neg.withdraw(withdrawn, ctx);
        const offered = new Set(GATEWAY_CAPS.filter((c) => !withdrawn.includes(c)));
        for (const c of neg.enabled) assert.ok(offered.has(c as (typeof GATEWAY_CAPS)[number]), c);
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
  });
});
