/**
 * Invite links in a real extension host: Chat: Copy Invite Link on the host
 * (address, room, fingerprint, never the password), and the URI handler on
 * the guest's side with a matching, a mismatching and no fingerprint.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ChatServer } from '../../../src/engine/server/chatServer';
import { fingerprintOf, generateCertificate } from '../../../src/engine/certificate';
import { vscodeInvite } from '../../../src/shared/inviteLink';
import { RawClient } from '../../support/rawClient';
import { activated, freePort } from './helpers';
import type { TcpChatApi } from '../../../src/extension/extension';

type Win = Record<string, (...a: unknown[]) => Thenable<unknown>>;

/** Answers the extension's dialogs while `fn` runs and records every one of them. */
async function dialogs<T>(answer: (kind: string, msg: string) => string | undefined, fn: () => Thenable<T>): Promise<{ result: T; shown: string[] }> {
  const win = vscode.window as unknown as Win;
  const kinds = ['showInformationMessage', 'showWarningMessage', 'showErrorMessage', 'showInputBox'] as const;
  const saved = kinds.map((k) => win[k]);
  const shown: string[] = [];
  for (const k of kinds) {
    win[k] = (msg: unknown, ...rest: unknown[]) => {
      const text = typeof msg === 'string' ? msg : JSON.stringify(msg);
      const detail = rest.find((r): r is { detail?: string } => typeof r === 'object' && r !== null && 'detail' in r)?.detail ?? '';
      shown.push(`${k}: ${text} ${detail}`);
      return Promise.resolve(answer(k, text));
    };
  }
  try {
    return { result: await fn(), shown };
  } finally {
    kinds.forEach((k, i) => (win[k] = saved[i]));
  }
}

const joinYes = (kind: string, msg: string) => (kind === 'showInformationMessage' && msg.startsWith('Join #') ? 'Connect' : undefined);

