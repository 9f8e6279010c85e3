export * from './schema.js';
export * from './load.js';
export { show } from './parsers.js';
