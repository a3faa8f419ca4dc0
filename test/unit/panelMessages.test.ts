import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Conversation } from '../../src/extension/conversation';
import { IncomingFiles } from '../../src/extension/incomingFiles';
import { parsePanelMessage } from '../../src/shared/panelProtocol';
import { messageLink, parseMessageLink } from '../../src/shared/messageLink';
import type { ChatMessage } from '../../src/engine/protocol';

function msg(seq: number, sender: string, room = 'general', text = `m${seq}`): ChatMessage {
  return { type: 'message', id: `id${seq}`, seq, room, sender, text, ts: new Date(2026, 0, 1, 12, 0, seq).toISOString() };
}

describe('panel message handling', () => {
  describe('parsePanelMessage (webview input is unknown until checked)', () => {
    it('accepts each well-formed intent', () => {
      assert.deepEqual(parsePanelMessage({ type: 'ready' }), { type: 'ready' });
      assert.deepEqual(parsePanelMessage({ type: 'send', room: 'general', text: 'hi' }), { type: 'send', room: 'general', text: 'hi' });
      assert.deepEqual(parsePanelMessage({ type: 'loadOlder', room: 'general', before: 10 }), { type: 'loadOlder', room: 'general', before: 10 });
      assert.deepEqual(parsePanelMessage({ type: 'command', command: 'connect' }), { type: 'command', command: 'connect' });
      assert.deepEqual(parsePanelMessage({ type: 'command', command: 'copyInviteLink' }), { type: 'command', command: 'copyInviteLink' });
      assert.deepEqual(parsePanelMessage({ type: 'openSnippet', room: 'general', seq: 4 }), { type: 'openSnippet', room: 'general', seq: 4 });
      assert.deepEqual(parsePanelMessage({ type: 'compareSnippet', room: '@a,b', seq: 9, file: '/etc/passwd' }), { type: 'compareSnippet', room: '@a,b', seq: 9 });
      assert.deepEqual(parsePanelMessage({ type: 'command', command: 'setTopic' }), { type: 'command', command: 'setTopic' });
      assert.deepEqual(parsePanelMessage({ type: 'moderate', action: 'kick', name: 'bob', room: 'elsewhere' }), { type: 'moderate', action: 'kick', name: 'bob' });
      assert.deepEqual(parsePanelMessage({ type: 'moderate', action: 'ban', name: 'Ann Lee' }), { type: 'moderate', action: 'ban', name: 'Ann Lee' });
    });
    it('drops extra fields so nothing unexpected reaches the host', () => {
      assert.deepEqual(parsePanelMessage({ type: 'send', room: 'general', text: 'hi', sender: 'mallory' }), { type: 'send', room: 'general', text: 'hi' });
    });
    it('rejects junk, wrong types and unknown commands', () => {
      for (const bad of [null, 42, 'send', [], {}, { type: 'send', room: 1, text: 'x' }, { type: 'send', room: 'general' }, { type: 'loadOlder', room: 'g', before: 1.5 }, { type: 'command', command: 'workbench.action.reload' }, { type: 'nope' }, { type: 'openLink', url: 7 }, { type: 'openSnippet', room: 'general' }, { type: 'compareSnippet', room: 'general', seq: '3' }, { type: 'openSnippet', room: 1, seq: 1 }, { type: 'moderate', action: 'op', name: 'bob' }, { type: 'moderate', action: 'kick' }, { type: 'moderate', action: 'ban', name: 3 }]) {
        assert.equal(parsePanelMessage(bad), undefined, JSON.stringify(bad));
      }
    });
  });

  describe('replies, reactions, edits, deletes, links (issue 15)', () => {
    it('accepts the new intents and nothing malformed', () => {
      assert.deepEqual(parsePanelMessage({ type: 'send', room: 'general', text: 'yes', replyTo: 4 }), { type: 'send', room: 'general', text: 'yes', replyTo: 4 });
      assert.deepEqual(parsePanelMessage({ type: 'react', room: 'general', seq: 4, emoji: '👍', on: true }), { type: 'react', room: 'general', seq: 4, emoji: '👍', on: true });
      assert.deepEqual(parsePanelMessage({ type: 'edit', room: 'general', seq: 4, text: 'x', sender: 'mallory' }), { type: 'edit', room: 'general', seq: 4, text: 'x' });
      assert.deepEqual(parsePanelMessage({ type: 'delete', room: 'general', seq: 4 }), { type: 'delete', room: 'general', seq: 4 });
      assert.deepEqual(parsePanelMessage({ type: 'copyLink', room: 'general', seq: 4 }), { type: 'copyLink', room: 'general', seq: 4 });
      assert.deepEqual(parsePanelMessage({ type: 'showMessage', room: 'general', seq: 4 }), { type: 'showMessage', room: 'general', seq: 4 });
      assert.deepEqual(parsePanelMessage({ type: 'findMembers', id: 3, room: 'general', prefix: 'al', limit: 9999 }), { type: 'findMembers', id: 3, room: 'general', prefix: 'al' });
      for (const bad of [
        { type: 'send', room: 'general', text: 'x', replyTo: 0 },
        { type: 'send', room: 'general', text: 'x', replyTo: '4' },
        { type: 'react', room: 'general', seq: 4, emoji: '👍' },
        { type: 'react', room: 'general', seq: 1.5, emoji: '👍', on: true },
        { type: 'edit', room: 'general', seq: 4 },
        { type: 'delete', room: 'general', seq: -1 },
        { type: 'copyLink', room: 7, seq: 1 },
        { type: 'showMessage', room: 'general', seq: 0 },
        { type: 'findMembers', room: 'general', prefix: 'al' },
        { type: 'findMembers', id: 1, room: 'general', prefix: 'x'.repeat(65) },
        { type: 'findMembers', id: 1, room: 'general', prefix: 5 },
      ]) {
        assert.equal(parsePanelMessage(bad), undefined, JSON.stringify(bad));
      }
    });

    it('replaces an updated message by seq, never with an older state, and ignores what it does not hold', () => {
      const c = new Conversation();
      c.addMessage(msg(1, 'bob'), true);
      c.addMessage(msg(2, 'bob'), true);
      assert.deepEqual(c.applyUpdate({ ...msg(1, 'bob'), text: 'edited', edited: '2026-01-02T00:00:00.000Z', rev: 2 }).map((m) => m.seq), [1]);
      assert.equal(c.message('general', 1)?.text, 'edited');
      assert.deepEqual(c.applyUpdate({ ...msg(1, 'bob'), text: 'stale', rev: 1 }), []);
      assert.equal(c.message('general', 1)?.text, 'edited');
      assert.deepEqual(c.applyUpdate({ ...msg(9, 'bob'), rev: 3 }), []);
      assert.deepEqual(c.applyUpdate({ ...msg(1, 'bob', 'elsewhere'), rev: 3 }), []);
    });

    it('brings the quote in every held reply up to date when the original is edited or deleted, held or not', () => {
      const c = new Conversation();
      c.addMessage(msg(1, 'bob', 'general', 'teh plan'), true);
      c.addMessage({ ...msg(2, 'ann'), replyTo: 1, reply: { seq: 1, sender: 'bob', excerpt: 'teh plan' } }, true);
      c.addMessage({ ...msg(3, 'cy'), replyTo: 1, reply: { seq: 1, sender: 'bob', excerpt: 'teh plan' } }, true);
      c.addMessage({ ...msg(4, 'cy'), replyTo: 50, reply: { seq: 50, sender: 'bob', excerpt: 'far away' } }, true);
      const edited = c.applyUpdate({ ...msg(1, 'bob', 'general', 'the plan'), edited: '2026-01-02T00:00:00.000Z', rev: 1 });
      assert.deepEqual(edited.map((m) => m.seq), [1, 2, 3], 'the original and both replies are redrawn');
      assert.deepEqual(c.message('general', 2)?.reply, { seq: 1, sender: 'bob', excerpt: 'the plan' });
      assert.deepEqual(c.message('general', 3)?.reply, { seq: 1, sender: 'bob', excerpt: 'the plan' });
      // A reaction changes no quote: only the original is redrawn.
      assert.deepEqual(c.applyUpdate({ ...msg(1, 'bob', 'general', 'the plan'), reactions: [{ emoji: '👍', count: 1, people: ['ann'] }], rev: 2 }).map((m) => m.seq), [1]);
      // The original of #4 is not held here: its reply is still brought up to date.
      assert.deepEqual(c.applyUpdate({ ...msg(50, 'bob', 'general', ''), deleted: true, rev: 3 }).map((m) => m.seq), [4]);
      assert.deepEqual(c.message('general', 4)?.reply, { seq: 50, sender: 'bob', deleted: true });
    });

    it('knows where a room\'s unread messages start until it is looked at', () => {
      const c = new Conversation();
      c.me = 'alice';
      c.addMessage(msg(1, 'bob', 'design'), true);
      c.addMessage(msg(2, 'alice', 'design'), true);
      c.addMessage(msg(3, 'bob', 'design'), true);
      assert.equal(c.switchTo('design'), 1);
      assert.equal(c.switchTo('design'), undefined, 'seen now');
      c.addMessage(msg(4, 'bob', 'design'), false);
      assert.equal(c.markRead('design'), 4, 'arrived while the panel was hidden');
    });

    it('keeps room members for @-completion through joins, leaves and renames', () => {
      const c = new Conversation();
      c.me = 'alice';
      c.applyPresence({ type: 'presence', event: 'online', name: 'alice', id: 'guest:a', guest: true });
      c.applyPresence({ type: 'presence', event: 'online', name: 'bob', id: 'guest:b', guest: true });
      assert.deepEqual(c.membersOf('general').sort(), ['alice', 'bob'], 'general: everyone online until a joined list says otherwise');
      c.setMembers('dev', ['alice', 'bob']);
      c.applyPresence({ type: 'presence', event: 'join', name: 'carol', room: 'dev' });
      c.applyPresence({ type: 'presence', event: 'leave', name: 'bob', room: 'dev' });
      c.applyPresence({ type: 'presence', event: 'rename', name: 'caz', from: 'carol' });
      assert.deepEqual(c.membersOf('dev').sort(), ['alice', 'caz']);
    });

    it('message links name the server, room and seq, and refuse anything else', () => {
      const link = messageLink({ server: '127.0.0.1:12345', room: 'dev', seq: 42 });
      assert.equal(link, 'vscode://tcp-chat.tcp-chat/message?server=127.0.0.1%3A12345&room=dev&seq=42');
      assert.deepEqual(parseMessageLink(new URL(link).search.slice(1)), { server: '127.0.0.1:12345', room: 'dev', seq: 42 });
      assert.deepEqual(parseMessageLink('server=h:1&room=%40a%2Cb&seq=3'), { server: 'h:1', room: '@a,b', seq: 3 });
      for (const q of ['room=dev&seq=1', 'server=h:1&room=Bad Room&seq=1', 'server=h:1&room=dev&seq=0', 'server=h:1&room=dev&seq=1e3', 'server=h/x:1&room=dev&seq=1']) {
        assert.equal(typeof parseMessageLink(q), 'string', q);
      }
    });
  });

  describe('Conversation', () => {
    it('counts unread only for rooms not being looked at, and never for your own messages', () => {
      const c = new Conversation();
      c.me = 'alice';
      assert.equal(c.addMessage(msg(1, 'bob'), true), false, 'visible active room: read');
      assert.equal(c.addMessage(msg(2, 'bob'), false), true, 'hidden panel: unread');
      assert.equal(c.addMessage(msg(1, 'bob', 'design'), true), true, 'other room: unread');
      assert.equal(c.addMessage(msg(3, 'alice'), false), false, 'own message');
      assert.equal(c.unread, 2);
      c.switchTo('design');
      assert.equal(c.unread, 1);
      c.markRead('general');
      assert.equal(c.unread, 0);
    });
    it('lists rooms before DMs and labels a DM with the other person', () => {
      const c = new Conversation();
      c.me = 'alice';
      c.addMessage(msg(1, 'bob', c.dmWith('bob')), true);
      c.room('zeta');
      const views = c.roomViews();
      assert.deepEqual(
        views.map((v) => [v.label, v.kind]),
        [
          ['#general', 'room'],
          ['#zeta', 'room'],
          ['bob', 'dm'],
        ],
      );
    });
    it('prepends only older pages and keeps live messages after a backlog', () => {
      const c = new Conversation();
      c.setBacklog('general', [msg(5, 'bob'), msg(6, 'bob')], true);
      c.addMessage(msg(7, 'bob'), true);
      const added = c.addOlder('general', [msg(3, 'bob'), msg(4, 'bob'), msg(5, 'bob')], false);
      assert.deepEqual(
        added.map((m) => m.seq),
        [3, 4],
      );
      assert.deepEqual(
        c.items('general').map((i) => (i.type === 'message' ? i.seq : -1)),
        [3, 4, 5, 6, 7],
      );
      assert.equal(c.hasMore('general'), false);
    });
    it('expires typing notices and clears them when the typist sends', () => {
      const c = new Conversation();
      c.setTyping('general', 'bob', 1000);
      c.setTyping('general', 'carol', 1000);
      assert.deepEqual(c.typingIn('general', 1001), ['bob', 'carol']);
      c.addMessage(msg(1, 'bob'), true);
      assert.deepEqual(c.typingIn('general', 1002), ['carol']);
      assert.deepEqual(c.typingIn('general', 1000 + 60_000), []);
    });
    it('survives a reload through a snapshot: rooms, their last items and the active room, not unread counts', () => {
      const c = new Conversation();
      c.me = 'alice';
      c.address = '127.0.0.1:12345';
      for (let i = 1; i <= 300; i++) c.addMessage(msg(i, 'bob'), false);
      c.addMessage(msg(1, 'bob', 'design'), false);
      c.switchTo('design');
      const saved = JSON.parse(JSON.stringify(c.snapshot(200)));
      const back = new Conversation();
      back.restore(saved);
      assert.equal(back.address, '127.0.0.1:12345');
      assert.equal(back.me, 'alice');
      assert.equal(back.active, 'design');
      const general = back.items('general');
      assert.equal(general.length, 200);
      assert.equal(general[0].type === 'message' && general[0].seq, 101);
      assert.equal(back.hasMore('general'), true, 'older history is still there to fetch');
      assert.equal(back.unread, 0);
    });

    it('follows renames, including your own', () => {
      const c = new Conversation();
      c.me = 'alice';
      c.people.reset(['alice', 'bob']);
      c.applyPresence({ type: 'presence', event: 'rename', name: 'ally', from: 'alice' });
      assert.equal(c.me, 'ally');
      assert.deepEqual(c.users, ['ally', 'bob']);
    });
  });

  describe('IncomingFiles', () => {
    const data = Buffer.from('hello file\n'.repeat(1000));
    const sha = createHash('sha256').update(data).digest('hex');
    const offer = { type: 'file_offer' as const, id: 'f1', sender: 'bob', room: 'general', name: '../../etc/passwd', size: data.length, sha256: sha, ts: new Date().toISOString() };

    it('assembles chunks and verifies the checksum; the name is stripped of its path', () => {
      const files = new IncomingFiles(() => 1 << 20);
      const view = files.offer(offer);
      assert.equal(view.name, 'passwd');
      assert.equal(view.status, 'receiving');
      for (let i = 0, off = 0; off < data.length; i++, off += 4096) files.chunk({ type: 'file_chunk', id: 'f1', sender: 'bob', index: i, data: data.subarray(off, off + 4096).toString('base64') });
      assert.equal(files.done({ type: 'file_done', id: 'f1', sender: 'bob' })?.status, 'ready');
      assert.deepEqual(files.data(view.fileId)?.data, data);
    });
    it('refuses an offer over the cap before accepting a byte', () => {
      const files = new IncomingFiles(() => 100);
      const view = files.offer(offer);
      assert.equal(view.status, 'failed');
      assert.match(view.detail ?? '', /over your limit.*tcpChat\.maxFileSize/);
      files.chunk({ type: 'file_chunk', id: 'f1', sender: 'bob', index: 0, data: data.toString('base64') });
      assert.equal(files.data(view.fileId), undefined);
    });
    it('discards a file whose checksum does not match', () => {
      const files = new IncomingFiles(() => 1 << 20);
      const view = files.offer({ ...offer, sha256: '0'.repeat(64) });
      files.chunk({ type: 'file_chunk', id: 'f1', sender: 'bob', index: 0, data: data.toString('base64') });
      const done = files.done({ type: 'file_done', id: 'f1', sender: 'bob' });
      assert.equal(done?.status, 'failed');
      assert.match(done?.detail ?? '', /checksum/);
      assert.equal(files.data(view.fileId), undefined);
    });
  });
});
