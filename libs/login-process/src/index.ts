export { LoginProcessPool, type LoginMode, type LoginLimits, type LoginPoolOptions } from './pool.js';
export { serveLoginProcess, type LoginProcessOptions } from './worker.js';
export { checkLoginLimits, machineFacts, fdLimit, LOGIN_PROCESS_RSS, type ServiceLimits, type MachineFacts } from './checks.js';
export type { ParentMessage, ChildMessage } from './messages.js';
