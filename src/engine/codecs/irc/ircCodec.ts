import { randomBytes } from 'node:crypto';
import type { LineDecoder } from '../../lineCodec';
import type { ClientFrame, ServerFrame } from '../../protocol';
import type { Codec, CodecContext, CodecSink } from '../../server/codec';
import type { Session } from '../../server/connection';
import type { ServerView } from '../../server/serverView';
import { wrapBatch } from './batches';
import { CapNegotiation, GATEWAY_CAPS, type CapOffer } from './capabilities';
import { IRC_COMMANDS } from './ircCommands/commandTable';
import type { IrcEncoder } from './ircEncoder';
import { createIrcLineDecoder } from './ircLineDecoder';
import { MAX_CLIENT_TAG_DATA_BYTES, parseIrcMessage, type IrcMessage, type IrcParseResult } from './ircMessage';
import type { IrcProfile, IrcProtocol } from './ircProtocol';
import { DEFAULT_MULTILINE_LIMITS, MultilineAssembler, multilineCapValue } from './multilineAssembler';
import { errInputTooLong, errNeedMoreParams, errNotRegistered, errUnknownCommand, type ReplyContext } from './numerics';
import { answerFrame, farewell } from './serverReplies';
import { SaslExchange } from './sasl';

/** What a frame handed to the server is about, so its answer becomes the right IRC reply. */
export type Request =
  | { kind: 'register' }
  | { kind: 'join'; channel: string }
  | { kind: 'part'; channel: string; reason?: string }
  | { kind: 'nick'; nick: string }
  | { kind: 'message'; command: 'PRIVMSG' | 'NOTICE'; target: string; label?: string }
  /** A history page for CHATHISTORY; only the messages with seqs strictly between `above` and `below` are wanted. */
  | { kind: 'history'; target: string; above?: number; below?: number }
  | { kind: 'ping' }
  /** TOPIC, MODE, KICK or INVITE on a channel; `nick` is the person it is about, `modes` the MODE string asked for. */
  | { kind: 'room'; command: 'TOPIC' | 'MODE' | 'KICK' | 'INVITE'; channel: string; nick?: string; modes?: string }
  | { kind: 'away' }
  /** A REDACT, or a TAGMSG's reaction, about the message `msgid` in `target`. */
  | { kind: 'change'; command: 'REDACT' | 'TAGMSG'; target: string; msgid: string };

/** Longest `label` tag accepted (labeled-response asks servers to allow 64 bytes). */
const MAX_LABEL = 64;

/** A labeled command's replies, held until it is done (labeled-response). */
interface Collector {
  label: string;
  messages: IrcMessage[];
}

/**
 * One IRC connection: lines in, parsed, and each handled as one unit in
 * order with everything else the connection does (CodecSink.command); the
 * server's answers back out as IRC lines. Shared frames (other people's
 * messages, presence) never come here: they are written by `variant`, the
 * encoder this connection shares with every other one that negotiated the
 * same capabilities.
 */
export class IrcCodec implements Codec {
  readonly sharedEcho = false;
  readonly caps: CapNegotiation;
  readonly sasl = new SaslExchange();
  readonly multiline = new MultilineAssembler();
  readonly profile: IrcProfile = { user: '', realname: '' };
  readonly session: Session;
  variant: IrcEncoder;
  nick = '*';
  registered = false;
  /** What registration has gathered so far (see ircRegistration.ts). */
  readonly pre: { nick?: string; user?: boolean; password?: string; key?: Buffer; registering?: boolean; saslOffered?: boolean; turnedAway?: string } = {};
  /** A password challenge that came with the server's answer to the hello, waiting for its proof. */
  challenge?: Extract<ServerFrame, { type: 'challenge' }>;
  private readonly decoder: LineDecoder;
  private stopped = false;
  /** The frame handler of the unit being run; the answers to what it is given arrive while it runs. */
  private handle?: (f: ClientFrame) => void | Promise<void>;
  /** What the frame being handled is about. */
  current?: Request;
  private collector?: Collector;
  /** Messages handed to the server whose echo or error has not come back, by id. */
  readonly pending = new Map<string, Extract<Request, { kind: 'message' }>>();
  private readonly idPrefix = randomBytes(6).toString('base64url');
  private sent = 0;
  private batches = 0;

  constructor(
    readonly gateway: IrcProtocol,
    private readonly sink: CodecSink,
    readonly context: CodecContext,
  ) {
    this.session = context.session;
    const offers: CapOffer[] = GATEWAY_CAPS.filter((c) => c !== 'sasl').map((name) => (name === 'draft/multiline' ? { name, value: multilineCapValue(DEFAULT_MULTILINE_LIMITS) } : { name }));
    this.caps = new CapNegotiation(offers);
    this.variant = gateway.encoderFor(this.caps.enabled);
    this.decoder = createIrcLineDecoder({
      line: (text) => {
        const parsed = parseIrcMessage(text, { maxTagDataBytes: MAX_CLIENT_TAG_DATA_BYTES });
        this.sink.command((handle) => this.run(parsed, handle));
      },
      overflow: (bytes) => this.sink.overflow(bytes),
    });
    gateway.codecs.add(this);
  }

  get view(): ServerView {
    return this.gateway.view;
  }

  get encoder(): IrcEncoder {
    return this.variant;
  }

  // ------------------------------------------------------------ Codec

  push(chunk: Buffer): void {
    this.decoder.push(chunk);
  }

  pause(): void {
    this.decoder.pause();
  }

  resume(): void {
    this.decoder.resume();
  }

  stop(): void {
    this.stopped = true;
    this.decoder.stop();
    this.gateway.codecs.delete(this);
  }

