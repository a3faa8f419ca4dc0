import * as assert from 'node:assert/strict';
import { ServerRotation } from '../../src/engine/client/serverRotation';

describe('ServerRotation (which server a client dials next, and when)', () => {
  it('drops repeated servers (host:port, any case) and keeps the order given', () => {
    const r = new ServerRotation([{ host: 'a', port: 1 }, { host: 'B', port: 2 }, { host: 'A', port: 1 }, { host: 'b', port: 2 }, { host: 'c', port: 3 }]);
    assert.deepEqual(r.endpoints.map((e) => `${e.host}:${e.port}`), ['a:1', 'B:2', 'c:3']);
  });

  it('tries every server once at once, then backs off, doubling up to the cap with up to half of it random', () => {
    const r = new ServerRotation([{ host: 'a', port: 1 }, { host: 'b', port: 2 }, { host: 'c', port: 3 }]);
    const dialled: string[] = [];
    const dial = () => {
      dialled.push(r.endpoint.host);
      r.dialling();
    };
    dial();
    while (r.next()) dial();
    assert.deepEqual(dialled, ['a', 'b', 'c'], 'each server once, no waiting');
    const delays = [0, 1, 2, 3].map(() => r.backoff(100, 500));
    for (const [i, base] of [100, 200, 400, 500].entries()) assert.ok(delays[i] >= base / 2 && delays[i] <= base, `wait ${i}: ${delays[i]} within [${base / 2}, ${base}]`);
    // After a backoff the round starts again at the next server; a welcome resets the doubling.
    r.welcomed();
    assert.ok(r.backoff(100, 500) <= 100);
  });

  it('a redial of the same server (pinned after a question) does not count as another one tried', () => {
    const r = new ServerRotation([{ host: 'a', port: 1 }, { host: 'b', port: 2 }]);
    r.dialling();
    r.again();
    r.dialling();
    assert.equal(r.next(), true);
    assert.equal(r.endpoint.host, 'b');
    r.dialling();
    assert.equal(r.next(), false, 'both tried');
    assert.equal(new ServerRotation([{ host: 'a', port: 1 }]).next(), false, 'one server: nothing else to try');
  });
});
