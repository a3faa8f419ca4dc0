import type { Person, PresenceFrame } from '../protocol';

/** What the client knows of the identity behind a name; nothing from servers that predate identities. */
interface Behind {
  id?: string;
  guest?: true;
}

/**
 * Who is online, in the server's order, with the identity behind each name
 * when the server says (welcome `people`, presence `id`, the who reply). The
 * one owner of that list: the client's `users` and `people` both read it.
 */
export class People {
  private entries = new Map<string, Behind>();

  /** Replace the list: from a welcome or a who reply. `people`, when the server sends it, says who is behind each name. */
  reset(names: readonly string[], people?: readonly Person[]): void {
    const ids = new Map((people ?? []).map((p) => [p.name, p] as const));
    this.entries = new Map(names.map((name) => [name, behind(ids.get(name))]));
    // A server that lists someone in `people` only still means them.
    for (const [name, p] of ids) if (!this.entries.has(name)) this.entries.set(name, behind(p));
  }

  /** Follow someone arriving, leaving or renaming. */
  apply(p: PresenceFrame): void {
    switch (p.event) {
      case 'online':
        this.entries.set(p.name, behind(p));
        return;
      case 'offline':
        this.entries.delete(p.name);
        return;
      case 'join':
        // A join says who is behind the name too; it never adds a name the list lacks (online does).
        if (p.id !== undefined && this.entries.has(p.name)) this.entries.set(p.name, behind(p));
        return;
      case 'rename': {
        const from = p.from === undefined ? undefined : this.entries.get(p.from);
        const now = p.id !== undefined ? behind(p) : (from ?? {});
        // Rebuilt so the renamed person keeps their place in the list.
        this.entries = new Map([...this.entries].map(([name, b]) => (name === p.from ? [p.name, now] : [name, b])));
        if (!this.entries.has(p.name)) this.entries.set(p.name, now);
        return;
      }
      case 'leave':
        return;
    }
  }

  /** Everyone online, by name. */
  get names(): string[] {
    return [...this.entries.keys()];
  }

  /** Everyone online whose identity the server told. */
  get all(): Person[] {
    const out: Person[] = [];
    for (const name of this.entries.keys()) {
      const p = this.find(name);
      if (p) out.push(p);
    }
    return out;
  }

  /** The person online under this exact name, when the server told who they are. */
  find(name: string): Person | undefined {
    const b = this.entries.get(name);
    if (b?.id === undefined) return undefined;
    return b.guest ? { name, id: b.id, guest: true } : { name, id: b.id };
  }
}

function behind(p: { id?: string; guest?: boolean } | undefined): Behind {
  if (p?.id === undefined) return {};
  return p.guest === true ? { id: p.id, guest: true } : { id: p.id };
}
