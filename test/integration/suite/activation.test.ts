/**
 * What a user meets first, in a real extension host: the settings that moved
 * from VS Code Chat's `chat.*` to `tcpChat.*` (the runner seeds old values in
 * user and workspace settings), the palette titles beside VS Code's own Chat,
 * the walkthrough, and the version from package.json.
 * This file sorts first so it sees the migration before other suites touch settings.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activated, waitFor } from './helpers';

/** Keep in step with OLD_SETTINGS in test/integration/runCodeServer.mjs. */
const OLD = { user: { displayName: 'migrated-name', 'server.tls': false }, workspace: { historyPageSize: 77 } };

interface Manifest {
  version: string;
  contributes: {
    commands: { command: string; title: string; category: string }[];
    walkthroughs: { id: string; steps: { id: string; title: string; description: string; media: { markdown?: string }; completionEvents?: string[] }[] }[];
  };
}

function manifest(ext: vscode.Extension<unknown>): { json: Manifest; nls: Record<string, string> } {
  return {
    json: JSON.parse(fs.readFileSync(path.join(ext.extensionPath, 'package.json'), 'utf8')) as Manifest,
    nls: JSON.parse(fs.readFileSync(path.join(ext.extensionPath, 'package.nls.json'), 'utf8')) as Record<string, string>,
  };
}

/** `%key%` from package.nls.json, or the text itself. */
function text(nls: Record<string, string>, s: string): string {
  const m = /^%(.+)%$/.exec(s);
  return m ? (nls[m[1]] ?? s) : s;
}

describe('first contact', () => {
  describe('settings moved from chat.* to tcpChat.*', () => {
    it('moved the user and workspace values at activation, removed the old keys, and said so once', async () => {
      const { api } = await activated();
      const { moved, message } = await api.migration();
      const got = moved.map((m) => `${m.scope}:${m.key}`).sort();
      assert.deepEqual(got, ['user:displayName', 'user:server.tls', 'workspace:historyPageSize']);
      assert.ok(message, 'no message told the user');
      assert.match(message, /chat\.\*/);
      assert.match(message, /tcpChat\.displayName/);
      assert.match(message, /tcpChat\.historyPageSize/);

      const now = vscode.workspace.getConfiguration('tcpChat');
      assert.equal(now.inspect('displayName')?.globalValue, OLD.user.displayName);
      assert.equal(now.inspect('server.tls')?.globalValue, OLD.user['server.tls']);
      assert.equal(now.inspect('historyPageSize')?.workspaceValue, OLD.workspace.historyPageSize);
      const old = vscode.workspace.getConfiguration('chat');
      for (const k of ['displayName', 'server.tls', 'historyPageSize']) {
        const i = old.inspect(k);
        assert.equal(i?.globalValue, undefined, `chat.${k} is still in the user settings`);
        assert.equal(i?.workspaceValue, undefined, `chat.${k} is still in the workspace settings`);
      }
      // The workspace file on disk no longer holds the old key.
      const wsFile = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.vscode', 'settings.json');
      assert.doesNotMatch(fs.readFileSync(wsFile, 'utf8'), /"chat\.historyPageSize"/);
    });

    it('moves nothing the second time, so it never speaks again', async () => {
      const { api } = await activated();
      assert.deepEqual(await api.migrateSettings(), []);
    });
  });

  describe('the palette beside VS Code’s own Chat', () => {
    it('keeps "Chat: Start Server" and "Chat: Connect", and no other title repeats one of VS Code’s Chat commands', async () => {
      const { ext } = await activated();
      const { json, nls } = manifest(ext);
      const titles = new Map(json.contributes.commands.map((c) => [c.command, `${text(nls, c.category)}: ${text(nls, c.title)}`]));
      assert.equal(titles.get('tcpChat.startServer'), 'Chat: Start Server');
      assert.equal(titles.get('tcpChat.connect'), 'Chat: Connect');
      for (const id of titles.keys()) assert.match(id, /^tcpChat\./, `${id} is outside the tcpChat namespace`);
      // The strings of VS Code's own Chat, from this very VS Code's message catalogue.
      const keys = JSON.parse(fs.readFileSync(path.join(vscode.env.appRoot, 'out', 'nls.keys.json'), 'utf8')) as [string, string[]][];
      const messages = JSON.parse(fs.readFileSync(path.join(vscode.env.appRoot, 'out', 'nls.messages.json'), 'utf8')) as string[];
      const builtIn = new Set<string>();
      let i = 0;
      for (const [module, ks] of keys) {
        for (let k = 0; k < ks.length; k++, i++) if (/\/contrib\/(chat|inlineChat)\//.test(module)) builtIn.add(messages[i]);
      }
      assert.ok(builtIn.has('Open Chat') && builtIn.has('New Chat'), `the catalogue did not yield VS Code's Chat titles (${builtIn.size} strings)`);
      const clashes = json.contributes.commands.map((c) => text(nls, c.title)).filter((t) => builtIn.has(t));
      assert.deepEqual(clashes, [], 'titles that VS Code’s own Chat uses');
      // Each title once.
      const all = [...titles.values()];
      assert.equal(new Set(all).size, all.length, `a title repeats: ${all.join(', ')}`);
    });

    it('contributes settings only under tcpChat.*', async () => {
      const { ext } = await activated();
      const props = Object.keys((ext.packageJSON as { contributes: { configuration: { properties: object } } }).contributes.configuration.properties);
      assert.ok(props.length >= 9);
      assert.deepEqual(props.filter((p) => !p.startsWith('tcpChat.')), []);
    });
  });

  describe('the walkthrough', () => {
    it('is contributed with its four steps, each with media on disk and commands that exist', async () => {
      const { ext } = await activated();
      const { json, nls } = manifest(ext);
      const w = json.contributes.walkthroughs?.find((x) => x.id === 'tcpChat.gettingStarted');
      assert.ok(w, 'no tcpChat.gettingStarted walkthrough');
      assert.deepEqual(
        w.steps.map((s) => s.id),
        ['hostOrJoin', 'pickName', 'shareSelection', 'lockServer'],
      );
      const registered = new Set(await vscode.commands.getCommands(true));
      for (const s of w.steps) {
        assert.ok(text(nls, s.title) !== s.title, `step ${s.id} has no localized title`);
        const md = s.media.markdown;
        assert.ok(md && fs.existsSync(path.join(ext.extensionPath, md)), `step ${s.id}: media ${md} is missing`);
        const desc = text(nls, s.description);
        for (const m of desc.matchAll(/\(command:([\w.]+)/g)) assert.ok(registered.has(m[1]), `step ${s.id} links to ${m[1]}, which is not registered`);
      }
    });

    it('opens in the workbench', async () => {
      const { ext } = await activated();
      await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${ext.id}#tcpChat.gettingStarted`, false);
      const labels = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label));
      await waitFor(() => labels().some((l) => /Welcome|Walkthrough|Get started/i.test(l)), `a walkthrough tab (tabs: ${labels().join(', ')})`, 15_000);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });
  });

  it('reports the version package.json carries', async () => {
    const { ext, api } = await activated();
    assert.equal(api.version, (ext.packageJSON as { version: string }).version);
    assert.match(api.version, /^\d+\.\d+\.\d+/);
  });
});
