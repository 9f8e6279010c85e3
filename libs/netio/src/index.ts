export { Listeners, startTls, type ListenOptions, type ListenersOptions } from './listeners.js';
