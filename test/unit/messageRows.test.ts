import * as assert from 'node:assert/strict';
import type { ChatMessage, SystemLine } from '../../src/shared/panelProtocol';
import { MessageRows } from '../../src/webview/messageRows';

/** A message at local time `hh:mm` on 2026-03-0`day`. */
function msg(seq: number, sender: string, day: number, hh: number, mm: number, text = 'hi'): ChatMessage {
  const ts = new Date(2026, 2, day, hh, mm).toISOString();
  return { type: 'message', id: `id${seq}`, seq, room: 'general', sender, text, ts };
}
function sys(text: string, day: number): SystemLine {
  return { type: 'system', room: 'general', text, ts: new Date(2026, 2, day, 12, 0).toISOString() };
}

describe('MessageRows (the message list without its DOM)', () => {
  it('puts a day separator before each day, and the unread line above the first unread message', () => {
    const rows = new MessageRows();
    rows.width = 600;
    rows.unreadFrom = 3;
    rows.rebuild([msg(1, 'ann', 1, 9, 0), msg(2, 'bob', 1, 9, 1), msg(3, 'ann', 2, 10, 0)]);
    assert.deepEqual(
      rows.rows.map((r) => r.key),
      ['top', 'd2026-03-01', 'm1', 'm2', 'unread', 'd2026-03-02', 'm3'],
    );
    assert.equal(rows.oldestSeq(), 1);
    assert.deepEqual(rows.allItems().map((i) => (i.type === 'message' ? i.seq : i.text)), [1, 2, 3]);
  });

  it('continues a sender within five minutes, not after; a system line breaks the run', () => {
    const rows = new MessageRows();
    rows.rebuild([msg(1, 'ann', 1, 9, 0), msg(2, 'ann', 1, 9, 4), msg(3, 'ann', 1, 9, 10), sys('bob joined', 1), msg(4, 'ann', 1, 12, 1)]);
    const cont = rows.rows.flatMap((r) => (r.kind === 'msg' ? [[r.msg.seq, r.cont]] : []));
    assert.deepEqual(cont, [[1, false], [2, true], [3, false], [4, false]]);
  });

  it('keeps the first copy of a message sent twice, and append returns only the new ones', () => {
    const rows = new MessageRows();
    rows.rebuild([msg(1, 'ann', 1, 9, 0)]);
    const added = rows.append([msg(1, 'ann', 1, 9, 0), msg(2, 'bob', 1, 9, 2)]);
    assert.deepEqual(added.map((m) => m.seq), [2]);
    assert.equal(rows.rows.filter((r) => r.key === 'm1').length, 1);
    assert.equal(rows.get('m2')?.kind, 'msg');
    assert.equal(rows.index.get('m2'), rows.rows.length - 1);
  });

  it('keeps measured heights through a rebuild, and anchors on a message rather than the top or a day row', () => {
    const rows = new MessageRows();
    rows.width = 600;
    rows.rebuild([msg(5, 'ann', 1, 9, 0), msg(6, 'bob', 1, 9, 1)]);
    const m5 = rows.get('m5')!;
    m5.h = 123;
    m5.measured = true;
    rows.rebuild([msg(4, 'cat', 1, 8, 0), msg(5, 'ann', 1, 9, 0), msg(6, 'bob', 1, 9, 1)]);
    assert.equal(rows.get('m5')!.h, 123);
    const at = rows.tops[rows.index.get('m5')!];
    assert.equal(rows.tops[rows.rows.length], rows.rows.reduce((sum, r) => sum + r.h, 0));
    assert.deepEqual(rows.anchorAt(at + 10), { key: 'm5', i: rows.index.get('m5'), offset: 10 });
    assert.equal(rows.anchorAt(0)?.key, 'm4');
    rows.rewrap(300);
    assert.equal(rows.get('m5')!.measured, false);
  });
});
