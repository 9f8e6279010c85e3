export type * from './types.js';
export { startAdminServer, type AdminServerOptions } from './server.js';
export { table } from './table.js';
