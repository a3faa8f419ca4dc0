/**
 * The panel while the server cannot save messages, in a real extension host:
 * `tcp-chat serve` keeps its history in a real PostgreSQL, which the test
 * stops and starts again. The server answers `store_failed`, the client's
 * outbox keeps the messages and resends them; the panel says so once when
 * that starts and once when everything went out, never per retry.
 * The engine's side (ChatClient.onStoreWait) is in test/unit/clusterFaults.test.ts.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import * as vscode from 'vscode';
import type { TcpChatApi } from '../../../src/extension/extension';
import { ensureCliBuilt, startCliServer } from '../../support/cliProcess';
import { startPostgres, type RealPostgres } from '../../support/realServers';
import { activated, closeAll, waitFor } from './helpers';

const WAITING = 'the server cannot save messages right now; yours are kept and sent again until it can';
const SAVING_AGAIN = 'the server saves messages again; everything you wrote was sent';
const ROOM = 'general';

describe('the panel while the server cannot save messages (PostgreSQL down)', function () {
  this.timeout(120_000);
  let api: TcpChatApi;
  let pg: RealPostgres | undefined;
  let storeUrl: string;
  let server: Awaited<ReturnType<typeof startCliServer>> | undefined;
  /** What the server printed since it was ready: each message it could not store is one warning line. */
  let serverOut = '';
  // Texts unique to this run: the conversation is kept on disk, and earlier tests talked in general too.
  const tag = randomBytes(4).toString('hex');
  const [first, during1, during2] = ['before', 'during 1', 'during 2'].map((t) => `${t} (${tag})`);

  before(async () => {
    ({ api } = await activated());
    ensureCliBuilt();
    pg = await startPostgres();
    storeUrl = await pg.createDatabase();
    // The URL holds the password: through the environment, not argv (as serve itself advises).
    server = await startCliServer(['--port', '0', '--host', '127.0.0.1', '--quiet'], { TCP_CHAT_STORE: storeUrl });
    server.proc.stdout!.on('data', (d: Buffer) => (serverOut += d.toString('utf8')));
    server.proc.stderr!.on('data', (d: Buffer) => (serverOut += d.toString('utf8')));
    const ok = await vscode.commands.executeCommand<boolean>('tcpChat.connect', { host: '127.0.0.1', port: server.port, name: 'store-user' });
    assert.equal(ok, true, 'connect through the extension');
    await vscode.commands.executeCommand('tcpChat.openChat');
    api.panelSays({ type: 'switchRoom', room: ROOM });
    await waitFor(() => api.status().room === ROOM, `the panel showing ${ROOM}`);
  });

  after(async () => {
    await vscode.commands.executeCommand('tcpChat.disconnect');
    if (server && server.proc.exitCode === null) {
      server.proc.kill('SIGTERM');
      await server.exited;
    }
    await pg?.dispose();
    await closeAll();
  });

  /** How many times the conversation holds this quiet line, and how many times the panel was sent it. */
  function shown(line: string): { held: number; posted: number } {
    const held = api.systemLines(ROOM).filter((l) => l === line).length;
    const posted = api
      .panelPosts()
      .filter((p) => p.type === 'items' && p.room === ROOM)
      .flatMap((p) => (p.type === 'items' ? p.items : []))
      .filter((i) => i.type === 'system' && i.text === line).length;
    return { held, posted };
  }

  /** The acknowledged messages with this text in the conversation (a message shows once the server stored and echoed it). */
  function inConversation(text: string): number[] {
    return api
      .conversation(ROOM)
      .messages.filter((m) => m.text === text)
      .map((m) => m.seq);
  }

  /** The `cannot store the message` warnings the server printed so far: one per refused send or resend. */
  function refusals(): number {
    return serverOut.match(/warning: cannot store the message/g)?.length ?? 0;
  }

  it('says once that messages wait while PostgreSQL is down, once that they went out, and stores each once', async () => {
    // Counted from here: the lines say nothing about another test's server.
    const base = { waiting: shown(WAITING), again: shown(SAVING_AGAIN) };

    assert.ok(api.panelSays({ type: 'send', room: ROOM, text: first }), 'the panel’s send is accepted');
    await waitFor(() => inConversation(first).length === 1, 'the first message acknowledged in the panel', 20_000);
    assert.ok(
      api.panelPosts().some((p) => p.type === 'items' && p.items.some((i) => i.type === 'message' && i.text === first)),
      'the panel was sent the acknowledged message',
    );

    await pg!.stop();
    api.panelSays({ type: 'send', room: ROOM, text: during1 });
    await waitFor(() => shown(WAITING).held > base.waiting.held, `"${WAITING}" in the panel`, 30_000);
    assert.deepEqual(inConversation(during1), [], 'not acknowledged while nothing can be stored');

    // A second message and several resends of both: the line must not come again with any of them.
    const refusedSoFar = refusals();
    api.panelSays({ type: 'send', room: ROOM, text: during2 });
    await waitFor(() => refusals() >= refusedSoFar + 4, 'the server refusing both messages, resends included', 30_000).catch((err: Error) => {
      throw new Error(`${err.message}; the server printed:\n${serverOut.slice(-2000)}`);
    });
    assert.deepEqual(shown(WAITING), { held: base.waiting.held + 1, posted: base.waiting.posted + 1 }, 'said once, however many refusals');
    assert.deepEqual(shown(SAVING_AGAIN), base.again, 'not said to be over yet');
    assert.deepEqual([inConversation(during1), inConversation(during2)], [[], []], 'neither acknowledged yet');

    await pg!.start();
    await waitFor(() => shown(SAVING_AGAIN).held > base.again.held, `"${SAVING_AGAIN}" in the panel`, 60_000);
    // Its line comes once the outbox is empty: both resends were acknowledged by then.
    assert.equal(inConversation(during1).length, 1, 'the first waiting message in the conversation, once');
    assert.equal(inConversation(during2).length, 1, 'the second waiting message in the conversation, once');
    assert.deepEqual(shown(SAVING_AGAIN), { held: base.again.held + 1, posted: base.again.posted + 1 }, 'said once');
    assert.deepEqual(shown(WAITING), { held: base.waiting.held + 1, posted: base.waiting.posted + 1 }, 'and the waiting line still once');

    const db = new Client({ connectionString: storeUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ body: string; n: string }>('SELECT body, count(*) AS n FROM messages WHERE room = $1 GROUP BY body ORDER BY body', [ROOM]);
      assert.deepEqual(
        rows.map((r) => [r.body, Number(r.n)]),
        [first, during1, during2].sort().map((t) => [t, 1]),
        'PostgreSQL holds each message once, the resends included',
      );
    } finally {
      await db.end();
    }
  });
});
