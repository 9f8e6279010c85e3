/** The IPC protocol between the parent and a login process (JSON over the fork channel; sockets ride along). */

/** Parent -> login process: a connection (the socket is the message's handle), stop taking connections, send your metrics. */
export type ParentMessage = { t: 'conn'; implicitTls: boolean } | { t: 'drain' } | { t: 'metrics'; req: number };

/** Login process -> parent: ready for connections; one connection closed (the parent's load count); its metrics (prom-client JSON). */
export type ChildMessage = { t: 'ready' } | { t: 'closed' } | { t: 'metrics'; req: number; data: object[] };
