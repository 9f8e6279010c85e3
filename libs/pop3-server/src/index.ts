export { Pop3Server } from './server.js';
export type { Pop3ServerConfig, Pop3ServerDeps, Pop3Workaround, ApopSecretLookup } from './deps.js';
export { POP3_WORKAROUNDS } from './deps.js';
