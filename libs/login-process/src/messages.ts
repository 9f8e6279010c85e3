/** The IPC protocol between the parent and a login process (JSON over the fork channel; sockets ride along). */

/** Parent -> login process: a connection (the socket is the message's handle), or stop taking connections. */
export type ParentMessage = { t: 'conn'; implicitTls: boolean } | { t: 'drain' };

/** Login process -> parent: ready for connections; one connection closed (the parent's load count). */
export type ChildMessage = { t: 'ready' } | { t: 'closed' };
