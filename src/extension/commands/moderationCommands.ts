import * as vscode from 'vscode';
import { DEFAULT_ROOM, MAX_REASON_CHARS, MAX_TOPIC_CHARS, isDmKey, lineTextProblem } from '../../engine/protocol';
import { CommandId } from '../commandIds';
import type { CommandContext, CommandTable } from './commandContext';

/**
 * Room moderation from the editor: Set Topic (palette and the panel header),
 * Kick and Ban (the people list, for operators). Each acts on the room the
 * panel shows. The server has the last word: a refusal comes back as a line
 * in the panel, in the server's words.
 */
export function moderationCommands(ctx: CommandContext): CommandTable {
  const { session } = ctx;

  /** The room the panel shows, or undefined (with a word to the user) when it is a direct conversation or there is no connection. */
  const activeRoom = (): string | undefined => {
    if (!session.connected) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Chat: connect first (Chat: Connect).'));
      return undefined;
    }
    const room = session.convo.active;
    if (!isDmKey(room)) return room;
    void vscode.window.showInformationMessage(vscode.l10n.t('Chat: a direct conversation has no topic or operators. Switch to a room first.'));
    return undefined;
  };

  /** Someone online other than this user: the argument, or picked from a list. */
  const pickPerson = async (arg: string | undefined, title: string): Promise<string | undefined> => {
    if (typeof arg === 'string') return arg;
    const others = session.users.filter((u) => u !== session.name);
    if (others.length === 0) return void vscode.window.showInformationMessage(vscode.l10n.t('Chat: nobody else is online right now.'));
    return vscode.window.showQuickPick(others, { title });
  };

  return {
    /** `topic` given: set it without asking (empty clears it). */
    [CommandId.setTopic]: async (topic?: string) => {
      const room = activeRoom();
      if (room === undefined) return;
      const settings = session.roomSettings(room);
      if (!settings.canSetTopic) {
        return void vscode.window.showWarningMessage(vscode.l10n.t('Chat: only the operators of #{0} may set its topic.', room));
      }
      const text =
        typeof topic === 'string'
          ? topic
          : await vscode.window.showInputBox({
              title: vscode.l10n.t('Chat: Set Topic of #{0}', room),
              prompt: vscode.l10n.t('One line everyone in #{0} sees at the top of the chat. Empty clears it.', room),
              value: settings.topic,
              validateInput: (v) => lineTextProblem(v, MAX_TOPIC_CHARS, 'a topic') ?? null,
            });
      if (text === undefined) return;
      const why = lineTextProblem(text, MAX_TOPIC_CHARS, 'a topic');
      if (why) return void vscode.window.showErrorMessage(vscode.l10n.t('Chat: {0}', why));
      session.setTopic(room, text);
    },

    /** `name` given: kick them; `reason` given too: without asking for one. */
    [CommandId.kickUser]: async (name?: string, reason?: string) => {
      const room = activeRoom();
      if (room === undefined) return;
      const who = await pickPerson(name, vscode.l10n.t('Chat: Kick from #{0}', room));
      if (!who) return;
      const why =
        typeof reason === 'string'
          ? reason
          : await vscode.window.showInputBox({
              title: vscode.l10n.t('Chat: Kick {0} from #{1}', who, room),
              prompt: vscode.l10n.t('A reason everyone in #{0} sees (optional). Escape cancels the kick.', room),
              validateInput: (v) => lineTextProblem(v, MAX_REASON_CHARS, 'a reason') ?? null,
            });
      if (why === undefined) return;
      session.kick(room, who, why || undefined);
    },

    /** Always asks first: a ban outlasts the session. */
    [CommandId.banUser]: async (name?: string) => {
      const room = activeRoom();
      if (room === undefined) return;
      const who = await pickPerson(name, vscode.l10n.t('Chat: Ban from #{0}', room));
      if (!who) return;
      const ban = vscode.l10n.t('Ban');
      const consequence =
        room === DEFAULT_ROOM
          ? vscode.l10n.t('They stay in #{0} but cannot write to it until an operator lifts the ban.', room)
          : vscode.l10n.t('They cannot join #{0} or write to it until an operator lifts the ban. Kick them too to put them out now.', room);
      const answer = await vscode.window.showWarningMessage(vscode.l10n.t('Ban {0} from #{1}?', who, room), { modal: true, detail: consequence }, ban);
      if (answer === ban) session.ban(room, who);
    },
  };
}
