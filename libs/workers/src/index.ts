export { WorkerPool, type Worker, type WorkerPoolOptions, type PoolListenOptions, type PoolLogger } from './pool.js';
export { joinPool, workerIndex, type WorkerSide } from './worker.js';
export { Rpc, type RpcMessage, type Handler } from './rpc.js';
export type { ToWorker, FromWorker } from './messages.js';
