import type { IrcMessage } from './ircMessage';

/** Messages inside a batch: each top-level line gets the batch tag (lines of a nested batch keep theirs). */
export function inBatch(messages: readonly IrcMessage[], ref: string): IrcMessage[] {
  return messages.map((m) => (m.tags?.batch !== undefined ? m : { ...m, tags: { ...m.tags, batch: ref } }));
}

/** `BATCH +ref type params…`, the messages, `BATCH -ref`; `openTags` go on the opening line (a label, say). */
export function wrapBatch(server: string, ref: string, type: string, params: readonly string[], messages: readonly IrcMessage[], openTags?: Record<string, string>): IrcMessage[] {
  const open: IrcMessage = { source: server, command: 'BATCH', params: [`+${ref}`, type, ...params] };
  if (openTags) open.tags = openTags;
  return [open, ...inBatch(messages, ref), { source: server, command: 'BATCH', params: [`-${ref}`] }];
}
