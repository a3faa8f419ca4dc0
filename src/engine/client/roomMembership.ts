import { DEFAULT_ROOM, type ClientFrame, type JoinedFrame, type RoomInfo } from '../protocol';

/**
 * The rooms a ChatClient is in, the keys it joined keyed rooms with, and how
 * many people each holds as the server last said. It outlives connections:
 * after a reconnect the client rejoins every room here, with its key.
 */
export class RoomMembership {
  private readonly joined = new Set<string>([DEFAULT_ROOM]);
  /** Keys given for keyed rooms, so a rejoin after a reconnect gives them again. */
  private readonly keys = new Map<string, string>();
  /** How many are in each room, as the server last said (welcome, joined, people). */
  private readonly counts = new Map<string, number>();

  /** Rooms this client is in (or asked to join). */
  get rooms(): string[] {
    return [...this.joined];
  }

  /** How many are in a room, as the server last said; undefined for a room not heard of. */
  count(room: string): number | undefined {
    return this.counts.get(room);
  }

  /** Asked to join: kept, with its key, for rejoining after a reconnect. */
  join(room: string, key?: string): void {
    this.joined.add(room);
    if (key !== undefined) this.keys.set(room, key);
  }

  /** Left on purpose, kicked out or refused: not a room to rejoin after a reconnect. */
  forget(room: string): void {
    this.joined.delete(room);
    this.keys.delete(room);
  }

  /** A welcome's room counts replace all earlier ones. */
  welcomed(rooms: readonly RoomInfo[]): void {
    this.counts.clear();
    for (const r of rooms) this.counts.set(r.name, r.count);
  }

  /** The server confirmed a join. */
  joinedRoom(f: JoinedFrame): void {
    this.joined.add(f.room);
    this.counts.set(f.room, f.count ?? f.members.length);
  }

  /** The server confirmed a leave. */
  left(room: string): void {
    this.joined.delete(room);
    this.counts.delete(room);
  }

  /** A room's new size from a `people` frame. */
  setCount(room: string, count: number): void {
    this.counts.set(room, count);
  }

  /** The frame that joins a room, with the key it was joined with. */
  joinFrame(room: string): ClientFrame {
    const key = this.keys.get(room);
    return { type: 'join', room, ...(key !== undefined && { key }) };
  }

  /** The join frames a new connection sends: every room but general, which the welcome joins. */
  rejoinFrames(): ClientFrame[] {
    return [...this.joined].filter((room) => room !== DEFAULT_ROOM).map((room) => this.joinFrame(room));
  }
}
