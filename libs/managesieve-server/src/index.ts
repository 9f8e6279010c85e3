export { ManageSieveServer } from './server.js';
export type { ManageSieveConfig, ManageSieveDeps } from './deps.js';
export { ScriptStore, validScriptName, ACTIVE_LINK, SCRIPT_DIR } from './script-store.js';
