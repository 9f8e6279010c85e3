export { placeUser } from './rendezvous.js';
export { CircuitBreaker, type BreakerOptions, type BreakerState } from './breaker.js';
