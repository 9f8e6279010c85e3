export * from './types.js';
export { PlainMechanism } from './plain.js';
export { LoginMechanism } from './login.js';
export { SASL_MECHANISMS, PLAINTEXT_MECHANISMS, createMechanism } from './mechanisms.js';
export { NetworkList, parseIp, parseNetwork, type Network } from './networks.js';
export {
  SaslAuthenticator, type AuthUser, type LoginContext, type UserSource, type SaslPolicyConfig,
  type LoginFailure, type LoginOutcome,
} from './authenticator.js';
export { parseXclient, type XclientFields } from './xclient.js';
