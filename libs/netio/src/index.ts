export { Listeners, startTls, type ListenOptions, type ListenersOptions, type SocketSource } from './listeners.js';
export { LimitWarning, limitRefusal, limitReachedMessage, refuse, type LimitProtocol } from './limit.js';
export { endGracefully } from './close.js';
export { waitDrain } from './drain.js';
export { stopGracefully } from './shutdown.js';
