import type { JoinedFrame, ModeEvent, PresenceFrame, RoomStateView, TopicEvent, WelcomeFrame } from '../protocol';
import { foldName } from '../stores/store';

/**
 * What a client knows of its rooms' settings (topic, modes, operators,
 * voiced members) and of who is away, kept up to date from the frames it
 * receives: the welcome and `joined` replies, then topic, mode and presence
 * frames. The ChatClient owns one; the editor and the terminal read it.
 */
export class RoomSettings {
  private readonly rooms = new Map<string, RoomStateView>();
  /** Away messages by folded name. */
  private readonly away = new Map<string, { name: string; message: string }>();

  /** A room's settings as last heard, or undefined (not in it, or a server before room moderation). */
  get(room: string): RoomStateView | undefined {
    return this.rooms.get(room);
  }

  /** True when `name` is one of the room's operators. */
  isOperator(room: string, name: string): boolean {
    const key = foldName(name);
    return this.rooms.get(room)?.ops.some((n) => foldName(n) === key) ?? false;
  }

  /** Everyone away now: name → away message. */
  awayNow(): Record<string, string> {
    return Object.fromEntries([...this.away.values()].map((a) => [a.name, a.message]));
  }

  /** Someone's away message, or undefined when they are not away. */
  awayOf(name: string): string | undefined {
    return this.away.get(foldName(name))?.message;
  }

  welcome(w: WelcomeFrame): void {
    this.rooms.clear();
    this.remember(w.room, w);
    this.away.clear();
    for (const [name, message] of Object.entries(w.away ?? {})) if (typeof message === 'string') this.away.set(foldName(name), { name, message });
  }

  joined(j: JoinedFrame): void {
    this.remember(j.room, j);
  }

  /** A room was left, or this client was kicked from it. */
  left(room: string): void {
    this.rooms.delete(room);
  }

  topic(t: TopicEvent): void {
    const r = this.rooms.get(t.room);
    if (!r) return;
    if (t.text === '') delete r.topic;
    else r.topic = { text: t.text, by: t.by, at: t.at };
  }

  mode(m: ModeEvent): void {
    const r = this.rooms.get(m.room);
    if (!r) return;
    r.modes = m.modes;
    for (const c of m.changes) {
      if (c.arg === undefined || (c.mode[1] !== 'o' && c.mode[1] !== 'v')) continue;
      const list = c.mode[1] === 'o' ? 'ops' : 'voiced';
      const key = foldName(c.arg);
      const without = r[list].filter((n) => foldName(n) !== key);
      r[list] = c.mode[0] === '+' ? [...without, c.arg] : without;
    }
  }

  presence(p: PresenceFrame): void {
    const key = foldName(p.name);
    if (p.event === 'away' && p.message !== undefined) this.away.set(key, { name: p.name, message: p.message });
    else if (p.event === 'back' || p.event === 'offline') this.away.delete(key);
    else if (p.event === 'rename' && p.from !== undefined) {
      // The server moves a renamed operator's entries too; this keeps the copy in step until the next joined.
      const from = foldName(p.from);
      const swap = (list: string[]) => list.map((n) => (foldName(n) === from ? p.name : n));
      for (const r of this.rooms.values()) {
        r.ops = swap(r.ops);
        r.voiced = swap(r.voiced);
      }
      const a = this.away.get(from);
      if (a) {
        this.away.delete(from);
        this.away.set(key, { name: p.name, message: a.message });
      }
    }
  }

  private remember(room: string, f: Partial<RoomStateView>): void {
    if (!f.modes) return; // a server from before room moderation
    this.rooms.set(room, { ...(f.topic && { topic: f.topic }), modes: f.modes, ops: [...(f.ops ?? [])], voiced: [...(f.voiced ?? [])] });
  }
}
