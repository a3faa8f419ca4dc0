import type { ChatClient } from '../engine/client/chatClient';
import type { HostToPanel } from '../shared/panelProtocol';
import { formatBytes, type IncomingFiles } from './incomingFiles';

/** What the file events need from the session. */
export interface FileEventLinesHost {
  post(msg: HostToPanel): void;
  /** A quiet line in a room's conversation. */
  system(room: string, text: string): void;
  /** A file was offered in this room or DM: the conversation must know it. */
  known(room: string): void;
}

/**
 * Offered files as the panel shows them: each offer, its progress and its
 * end update the file's card, and the conversation says what happened in a
 * line (offered, ready to save, or why it failed). Returns the listeners to
 * drop with the client.
 */
export function wireFileEvents(c: ChatClient, incoming: IncomingFiles, host: FileEventLinesHost): { dispose(): void }[] {
  return [
    c.onFileOffer((o) => {
      const view = incoming.offer(o);
      host.known(o.room);
      host.post({ type: 'file', file: view });
      host.system(o.room, `${o.sender} offers the file ${view.name} (${formatBytes(o.size)})`);
      if (view.status === 'failed') host.system(o.room, `${view.name}: ${view.detail}`);
    }),
    c.onFileChunk((ch) => {
      const view = incoming.chunk(ch);
      if (view) host.post({ type: 'file', file: view });
    }),
    c.onFileDone((d) => {
      const view = incoming.done(d);
      if (!view) return;
      host.post({ type: 'file', file: view });
      if (view.status === 'ready') host.system(view.room, `${view.name} from ${view.sender} is ready: use its Save button to choose where to keep it`);
      else host.system(view.room, `${view.name}: ${view.detail}`);
    }),
  ];
}
