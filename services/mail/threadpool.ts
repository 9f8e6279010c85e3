/**
 * Imported first by the node's entry points: a bigger libuv pool before anything uses it. Every fs
 * call and fsync of a delivery runs on a pool thread and an fsync holds its thread for the disk's
 * flush time; with the default 4 threads, 8 LMTP connections got half the rate of 16 threads
 * (loadtest/bench/lmtp-compare.ts). An operator's UV_THREADPOOL_SIZE wins.
 */
process.env.UV_THREADPOOL_SIZE ??= '16';
export {};
