export { BackendPool, BackendRefused, type Backend, type PoolOptions, type Route } from './backend-pool.js';
export { ImapProxy, imapBackendLogin, type ImapProxyConfig } from './imap-proxy.js';
export { proxyLogin, type Credentials, type HandshakeContext } from './login.js';
export { proxyMetrics, breakerValue, type ProxyMetrics } from './metrics.js';
export { relay, type Relay } from './relay.js';
export type { ProxyDeps, ClientInfo } from './types.js';
export { Pop3Proxy, pop3BackendLogin } from './pop3-proxy.js';
export { LineQueue, type LineEvent } from './line-queue.js';
export { SieveProxy, sieveBackendLogin, tokenize as tokenizeSieveLine } from './sieve-proxy.js';
