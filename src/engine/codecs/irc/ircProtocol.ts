import type { ChatMessage, ErrorFrame } from '../../protocol';
import { foldName } from '../../stores/store';
import type { Codec, CodecContext, CodecSink, WireProtocol } from '../../server/codec';
import type { Session } from '../../server/connection';
import type { ServerView } from '../../server/serverView';
import { chatLines, type IrcLines } from './chatToIrc';
import { GatewayNicks } from './gatewayNicks';
import { IrcCodec } from './ircCodec';
import { IrcEncoder, SHARED_CAPS, toBytes, type PeopleLookup } from './ircEncoder';

/** What the gateway knows of an IRC user beyond their chat session. */
export interface IrcProfile {
  /** The user name from USER (made safe), shown as `~user` in their mask. */
  user: string;
  /** The real name from USER or SETNAME. */
  realname: string;
  /** Their client certificate's SHA-256 fingerprint (WHOIS 276). */
  certificate?: string;
  /** User mode +i: WHO * from someone who shares no room with them leaves them out. */
  invisible?: boolean;
}

/** Settings of the gateway; every one has a default. */
export interface IrcGatewayOptions {
  /** The server's name: the source of numerics. Default `irc.tcp-chat`. */
  serverName?: string;
  /** The network's name (ISUPPORT NETWORK, the welcome). Default `TCP Chat`. */
  network?: string;
  /** Lines of the message of the day. */
  motd?: readonly string[];
}

const DEFAULT_MOTD = [
  'This is a TCP Chat server: the people in the VS Code panel and in tcp-chat connect are here too.',
  'Rooms are channels (#general is everyone). /msg a nick to talk to one person.',
  'Files people share cannot reach IRC: you get a notice with the name and size, and the panel can save them.',
  'Prove who you are with SASL EXTERNAL and a TLS client certificate; otherwise you are a guest.',
];

/**
 * The IRC gateway as a wire protocol: the server opens one IrcCodec per
 * connection on the IRC port, and all of them share what is here: the
 * server's view of people and rooms, the nicks of chat names, what is known
 * of each IRC user, and one encoder per set of shared capabilities, so a
 * room message is written once per set however many IRC people receive it.
 */
export class IrcProtocol implements WireProtocol, PeopleLookup {
  readonly name = 'irc';
  readonly clientCertificates = true;
  readonly serverName: string;
  readonly network: string;
  readonly motd: readonly string[];
  readonly nicks: GatewayNicks;
  private viewRef?: ServerView;
  private readonly profiles = new WeakMap<Session, IrcProfile>();
  private readonly encoders = new Map<number, IrcEncoder>();
  /**
   * The last message converted by linesOf, and its lines. The encoders of a
   * fan-out (one per capability set) and the sender's echo ask for the same
   * message one after another, so one entry serves them all; a WeakMap cost
   * more per message than the conversion it saved.
   */
  private lastMessage?: ChatMessage;
  private lastLines?: IrcLines;
  /** The codecs open now (to tell IRC people of each other's SETNAME). */
  readonly codecs = new Set<IrcCodec>();

  constructor(options: IrcGatewayOptions = {}) {
    this.serverName = options.serverName ?? 'irc.tcp-chat';
    this.network = options.network ?? 'TCP Chat';
    this.motd = options.motd ?? DEFAULT_MOTD;
    this.nicks = new GatewayNicks({ online: (n) => this.view.online(n), count: () => this.view.connections().ready });
  }

  /** The server this gateway serves; set by attach() before the port opens. */
  get view(): ServerView {
    if (!this.viewRef) throw new Error('the IRC protocol is not attached to a server');
    return this.viewRef;
  }

  attach(view: ServerView): void {
    this.viewRef = view;
  }

  open(sink: CodecSink, context: CodecContext): Codec {
    return new IrcCodec(this, sink, context);
  }

  refusal(frame: ErrorFrame): Buffer {
    return Buffer.from(`ERROR :${frame.message.replace(/[\r\n\0]/g, ' ')}\r\n`, 'utf8');
  }

  /** The shared encoder for a client's capabilities: one per combination of SHARED_CAPS. */
  encoderFor(caps: ReadonlySet<string>): IrcEncoder {
    let bits = 0;
    SHARED_CAPS.forEach((c, i) => {
      if (caps.has(c)) bits |= 1 << i;
    });
    let e = this.encoders.get(bits);
    if (!e) this.encoders.set(bits, (e = new IrcEncoder(new Set(SHARED_CAPS.filter((c) => caps.has(c))), this)));
    return e;
  }

  /** Remember an IRC user's profile for as long as their session lives. */
  setProfile(session: Session, profile: IrcProfile): void {
    this.profiles.set(session, profile);
  }

  /** The IRC profile of someone online here, when they came through IRC. */
  profileOf(name: string): IrcProfile | undefined {
    const s = this.viewRef?.session(name);
    return s && this.profiles.get(s);
  }

  nickOf(name: string): string {
    return this.nicks.nickOf(name);
  }

  maskOf(name: string): string {
    const p = this.profileOf(name);
    return p ? `${this.nickOf(name)}!~${p.user}@irc` : `${this.nickOf(name)}!chat@tcp-chat`;
  }

  /**
   * The account IRC shows for someone online on any node of the cluster:
   * the identity they proved (`cert:…` for SASL EXTERNAL, `ed25519:…` for a
   * panel or terminal key). Guests have none, which is how IRC tells them apart.
   */
  accountOf(name: string): string | undefined {
    return this.viewRef?.accountOf(name);
  }

  sharesChannel(session: Session, name: string): boolean {
    if (foldName(session.name) === foldName(name)) return true;
    const view = this.viewRef;
    if (!view || session.rooms.size === 0) return false;
    // Someone here: their session's own set; someone on another node: the directory's rooms.
    const rooms = view.session(name)?.rooms ?? view.person(name)?.rooms ?? [];
    for (const room of rooms) if (session.rooms.has(room)) return true;
    return false;
  }

  awayOf(name: string): string | undefined {
    return this.viewRef?.awayOf(name);
  }

  realnameOf(name: string): string {
    return this.profileOf(name)?.realname ?? name;
  }

  linesOf(message: ChatMessage): IrcLines {
    if (message !== this.lastMessage || !this.lastLines) {
      this.lastLines = chatLines(message);
      this.lastMessage = message;
    }
    return this.lastLines;
  }

  warn(message: string): void {
    this.viewRef?.warn(message);
  }

  /** Messages as bytes, for this gateway's codecs. */
  bytes(messages: Parameters<typeof toBytes>[0]): Buffer | undefined {
    return toBytes(messages, this);
  }
}
