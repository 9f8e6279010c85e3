// RelayedSession over real loopback sockets: many relays share the module-level listeners (each finds its
// own relay through its socket), so bytes must reach their own peer only; after an idle pause they still
// flow; either side closing closes its peer and nobody else's; a registry kick (the session object is the
// kick handler, also before the relay starts) sends the farewell and closes both sides; the registry entry
// and the sessions gauge follow.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { MemoryRegistry } from '../../registry/src/index.js';
import { RelayedSession } from './relay-session.js';
import type { ProxyDeps } from './types.js';

const servers: net.Server[] = [];
after(() => { for (const s of servers) s.close(); });

async function listen(onConn: (s: net.Socket) => void): Promise<number> {
  const s = net.createServer((c) => { c.on('error', () => undefined); onConn(c); });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as net.AddressInfo).port;
}

const FAREWELL = '* BYE Disconnected by administrator.\r\n';

/** A proxy in miniature: each client gets a backend connection (an echo server) and a RelayedSession registered in `registry`. */
async function setup(kickEarly = false) {
  const registry = new MemoryRegistry('relay-test');
  const metrics = new Registry();
  const deps = { registry, metrics, logger: pino({ level: 'silent' }) } as unknown as ProxyDeps;
  const backendSides: net.Socket[] = [];
  const backendPort = await listen((b) => { backendSides.push(b); b.on('data', (d: Buffer) => b.write(d)); });
  const started: Array<() => void> = [];
  const proxyPort = await listen((client) => {
    client.pause();
    void (async () => {
      const session = new RelayedSession(deps, 'imap', client, FAREWELL);
      const reg = await registry.register({ service: 'imap', user: 'u@example.org', ip: '127.0.0.1', proxy: true, maxUserIp: 0, onKick: session });
      assert.ok(reg.ok);
      if (kickEarly) assert.equal((await registry.kick({})).kicked, 1);
      const backend = net.connect({ host: '127.0.0.1', port: backendPort });
      await new Promise((r) => backend.once('connect', r));
      session.start({ backend, pendingToBackend: [Buffer.from('pipelined;')], pendingToClient: Buffer.alloc(0), user: 'u@example.org', backendName: 'b.test', registration: reg.registration });
      started.shift()?.();
    })();
  });
  const open = async (): Promise<{ sock: net.Socket; got: () => string; closed: Promise<void> }> => {
    const ready = new Promise<void>((r) => started.push(r));
    const sock = net.connect({ host: '127.0.0.1', port: proxyPort });
    let buf = '';
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => { buf += d; });
    sock.on('error', () => undefined);
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    await ready;
    return { sock, got: () => buf, closed };
  };
  const gauge = async () => (await metrics.getSingleMetric('mail_proxy_sessions')!.get()).values.find((v) => v.labels.protocol === 'imap')?.value ?? 0;
  return { registry, backendSides, open, gauge };
}

function within<T>(what: string, p: Promise<T>, ms = 3000): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), ms).unref())]);
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('many relays share their listeners: each client reaches its own backend, also after idling; a close ends only its own pair; kick closes both sides', async () => {
  const t = await setup();
  const clients: Array<Awaited<ReturnType<typeof t.open>>> = [];
  for (let i = 0; i < 12; i++) clients.push(await t.open());
  assert.equal(t.registry.localCount(), 12);
  assert.equal(await t.gauge(), 12);
  // What the client pipelined behind its login reaches the backend first (echoed back).
  await until('pipelined bytes echoed', () => clients.every((c) => c.got() === 'pipelined;'));
  await new Promise((r) => setTimeout(r, 300));
  clients.forEach((c, i) => c.sock.write(`client-${i};`.repeat(i + 1)));
  await until('every client gets its own bytes back', () => clients.every((c, i) => c.got() === `pipelined;${`client-${i};`.repeat(i + 1)}`));

  // The client closing closes its backend connection, nobody else's.
  const backendClosed = new Promise<void>((r) => t.backendSides[0]!.once('close', () => r()));
  clients[0]!.sock.destroy();
  await within('backend 0 closed', backendClosed);
  await until('client 0 unregistered', () => t.registry.localCount() === 11);
  assert.equal(t.backendSides.filter((b) => b.destroyed).length, 1);

  // The backend closing ends its client, nobody else's.
  t.backendSides[1]!.end();
  await within('client 1 closed', clients[1]!.closed);
  await until('client 1 unregistered', () => t.registry.localCount() === 10);
  assert.ok(clients.slice(2).every((c) => !c.sock.destroyed));
  clients[2]!.sock.write('still here;');
  await until('the others still relay', () => clients[2]!.got().endsWith('still here;'));

  assert.equal((await t.registry.kick({ userMask: 'u@*' })).kicked, 10);
  await within('kicked clients closed', Promise.all(clients.slice(2).map((c) => c.closed)));
  for (const c of clients.slice(2)) assert.ok(c.got().endsWith(FAREWELL), 'the farewell before the close');
  await until('backends closed', () => t.backendSides.every((b) => b.destroyed || b.readableEnded));
  await until('all unregistered', () => t.registry.localCount() === 0);
  assert.equal(await t.gauge(), 0);
});

test('a kick between registration and the relay start is carried out when the relay starts', async () => {
  const t = await setup(true);
  const c = await t.open();
  await within('the kicked client closed', c.closed);
  assert.equal(c.got(), FAREWELL);
  await until('unregistered', () => t.registry.localCount() === 0);
  await until('backend closed', () => t.backendSides.length === 1 && (t.backendSides[0]!.destroyed || t.backendSides[0]!.readableEnded));
  assert.equal(await t.gauge(), 0);
});
