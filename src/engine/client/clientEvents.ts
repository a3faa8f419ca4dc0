import { Emitter } from '../events';
import type { ChatMessage, ErrorFrame, FileAbortEvent, FileChunkEvent, FileDoneEvent, FileOfferEvent, InviteEvent, JoinedFrame, KickEvent, ModeEvent, PeopleFrame, PresenceFrame, TopicEvent, TypingEvent, WelcomeFrame } from '../protocol';
import type { ClientState, SendFailure } from './clientOptions';
import type { ConnectError } from './connectError';

/** Everything a ChatClient reports, as typed events; the client fires them, listeners subscribe. */
export class ClientEvents {
  protected readonly stateE = new Emitter<ClientState>();
  protected readonly welcomeE = new Emitter<WelcomeFrame>();
  protected readonly messageE = new Emitter<ChatMessage>();
  protected readonly updateE = new Emitter<ChatMessage>();
  protected readonly presenceE = new Emitter<PresenceFrame>();
  protected readonly typingE = new Emitter<TypingEvent>();
  protected readonly peopleE = new Emitter<PeopleFrame>();
  protected readonly joinedE = new Emitter<JoinedFrame>();
  protected readonly leftE = new Emitter<string>();
  protected readonly errorE = new Emitter<ErrorFrame>();
  protected readonly failedE = new Emitter<SendFailure>();
  protected readonly droppedE = new Emitter<string>();
  protected readonly refusedE = new Emitter<ConnectError>();
  protected readonly fileOfferE = new Emitter<FileOfferEvent>();
  protected readonly fileChunkE = new Emitter<FileChunkEvent>();
  protected readonly fileDoneE = new Emitter<FileDoneEvent>();
  protected readonly fileAbortE = new Emitter<FileAbortEvent>();
  protected readonly topicE = new Emitter<TopicEvent>();
  protected readonly modeE = new Emitter<ModeEvent>();
  protected readonly kickE = new Emitter<KickEvent>();
  protected readonly inviteE = new Emitter<InviteEvent>();
  protected readonly storeWaitE = new Emitter<boolean>();

  /** The connection state changed. */
  readonly onState = this.stateE.event;
  /** A handshake completed (first connect and every reconnect). */
  readonly onWelcome = this.welcomeE.event;
  /** A new message, exactly once and in order per room (live, or caught up after a reconnect). */
  readonly onMessage = this.messageE.event;
  /** A message changed (edited, deleted, reacted to): its whole latest state, to replace the one shown by (room, seq). Never an older state after a newer one. */
  readonly onUpdate = this.updateE.event;
  /** Someone came, went, joined, left or renamed. */
  readonly onPresence = this.presenceE.event;
  /**
   * Arrivals and departures as the server coalesced them, with the new
   * count. The named ones are reported through onPresence too; a frame
   * without names (a large room) says only that the count changed.
   */
  readonly onPeople = this.peopleE.event;
  /** Someone is typing. */
  readonly onTyping = this.typingE.event;
  /** A room was joined; carries its members and recent history. */
  readonly onJoined = this.joinedE.event;
  /** A room was left. */
  readonly onLeft = this.leftE.event;
  /** The server reported a problem. */
  readonly onServerError = this.errorE.event;
  /** A message was refused for good and removed from the outbox. */
  readonly onSendFailed = this.failedE.event;
  /** The link dropped, once per drop; the text says why, for a person. */
  readonly onDropped = this.droppedE.event;
  /**
   * A reconnect was refused for a reason retrying cannot fix (a changed certificate, a wrong
   * password…; see FINAL_CONNECT_CODES); the client is now closed. The first connect reports
   * the same through connect()'s rejection instead.
   */
  readonly onRefused = this.refusedE.event;
  /** Someone offers a file (chunks and a done event follow). */
  readonly onFileOffer = this.fileOfferE.event;
  /** A piece of an offered file. */
  readonly onFileChunk = this.fileChunkE.event;
  /** An offered file is complete. */
  readonly onFileDone = this.fileDoneE.event;
  /** An offered file will not be completed: discard what arrived of it. */
  readonly onFileAbort = this.fileAbortE.event;
  /** A room's topic changed (`settings` has it already). */
  readonly onTopic = this.topicE.event;
  /** A room's modes, operators, voices or bans changed (`settings` has it already). */
  readonly onMode = this.modeE.event;
  /** Someone was kicked from a room; when it is this client, it is out of the room and will not rejoin it. */
  readonly onKick = this.kickE.event;
  /** An invite: to this client, or the acknowledgement of one it sent. */
  readonly onInvite = this.inviteE.event;
  /**
   * True when the server first answers one of our messages with
   * `store_failed` (it cannot save them; the outbox keeps resending), false
   * once every message we wrote has been acknowledged again. Once each way,
   * so a person is told once rather than on every retry.
   */
  readonly onStoreWait = this.storeWaitE.event;

  /** Drop every listener. */
  protected disposeEvents(): void {
    for (const e of [this.stateE, this.welcomeE, this.messageE, this.updateE, this.presenceE, this.peopleE, this.typingE, this.joinedE, this.leftE, this.errorE, this.failedE, this.droppedE, this.refusedE, this.fileOfferE, this.fileChunkE, this.fileDoneE, this.fileAbortE, this.topicE, this.modeE, this.kickE, this.inviteE, this.storeWaitE]) e.dispose();
  }
}
