export type * from './types.js';
export { MemoryRegistry } from './memory.js';
export { RedisRegistry, type RedisRegistryOptions } from './redis.js';
export { compileFilter, ipMatches, maskToRegExp, normaliseIp } from './match.js';
export { SessionSlots } from './slots.js';
export { IpcRegistry, serveRegistry, type RegistryLink } from './ipc.js';
