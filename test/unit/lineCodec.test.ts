import * as assert from 'node:assert/strict';
import { LineDecoder, encodeFrame } from '../../src/engine/lineCodec';

/** A decoder that records what it reports. */
function decoder(maxLine?: number): { d: LineDecoder; lines: string[]; overflows: number[] } {
  const lines: string[] = [];
  const overflows: number[] = [];
  const d = new LineDecoder({ line: (t) => lines.push(t), overflow: (b) => overflows.push(b) }, maxLine);
  return { d, lines, overflows };
}

describe('LineDecoder', () => {
  it('reassembles a frame split at every byte boundary', () => {
    const frame = Buffer.from('{"type":"message","id":"1","text":"héllo → 世界 🎉"}\n', 'utf8');
    for (let cut = 1; cut < frame.length; cut++) {
      const { d, lines } = decoder();
      d.push(frame.subarray(0, cut));
      assert.deepEqual(lines, [], `nothing before the newline (cut ${cut})`);
      d.push(frame.subarray(cut));
      assert.deepEqual(lines, ['{"type":"message","id":"1","text":"héllo → 世界 🎉"}'], `cut at ${cut}`);
    }
  });

  it('reassembles a frame fed one byte at a time', () => {
    const frame = Buffer.from('{"a":"ü🎉"}\r\n{"b":2}\n', 'utf8');
    const { d, lines } = decoder();
    for (let i = 0; i < frame.length; i++) d.push(frame.subarray(i, i + 1));
    assert.deepEqual(lines, ['{"a":"ü🎉"}', '{"b":2}']);
  });

  it('reports many frames from one chunk, in order', () => {
    const want = Array.from({ length: 500 }, (_, i) => JSON.stringify({ type: 'ping', id: i }));
    const { d, lines } = decoder();
    d.push(Buffer.from(want.join('\n') + '\n'));
    assert.deepEqual(lines, want);
  });

  it('keeps a multi-byte character split across chunks intact', () => {
    // "🎉" is four bytes; cut inside it, and inside a two-byte "é".
    const bytes = Buffer.from('{"t":"é🎉"}\n', 'utf8');
    const e = bytes.indexOf(0xc3); // first byte of é
    const party = bytes.indexOf(0xf0); // first byte of 🎉
    const { d, lines } = decoder();
    d.push(bytes.subarray(0, e + 1));
    d.push(bytes.subarray(e + 1, party + 2));
    d.push(bytes.subarray(party + 2));
    assert.deepEqual(lines, ['{"t":"é🎉"}']);
    assert.ok(!lines[0].includes('\ufffd'), 'no replacement characters');
  });

  it('strips one \\r before \\n and skips empty lines', () => {
    const { d, lines } = decoder();
    d.push(Buffer.from('{"a":1}\r\n\r\n\n{"b":2}\r'));
    d.push(Buffer.from('\n'));
    assert.deepEqual(lines, ['{"a":1}', '{"b":2}']);
  });

  it('keeps a \\r that is not at the end of the line', () => {
    const { d, lines } = decoder();
    d.push(Buffer.from('a\rb\n'));
    assert.deepEqual(lines, ['a\rb']);
  });

  it('accepts a line of exactly the cap, with or without \\r', () => {
    const { d, lines, overflows } = decoder(16);
    d.push(Buffer.from('x'.repeat(16) + '\n'));
    d.push(Buffer.from('y'.repeat(16) + '\r\n'));
    assert.deepEqual(lines, ['x'.repeat(16), 'y'.repeat(16)]);
    assert.deepEqual(overflows, []);
  });

  it('rejects a line over the cap that ends with a newline, after reporting the lines before it', () => {
    const { d, lines, overflows } = decoder(16);
    d.push(Buffer.from('ok\n' + 'x'.repeat(17) + '\nlater\n'));
    assert.deepEqual(lines, ['ok']);
    assert.equal(overflows.length, 1);
    assert.ok(overflows[0] >= 17);
    d.push(Buffer.from('more\n'));
    assert.deepEqual(lines, ['ok'], 'nothing is reported after an overflow');
  });

  it('rejects an oversized line that never ends, without holding it all', () => {
    const { d, lines, overflows } = decoder(1024);
    for (let i = 0; i < 100 && overflows.length === 0; i++) d.push(Buffer.alloc(100, 0x61));
    assert.equal(overflows.length, 1);
    assert.ok(overflows[0] > 1024);
    assert.equal(d.pending, 0, 'the partial line is released');
    assert.deepEqual(lines, []);
  });

  it('rejects an oversized line split across chunks before its newline arrives', () => {
    const { d, overflows } = decoder(10);
    d.push(Buffer.from('123456'));
    assert.equal(overflows.length, 0);
    d.push(Buffer.from('789012'));
    assert.equal(overflows.length, 1);
  });

  it('does not keep a reference to the caller\'s chunk', () => {
    const { d, lines } = decoder();
    const chunk = Buffer.from('{"a":');
    d.push(chunk);
    chunk.fill(0x20); // the socket may reuse its buffer
    d.push(Buffer.from('1}\n'));
    assert.deepEqual(lines, ['{"a":1}']);
  });

  it('encodeFrame writes one line of UTF-8 JSON', () => {
    const buf = encodeFrame({ type: 'ping', id: 'é' });
    assert.equal(buf.toString('utf8'), '{"type":"ping","id":"é"}\n');
    assert.equal(buf.indexOf(0x0a), buf.length - 1);
  });
});
