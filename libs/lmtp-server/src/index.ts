export { LmtpServer } from './server.js';
export type { LmtpServerConfig, LmtpServerDeps, DeliveryPath } from './deps.js';
