/**
 * After login: bytes both ways with backpressure (a side whose peer's write buffer is full is paused
 * until the peer drains) and TCP_NODELAY on both sockets. Either side closing closes the other: a backend
 * that dies mid-session ends the client connection cleanly (FIN after what was already relayed).
 *
 * Idle sessions are what a proxy node holds most of (issue 6: 100,000 in IDLE), so a relay is one object
 * and no closure: the listeners are module-level functions shared by every relay, finding their relay
 * through a property of the socket they are called on, and an event gets no listener of ours where one
 * that does the same is already there ('error').
 */
import type { Socket } from 'node:net';

export type RelayEnd = 'client' | 'backend' | 'kick';

/** How long a closing client may take to read what is left before it is destroyed. */
const CLOSE_GRACE_MS = 5_000;

const kRelay = Symbol('relay');
type RelaySocket = Socket & { [kRelay]?: RelayBase };

const ignore = (): void => undefined;

function relayOf(sock: Socket): RelayBase { return (sock as RelaySocket)[kRelay]!; }

/** 'data' on either side: to the peer; while the peer is above its high-water mark this side is paused. */
function onData(this: Socket, chunk: Buffer): void {
  const r = relayOf(this);
  const to = this === r.client ? r.backend : r.client;
  if (!to.write(chunk) && !to.destroyed && !this.isPaused()) {
    this.pause();
    to.on('drain', onDrain);
  }
}

/** The peer of a paused side drained: resume that side (once per pause). */
function onDrain(this: Socket): void {
  this.removeListener('drain', onDrain);
  const r = relayOf(this);
  (this === r.client ? r.backend : r.client).resume();
}

function onClientClose(this: Socket): void { relayOf(this).finish('client'); }
function onBackendClose(this: Socket): void { relayOf(this).endClient('backend'); }
/** A half-close from the client (FIN) ends the backend's input too. */
function onClientEnd(this: Socket): void { const r = relayOf(this); if (!r.over) r.backend.end(); }
function destroyLater(sock: Socket): void { setTimeout(() => sock.destroy(), CLOSE_GRACE_MS).unref(); }

/** Errors are followed by 'close', which is where the relay ends; an error listener only keeps them from throwing. */
function quietErrors(sock: Socket): void { if (sock.listenerCount('error') === 0) sock.on('error', ignore); }

/** One relay; subclasses say what happens when it is over (closed()). */
export abstract class RelayBase {
  over = false;
  /** Set by startRelay (a session object exists from the login on, before its backend connection). */
  backend!: Socket;

  constructor(readonly client: Socket) {}

  /** Told once, when the relay is over. */
  protected abstract closed(why: RelayEnd): void;

  /** Starts relaying: `pendingToClient` (backend bytes read with its login replies) and `pendingToBackend` (pipelined by the client) first. */
  protected startRelay(backend: Socket, pendingToBackend: Buffer[], pendingToClient: Buffer): void {
    this.backend = backend;
    const client = this.client;
    client.setNoDelay(true);
    backend.setNoDelay(true);
    (client as RelaySocket)[kRelay] = this;
    (backend as RelaySocket)[kRelay] = this;
    quietErrors(client);
    quietErrors(backend);
    client.on('close', onClientClose);
    backend.on('close', onBackendClose);
    if (client.destroyed) { this.finish('client'); return; }
    if (pendingToClient.length) client.write(pendingToClient);
    for (const b of pendingToBackend) backend.write(b);
    backend.on('data', onData);
    client.on('data', onData);
    client.on('end', onClientEnd);
    client.resume();
    backend.resume();
  }

  /** Closes both sides; `farewell` (e.g. IMAP "* BYE ...") is sent to the client first. */
  close(farewell?: string): void { this.endClient('kick', farewell); }

  /** The client is gone: the backend goes too. */
  finish(why: 'client'): void {
    if (this.over) return;
    this.over = true;
    this.backend.destroy();
    this.closed(why);
  }

  /** The backend is gone or an administrator kicked: the client gets what is left, then FIN. */
  endClient(why: 'backend' | 'kick', farewell?: string): void {
    if (this.over) return;
    this.over = true;
    this.backend.destroy();
    if (!this.client.destroyed) {
      this.client.end(farewell ?? '');
      destroyLater(this.client);
    }
    this.closed(why);
  }
}

export interface Relay {
  /** Closes both sides; `farewell` (e.g. IMAP "* BYE ...") is sent to the client first. */
  close(farewell?: string): void;
  readonly closed: Promise<RelayEnd>;
}

class PromiseRelay extends RelayBase {
  private resolveClosed!: (why: RelayEnd) => void;
  readonly done = new Promise<RelayEnd>((r) => { this.resolveClosed = r; });
  constructor(client: Socket, backend: Socket, pendingToBackend: Buffer[], pendingToClient: Buffer) {
    super(client);
    this.startRelay(backend, pendingToBackend, pendingToClient);
  }
  protected override closed(why: RelayEnd): void { this.resolveClosed(why); }
}

/** A relay whose end is a promise (tests, tools); sessions a proxy holds use a RelayBase subclass (relay-session.ts). */
export function relay(client: Socket, backend: Socket, pendingToBackend: Buffer[], pendingToClient: Buffer): Relay {
  const r = new PromiseRelay(client, backend, pendingToBackend, pendingToClient);
  return { close: (farewell) => r.close(farewell), closed: r.done };
}
