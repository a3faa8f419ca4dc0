import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { ChatServer } from '../../src/engine/server/chatServer';
import { fingerprintOf, generateCertificate } from '../../src/engine/certificate';
import { terminalInvite } from '../../src/shared/inviteLink';
import { ChatClient } from '../../src/engine/client/chatClient';
import { ensureCliBuilt, runCli, spawnCli, waitForOutput } from '../support/cliProcess';

describe('tcp-chat connect with an invite (tcp-chat://HOST:PORT/ROOM#FINGERPRINT)', function () {
  this.timeout(60_000);
  let server: ChatServer;
  let port: number;
  let fingerprint: string;
  let tmp: string;
  const procs: ChildProcess[] = [];

  before(async () => {
    ensureCliBuilt();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-chat-cli-invite-'));
    const cert = await generateCertificate();
    fingerprint = fingerprintOf(cert.cert);
    server = new ChatServer({ host: '127.0.0.1', port: 0, tls: cert });
    port = (await server.listen()).port;
  });

  after(async () => {
    for (const p of procs) p.kill();
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('connects over TLS to the certificate the link names, with no question, pins it, and joins the room', async () => {
    const peer = new ChatClient({ host: '127.0.0.1', port, name: 'room-peer', tls: { fingerprint } });
    const inviteeJoined = new Promise<void>((resolve) =>
      peer.onPresence((e) => {
        if (e.event === 'join' && e.room === 'design' && e.name === 'invitee') resolve();
      }),
    );
    try {
      await peer.connect();
      const joined = new Promise<void>((resolve) => peer.onJoined((j) => j.room === 'design' && resolve()));
      peer.join('design');
      await joined;
      const known = path.join(tmp, 'known_hosts');
      // No terminal on stdin: an unknown certificate would be refused, so connecting proves the link's fingerprint was used.
      const p = spawnCli(['connect', terminalInvite({ host: '127.0.0.1', port, room: 'design', fingerprint }), '--name', 'invitee', '--known-hosts', known], true);
      procs.push(p);
      await waitForOutput(p, /now in #design/, 20_000);
      await inviteeJoined;
      assert.match(fs.readFileSync(known, 'utf8'), new RegExp(`127\\.0\\.0\\.1:${port} ${fingerprint}`));
      p.stdin?.end('/quit\n');
    } finally {
      peer.dispose();
    }
  });

  it('refuses a server whose certificate is not the one in the link, naming both', async () => {
    const other = fingerprintOf((await generateCertificate()).cert);
    const r = await runCli(['connect', `tcp-chat://127.0.0.1:${port}/general#${other}`, '--name', 'invitee', '--known-hosts', path.join(tmp, 'kh2')]);
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.includes(other) || r.stderr.includes(other.replace(/:/g, '')), r.stderr);
    assert.ok(r.stderr.includes(fingerprint), r.stderr);
  });

  it('says what is wrong with a broken link', async () => {
    const r = await runCli(['connect', 'tcp-chat://127.0.0.1:99999/general', '--name', 'x']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /port "99999" is not a number from 1 to 65535/);
  });
});
