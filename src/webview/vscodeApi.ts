import type { PanelToHost } from '../shared/panelProtocol';

/** What the webview keeps across hide, show and reload (vscode.getState/setState). */
export interface PanelState {
  active?: string;
  /** Per room: the message at the top of the view and how far into it we were, or pinned to the bottom. */
  scroll?: Record<string, ScrollMark>;
  /** Unsent composer text per room. */
  drafts?: Record<string, string>;
}

/** Where a room was scrolled to. */
export interface ScrollMark {
  atBottom: boolean;
  /** Row key (message id) at the top of the view. */
  anchor?: string;
  offset?: number;
}

/** The API VS Code injects into webviews; typed here because the webview never imports vscode. */
export interface VsCodeApi {
  postMessage(msg: PanelToHost): void;
  getState(): PanelState | undefined;
  setState(state: PanelState): void;
}

declare global {
  function acquireVsCodeApi(): VsCodeApi;
}
