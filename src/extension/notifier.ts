import * as vscode from 'vscode';
import { isDmKey, type ChatMessage } from '../engine/protocol';
import type { NotifyLevel } from './settings';

/** How many notification texts the test API keeps. */
const KEEP = 100;

/**
 * The text to notify about `m` with, or undefined when the level says
 * nothing: `mentions` covers direct messages and `@me`, `all` everything
 * from others, `none` nothing.
 */
export function notificationText(m: ChatMessage, me: string | null, level: NotifyLevel): string | undefined {
  if (!me || m.sender === me || level === 'none') return undefined;
  const isDm = isDmKey(m.room);
  const mentioned = new RegExp(`(^|[^\\p{L}\\p{N}_])@${escapeRegExp(me)}(?![\\p{L}\\p{N}_])`, 'iu').test(m.text);
  if (level === 'mentions' && !isDm && !mentioned) return undefined;
  const where = isDm ? vscode.l10n.t('direct message') : `#${m.room}`;
  const preview = m.text.length > 140 ? m.text.slice(0, 139) + '…' : m.text;
  return `${m.sender} (${where}): ${preview}`;
}

/**
 * Raises notifications for messages the user is not looking at, and keeps
 * their texts for the test API. Choosing "Open Chat" calls `open(room)`.
 */
export class Notifier {
  private readonly texts: string[] = [];

  constructor(private readonly open: (room: string) => void) {}

  /** Texts of the notifications raised so far, oldest first. */
  get shown(): readonly string[] {
    return this.texts;
  }

  /** Notify about `m` unless the user is looking at its room right now. */
  consider(m: ChatMessage, me: string | null, level: NotifyLevel, lookingAtRoom: boolean): void {
    if (lookingAtRoom) return;
    const text = notificationText(m, me, level);
    if (!text) return;
    this.texts.push(text);
    if (this.texts.length > KEEP) this.texts.shift();
    const open = vscode.l10n.t('Open Chat');
    void vscode.window.showInformationMessage(text, open).then((pick) => {
      if (pick === open) this.open(m.room);
    });
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
