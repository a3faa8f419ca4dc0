import * as assert from 'node:assert/strict';
import { FALLBACK_NAME, defaultName, usableName } from '../../src/engine/defaultName';
import { nameProblem } from '../../src/engine/protocol';

describe('defaultName', () => {
  it('offers the login name when a server would accept it', () => {
    assert.equal(defaultName('alice'), 'alice');
    assert.equal(defaultName('José'), 'José');
    assert.equal(defaultName(' bob '), 'bob');
  });

  it('cuts a long login to 32 characters', () => {
    const long = 'é'.repeat(40);
    assert.equal(defaultName(long), 'é'.repeat(32));
  });

  it('offers guest for a login a server would refuse, so the first connect does not fail over it', () => {
    for (const login of ['root', 'Admin', '', undefined, 'a,b', '-x', 'svc@corp', 'tab\tname']) {
      assert.equal(defaultName(login), FALLBACK_NAME, String(login));
    }
    assert.equal(nameProblem(FALLBACK_NAME), undefined);
    assert.equal(usableName('root'), undefined, 'a caller with other candidates (git) can try the next');
    assert.equal(usableName(' Ann Lee '), 'Ann Lee');
  });

  it('reads this machine when not told, and always gives an acceptable name', () => {
    assert.equal(nameProblem(defaultName()), undefined);
  });
});
