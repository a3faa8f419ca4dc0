import * as assert from 'node:assert/strict';
import type { ChatMessage } from '../../src/shared/panelProtocol';
import { RoomPageCache } from '../../src/webview/roomPageCache';

function msg(seq: number, text = `m${seq}`): ChatMessage {
  return { type: 'message', id: `id${seq}`, seq, room: 'r', sender: 'ann', text, ts: '2026-03-01T09:00:00.000Z' };
}
const seqs = (items: { type: string }[]) => items.map((i) => (i as ChatMessage).seq);

describe('RoomPageCache (pages kept of rooms the user left)', () => {
  it('puts the older pages already fetched in front of a fresh page that continues them', () => {
    const cache = new RoomPageCache();
    cache.keep('r', { items: [1, 2, 3, 4, 5].map((n) => msg(n)), more: false });
    const page = cache.join('r', [msg(4), msg(5), msg(6)], true);
    assert.deepEqual(seqs(page.items), [1, 2, 3, 4, 5, 6]);
    assert.equal(page.more, false, 'older pages end where the cached ones did');
    // A fresh page that does not overlap what is cached replaces it.
    assert.deepEqual(seqs(cache.join('r', [msg(9)], true).items), [9]);
    assert.deepEqual(seqs(cache.join('other', [msg(4)], true).items), [4]);
  });

  it('keeps live items and changes for a cached room, and drops the least recently left room past 20', () => {
    const cache = new RoomPageCache();
    cache.keep('r', { items: [msg(1), msg(2)], more: true });
    cache.add('r', [msg(3)], 'append');
    cache.add('r', [msg(0)], 'prepend');
    cache.update('r', msg(2, 'edited'));
    // Live items went to its end (an older page is the list's to fetch, not the cache's), the change in place.
    const page = cache.join('r', [msg(3), msg(4)], true);
    assert.deepEqual(seqs(page.items), [1, 2, 3, 4]);
    assert.equal((page.items[1] as ChatMessage).text, 'edited');
    assert.equal(page.more, true);
    for (let i = 0; i < 20; i++) cache.keep(`room${i}`, { items: [msg(1), msg(2)], more: true });
    assert.deepEqual(seqs(cache.join('r', [msg(2)], true).items), [2], 'r was left longest ago: dropped');
    assert.deepEqual(seqs(cache.join('room0', [msg(2)], true).items), [1, 2]);
  });
});
