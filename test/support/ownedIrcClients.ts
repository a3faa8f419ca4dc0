import type { Harness } from './harness';
import { IrcFrameworkClient } from './ircFrameworkClient';
import { IrcLineClient } from './ircLineClient';

/** An irc-framework client registered on the gateway at `ircPort`, closed by the harness's cleanup. */
export async function ownedFrameworkClient(h: Harness, ircPort: number, nick: string, options: Parameters<typeof IrcFrameworkClient.connect>[2] = {}): Promise<IrcFrameworkClient> {
  const c = await IrcFrameworkClient.connect({ host: '127.0.0.1', port: ircPort }, nick, options);
  h.own(() => c.close());
  return c;
}

/** A raw line client registered on the gateway at `ircPort` with `caps`, closed by the harness's cleanup. */
export async function ownedLineClient(h: Harness, ircPort: number, nick: string, caps: string[] = []): Promise<IrcLineClient> {
  const c = await IrcLineClient.register(ircPort, nick, caps);
  h.own(() => c.close());
  return c;
}
