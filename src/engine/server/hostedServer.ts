/**
 * What the extension needs only once Chat: Start Server runs: the server, its
 * file store and the certificate helpers. esbuild makes this a bundle of its
 * own, `dist/hostedServer.js`, which the extension's ServerHost imports on
 * first use, so a window that only connects never loads the server (see
 * esbuild.mjs). Nothing else in the extension may import these modules, or
 * two copies of their classes would exist.
 */
export { ChatServer, ListenError } from './chatServer';
export { FileStore } from '../stores/fileStore';
export { StoreError } from '../stores/store';
export { loadCertificate, loadOrCreateCertificate } from '../certificate';
