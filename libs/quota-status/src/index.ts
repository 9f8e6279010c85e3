export { PolicyReceiver, encodeAction, type PolicyEvent } from './codec.js';
export { QuotaStatusServer, type QuotaStatusServerDeps } from './server.js';
