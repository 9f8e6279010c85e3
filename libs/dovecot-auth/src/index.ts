export * from './codec.js';
export { DovecotAuthServer, type DovecotAuthServerOptions } from './server.js';
export type { AuthLogger } from './connection.js';
export { directoryAuthenticator } from './directory-authenticator.js';
