import { provenIdentity } from '../../identity';
import { presenceEvents } from '../../presenceEvents';
import { isDmKey, type ChatMessage, type FileOfferEvent, type PresenceFrame, type ServerFrame, type TypingEvent } from '../../protocol';
import type { FrameEncoder } from '../../server/codec';
import type { Session } from '../../server/connection';
import { fileOfferToIrc, ircLinesToMessages, type IrcDelivery, type IrcLines } from './chatToIrc';
import { serializeIrcMessage, type IrcMessage } from './ircMessage';
import { channelForRoom } from './ircNames';
import { msgidFor, replyPrefix, replyTag } from './messageRefs';
import { modeLine } from './roomFeatures';
import { updateToIrc } from './updateToIrc';

/** The capabilities that change what shared frames look like; the others only change replies. */
export const SHARED_CAPS = ['server-time', 'message-tags', 'account-tag', 'extended-join', 'batch', 'draft/multiline', 'away-notify', 'draft/message-redaction'] as const;

/** What an encoder asks the gateway about people. */
export interface PeopleLookup {
  /** The nick IRC sees for a chat name. */
  nickOf(name: string): string;
  /** `nick!user@host` for a chat name. */
  maskOf(name: string): string;
  /** The account (identity) someone online proved, on any node; undefined for a guest. */
  accountOf(name: string): string | undefined;
  /** The real name IRC shows for someone. */
  realnameOf(name: string): string;
  /** True when `session` is `name`, or shares a channel with them (who hears of their away status). */
  sharesChannel(session: Session, name: string): boolean;
  /** Someone's away message, or undefined when they are not away. */
  awayOf(name: string): string | undefined;
  /** A message's text as IRC lines, converted once per message however many encoders write it. */
  linesOf(message: ChatMessage): IrcLines;
  /** Report a line that could not be written (a bug, never input: input is made safe before). */
  warn(message: string): void;
}

/** Where to tell IRC people a file can be fetched. */
export const FILE_HINT = 'open it in the TCP Chat panel or with tcp-chat connect';

/**
 * Writes shared frames (room messages, direct messages, presence, typing,
 * file offers) as IRC lines for every connection with one set of the
 * capabilities in SHARED_CAPS: stateless, so all of them share its bytes.
 */
export class IrcEncoder implements FrameEncoder {
  constructor(
    readonly caps: ReadonlySet<string>,
    private readonly people: PeopleLookup,
  ) {}

  encode(frame: ServerFrame): Buffer | undefined {
    return toBytes(this.lines(frame), this.people);
  }

  /** away-notify: AWAY goes only to clients that share a channel with the person (IRCv3 away-notify). */
  accepts(frame: ServerFrame, session: Session): boolean {
    if (frame.type !== 'presence' || (frame.event !== 'away' && frame.event !== 'back') || !this.caps.has('away-notify')) return true;
    return this.people.sharesChannel(session, frame.name);
  }

  /** The IRC messages for a shared frame (none when it means nothing on IRC). */
  lines(frame: ServerFrame): IrcMessage[] {
    switch (frame.type) {
      case 'message':
        return this.message(frame);
      case 'presence':
        return this.presence(frame);
      case 'people':
        // Coalesced arrivals and departures: the JOIN, PART and QUIT lines they stand for (none for a large room's count).
        return presenceEvents(frame).flatMap((p) => this.presence(p));
      case 'typing':
        return this.typing(frame);
      case 'file_offer':
        return this.fileOffer(frame);
      case 'topic':
        return [this.tagged({ source: this.people.maskOf(frame.by), command: 'TOPIC', params: [channelForRoom(frame.room), frame.text] })];
      case 'mode': {
        const { modes, args } = modeLine(frame.changes, (n) => this.people.nickOf(n));
        return modes === '' ? [] : [this.tagged({ source: this.people.maskOf(frame.by), command: 'MODE', params: [channelForRoom(frame.room), modes, ...args] })];
      }
      case 'kick':
        return [this.tagged({ source: this.people.maskOf(frame.by), command: 'KICK', params: [channelForRoom(frame.room), this.people.nickOf(frame.name), frame.reason || frame.by] })];
      case 'update':
        return updateToIrc(frame, this.caps, this.people);
      default:
        return [];
    }
  }

