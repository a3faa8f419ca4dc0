import { MAX_TEXT_CHARS, type PanelConnState } from '../shared/panelProtocol';
import { el, iconButton } from './dom';
import { MentionPicker, type MentionSource } from './mentionPicker';

/** Typing notices go out at most this often while the user types. */
const TYPING_INTERVAL_MS = 2_000;

/** What the composer asks of the view around it. */
export interface ComposerHost {
  /** Enter was pressed with text in the box; return false to keep the text (not sent). */
  send(text: string): boolean;
  /** The user is typing (throttled). */
  typing(): void;
  /** The draft changed (to keep it per room). */
  draft(text: string): void;
  /** Who can be @-mentioned here (the room's members, and the server's in a large room). */
  readonly mentions: MentionSource;
}

/** What Enter does besides sending a new message: answer one, or replace the text of your own. */
export type ComposerMode = { kind: 'reply'; seq: number; sender: string; excerpt: string } | { kind: 'edit'; seq: number };

/**
 * The message box: Enter sends, Shift+Enter breaks the line, it grows with
 * its text up to a limit, and it stops at the server's maximum text length
 * rather than have Enter refused afterwards.
 */
export class Composer {
  readonly form: HTMLFormElement;
  readonly textarea: HTMLTextAreaElement;
  private lastTypingSent = 0;
  private conn: PanelConnState = 'disconnected';
  private modeValue?: ComposerMode;
  /** The draft put aside while editing a message, back when the edit ends. */
  private setAside = '';
  private readonly banner: HTMLElement;
  private readonly bannerText: HTMLElement;
  readonly mentions: MentionPicker;

  constructor(private readonly host: ComposerHost) {
    this.form = el('form', 'compose');
    this.textarea = el('textarea');
    this.textarea.id = 'composer';
    this.textarea.rows = 1;
    this.textarea.maxLength = MAX_TEXT_CHARS;
    this.textarea.setAttribute('aria-label', 'Message');
    this.textarea.setAttribute('aria-describedby', 'compose-hint');
    const hint = el('span', 'sr-only', 'Enter sends, Shift+Enter starts a new line.');
    hint.id = 'compose-hint';
    const send = iconButton('send', 'Send message', 'icon-btn send');
    send.type = 'submit';
    this.banner = el('div', 'compose-mode');
    this.banner.hidden = true;
    this.bannerText = el('span', 'compose-mode-text');
    this.bannerText.dir = 'auto';
    const cancel = iconButton('close', 'Cancel', 'icon-btn compose-cancel');
    cancel.addEventListener('click', () => this.setMode(undefined));
    this.banner.append(this.bannerText, cancel);
    this.mentions = new MentionPicker(this.textarea, this.host.mentions, () => this.onInput());
    this.textarea.setAttribute('aria-autocomplete', 'list');
    this.textarea.setAttribute('aria-controls', 'mention-list');
    this.form.append(this.banner, this.mentions.el, this.textarea, send, hint);
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    this.textarea.addEventListener('keydown', (e) => {
      if (this.mentions.key(e)) return;
      if (e.key === 'Escape' && this.modeValue) {
        e.preventDefault();
        this.setMode(undefined);
        return;
      }
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        this.submit();
      }
    });
    this.textarea.addEventListener('input', () => {
      this.onInput();
      this.mentions.update();
    });
    this.textarea.addEventListener('blur', () => this.mentions.close());
  }

  /** Replying to or editing a message, or neither. */
  get mode(): ComposerMode | undefined {
    return this.modeValue;
  }

  /** Start (or with undefined, end) a reply or an edit; an edit puts the message's text in the box. */
  setMode(mode: ComposerMode | undefined, text?: string): void {
    const wasEdit = this.modeValue?.kind === 'edit';
    this.modeValue = mode;
    this.banner.hidden = !mode;
    this.banner.dataset.kind = mode?.kind ?? '';
    if (mode?.kind === 'reply') this.bannerText.textContent = `Replying to ${mode.sender}: ${mode.excerpt.replace(/\s+/g, ' ').slice(0, 100)}`;
    else if (mode?.kind === 'edit') this.bannerText.textContent = 'Editing your message (Escape cancels)';
    if (mode?.kind === 'edit') {
      if (!wasEdit) this.setAside = this.textarea.value;
      this.value = text ?? '';
    } else if (wasEdit) {
      this.value = this.setAside;
      this.setAside = '';
    }
    this.focus();
  }

  get value(): string {
    return this.textarea.value;
  }

  /** Replace the text (switching rooms restores that room's draft). */
  set value(text: string) {
    this.textarea.value = text;
    this.autosize();
  }

  focus(): void {
    this.textarea.focus();
  }

  /** The connection state and where messages go, for the placeholder and label. */
  setTarget(conn: PanelConnState, title: string): void {
    this.conn = conn;
    this.textarea.placeholder = conn === 'disconnected' ? 'Disconnected — connect to send' : `Message ${title}`;
    this.textarea.setAttribute('aria-label', `Message ${title}`);
  }

  private submit(): void {
    const text = this.textarea.value;
    if (!text.trim() || !this.host.send(text)) return;
    const wasEdit = this.modeValue?.kind === 'edit';
    this.modeValue = undefined;
    this.banner.hidden = true;
    this.value = wasEdit ? this.setAside : '';
    this.setAside = '';
    this.lastTypingSent = 0;
  }

  private onInput(): void {
    this.autosize();
    this.host.draft(this.textarea.value);
    const now = Date.now();
    if (this.textarea.value && this.conn === 'connected' && now - this.lastTypingSent >= TYPING_INTERVAL_MS) {
      this.lastTypingSent = now;
      this.host.typing();
    }
  }

  private autosize(): void {
    const c = this.textarea;
    c.style.height = 'auto';
    c.style.height = `${Math.min(c.scrollHeight, 200)}px`;
  }
}
