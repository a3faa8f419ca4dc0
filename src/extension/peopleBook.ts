import { fingerprintOf, isGuestId, isIdentityId } from '../engine/identity';
import { dmPeer, isDmKey, type ChatMessage, type Person, type PresenceFrame } from '../engine/protocol';
import type { PersonView } from '../shared/panelProtocol';

/** Someone online, as far as the server said: servers that predate identities give names only. */
interface Online {
  name: string;
  id?: string;
  guest?: true;
}

/**
 * Who is who, for the panel: the people online (with the identity behind each
 * name when the server says), and the last name seen for each identity, so a
 * direct conversation (keyed by the two identities, see dmKey) is labelled
 * with the other person's current name and follows their renames. Names are
 * labels; ids are people. Pure, so it is unit tested without an editor.
 */
export class PeopleBook {
  private online: Online[] = [];
  /** Identity id → the name last seen for it (kept across reloads). */
  private readonly names = new Map<string, string>();

  /** Names of everyone online, in the server's order. */
  get users(): string[] {
    return this.online.map((p) => p.name);
  }

  /** Replace the list: from a welcome or a who reply (`people` when the server has identities). */
  reset(users: readonly string[], people?: readonly Person[]): void {
    const byName = new Map((people ?? []).map((p) => [p.name, p] as const));
    this.online = users.map((name) => entry(name, byName.get(name)));
    for (const p of people ?? []) if (!users.includes(p.name)) this.online.push(entry(p.name, p));
    for (const p of this.online) if (p.id) this.names.set(p.id, p.name);
  }

  /** Nobody online (disconnected). The names of identities stay: they label old conversations. */
  clear(): void {
    this.online = [];
  }

  /** Follow an arrival, departure or rename. */
  apply(p: PresenceFrame): void {
    if (p.id !== undefined) this.names.set(p.id, p.name);
    switch (p.event) {
      case 'online':
        this.online = [...this.online.filter((o) => o.name !== p.name), entry(p.name, p)];
        return;
      case 'offline':
        this.online = this.online.filter((o) => o.name !== p.name);
        return;
      case 'rename': {
        const was = this.online.find((o) => o.name === p.from);
        const now = p.id !== undefined ? entry(p.name, p) : { ...was, name: p.name };
        if (was) this.online = this.online.map((o) => (o === was ? now : o));
        else this.online = [...this.online, now];
        if (now.id) this.names.set(now.id, p.name);
        return;
      }
      case 'join':
        if (p.id !== undefined) this.online = this.online.map((o) => (o.name === p.name ? entry(p.name, p) : o));
        return;
      case 'leave':
        return;
    }
  }

  /** Learn names from a message: its author's, and in a direct message the other person's (`to`). */
  learn(m: ChatMessage): void {
    if (m.author === undefined || !isIdentityId(m.author)) return;
    this.names.set(m.author, m.sender);
    if (m.to !== undefined && isDmKey(m.room)) {
      const other = dmPeer(m.room, m.author);
      if (other !== undefined && isIdentityId(other)) this.names.set(other, m.to);
    }
  }

  /** The person online under this exact name. */
  find(name: string): Online | undefined {
    return this.online.find((p) => p.name === name);
  }

  /** The person online with this identity (under whatever name they use now). */
  byId(id: string): Online | undefined {
    return this.online.find((p) => p.id === id);
  }

  /** The name last seen for an identity. */
  nameOf(id: string): string | undefined {
    return this.byId(id)?.name ?? this.names.get(id);
  }

  /** Everyone online as the panel shows them: guests marked, keyed people with their key's short fingerprint. */
  views(): PersonView[] {
    return this.online.map((p) => ({ name: p.name, ...(p.id !== undefined && { id: p.id }), ...(p.id !== undefined && !isGuestId(p.id) && !p.guest && { fingerprint: fingerprintOf(p.id) }), ...((p.guest || (p.id !== undefined && isGuestId(p.id))) && { guest: true }) }));
  }

  /** What survives a reload: the names of identities (the people online come with the next welcome). */
  snapshot(): Record<string, string> {
    return Object.fromEntries([...this.names].filter(([id]) => !isGuestId(id)).slice(-500));
  }

  restore(names: unknown): void {
    if (typeof names !== 'object' || names === null) return;
    for (const [id, name] of Object.entries(names)) if (isIdentityId(id) && typeof name === 'string') this.names.set(id, name);
  }
}

function entry(name: string, p: { id?: string; guest?: boolean } | undefined): Online {
  if (p?.id === undefined) return { name };
  return p.guest === true ? { name, id: p.id, guest: true } : { name, id: p.id };
}
