/**
 * The IPC protocol between the primary and its workers (JSON over the fork channel; a connection's
 * socket rides along as the message's handle), beside the requests of rpc.ts.
 */

/** Primary -> worker: a connection of the named listener (the socket is the message's handle). */
export type ToWorker = { t: 'conn'; listener: string };

/** Worker -> primary: ready for connections; one connection of the named listener closed (the primary's load count). */
export type FromWorker = { t: 'ready' } | { t: 'closed'; listener: string };
