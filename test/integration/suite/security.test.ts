/**
 * The extension's half of the security story, in a real extension host:
 * trust on first use for TLS servers, a changed certificate blocked, a
 * password asked once and kept in SecretStorage (never in settings), and
 * Start Server with TLS showing its fingerprint.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ChatServer } from '../../../src/engine/server/chatServer';
import { generateCertificate, fingerprintOf } from '../../../src/engine/certificate';
import { activated, freePort, waitFor } from './helpers';
import type { TcpChatApi } from '../../../src/extension/extension';

type Win = Record<string, (...a: unknown[]) => Thenable<unknown>>;

/** Answer the extension's dialogs while `fn` runs; records what was asked. */
async function answering<T>(answers: { warning?: string; error?: string; input?: string }, fn: () => Thenable<T>): Promise<{ result: T; asked: string[] }> {
  const win = vscode.window as unknown as Win;
  const saved = { w: win.showWarningMessage, e: win.showErrorMessage, i: win.showInputBox };
  const asked: string[] = [];
  win.showWarningMessage = (msg: unknown, ...rest: unknown[]) => {
    asked.push(`warning: ${String(msg)} ${JSON.stringify(rest[0] ?? '')}`);
    return Promise.resolve(answers.warning);
  };
  win.showErrorMessage = (msg: unknown, ...rest: unknown[]) => {
    asked.push(`error: ${String(msg)} ${JSON.stringify(rest[0] ?? '')}`);
    return Promise.resolve(answers.error);
  };
  win.showInputBox = (opts: unknown) => {
    asked.push(`input: ${JSON.stringify(opts)}`);
    return Promise.resolve(answers.input);
  };
  try {
    return { result: await fn(), asked };
  } finally {
    win.showWarningMessage = saved.w;
    win.showErrorMessage = saved.e;
    win.showInputBox = saved.i;
  }
}

describe('security in the extension', function () {
  this.timeout(60_000);
  let api: TcpChatApi;
  const servers: ChatServer[] = [];

  before(async () => {
    ({ api } = await activated());
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('tcpChat.disconnect');
    for (const s of servers.splice(0)) await s.close();
  });

  it('asks to trust a TLS server on first use, pins it, and blocks a changed certificate', async () => {
    const port = await freePort();
    const first = await generateCertificate();
    const s1 = new ChatServer({ host: '127.0.0.1', port, tls: first });
    servers.push(s1);
    await s1.listen();
    const fp1 = fingerprintOf(first.cert);

    const r1 = await answering({ warning: 'Trust and Connect' }, () => vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port, name: 'tls-user' }));
    assert.equal(r1.result, true, `connected over TLS; asked: ${r1.asked.join(' | ')}`);
    assert.ok(
      r1.asked.some((a) => a.includes('First connection') && a.includes(fp1)),
      'the first-use question shows the fingerprint',
    );
    assert.equal(api.status().state, 'connected');
    await vscode.commands.executeCommand('tcpChat.disconnect');

    // Same address, same certificate: no question this time.
    const r2 = await answering({}, () => vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port, name: 'tls-user' }));
    assert.equal(r2.result, true);
    assert.deepEqual(r2.asked, [], 'a pinned certificate is trusted silently');
    await vscode.commands.executeCommand('tcpChat.disconnect');
    await s1.close();
    servers.pop();

    // A different certificate on the same address is blocked unless explicitly trusted.
    const second = await generateCertificate();
    const s2 = new ChatServer({ host: '127.0.0.1', port, tls: second });
    servers.push(s2);
    await s2.listen();
    const r3 = await answering({}, () => vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port, name: 'tls-user' }));
    assert.equal(r3.result, false);
    assert.ok(
      r3.asked.some((a) => a.includes('CHANGED') && a.includes(fingerprintOf(second.cert)) && a.includes(fp1)),
      `a clear warning naming both fingerprints: ${r3.asked.join(' | ')}`,
    );
    assert.equal(api.status().state, 'disconnected');

    const r4 = await answering({ error: 'Trust the New Certificate' }, () => vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port, name: 'tls-user' }));
    assert.equal(r4.result, true, 'an explicit choice trusts the new certificate');
  });

  it('asks for a password once, keeps it in SecretStorage, and never in settings', async () => {
    const port = await freePort();
    const secret = 'correct horse battery staple';
    const s = new ChatServer({ host: '127.0.0.1', port, password: secret, passwordKdf: { N: 1024 } });
    servers.push(s);
    await s.listen();
    const r1 = await answering({ input: secret }, () => vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port, name: 'pw-user' }));
    assert.equal(r1.result, true, r1.asked.join(' | '));
    assert.equal(r1.asked.filter((a) => a.startsWith('input:')).length, 1);
    assert.ok(r1.asked[0].includes('"password":true'), 'the input box hides what is typed');
    await vscode.commands.executeCommand('tcpChat.disconnect');

    const r2 = await answering({}, () => vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port, name: 'pw-user' }));
    assert.equal(r2.result, true, 'the stored password is used without asking');
    assert.deepEqual(r2.asked, []);

    const settings = JSON.stringify(vscode.workspace.getConfiguration('tcpChat'));
    assert.ok(!settings.includes(secret), 'the password is not in settings');
  });

  it('a wrong password gets a clear message and is forgotten', async () => {
    const port = await freePort();
    const s = new ChatServer({ host: '127.0.0.1', port, password: 'right', passwordKdf: { N: 1024 }, authThrottle: { baseDelay: 50 } });
    servers.push(s);
    await s.listen();
    const r = await answering({ input: 'wrong' }, () => vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port, name: 'pw-user' }));
    assert.equal(r.result, false);
    assert.ok(
      r.asked.some((a) => a.startsWith('error:') && a.includes('wrong password')),
      r.asked.join(' | '),
    );
    assert.ok(!r.asked.some((a) => a.startsWith('error:') && a.includes('"wrong"')), 'the typed password is never echoed');
  });

  it('Chat: Start Server with TLS shows its fingerprint in the status bar tooltip data', async () => {
    const port = await freePort();
    const cfg = vscode.workspace.getConfiguration('tcpChat');
    await cfg.update('server.tls', true, vscode.ConfigurationTarget.Global);
    try {
      const addr = await vscode.commands.executeCommand<{ port: number }>('tcpChat.startServer', { host: '127.0.0.1', port });
      assert.equal(addr?.port, port);
      const fp = /Certificate SHA-256: `([0-9A-F:]+)`/.exec(api.status().tooltip)?.[1];
      assert.ok(fp && fp.length === 95, `the tooltip shows the fingerprint: ${api.status().tooltip}`);
      const r = await answering({ warning: 'Trust and Connect' }, () => vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port, name: 'self' }));
      assert.equal(r.result, true, r.asked.join(' | '));
      assert.ok(r.asked.some((a) => a.includes(fp)), 'the first-use question shows the same fingerprint');
      await waitFor(() => api.status().state === 'connected', 'connected to our own TLS server');
      assert.ok(api.status().tooltip.includes(`TLS, certificate SHA-256: \`${fp}\``), 'the connection tooltip shows it too');
    } finally {
      await vscode.commands.executeCommand('tcpChat.stopServer');
      await cfg.update('server.tls', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
