import type { ChatMessage, PersonView } from '../shared/panelProtocol';

/**
 * The words the panel uses for people: what a person's hover card and
 * screen-reader label say, and whether a message came from a guest. Pure, so
 * it is unit tested without a DOM.
 */

/** How someone's away status reads after their name: `away: lunch`, or `away` with no message. */
function awayWords(away: string): string {
  return away ? `away: ${away}` : 'away';
}

/** The hover card of someone in the people list: how to reach them, whether they are away, and their key's fingerprint to compare another way. */
export function personHover(p: PersonView, isMe: boolean, away?: string): string {
  const first = (isMe ? `${p.name} (you)` : `Message ${p.name}`) + (away === undefined ? '' : ` (${awayWords(away)})`);
  if (p.guest) return `${first}\nGuest: no identity key, so ${isMe ? 'you' : 'they'} may use only names nobody has claimed`;
  if (typeof p.fingerprint === 'string') return `${first}\nIdentity key ${p.fingerprint}${isMe ? '' : `\nCompare it with ${p.name} another way to be sure it is them`}`;
  return first;
}

/**
 * The hover text of a message's sender: the fingerprint of the key that wrote
 * it, when its author is online now (the people list knows every key online);
 * nothing to add otherwise.
 */
export function senderHover(sender: string, author: string | undefined, people: readonly PersonView[]): string {
  const p = author === undefined ? undefined : people.find((x) => x.id === author);
  if (p?.fingerprint !== undefined) return `${sender}: identity key ${p.fingerprint}${p.name !== sender ? ` (now ${p.name})` : ''}`;
  if (author !== undefined && author.startsWith('guest:')) return `${sender}: a guest, with no identity key`;
  return sender;
}

/** What a screen reader hears for someone in the people list (the visible "guest" and "away" tags included, in their order). */
export function personLabel(p: PersonView, isMe: boolean, away?: string): string {
  return `${p.name}${isMe ? ' (you)' : ''}${p.guest ? ', guest' : ''}, ${away === undefined ? 'online' : awayWords(away)}${isMe ? '' : '. Send a direct message'}`;
}

/**
 * True when a message's author proved no identity key. Guest ids start with
 * `guest:` (docs/protocol.md, "Identities"); the server sets `author`, never the client.
 */
export function fromGuest(m: Pick<ChatMessage, 'author'>): boolean {
  return typeof m.author === 'string' && m.author.startsWith('guest:');
}

/** People as the host sent them, with anything malformed dropped (host input is data until checked). */
export function cleanPeople(v: unknown): PersonView[] {
  if (!Array.isArray(v)) return [];
  const out: PersonView[] = [];
  for (const p of v as unknown[]) {
    if (typeof p !== 'object' || p === null) continue;
    const o = p as Record<string, unknown>;
    if (typeof o.name !== 'string') continue;
    out.push({ name: o.name, ...(typeof o.id === 'string' && { id: o.id }), ...(o.guest === true && { guest: true }), ...(typeof o.fingerprint === 'string' && { fingerprint: o.fingerprint }) });
  }
  return out;
}