  encode(frame: ServerFrame): Buffer | undefined {
    if (this.stopped) return this.gateway.bytes(farewell(this, frame));
    const { messages, reply } = answerFrame(this, frame);
    if (messages.length === 0) return undefined;
    if (reply && this.collector) {
      this.collector.messages.push(...messages);
      return undefined;
    }
    return this.gateway.bytes(messages);
  }

  // ------------------------------------------------------------ for the command handlers

  /** The source and target of a numeric to this client. */
  reply(): ReplyContext {
    return { server: this.gateway.serverName, nick: this.nick };
  }

  /** `nick!user@host` of this client. */
  mask(): string {
    return `${this.nick}!~${this.profile.user || 'user'}@irc`;
  }

  /** Write lines to this client, in order with everything else it is sent (held while a labeled command runs). */
  send(...messages: IrcMessage[]): void {
    if (messages.length === 0 || this.stopped) return;
    if (this.collector) {
      this.collector.messages.push(...messages);
      return;
    }
    const bytes = this.gateway.bytes(messages);
    if (bytes) this.sink.reply(bytes);
  }

  /** Hand a frame to the server; its answers reach encode() (and so the client, as IRC lines) before this settles. */
  async request(frame: ClientFrame, about: Request): Promise<void> {
    const handle = this.handle;
    if (!handle || this.stopped) return;
    if (frame.type === 'message' && about.kind === 'message') this.pending.set(frame.id, about);
    const before = this.current;
    this.current = about;
    try {
      await handle(frame);
    } finally {
      this.current = before;
    }
  }

  /** A fresh id for a message this client sends (unique across its reconnects too). */
  messageId(): string {
    return `irc.${this.idPrefix}.${(++this.sent).toString(36)}`;
  }

  /** A batch reference unique on this connection. */
  batchRef(): string {
    return `b${(++this.batches).toString(36)}`;
  }

  /** Close the connection after what is queued (QUIT, a refused password). */
  quit(reason: string): void {
    this.sink.close(reason);
  }

  /** The capabilities changed: shared output may need another encoder. */
  capsChanged(): void {
    const next = this.gateway.encoderFor(this.caps.enabled);
    if (next === this.variant) return;
    this.variant = next;
    this.sink.variantChanged();
  }

  // ------------------------------------------------------------ input

  private async run(parsed: IrcParseResult, handle: (f: ClientFrame) => void | Promise<void>): Promise<void> {
    if (this.stopped) return;
    this.handle = handle;
    try {
      if (!parsed.ok) return this.badLine(parsed);
      const m = parsed.message;
      // Lines of a client's multiline batch go to the batch, whatever their command.
      const spec = m.tags?.batch !== undefined ? IRC_COMMANDS.BATCH : IRC_COMMANDS[m.command];
      if (!spec) return this.send(errUnknownCommand(this.reply(), m.command));
      if (!this.registered && !spec.early) return this.send(errNotRegistered(this.reply()));
      if (m.params.length < (spec.min ?? 0)) return this.send(errNeedMoreParams(this.reply(), m.command));
      const label = this.labelOf(m);
      if (label === undefined || label === '' || Buffer.byteLength(label) > MAX_LABEL) return await spec.run(this, m);
      this.collector = { label, messages: [] };
      const opening = m.command === 'BATCH' && m.params[0]?.startsWith('+');
      try {
        await spec.run(this, m);
      } finally {
        // A batch that opened has not been answered yet: its closing line is.
        this.finishLabel(opening && this.multiline.collecting);
      }
    } finally {
      this.handle = undefined;
    }
  }

  /**
   * The label a line is answered under (labeled-response). A client's
   * multiline batch is one command: its label is on the opening BATCH, and
   * the answer (the echo, an error, or ACK) comes when the batch closes; the
   * lines inside it are not answered one by one.
   */
  private labelOf(m: IrcMessage): string | undefined {
    if (!this.registered || !this.caps.has('labeled-response') || m.tags?.batch !== undefined) return undefined;
    if (m.command === 'BATCH' && m.params[0]?.startsWith('-')) return this.multiline.labelOf(m.params[0].slice(1));
    return m.tags?.label;
  }

  /** A line that does not parse: 417 when it is too long, 421 for a command that is not one; anything else is ignored, as servers do. */
  private badLine(parsed: Extract<IrcParseResult, { ok: false }>): void {
    const { code, command } = parsed.error;
    if (code === 'line_too_long' || code === 'tags_too_long') this.send(errInputTooLong(this.reply()));
    else if (code === 'bad_command' && command !== undefined) this.send(errUnknownCommand(this.reply(), command.slice(0, 32).replace(/[^\x21-\x7e]/g, '?')));
  }

  /** Send a labeled command's replies: one line with the label, several in a labeled-response batch, none as ACK. */
  private finishLabel(deferred = false): void {
    const c = this.collector;
    this.collector = undefined;
    if (!c || this.stopped) return;
    if (c.messages.length === 0) {
      if (deferred) return;
      // A message whose echo is still on its way (another node's bus): the echo carries the label.
      if (this.caps.has('echo-message') && [...this.pending.values()].some((p) => p.label === c.label)) return;
      c.messages.push({ source: this.gateway.serverName, command: 'ACK', params: [] });
    }
    this.send(...this.labeled(c.label, c.messages));
  }

  /** Replies tagged with a label (see labeled-response). Without batch, several replies cannot carry one. */
  labeled(label: string, messages: IrcMessage[]): IrcMessage[] {
    if (messages.length === 1) return [{ ...messages[0], tags: { ...messages[0].tags, label } }];
    if (!this.caps.has('batch')) return messages;
    return wrapBatch(this.gateway.serverName, this.batchRef(), 'labeled-response', [], messages, { label });
  }

  /** The label of the command running now, if it has one. */
  get labelNow(): string | undefined {
    return this.collector?.label;
  }
}