  /**
   * A chat message as its recipients see it; `extra` tags the first line (a
   * label) and names the batch (unique on the connection) for multiline.
   */
  message(m: ChatMessage, extra: { firstTags?: Record<string, string>; batchRef?: string } = {}): IrcMessage[] {
    const d: IrcDelivery = {
      source: this.people.maskOf(m.sender),
      target: this.targetOf(m),
      caps: this.caps,
      batchRef: extra.batchRef ?? `ml${m.seq.toString(36)}`,
      ...(extra.firstTags && { firstTags: extra.firstTags }),
    };
    // Only message-tags shows the msgid; making it costs a Buffer per message.
    if (this.caps.has('message-tags')) d.msgid = msgidFor({ room: m.room, seq: m.seq });
    // The author the server stamped, not whoever holds the name now: right for history, and for senders on other nodes.
    const account = provenIdentity({ id: m.author });
    if (account !== undefined) d.account = account;
    if (m.replyTo !== undefined) return ircLinesToMessages(this.reply(m, m.replyTo, d), m.ts, d);
    return ircLinesToMessages(this.people.linesOf(m), m.ts, d);
  }

  /** A reply: `+draft/reply` on its first line with message-tags, otherwise a short quote in front of it. */
  private reply(m: ChatMessage, replyTo: number, d: IrcDelivery): IrcLines {
    const { action, lines } = this.people.linesOf(m);
    if (this.caps.has('message-tags')) {
      d.firstTags = { ...d.firstTags, ...replyTag(m.room, replyTo) };
      return { action, lines };
    }
    if (lines.length === 0) return { action, lines };
    return { action, lines: [replyPrefix(m.reply, (n) => this.people.nickOf(n)) + lines[0], ...lines.slice(1)] };
  }

  /** A room message goes to its channel; a direct message to its recipient's nick (for the sender's echo too). */
  targetOf(m: Pick<ChatMessage, 'room' | 'to'>): string {
    if (!isDmKey(m.room)) return channelForRoom(m.room);
    return this.people.nickOf(m.to ?? '');
  }

  private presence(p: PresenceFrame): IrcMessage[] {
    const source = this.people.maskOf(p.name);
    switch (p.event) {
      case 'join': {
        if (p.room === undefined) return [];
        const channel = channelForRoom(p.room);
        const params = this.caps.has('extended-join') ? [channel, this.people.accountOf(p.name) ?? '*', this.people.realnameOf(p.name)] : [channel];
        const join = this.tagged({ source, command: 'JOIN', params });
        // away-notify: someone who joins while away is announced as away to the channel they now share.
        const away = this.caps.has('away-notify') ? this.people.awayOf(p.name) : undefined;
        return away === undefined ? [join] : [join, this.tagged({ source, command: 'AWAY', params: [away] })];
      }
      case 'leave':
        return p.room === undefined ? [] : [this.tagged({ source, command: 'PART', params: [channelForRoom(p.room)] })];
      case 'rename': {
        if (p.from === undefined) return [];
        const old = this.people.maskOf(p.from);
        return [this.tagged({ source: old, command: 'NICK', params: [this.people.nickOf(p.name)] })];
      }
      case 'offline':
        return [this.tagged({ source, command: 'QUIT', params: ['Quit: left the chat'] })];
      case 'online':
        return []; // IRC tells of people only in shared channels
      case 'away':
      case 'back':
        // away-notify; a client without it asks (WHO, WHOIS) or meets 301 when it writes to them.
        if (!this.caps.has('away-notify')) return [];
        return [this.tagged({ source, command: 'AWAY', params: p.event === 'away' ? [p.message ?? 'away'] : [] })];
    }
  }

  private typing(t: TypingEvent): IrcMessage[] {
    if (!this.caps.has('message-tags')) return [];
    const target = t.room !== undefined ? channelForRoom(t.room) : this.people.nickOf(t.to ?? '');
    return [{ tags: { '+typing': 'active' }, source: this.people.maskOf(t.name), command: 'TAGMSG', params: [target] }];
  }

  private fileOffer(f: FileOfferEvent): IrcMessage[] {
    const d: IrcDelivery = { source: this.people.maskOf(f.sender), target: this.targetOf(f), caps: this.caps };
    return fileOfferToIrc(f, d, FILE_HINT);
  }

  /** server-time on a line that is not a message (JOIN, PART, NICK, QUIT). */
  private tagged(m: IrcMessage): IrcMessage {
    if (this.caps.has('server-time')) m.tags = { time: new Date().toISOString() };
    return m;
  }
}

/** IRC messages as the bytes of CRLF-terminated lines; a message that cannot be written is left out and reported. */
export function toBytes(messages: readonly IrcMessage[], people: Pick<PeopleLookup, 'warn'>): Buffer | undefined {
  if (messages.length === 0) return undefined;
  let out = '';
  for (const m of messages) {
    const r = serializeIrcMessage(m);
    if (r.ok) out += r.line + '\r\n';
    else people.warn(`an IRC ${m.command} line could not be written: ${r.error.message}`);
  }
  return out === '' ? undefined : Buffer.from(out, 'utf8');
}
