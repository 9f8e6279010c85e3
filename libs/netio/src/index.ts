export { Listeners, startTls, type ListenOptions, type ListenersOptions } from './listeners.js';
export { LimitWarning, limitRefusal, limitReachedMessage, refuse, type LimitProtocol } from './limit.js';
export { endGracefully } from './close.js';
