import { serializeIrcMessage, type IrcMessage } from './ircMessage';
import { errInvalidCapCmd, errNeedMoreParams, type ReplyContext } from './numerics';

/**
 * IRCv3 capability negotiation for one connection, as a pure state machine:
 * `CAP LS [302]`, `LIST`, `REQ`, `END`, and cap-notify's `NEW` and `DEL`.
 * It says what to reply and whether registration must wait; the server owns
 * the socket and decides when registration completes.
 */

/** Every capability the gateway can offer (issue 12, plus draft/multiline). */
export const GATEWAY_CAPS = [
  'account-notify',
  'account-tag',
  'away-notify',
  'batch',
  'cap-notify',
  'draft/chathistory',
  'draft/message-redaction',
  'draft/multiline',
  'echo-message',
  'extended-join',
  'labeled-response',
  'message-tags',
  'multi-prefix',
  'sasl',
  'server-time',
  'setname',
  'userhost-in-names',
] as const;

/** A capability name the gateway knows. */
export type GatewayCap = (typeof GATEWAY_CAPS)[number];

/** Where negotiation stands. */
export type CapPhase =
  /** No CAP yet: registration may complete as soon as NICK and USER arrive. */
  | 'none'
  /** CAP LS or REQ came before registration: registration waits for CAP END. */
  | 'negotiating'
  /** CAP END came (or CAP only after registration): nothing waits. */
  | 'done';

/** What to do after one CAP command. */
export interface CapResult {
  replies: IrcMessage[];
  /** Registration may go ahead now (CAP END ended a negotiation that held it). */
  released: boolean;
}

/** One capability on offer, with its value for `CAP LS 302` (`sasl=PLAIN,EXTERNAL`). */
export interface CapOffer {
  name: string;
  value?: string;
}

/** Capability negotiation state for one client. */
export class CapNegotiation {
  private phaseNow: CapPhase = 'none';
  private versionNow = 0;
  private readonly offers = new Map<string, string | undefined>();
  private readonly on = new Set<string>();

  constructor(offers: readonly CapOffer[]) {
    for (const o of offers) this.offers.set(o.name, o.value);
  }

  get phase(): CapPhase {
    return this.phaseNow;
  }

  /** The highest CAP LS version the client asked for (0 before any LS, 301 for a bare LS). */
  get version(): number {
    return this.versionNow;
  }

  /** The capabilities the client has enabled. */
  get enabled(): ReadonlySet<string> {
    return this.on;
  }

  /** True when the client enabled `name`. */
  has(name: string): boolean {
    return this.on.has(name);
  }

  /** A client that negotiated LS 302 gets cap-notify whether it asked or not. */
  private get notified(): boolean {
    return this.versionNow >= 302 || this.on.has('cap-notify');
  }

  /**
   * Handles `CAP <params...>`. `registered` says whether the connection has
   * completed registration (then nothing is held).
   */
  handle(params: readonly string[], ctx: ReplyContext, registered: boolean): CapResult {
    const sub = params[0]?.toUpperCase();
    if (sub === undefined || sub === '') return { replies: [errNeedMoreParams(ctx, 'CAP')], released: false };
    switch (sub) {
      case 'LS': {
        const asked = Number.parseInt(params[1] ?? '', 10);
        this.versionNow = Math.max(this.versionNow, Number.isFinite(asked) && asked >= 302 ? 302 : 301);
        // LS 302 implies cap-notify (IRCv3 cap-notify); it shows in LIST and cannot be turned off.
        if (this.versionNow >= 302 && this.offers.has('cap-notify')) this.on.add('cap-notify');
        this.hold(registered);
        return { replies: this.list(ctx, 'LS', [...this.offers].map(([name, value]) => (this.versionNow >= 302 && value ? `${name}=${value}` : name))), released: false };
      }
      case 'LIST':
        return { replies: this.list(ctx, 'LIST', [...this.on]), released: false };
      case 'REQ': {
        this.hold(registered);
        const asked = params[1] ?? '';
        return { replies: [this.cap(ctx, this.request(asked) ? 'ACK' : 'NAK', asked)], released: false };
      }
      case 'END': {
        const released = this.phaseNow === 'negotiating';
        this.phaseNow = 'done';
        return { replies: [], released };
      }
      default:
        return { replies: [errInvalidCapCmd(ctx, params[0] ?? '')], released: false };
    }
  }

  /** Offers more capabilities; a client with cap-notify is told (`CAP NEW`). */
  offer(added: readonly CapOffer[], ctx: ReplyContext): IrcMessage[] {
    const fresh = added.filter((o) => this.offers.get(o.name) !== o.value || !this.offers.has(o.name));
    for (const o of fresh) this.offers.set(o.name, o.value);
    if (!this.notified || fresh.length === 0) return [];
    return this.list(ctx, 'NEW', fresh.map((o) => (this.versionNow >= 302 && o.value ? `${o.name}=${o.value}` : o.name)));
  }

  /** Withdraws capabilities, disabling them; a client with cap-notify is told (`CAP DEL`). */
  withdraw(names: readonly string[], ctx: ReplyContext): IrcMessage[] {
    const gone = names.filter((n) => this.offers.has(n));
    for (const n of gone) {
      this.offers.delete(n);
      this.on.delete(n);
    }
    if (!this.notified || gone.length === 0) return [];
    return this.list(ctx, 'DEL', gone);
  }

  private hold(registered: boolean): void {
    if (!registered && this.phaseNow === 'none') this.phaseNow = 'negotiating';
  }

  /** Applies a REQ all or nothing; false (NAK) when any item is not on offer or may not be turned off. */
  private request(asked: string): boolean {
    const items = asked.split(' ').filter((i) => i !== '');
    if (items.length === 0) return false;
    const changes: [string, boolean][] = [];
    for (const item of items) {
      const off = item.startsWith('-');
      const name = off ? item.slice(1) : item;
      if (!this.offers.has(name)) return false;
      // cap-notify is implied by 302 and cannot be switched off there.
      if (off && name === 'cap-notify' && this.versionNow >= 302) return false;
      changes.push([name, !off]);
    }
    for (const [name, enable] of changes) {
      if (enable) this.on.add(name);
      else this.on.delete(name);
    }
    return true;
  }

  private cap(ctx: ReplyContext, sub: string, ...rest: string[]): IrcMessage {
    return { source: ctx.server, command: 'CAP', params: [ctx.nick || '*', sub, ...rest] };
  }

  /** One reply, or several with `*` before the list for 302 clients, each within 512 bytes. */
  private list(ctx: ReplyContext, sub: string, items: string[]): IrcMessage[] {
    const lines: string[][] = [[]];
    for (const item of items) {
      const cur = lines[lines.length - 1];
      if (cur.length > 0 && !serializeIrcMessage(this.cap(ctx, sub, '*', [...cur, item].join(' '))).ok) lines.push([item]);
      else cur.push(item);
    }
    // Only 302 clients understand continuation lines; older ones get everything in one (our list fits).
    if (this.versionNow < 302 || lines.length === 1) return [this.cap(ctx, sub, lines.flat().join(' '))];
    return lines.map((l, i) => (i < lines.length - 1 ? this.cap(ctx, sub, '*', l.join(' ')) : this.cap(ctx, sub, l.join(' '))));
  }
}
