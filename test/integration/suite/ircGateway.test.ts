/**
 * The IRC gateway beside the panel in a real extension host: the panel
 * (sharing code from an editor, as a person does), an IRC client, the
 * terminal client (`tcp-chat connect`) and `nc` typing IRC, all in
 * #general on one server, each seeing everyone's messages in one order.
 * irssi, WeeChat and ii against the gateway are in test/irc-clients.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import { IrcProtocol } from '../../../src/engine/codecs/irc/ircProtocol';
import { ChatServer } from '../../../src/engine/server/chatServer';
import { ensureCliBuilt, spawnCli, waitForOutput } from '../../support/cliProcess';
import { IrcLineClient } from '../../support/ircLineClient';
import { activated, closeAll, freePort, waitFor } from './helpers';
import type { TcpChatApi } from '../../../src/extension/extension';

describe('the IRC gateway beside the panel: one conversation in #general', function () {
  this.timeout(90_000);
  let api: TcpChatApi;
  let server: ChatServer;
  let irc: IrcLineClient;
  const procs: ChildProcess[] = [];

  before(async () => {
    ({ api } = await activated());
    const [port, ircPort] = [await freePort(), await freePort()];
    server = new ChatServer({ host: '127.0.0.1', port, rate: 0, extraPorts: [{ port: ircPort, protocol: new IrcProtocol() }] });
    await server.listen();
    const ok = await vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port, name: 'panel-user' });
    assert.equal(ok, true, 'connect through the extension');
    irc = await IrcLineClient.register(ircPort, 'ircuser', ['echo-message']);
    ensureCliBuilt();
    const term = spawnCli(['connect', `127.0.0.1:${port}`, '--name', 'termuser'], true);
    procs.push(term);
    await waitForOutput(term, /\* \d+ online: /, 20_000);
    const nc = spawn('nc', ['127.0.0.1', String(ircPort)], { stdio: ['pipe', 'pipe', 'pipe'] });
    procs.push(nc);
    nc.stdin.write('CAP REQ :echo-message\r\nNICK ncuser\r\nUSER ncuser 0 * :nc\r\nCAP END\r\n');
    await waitForOutput(nc, / 366 ncuser #general /, 20_000);
  });

  after(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    irc?.close();
    await vscode.commands.executeCommand('tcpChat.disconnect');
    await server?.close();
    await closeAll();
  });

  it('everyone sees everyone’s messages, the panel’s shared code too, in one order', async () => {
    const [term, nc] = procs;
    let termOut = '';
    let ncOut = '';
    term.stdout!.on('data', (d: Buffer) => (termOut += d.toString('utf8')));
    nc.stdout!.on('data', (d: Buffer) => (ncOut += d.toString('utf8')));
    const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content: 'const round1 = 1;\nconst round2 = 2;\n' });
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);

    const texts: string[] = [];
    // What the extension received in earlier tests stays in its record (another test shared "Untitled-1, line 2" too): only what comes now counts.
    const before = new Set(api.received());
    const fresh = () => api.received().filter((m) => !before.has(m));
    for (const round of [1, 2]) {
      editor.selection = new vscode.Selection(round - 1, 0, round - 1, 17);
      const snippet = await vscode.commands.executeCommand<{ file: string; startLine: number }>('tcpChat.shareSelection');
      assert.ok(snippet, 'Share Selection sent a snippet');
      texts.push(`shared ${snippet.file}, line ${snippet.startLine}`);
      const t = `round ${round} from`;
      irc.send(`PRIVMSG #general :${t} ircuser`);
      nc.stdin!.write(`PRIVMSG #general :${t} ncuser\r\n`);
      term.stdin!.write(`${t} termuser\n`);
      texts.push(`${t} ircuser`, `${t} ncuser`, `${t} termuser`);
    }
    const wanted = new Set(texts);
    const key = (sender: string, text: string) => `${sender}: ${text}`;

    // The panel's order: what the extension received, its own messages included.
    await waitFor(() => fresh().filter((m) => m.room === 'general' && wanted.has(m.text)).length === texts.length, 'every message in the extension', 30_000).catch((err: Error) => {
      const seen = fresh().filter((m) => m.room === 'general').map((m) => `${m.sender}: ${m.text}`);
      throw new Error(`${err.message}; wanted ${JSON.stringify(texts)}; the extension's last messages in #general: ${JSON.stringify(seen)}`);
    });
    const order = fresh().filter((m) => m.room === 'general' && wanted.has(m.text)).map((m) => key(m.sender, m.text));
    assert.deepEqual(new Set(order.map((l) => l.split(': ')[0])), new Set(['panel-user', 'ircuser', 'ncuser', 'termuser']));

    const privmsgs = (raw: string) =>
      [...raw.matchAll(/^:([^!\s]+)!\S* PRIVMSG #general :(.*?)\r?$/gm)].filter((m) => wanted.has(m[2])).map((m) => key(m[1], m[2]));
    await waitFor(() => privmsgs(irc.raw.join('\n')).length === texts.length, 'every message at the IRC client', 30_000);
    await waitFor(() => privmsgs(ncOut).length === texts.length, 'every message at nc', 30_000);
    // The terminal client marks guests: `<ircuser (guest)> …`.
    const termLines = () => [...termOut.matchAll(/<([\w-]+)(?: \(guest\))?> (.*)$/gm)].filter((m) => wanted.has(m[2])).map((m) => key(m[1], m[2]));
    await waitFor(() => termLines().length === texts.length, 'every message at the terminal client', 30_000);

    assert.deepEqual(privmsgs(irc.raw.join('\n')), order, 'the IRC client, in the panel’s order');
    assert.deepEqual(privmsgs(ncOut), order, 'nc, in the panel’s order');
    assert.deepEqual(termLines(), order, 'the terminal client, in the panel’s order');
    // The shared code reached IRC as a header and its lines.
    const raw = irc.raw.join('\n');
    assert.match(raw, /PRIVMSG #general :\[snippet Untitled-\d+:1 typescript\]/);
    assert.match(raw, /PRIVMSG #general :const round1 = 1;/);
  });
});
