import * as assert from 'node:assert/strict';
import { redactSecrets, redactUrl } from '../../src/engine/redactUrl';

describe('redactUrl', () => {
  it('masks the password and keeps the rest readable', () => {
    assert.equal(redactUrl('postgres://chat:s3cret@db.example:5432/chat'), 'postgres://chat:***@db.example:5432/chat');
    assert.equal(redactUrl('redis://:hunter2@10.0.0.5:6379/2'), 'redis://:***@10.0.0.5:6379/2');
    assert.equal(redactUrl('rediss://default:p%40ss@cache:6380'), 'rediss://default:***@cache:6380');
  });

  it('leaves URLs without secrets alone', () => {
    assert.equal(redactUrl('postgres://chat@db:5432/chat'), 'postgres://chat@db:5432/chat');
    assert.equal(redactUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
  });

  it('masks secret query parameters (pg accepts ?password=)', () => {
    assert.equal(redactUrl('postgres://db/chat?password=abc123&sslmode=require'), 'postgres://db/chat?password=***&sslmode=require');
    assert.equal(redactUrl('postgres://db/chat?sslpassword=k3y'), 'postgres://db/chat?sslpassword=***');
  });

  it('masks the userinfo of something that is not a valid URL', () => {
    assert.equal(redactUrl('postgres://u:pa ss@[bad/db'), 'postgres://***@[bad/db');
    assert.equal(redactUrl('nonsense?password=abc'), 'nonsense?password=***');
  });
});

describe('redactSecrets', () => {
  const url = 'postgres://chat:s3cret-pw@db:5432/chat';

  it('removes the URL and its password from a library message', () => {
    assert.equal(redactSecrets(`connect to ${url} failed`, url), 'connect to postgres://chat:***@db:5432/chat failed');
    assert.equal(redactSecrets('auth with "s3cret-pw" refused', url), 'auth with "***" refused');
  });

  it('removes a percent-encoded password in both forms', () => {
    const enc = 'redis://:p%40ssw0rd@cache:6379';
    assert.equal(redactSecrets('p@ssw0rd and p%40ssw0rd', enc), '*** and ***');
  });

  it('leaves messages without secrets untouched', () => {
    assert.equal(redactSecrets('connect ECONNREFUSED 127.0.0.1:5432', url), 'connect ECONNREFUSED 127.0.0.1:5432');
  });
});
