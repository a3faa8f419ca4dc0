import { KnownPeople, keyChangeWarning } from '../engine/knownPeople';
import type { Person } from '../engine/protocol';

/**
 * The terminal client's side of changed-key warnings: every person the
 * server shows (welcome, presence, who) is checked against the identity last
 * seen under that name on this server, and a change is printed once, like
 * SSH's changed host key warning. What is seen is kept in the known-people
 * file (`~/.tcp-chat/known_people.json`).
 */
export class KeyWatch {
  private readonly known: KnownPeople;

  constructor(
    private readonly file: string,
    private readonly server: string,
    private readonly warn: (line: string) => void,
  ) {
    let known: KnownPeople;
    try {
      known = KnownPeople.load(file);
    } catch (err) {
      warn(`cannot read ${file} (${(err as Error).message}); changed keys are not checked this time`);
      known = KnownPeople.fromJSON(undefined);
    }
    this.known = known;
  }

  /** Check these people; `me` (this client's own id) is skipped. */
  see(people: readonly Person[], me: string | undefined): void {
    const { changes, learned } = this.known.seeAll(this.server, people, me);
    for (const change of changes) this.warn(`WARNING: ${keyChangeWarning(change)}`);
    if (!learned) return;
    try {
      this.known.save(this.file);
    } catch (err) {
      this.warn(`could not save ${this.file}: ${(err as Error).message}`);
    }
  }
}
