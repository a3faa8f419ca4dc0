import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { ChatClient } from '../../src/engine/client/chatClient';
import type { ChatMessage } from '../../src/engine/protocol';
import { ensureCliBuilt, spawnCli, waitForOutput } from '../support/cliProcess';
import { CLIENT_WAIT_MS, requireRealClientTools, startRealClient, type RealIrcClient } from '../support/ircClients';
import { pollUntil, Tmux } from '../support/ircTmux';

/** A message of the conversation: who wrote it and its text. */
type Line = `${string}: ${string}`;

/** Lines of the form `<nick> text` (irssi's screen; the terminal client, which marks guests `<nick (guest)>`), in the order shown. */
function angleLines(text: string, texts: ReadonlySet<string>): Line[] {
  const out: Line[] = [];
  for (const m of text.matchAll(/<[ @+]?([A-Za-z0-9_]+)(?: \(guest\))?> (mixed \d from [a-z]+)/g)) if (texts.has(m[2])) out.push(`${m[1]}: ${m[2]}`);
  return out;
}

/** IRC PRIVMSG lines to #general, in the order received. */
function privmsgLines(text: string, texts: ReadonlySet<string>): Line[] {
  const out: Line[] = [];
  for (const m of text.matchAll(/^:([^!\s]+)!\S* PRIVMSG #general :(.*?)\r?$/gm)) if (texts.has(m[2])) out.push(`${m[1]}: ${m[2]}`);
  return out;
}

/**
 * One conversation in #general among four kinds of client on one real
 * `tcp-chat serve --irc-port` process: the engine's ChatClient (what the
 * panel runs), irssi (through tmux), the terminal client (`tcp-chat
 * connect`) and `nc` speaking raw IRC. Everyone writes at once, twice, and
 * everyone sees every message in the one order the server gave them.
 *
 * irssi prints its own lines when they are typed, not when the server
 * orders them, so its own lines are left out of its order (everyone else's
 * are in it). The panel in a real VS Code extension host has the same test
 * in test/integration/suite/ircGateway.test.ts (without irssi, so that
 * `npm test` needs no IRC client).
 */
describe('a mixed conversation: ChatClient (the panel’s), irssi, tcp-chat connect and nc in #general', function () {
  const procs: ChildProcess[] = [];
  let tmux: Tmux | undefined;
  let irssi: RealIrcClient | undefined;
  let panel: ChatClient | undefined;

  after(async function () {
    panel?.dispose();
    await irssi?.close();
    await tmux?.stop();
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  });

  it('everyone sees everyone’s messages, in one order', async function () {
    requireRealClientTools();
    ensureCliBuilt();
    const server = spawnCli(['serve', '--host', '127.0.0.1', '--port', '0', '--irc-port', '0']);
    procs.push(server);
    const [, , port, ircPort] = await waitForOutput(server, /serving on (\S+):(\d+)[\s\S]*IRC gateway on \S+:(\d+)/, CLIENT_WAIT_MS);

    // The panel's client.
    panel = new ChatClient({ host: '127.0.0.1', port: Number(port), name: 'panel' });
    const seenByPanel: ChatMessage[] = [];
    panel.onMessage((m) => {
      if (m.room === 'general') seenByPanel.push(m);
    });
    await panel.connect();

    // The terminal client.
    const term = spawnCli(['connect', `127.0.0.1:${port}`, '--name', 'term'], true);
    procs.push(term);
    let termOut = '';
    term.stdout!.on('data', (d: Buffer) => (termOut += d.toString('utf8')));
    await waitForOutput(term, /\* \d+ online: /, CLIENT_WAIT_MS);

    // nc, typing IRC by hand; echo-message so its own lines come back in the server's order.
    const nc = spawn('nc', ['127.0.0.1', ircPort], { stdio: ['pipe', 'pipe', 'pipe'] });
    procs.push(nc);
    let ncOut = '';
    nc.stdout.on('data', (d: Buffer) => (ncOut += d.toString('utf8')));
    nc.stdin.write('CAP REQ :echo-message\r\nNICK ncuser\r\nUSER ncuser 0 * :nc\r\nCAP END\r\n');
    await pollUntil(() => (/ 366 ncuser #general /.test(ncOut) ? true : undefined), CLIENT_WAIT_MS, 'nc registered and in #general', () => ncOut);

    // irssi.
    tmux = await Tmux.start();
    irssi = await startRealClient('irssi', tmux, { host: '127.0.0.1', port: Number(ircPort) }, 'irssiuser');
    await irssi.join('#general');

    // Two rounds, everyone at once.
    const texts = new Set<string>();
    for (const round of [1, 2]) {
      const say = (who: string) => {
        const t = `mixed ${round} from ${who}`;
        texts.add(t);
        return t;
      };
      panel.send(say('panel'), { room: 'general' });
      term.stdin!.write(`${say('term')}\n`);
      nc.stdin.write(`PRIVMSG #general :${say('nc')}\r\n`);
      await irssi.say('#general', say('irssi'));
    }

    const wanted = texts.size;
    const all = (lines: Line[]) => (lines.length >= wanted ? lines : undefined);
    const byPanel = await pollUntil(() => all(seenByPanel.map((m): Line => `${m.sender}: ${m.text}`)), CLIENT_WAIT_MS, 'the panel client sees every message');
    const order = byPanel.filter((l) => texts.has(l.slice(l.indexOf(': ') + 2)));
    assert.deepEqual(seenByPanel.map((m) => m.seq), [...seenByPanel.map((m) => m.seq)].sort((a, b) => a - b), 'the panel client sees them in seq order');
    const byTerm = await pollUntil(() => all(angleLines(termOut, texts)), CLIENT_WAIT_MS, 'the terminal client sees every message', () => termOut);
    const byNc = await pollUntil(() => all(privmsgLines(ncOut, texts)), CLIENT_WAIT_MS, 'nc sees every message', () => ncOut);
    const irssiOthers = order.filter((l) => !l.startsWith('irssiuser: '));
    const byIrssi = await pollUntil(
      async () => {
        const shown = angleLines(await irssi!.transcript('#general'), texts).filter((l) => !l.startsWith('irssiuser: '));
        return shown.length >= irssiOthers.length ? shown : undefined;
      },
      CLIENT_WAIT_MS,
      'irssi sees every message',
    );

    assert.equal(order.length, 8);
    assert.deepEqual(new Set(order.map((l) => l.split(': ')[0])), new Set(['panel', 'term', 'ncuser', 'irssiuser']), 'the right senders');
    assert.deepEqual(byTerm, order, 'the terminal client, in the same order');
    assert.deepEqual(byNc, order, 'nc, in the same order');
    assert.deepEqual(byIrssi, irssiOthers, 'irssi, in the same order');
  });
});
