import * as assert from 'node:assert/strict';
import { ConnectError } from '../../src/engine/client/connectError';
import { Requests } from '../../src/engine/client/requests';
import type { ClientFrame } from '../../src/engine/protocol';

describe('Requests', () => {
  function setup(timeoutMs = 5000) {
    const sent: ClientFrame[] = [];
    let up = true;
    const requests = new Requests((f) => (up ? (sent.push(f), true) : false), timeoutMs);
    return { sent, requests, down: () => (up = false) };
  }

  it('gives each request an id and resolves it with the answer of the matching kind', async () => {
    const { sent, requests } = setup();
    const history = requests.ask({ type: 'history', room: 'general', after: 3 });
    const who = requests.ask({ type: 'who' });
    assert.deepEqual(sent, [
      { type: 'history', room: 'general', after: 3, id: 'r1' },
      { type: 'who', id: 'r2' },
    ]);
    // An answer of the wrong kind under a request's id settles nothing.
    assert.equal(requests.reply({ type: 'users', id: 'r1', users: ['x'] }), false);
    assert.equal(requests.reply({ type: 'users', id: 'r2', users: ['alice'] }), true);
    assert.equal(requests.reply({ type: 'history', id: 'r1', room: 'general', messages: [], more: false }), true);
    assert.deepEqual((await who).users, ['alice']);
    assert.equal((await history).more, false);
    assert.equal(requests.size, 0);
    // An answer nobody waits for is not ours.
    assert.equal(requests.reply({ type: 'users', id: 'r2', users: [] }), false);
    assert.equal(requests.reply({ type: 'users', users: [] }), false);
  });

  it('fails a request the server refused, with its code and wait', async () => {
    const { requests } = setup();
    const search = requests.ask({ type: 'search', query: 'x' });
    assert.equal(requests.refuse({ type: 'error', code: 'rate_limited', message: 'slow down', ref: 'nope' }), false);
    assert.equal(requests.refuse({ type: 'error', code: 'rate_limited', message: 'slow down', ref: 'r1', retryAfter: 250 }), true);
    await assert.rejects(search, (e: unknown) => e instanceof ConnectError && e.code === 'rate_limited' && e.retryAfter === 250 && e.message === 'slow down');
  });

  it('fails on a timeout, on a drop, and at once when nothing could be written', async () => {
    const { requests, down } = setup(30);
    await assert.rejects(requests.ask({ type: 'who' }), /did not answer a who request within 0.03 s/);
    const pending = requests.ask({ type: 'history', room: 'dev' });
    requests.failAll(new ConnectError('the connection dropped'));
    await assert.rejects(pending, /the connection dropped/);
    down();
    await assert.rejects(requests.ask({ type: 'who' }), /not connected/);
    assert.equal(requests.size, 0);
  });
});
