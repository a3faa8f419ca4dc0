import * as assert from 'node:assert/strict';
import { InviteError, checkInvite, parseInvite, terminalInvite, vscodeInvite } from '../../src/shared/inviteLink';

const FP = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';

describe('invite links', () => {
  it('round-trips both spellings, with and without a fingerprint, IPv6 included', () => {
    for (const i of [
      { host: '192.168.1.20', port: 12345, room: 'design', fingerprint: FP },
      { host: 'chat.example.lan', port: 1, room: 'general' },
      { host: '::1', port: 65535, room: 'a_b-c', fingerprint: FP },
    ]) {
      assert.deepEqual(parseInvite(vscodeInvite(i)), i);
      assert.deepEqual(parseInvite(terminalInvite(i)), i);
    }
    assert.equal(terminalInvite({ host: '::1', port: 7, room: 'general' }), 'tcp-chat://[::1]:7/general');
  });

  it('reads the terminal form people type: no room means general, the fingerprint in any case and with or without colons', () => {
    assert.deepEqual(parseInvite('tcp-chat://10.0.0.2:4000'), { host: '10.0.0.2', port: 4000, room: 'general' });
    assert.deepEqual(parseInvite(`tcp-chat://h:4000/#${FP.replace(/:/g, '').toLowerCase()}`), { host: 'h', port: 4000, room: 'general', fingerprint: FP });
  });

  it('never carries a password: only host, port, room and fingerprint go in', () => {
    const link = vscodeInvite({ host: 'h', port: 1, room: 'general', fingerprint: FP, password: 'secret' } as never);
    assert.deepEqual([...new URL(link).searchParams.keys()].sort(), ['fingerprint', 'host', 'port', 'room']);
    assert.ok(!link.includes('secret'));
  });

  it('refuses broken links with an error that says what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['not a link', /not a link/],
      ['https://example.com/join?host=h&port=1', /not a TCP Chat invite/],
      ['vscode://tcp-chat.tcp-chat/join?host=h&port=0', /port "0"/],
      ['vscode://tcp-chat.tcp-chat/join?host=h&port=70000', /port "70000"/],
      ['vscode://tcp-chat.tcp-chat/join?port=1', /no usable host/],
      ['vscode://tcp-chat.tcp-chat/join?host=h&port=1&room=Bad%20Room', /room "Bad Room" cannot be used/],
      ['vscode://tcp-chat.tcp-chat/join?host=h&port=1&fingerprint=1234', /not a SHA-256 fingerprint/],
      ['tcp-chat://h/general', /tcp-chat:\/\/HOST:PORT/],
      ['vscode://other.extension/join?host=h&port=1', /not a TCP Chat invite/],
    ];
    for (const [link, why] of cases) assert.throws(() => parseInvite(link), (e: Error) => e instanceof InviteError && why.test(e.message), link);
    assert.throws(() => checkInvite({ host: 'a b', port: '1' }), InviteError);
  });
});
