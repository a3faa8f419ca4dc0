// The chat panel's script: a third layer that never imports vscode and speaks
// only the panel protocol (src/shared/panelProtocol.ts).
import DOMPurify from 'dompurify';
import { ChatView } from './chatView';

const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
const view = new ChatView(root, acquireVsCodeApi(), DOMPurify);
view.start();
