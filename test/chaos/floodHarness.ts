import { LineClient, sleep } from './support';

/**
 * Paced chatters: `count` clients each send `rate` messages a second to the
 * room for `ms`. Latency is measured from each message's scheduled send
 * time (not the moment the timer fired), so a stalled server cannot hide
 * its stall (coordinated omission), to its arrival at every member.
 */
export class PacedRoom {
  readonly clients: LineClient[] = [];
  private latencies: number[] = [];
  private recording = false;
  lost = 0;
  private constructor(readonly tag: string) {}

  static async open(port: number, count: number, tag: string): Promise<PacedRoom> {
    const room = new PacedRoom(tag);
    for (let i = 0; i < count; i++) {
      const { c } = await LineClient.hello(port, `${tag}${i}`);
      c.onFrame = (f) => {
        if (f.type !== 'message' || !room.recording) return;
        const m = /^L (\d+(?:\.\d+)?) /.exec(f.text as string);
        if (m) room.latencies.push(performance.now() - Number(m[1]));
      };
      room.clients.push(c);
    }
    return room;
  }

  /** Run one paced phase; resolves with its latencies in ms and how many deliveries were expected. */
  async phase(rate: number, ms: number): Promise<{ latencies: number[]; expected: number }> {
    this.latencies = [];
    this.recording = true;
    const n = this.clients.length;
    const every = 1000 / rate;
    const start = performance.now() + 20;
    const perClient = Math.floor((ms / 1000) * rate);
    const pad = 'p'.repeat(20);
    const timers: NodeJS.Timeout[] = [];
    // Stagger the clients evenly over one interval, like independent people.
    for (let i = 0; i < n; i++) {
      const c = this.clients[i];
      const offset = (every * i) / n;
      let k = 0;
      const tick = () => {
        const now = performance.now();
        // Send everything that is due, each stamped with its scheduled time.
        while (k < perClient && start + offset + k * every <= now) {
          const scheduled = start + offset + k * every;
          c.send({ type: 'message', id: `${this.tag}-${i}-${k}-${Math.round(start)}`, room: 'general', text: `L ${scheduled.toFixed(3)} ${pad}` });
          k++;
        }
        if (k < perClient) timers.push(setTimeout(tick, Math.max(0, start + offset + k * every - performance.now())));
      };
      timers.push(setTimeout(tick, Math.max(0, start + offset - performance.now())));
    }
    const expected = perClient * n * n;
    const deadline = performance.now() + ms + 5000;
    while (performance.now() < start + ms + 200 || (this.latencies.length < expected && performance.now() < deadline)) await sleep(50);
    for (const t of timers) clearTimeout(t);
    this.recording = false;
    this.lost += Math.max(0, expected - this.latencies.length);
    return { latencies: this.latencies, expected };
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}

export interface FloodStats {
  connections: number;
  accepted: number;
  rateLimited: number;
  floodCuts: number;
  otherErrors: number;
  linesSent: number;
}

/**
 * A client that floods until it is cut, then reconnects after `reconnectMs`
 * (as a buggy bot with a backoff would) and floods again.
 * kind 'messages' sends chat messages as fast as the socket takes them;
 * kind 'junk' sends lines the server must parse and refuse.
 */
export function startFlooder(port: number, kind: 'messages' | 'junk', reconnectMs: number): { stop(): Promise<FloodStats> } {
  const stats: FloodStats = { connections: 0, accepted: 0, rateLimited: 0, floodCuts: 0, otherErrors: 0, linesSent: 0 };
  let stopped = false;
  let current: LineClient | undefined;
  const loop = (async () => {
    for (let round = 0; !stopped && round < 10_000; round++) {
      let c: LineClient;
      try {
        c = (await LineClient.hello(port, 'flooder')).c;
      } catch {
        await sleep(reconnectMs);
        continue;
      }
      current = c;
      stats.connections++;
      c.onFrame = (f) => {
        if (f.type === 'error') {
          if (f.code === 'rate_limited') stats.rateLimited++;
          else if (f.code === 'flood') stats.floodCuts++;
          else stats.otherErrors++;
        } else if (f.type === 'message' && typeof f.id === 'string' && f.id.startsWith('fl')) stats.accepted++;
      };
      let i = 0;
      const batch = (): Buffer => {
        const lines: string[] = [];
        for (let j = 0; j < 200; j++, i++) lines.push(kind === 'messages' ? JSON.stringify({ type: 'message', id: `fl${round}-${i}`, room: 'general', text: `flood ${i}` }) : i % 2 ? '{"type":"who"}' : 'not json at all');
        stats.linesSent += lines.length;
        return Buffer.from(lines.join('\n') + '\n');
      };
      // Write whenever the socket drains: as fast as the server reads.
      while (!stopped && !c.closed) {
        if (!c.socket.write(batch())) await Promise.race([new Promise((r) => c.socket.once('drain', r)), c.closedP]);
        else await new Promise((r) => setImmediate(r));
      }
      c.close();
      if (!stopped) await sleep(reconnectMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      current?.close();
      await loop;
      return stats;
    },
  };
}
