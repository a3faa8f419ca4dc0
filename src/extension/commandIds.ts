/**
 * The extension's command ids, all in its own `tcpChat.*` namespace (VS Code's
 * own Chat owns `chat.*`). package.json contributes exactly these.
 */
export const CommandId = {
  startServer: 'tcpChat.startServer',
  stopServer: 'tcpChat.stopServer',
  setServerPassword: 'tcpChat.setServerPassword',
  copyInviteLink: 'tcpChat.copyInviteLink',
  connect: 'tcpChat.connect',
  disconnect: 'tcpChat.disconnect',
  openChat: 'tcpChat.openChat',
  setName: 'tcpChat.setName',
  joinRoom: 'tcpChat.joinRoom',
  directMessage: 'tcpChat.directMessage',
  shareSelection: 'tcpChat.shareSelection',
  sendFile: 'tcpChat.sendFile',
  searchHistory: 'tcpChat.searchHistory',
  showLog: 'tcpChat.showLog',
  saveFile: 'tcpChat.saveFile',
  openSnippet: 'tcpChat.openSnippet',
  compareSnippet: 'tcpChat.compareSnippet',
  setTopic: 'tcpChat.setTopic',
  kickUser: 'tcpChat.kickUser',
  banUser: 'tcpChat.banUser',
  exportIdentity: 'tcpChat.exportIdentity',
  importIdentity: 'tcpChat.importIdentity',
  releaseName: 'tcpChat.releaseName',
} as const;

/** One of the ids above. */
export type CommandIdValue = (typeof CommandId)[keyof typeof CommandId];
