export { LmtpProxy } from './server.js';
export { BackendSet, type LmtpBackend, type BackendRoute } from './backends.js';
export { MemoryDeliveredStore, RedisDeliveredStore, deliveredKey, type DeliveredStore } from './dedup.js';
export { runBackendTransaction, type BackendTransaction } from './backend-client.js';
export { ReplyReader, DotStuffer, type BackendReply } from './client-codec.js';
export { planRecipient, type Plan, type Target } from './plan.js';
export { mergeGroupReplies } from './merge.js';
export type { LmtpProxyDeps, LmtpProxyConfig, ProxyLogger } from './deps.js';
