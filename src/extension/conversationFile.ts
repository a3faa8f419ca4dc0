import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SavedConversation } from './conversation';

/** How long changes gather before one write. */
const SAVE_DELAY_MS = 2000;

/**
 * The conversation kept between window reloads, in a plain file rather than
 * workspace state: a reload ends the extension host at once, and state
 * updates from its last moments can be lost. Writes are batched (at most one
 * every two seconds) and made atomic with a rename; `flush` writes at once.
 */
export class ConversationFile {
  private timer?: NodeJS.Timeout;

  constructor(
    readonly file: string,
    private readonly snapshot: () => SavedConversation,
    private readonly warn: (message: string) => void,
  ) {}

  /** What was saved last time, or undefined when nothing readable is there. */
  load(): SavedConversation | undefined {
    try {
      const saved = JSON.parse(fs.readFileSync(this.file, 'utf8')) as SavedConversation;
      return saved && Array.isArray(saved.rooms) ? saved : undefined;
    } catch {
      // nothing saved yet, or unreadable: start empty
      return undefined;
    }
  }

  /** Save soon; many changes in a row make one write. */
  saveSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), SAVE_DELAY_MS);
  }

  /** Save now (on dispose: the extension host may end right after). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(this.snapshot()), { mode: 0o600 });
      fs.renameSync(tmp, this.file);
    } catch (err) {
      this.warn(`could not save the conversation for the next reload: ${(err as Error).message}`);
    }
  }

  dispose(): void {
    this.flush();
  }
}
