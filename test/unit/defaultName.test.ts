import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chooseDefaultName, gitUserName, loginName, suggestedName, usableName } from '../../src/engine/defaultName';
import { fingerprintOf, generateIdentity } from '../../src/engine/identity';
import { nameProblem } from '../../src/engine/protocol';
import { Harness } from '../support/harness';

describe('defaultName', () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it('offers the login name when a server would accept it, and says nothing more', () => {
    assert.deepEqual(chooseDefaultName('alice', () => 'unused'), { name: 'alice' });
    assert.deepEqual(chooseDefaultName('José', () => 'unused'), { name: 'José' });
    assert.deepEqual(chooseDefaultName(' bob ', () => 'unused'), { name: 'bob' });
  });

  it('cuts a long login to 32 characters', () => {
    assert.equal(chooseDefaultName('é'.repeat(40), () => 'unused').name, 'é'.repeat(32));
  });

  it('never quietly becomes a stand-in for a login a server would refuse: it suggests a name and says why', () => {
    for (const login of ['root', 'Admin', 'a,b', '-x', 'svc@corp', 'tab\tname']) {
      const choice = chooseDefaultName(login, () => 'Ann Lee');
      assert.equal(choice.name, 'Ann Lee', login);
      assert.match(choice.why ?? '', new RegExp(`your login name ".*" cannot be a chat name \\(.+\\)`), login);
    }
    assert.match(chooseDefaultName('root', () => 'x').why!, /"root" cannot be a chat name \(that name could pass for a system line\)/);
    for (const missing of ['', undefined]) assert.equal(chooseDefaultName(missing, () => 'x').why, 'this system does not say your login name');
    assert.equal(usableName('root'), undefined, 'a caller with other candidates (git) can try the next');
    assert.equal(usableName(' Ann Lee '), 'Ann Lee');
  });

  it('suggests git user.name when usable, else user-<4 hex> from the identity (stable) or random', () => {
    assert.equal(suggestedName('Ann Lee'), 'Ann Lee');
    const me = generateIdentity();
    assert.equal(suggestedName(undefined, me.id), `user-${fingerprintOf(me.id).slice(0, 4)}`);
    assert.equal(suggestedName('root', me.id), suggestedName('admin', me.id), 'the same key gives the same name every run');
    for (let i = 0; i < 20; i++) {
      const random = suggestedName('', undefined);
      assert.match(random, /^user-[0-9a-f]{4}$/);
      assert.equal(nameProblem(random), undefined);
    }
  });

  it("reads git's user.name, and none when git has none", () => {
    const dir = h.tmpDir();
    const saved = { GIT_CONFIG_GLOBAL: process.env.GIT_CONFIG_GLOBAL, GIT_CONFIG_NOSYSTEM: process.env.GIT_CONFIG_NOSYSTEM };
    h.own(() => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });
    process.env.GIT_CONFIG_NOSYSTEM = '1';
    process.env.GIT_CONFIG_GLOBAL = path.join(dir, 'with-name');
    fs.writeFileSync(process.env.GIT_CONFIG_GLOBAL, '[user]\n\tname = Ann Lee\n');
    assert.equal(gitUserName(), 'Ann Lee');
    assert.equal(suggestedName(gitUserName()), 'Ann Lee');
    process.env.GIT_CONFIG_GLOBAL = path.join(dir, 'empty');
    fs.writeFileSync(process.env.GIT_CONFIG_GLOBAL, '');
    assert.equal(gitUserName(), undefined);
  });

  it('reads this machine when not told, and always gives an acceptable name', () => {
    assert.equal(nameProblem(chooseDefaultName(loginName(), () => suggestedName(gitUserName())).name), undefined);
  });
});
