import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { serializeIrcMessage } from '../../src/engine/codecs/irc/ircMessage';
import { SASL_CHUNK, SASL_MAX_PAYLOAD, SaslExchange, authenticateChunks, plainPayload, saslReplies, saslSuccessReplies, type SaslStep } from '../../src/engine/codecs/irc/sasl';
import { FUZZ } from '../support/ircFuzz';

const ctx = { server: 'irc.test', nick: 'ann' };

/** Runs a whole client side: mechanism, then every chunk; returns the last step. */
function exchange(sasl: SaslExchange, mechanism: string, payload: Buffer | string): SaslStep {
  const first = sasl.step(mechanism);
  assert.deepEqual(first, { kind: 'continue' });
  const chunks = authenticateChunks(payload);
  chunks.slice(0, -1).forEach((c) => assert.deepEqual(sasl.step(c), { kind: 'more' }));
  return sasl.step(chunks[chunks.length - 1]);
}

describe('SASL over AUTHENTICATE', () => {
  it('decodes PLAIN into what the server must check, then logs in with 900 and 903', () => {
    const sasl = new SaslExchange();
    assert.deepEqual(exchange(sasl, 'PLAIN', plainPayload('ann', 'correct horse')), {
      kind: 'verify',
      credentials: { mechanism: 'PLAIN', authzid: '', authcid: 'ann', password: 'correct horse' },
    });
    assert.equal(sasl.succeed(), true);
    assert.equal(sasl.authenticated, true);
    assert.deepEqual(
      saslSuccessReplies(ctx, 'ann!ann@host', 'cert:ab').map((m) => m.command),
      ['900', '903'],
    );
    assert.deepEqual(saslReplies(ctx, sasl.step('PLAIN')).map((m) => m.command), ['907'], 'a second login is refused');
  });

  it('splits payloads into 400-byte chunks and ends a full last chunk with "+"', () => {
    assert.deepEqual(authenticateChunks(''), ['+']);
    const exact = Buffer.alloc(300, 1); // 300 bytes are exactly 400 base64 characters
    const chunks = authenticateChunks(exact);
    assert.deepEqual(chunks.map((c) => c.length), [400, 1]);
    assert.equal(chunks[1], '+');
    assert.deepEqual(authenticateChunks(Buffer.alloc(700, 2)).map((c) => c.length), [400, 400, 136]);
    const sasl = new SaslExchange();
    const long = `${'p'.repeat(600)}é`;
    const step = exchange(sasl, 'plain', plainPayload('ann', long, 'ann'));
    assert.deepEqual(step, { kind: 'verify', credentials: { mechanism: 'PLAIN', authzid: 'ann', authcid: 'ann', password: long } });
  });

  it('takes EXTERNAL with an empty or a named identity: the certificate is the proof', () => {
    assert.deepEqual(exchange(new SaslExchange(), 'EXTERNAL', ''), { kind: 'verify', credentials: { mechanism: 'EXTERNAL', authzid: '' } });
    assert.deepEqual(exchange(new SaslExchange(), 'EXTERNAL', 'ann'), { kind: 'verify', credentials: { mechanism: 'EXTERNAL', authzid: 'ann' } });
  });

  it('fails cleanly: unknown mechanism (908, 904), abort (906), oversized chunk (905), bad payload (904)', () => {
    const replies = (step: SaslStep): string[] => saslReplies(ctx, step).map((m) => `${m.command} ${m.params.slice(1).join(' ')}`);
    const sasl = new SaslExchange();
    assert.deepEqual(replies(sasl.step('SCRAM-SHA-256')), ['908 PLAIN,EXTERNAL are available SASL mechanisms', '904 SASL authentication failed']);
    sasl.step('PLAIN');
    assert.deepEqual(replies(sasl.step('*')), ['906 SASL authentication aborted']);
    sasl.step('PLAIN');
    assert.deepEqual(replies(sasl.step('A'.repeat(SASL_CHUNK + 1))), ['905 SASL message too long']);
    sasl.step('PLAIN');
    assert.deepEqual(replies(sasl.step('not base64!')), ['904 SASL authentication failed']);
    sasl.step('PLAIN');
    assert.deepEqual(replies(sasl.step(Buffer.from('no separators').toString('base64'))), ['904 SASL authentication failed']);
    sasl.step('PLAIN');
    assert.deepEqual(replies(sasl.step(Buffer.from([0, 0x61, 0, 0xff, 0xfe]).toString('base64'))), ['904 SASL authentication failed'], 'invalid UTF-8');
    sasl.step('PLAIN');
    for (let i = 0; i < Math.floor(SASL_MAX_PAYLOAD / SASL_CHUNK); i++) assert.deepEqual(sasl.step('A'.repeat(SASL_CHUNK)), { kind: 'more' });
    assert.deepEqual(replies(sasl.step('A'.repeat(SASL_CHUNK))), ['905 SASL message too long'], 'a payload without end is cut off');
  });

  it('lets a client retry after a refusal, and ignores a verdict for an attempt it abandoned', () => {
    const sasl = new SaslExchange();
    exchange(sasl, 'PLAIN', plainPayload('ann', 'wrong'));
    sasl.fail();
    assert.equal(exchange(sasl, 'PLAIN', plainPayload('ann', 'right')).kind, 'verify');
    assert.deepEqual(sasl.step('*'), { kind: 'fail', reason: 'busy' }, 'talking over a pending check ends the attempt');
    assert.equal(sasl.succeed(), false, 'the late verdict does not log anyone in');
    assert.equal(sasl.authenticated, false);
  });

  it('offers only the mechanisms it is given', () => {
    const sasl = new SaslExchange(['EXTERNAL']);
    assert.deepEqual(sasl.step('PLAIN'), { kind: 'fail', reason: 'unknown_mechanism' });
    assert.deepEqual(saslReplies(ctx, { kind: 'fail', reason: 'unknown_mechanism' }, ['EXTERNAL'])[0].params[1], 'EXTERNAL');
  });

  it('decodes whatever PLAIN credentials a client encodes, and every reply serializes', () => {
    const part = fc.string({ unit: 'grapheme', maxLength: 300, size: 'large' }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(part, part.filter((s) => s !== ''), part.filter((s) => s !== ''), (authzid, authcid, password) => {
        const step = exchange(new SaslExchange(), 'PLAIN', plainPayload(authcid, password, authzid));
        assert.deepEqual(step, { kind: 'verify', credentials: { mechanism: 'PLAIN', authzid, authcid, password } });
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom('PLAIN', 'EXTERNAL', '*', '+', 'x'), fc.base64String({ maxLength: 420, size: 'large' })), { maxLength: 8 }), (params) => {
        const sasl = new SaslExchange();
        for (const p of params) for (const r of saslReplies(ctx, sasl.step(p))) assert.ok(serializeIrcMessage(r).ok);
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
  });
});