describe('invite links', function () {
  this.timeout(60_000);
  let api: TcpChatApi;
  const servers: ChatServer[] = [];

  before(async () => {
    ({ api } = await activated());
    await vscode.workspace.getConfiguration('tcpChat').update('displayName', 'invited', vscode.ConfigurationTarget.Global);
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('tcpChat.disconnect');
    for (const s of servers.splice(0)) await s.close();
  });

  after(async () => {
    await vscode.workspace.getConfiguration('tcpChat').update('displayName', undefined, vscode.ConfigurationTarget.Global);
  });

  async function tlsServer(): Promise<{ port: number; fingerprint: string }> {
    const cert = await generateCertificate();
    const s = new ChatServer({ host: '127.0.0.1', port: 0, tls: cert });
    servers.push(s);
    const { port } = await s.listen();
    return { port, fingerprint: fingerprintOf(cert.cert) };
  }

  it('Chat: Copy Invite Link on the host carries host, port, room and the TLS fingerprint, never the password', async () => {
    const cfg = vscode.workspace.getConfiguration('tcpChat');
    const port = await freePort();
    const password = 'a password that must not travel';
    await cfg.update('server.tls', true, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('tcpChat.setServerPassword', password);
    try {
      const addr = await vscode.commands.executeCommand<{ port: number }>('tcpChat.startServer', { host: '127.0.0.1', port });
      assert.equal(addr?.port, port);
      const fp = /Certificate SHA-256: `([0-9A-F:]+)`/.exec(api.status().tooltip)?.[1];
      assert.ok(fp, 'the server shows no fingerprint');
      const { result: link } = await dialogs(() => undefined, () => vscode.commands.executeCommand<string>('tcpChat.copyInviteLink'));
      assert.equal(await vscode.env.clipboard.readText(), link, 'the link is on the clipboard');
      const u = new URL(link);
      assert.equal(u.protocol, 'vscode:');
      assert.equal(u.hostname, 'tcp-chat.tcp-chat');
      assert.equal(u.pathname, '/join');
      assert.equal(u.searchParams.get('host'), '127.0.0.1');
      assert.equal(u.searchParams.get('port'), String(port));
      assert.equal(u.searchParams.get('room'), 'general');
      assert.equal(u.searchParams.get('fingerprint'), fp);
      assert.ok(!link.includes(encodeURIComponent(password)) && !link.includes(password), 'the password is in the link');
      assert.ok(![...u.searchParams.keys()].some((k) => /pass|secret|token/i.test(k)));
    } finally {
      await vscode.commands.executeCommand('tcpChat.stopServer');
      await vscode.commands.executeCommand('tcpChat.setServerPassword', '');
      await cfg.update('server.tls', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('a link whose fingerprint matches asks once, connects without a trust prompt, and pins the certificate', async () => {
    const { port, fingerprint } = await tlsServer();
    // Spelled as a person might paste it (lower case, no colons): one normalizer makes it the same pin.
    const link = `vscode://tcp-chat.tcp-chat/join?host=127.0.0.1&port=${port}&room=general&fingerprint=${fingerprint.replace(/:/g, '').toLowerCase()}`;
    const { result, shown } = await dialogs(joinYes, () => api.openInvite(link));
    assert.equal(result, 'connected', shown.join(' | '));
    assert.equal(api.status().state, 'connected');
    assert.equal(shown.length, 1, `one question only: ${shown.join(' | ')}`);
    assert.match(shown[0], new RegExp(`Join #general on 127\\.0\\.0\\.1:${port}\\?`));
    assert.ok(shown[0].includes(fingerprint), 'the question shows the fingerprint');
    assert.ok(!shown.some((s) => /First connection|trust/i.test(s.split(' ')[1] ?? '')), 'a trust-on-first-use prompt appeared');
    // Pinned: connecting again the ordinary way asks nothing.
    await vscode.commands.executeCommand('tcpChat.disconnect');
    const again = await dialogs(() => undefined, () => vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port }));
    assert.equal(again.result, true);
    assert.deepEqual(again.shown, []);
  });

  it('a link whose fingerprint does not match is blocked, showing both fingerprints', async () => {
    const { port, fingerprint } = await tlsServer();
    const other = fingerprintOf((await generateCertificate()).cert);
    const link = vscodeInvite({ host: '127.0.0.1', port, room: 'general', fingerprint: other });
    const { result, shown } = await dialogs(joinYes, () => api.openInvite(link));
    assert.equal(result, 'failed');
    assert.equal(api.status().state, 'disconnected');
    const block = shown.find((s) => s.startsWith('showErrorMessage'));
    assert.ok(block, `no error shown: ${shown.join(' | ')}`);
    assert.match(block, /does not match the invite/);
    assert.ok(block.includes(other) && block.includes(fingerprint), `both fingerprints: ${block}`);
    assert.ok(!shown.some((s) => s.startsWith('showWarningMessage')), 'offered to trust it anyway');
  });

  it('a link with no fingerprint to a TLS server falls back to the trust-on-first-use question', async () => {
    const { port, fingerprint } = await tlsServer();
    const link = vscodeInvite({ host: '127.0.0.1', port, room: 'general' });
    const { result, shown } = await dialogs((kind, msg) => joinYes(kind, msg) ?? (kind === 'showWarningMessage' && msg.startsWith('First connection') ? 'Trust and Connect' : undefined), () => api.openInvite(link));
    assert.equal(result, 'connected', shown.join(' | '));
    assert.ok(shown.some((s) => s.startsWith('showWarningMessage: First connection') && s.includes(fingerprint)), shown.join(' | '));
  });

  it('a link with no fingerprint to a plain server connects after the question, and joins the link’s room', async () => {
    const s = new ChatServer({ host: '127.0.0.1', port: 0 });
    servers.push(s);
    const { port } = await s.listen();
    const peer = (await RawClient.hello(port, 'design-peer')).client;
    try {
      peer.send({ type: 'join', room: 'design' });
      await peer.waitFor((f) => f.type === 'joined' && f.room === 'design', 10_000);
      const link = vscodeInvite({ host: '127.0.0.1', port, room: 'design' });
      const { result } = await dialogs(joinYes, () => api.openInvite(link));
      assert.equal(result, 'connected');
      await peer.waitFor((f) => f.type === 'presence' && f.event === 'join' && f.room === 'design' && f.name === 'invited', 10_000);
    } finally {
      peer.close();
    }
  });

  it('declining the question connects to nothing; a broken link says what is wrong', async () => {
    const s = new ChatServer({ host: '127.0.0.1', port: 0 });
    servers.push(s);
    const { port } = await s.listen();
    const declined = await dialogs(() => undefined, () => api.openInvite(vscodeInvite({ host: '127.0.0.1', port, room: 'general' })));
    assert.equal(declined.result, 'declined');
    assert.equal(api.status().state, 'disconnected');
    const bad = await dialogs(() => undefined, () => api.openInvite(`vscode://tcp-chat.tcp-chat/join?host=127.0.0.1&port=99999&room=general`));
    assert.equal(bad.result, 'invalid');
    assert.match(bad.shown.join(' | '), /port "99999" is not a number from 1 to 65535/);
  });
});
