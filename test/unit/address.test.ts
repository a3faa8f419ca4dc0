import * as assert from 'node:assert/strict';
import { AddressError, formatHostPort, parseHostPort, parseHostPorts } from '../../src/engine/address';

describe('parseHostPort', () => {
  it('reads host:port, [v6]:port, :port and a bare port', () => {
    assert.deepEqual(parseHostPort('192.168.1.20:12345'), { host: '192.168.1.20', port: 12345 });
    assert.deepEqual(parseHostPort(' chat.example:1 '), { host: 'chat.example', port: 1 });
    assert.deepEqual(parseHostPort('[::1]:65535'), { host: '::1', port: 65535 });
    assert.deepEqual(parseHostPort('[fe80::1%eth0]:80'), { host: 'fe80::1%eth0', port: 80 });
    assert.deepEqual(parseHostPort(':4000'), { host: '127.0.0.1', port: 4000 });
    assert.deepEqual(parseHostPort('4000'), { host: '127.0.0.1', port: 4000 });
  });

  it('refuses what it cannot use, saying what to type', () => {
    const refused: Array<[string, RegExp]> = [
      ['', /give a server as HOST:PORT/],
      ['chat.example', /"chat.example" is not HOST:PORT, for example 127\.0\.0\.1:12345/],
      ['chat.example:', /is not HOST:PORT/],
      ['chat example:12345', /is not HOST:PORT/],
      ['::1:12345', /put an IPv6 address in brackets, for example \[::1\]:12345/],
      ['host:0', /port 0 in "host:0" is out of range 1-65535/],
      ['host:65536', /out of range/],
      ['host:99999999999999999999', /out of range/],
      ['host:12a', /is not HOST:PORT/],
      ['a,b:1', /is not HOST:PORT/],
    ];
    for (const [text, why] of refused) assert.throws(() => parseHostPort(text), (e: unknown) => e instanceof AddressError && why.test(e.message), text);
  });

  it('reads a comma-separated list of servers to try in turn, once each', () => {
    assert.deepEqual(parseHostPorts('10.0.0.1:12345, 10.0.0.2:12345,[::1]:7'), [
      { host: '10.0.0.1', port: 12345 },
      { host: '10.0.0.2', port: 12345 },
      { host: '::1', port: 7 },
    ]);
    assert.deepEqual(parseHostPorts('a:1,A:1,a:2'), [
      { host: 'a', port: 1 },
      { host: 'a', port: 2 },
    ]);
    assert.deepEqual(parseHostPorts('a:1'), [{ host: 'a', port: 1 }]);
    assert.throws(() => parseHostPorts('a:1,,b:2'), /has an empty entry/);
    assert.throws(() => parseHostPorts('a:1,'), /has an empty entry/);
    assert.throws(() => parseHostPorts('a:1,b'), /"b" is not HOST:PORT/);
  });

  it('formats what it reads back the same way', () => {
    for (const text of ['chat.example:12345', '[::1]:1', '10.0.0.1:80']) assert.equal(formatHostPort(parseHostPort(text)), text);
    assert.equal(formatHostPort({ host: '[::1]', port: 5 }), '[::1]:5');
  });
});
