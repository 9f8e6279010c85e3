export { ImapServer } from './server.js';
export type { ImapServerConfig, ImapServerDeps } from './deps.js';
