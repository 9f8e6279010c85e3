export { CachingDirectory, flushShared, type CachingDirectoryOptions, type AuthCacheStats, type AuthCacheLogger } from './caching-directory.js';
export { AuthPenalty, type PenaltyOptions } from './penalty.js';
export { createAuthRedis, redisReady } from './redis.js';
export { ExpiringLru } from './lru.js';
