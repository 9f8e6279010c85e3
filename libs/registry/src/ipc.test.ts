/**
 * IpcRegistry + serveRegistry: two "workers" reach one MemoryRegistry through request channels (the
 * libs/workers Rpc, linked back to back in process), as a node with node.workers = 2 does over IPC.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rpc, type RpcMessage } from '../../workers/src/rpc.js';
import { MemoryRegistry } from './memory.js';
import { IpcRegistry, serveRegistry } from './ipc.js';

/** A primary-side and a worker-side Rpc joined like the two ends of a fork channel (JSON, async). */
function link(): { primary: Rpc; worker: Rpc; cut(): void } {
  let up = true;
  const deliver = (to: () => Rpc) => (m: RpcMessage) => {
    if (!up) return false;
    const copy = JSON.parse(JSON.stringify(m)) as RpcMessage;
    setImmediate(() => { if (up) to().dispatch(copy); });
    return true;
  };
  const primary: Rpc = new Rpc(deliver(() => worker));
  const worker: Rpc = new Rpc(deliver(() => primary));
  return { primary, worker, cut() { up = false; primary.close(); worker.close(); } };
}

const noKick = () => {};

test('who, kick and the user+IP limit across two workers; a gone worker\'s sessions leave the registry', async () => {
  const real = new MemoryRegistry('node.test');
  const l1 = link();
  const l2 = link();
  const s1 = serveRegistry(real, l1.primary);
  serveRegistry(real, l2.primary);
  const w1 = new IpcRegistry('node.test', l1.worker, 1001);
  const w2 = new IpcRegistry('node.test', l2.worker, 1002);

  const kicked: string[] = [];
  const req = { service: 'imap' as const, user: 'Alice@Example.org', ip: '127.0.0.7', maxUserIp: 2 };
  const a = await w1.register({ ...req, onKick: (r) => kicked.push(`w1:${r}`) });
  const b = await w2.register({ ...req, onKick: (r) => kicked.push(`w2:${r}`) });
  assert.ok(a.ok && b.ok);
  assert.deepEqual(await w2.register({ ...req, onKick: noKick }), { ok: false, reason: 'userip-limit', current: 2 }, 'the limit counts both workers');

  const all = await real.list();
  assert.deepEqual(all.map((s) => s.pid).sort(), [1001, 1002], 'each session names its worker pid');
  assert.ok(all.every((s) => s.node === 'node.test' && s.user === 'alice@example.org'));
  assert.equal((await w1.list({ userMask: 'alice*' })).length, 2, 'a worker sees the whole node');

  const k = await w2.kick({ userMask: '*@example.org' }, 'Bye now');
  assert.equal(k.kicked, 2);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(kicked.sort(), ['w1:Bye now', 'w2:Bye now'], 'the kick reaches the session on whichever worker holds it');

  if (a.ok) { await a.registration.unregister(); await a.registration.unregister(); }
  assert.equal((await real.list()).length, 1);
  assert.ok((await w1.register({ ...req, onKick: noKick })).ok, 'a freed slot is usable');
  assert.equal(s1.size, 1);

  // Worker 1 dies: the primary drops what it held; its slot is free again.
  l1.cut();
  await s1.dropAll();
  assert.deepEqual((await real.list()).map((s) => s.pid), [1002]);
  assert.ok((await w2.register({ ...req, onKick: noKick })).ok);
  await assert.rejects(w1.register({ ...req, onKick: noKick }), /gone/, 'a worker cut off from its primary fails its requests (SessionSlots fails open)');
});
