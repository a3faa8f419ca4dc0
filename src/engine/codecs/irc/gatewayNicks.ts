import { foldName } from '../../stores/store';
import { ircLower } from './casemap';
import { nickForName, nickProblem, type NickDirectory } from './ircNames';

/** Who is online, as far as the nick directory needs to know. */
export interface OnlineNames {
  /** The canonical name of someone online, or undefined. */
  online(name: string): string | undefined;
  /** How many people are online (to know when to forget old entries). */
  count(): number;
}

interface Entry {
  name: string;
  nick: string;
}

/**
 * The nicks IRC sees for chat names, for the whole server: a name that is a
 * valid nick is its own nick; any other name (spaces, accents, other scripts)
 * gets one made from it (nickForName), the same for every IRC client, kept
 * while its holder is online. Two people never share a nick: a name that is a
 * valid nick but is already someone's made-up nick gets a numbered one.
 */
export class GatewayNicks implements NickDirectory {
  /** By folded chat name. */
  private readonly byName = new Map<string, Entry>();
  /** Folded chat name, by nick folded the IRC way. */
  private readonly byNick = new Map<string, string>();

  constructor(private readonly names: OnlineNames) {}

  nickOf(name: string): string {
    const key = foldName(name);
    const known = this.byName.get(key);
    if (known && known.name === name) return known.nick;
    if (known) this.forget(key, known);
    const nick = nickForName(name, (candidate) => this.takenFor(candidate, key));
    this.byName.set(key, { name, nick });
    this.byNick.set(ircLower(nick), key);
    if (this.byName.size > 2 * this.names.count() + 256) this.prune();
    return nick;
  }

  nameOf(nick: string): string | undefined {
    const key = this.byNick.get(ircLower(nick));
    const known = key === undefined ? undefined : this.byName.get(key);
    const holder = known && this.names.online(known.name);
    if (holder !== undefined) return holder;
    // Someone whose name is a valid nick and who has not been looked up yet.
    if (nickProblem(nick) !== undefined) return undefined;
    const name = this.names.online(nick);
    return name !== undefined && ircLower(this.nickOf(name)) === ircLower(nick) ? name : undefined;
  }

  /** True when a nick is someone else's: an IRC client asking for it gets 433. */
  isTakenFor(nick: string, name: string): boolean {
    return this.takenFor(nick, foldName(name));
  }

  private takenFor(candidate: string, key: string): boolean {
    const holder = this.byNick.get(ircLower(candidate));
    if (holder !== undefined && holder !== key && this.names.online(this.byName.get(holder)?.name ?? '') !== undefined) return true;
    const online = this.names.online(candidate);
    return online !== undefined && foldName(online) !== key;
  }

  private forget(key: string, e: Entry): void {
    this.byName.delete(key);
    if (this.byNick.get(ircLower(e.nick)) === key) this.byNick.delete(ircLower(e.nick));
  }

  /** Forget the nicks of people who are no longer online. */
  private prune(): void {
    for (const [key, e] of this.byName) if (this.names.online(e.name) === undefined) this.forget(key, e);
  }
}
