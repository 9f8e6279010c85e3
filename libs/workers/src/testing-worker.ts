/**
 * Test worker for pool.test.ts (not a test itself): a line server on the connections the primary hands
 * over. It greets with "hello <pid>"; "env" answers its worker index; it answers the `ping` request
 * with its pid and counts `bump` notices.
 */
import { Listeners } from '../../netio/src/listeners.js';
import { joinPool, workerIndex } from './worker.js';

const side = joinPool();
let bumps = 0;
const listeners = new Listeners({
  tls: () => null,
  onConnection: (sock) => {
    sock.write(`hello ${process.pid}\r\n`);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => { if (d.startsWith('env')) sock.write(`index ${workerIndex()}\r\n`); });
  },
});
await listeners.listen({ host: '127.0.0.1', port: 0, implicitTls: false, source: side.source('echo') });
side.rpc.handle('ping', () => ({ pid: process.pid, bumps }));
side.rpc.handle('bump', () => { bumps++; });
side.rpc.handle('fail', () => { throw new Error('asked to fail'); });
side.onStop(async () => { await listeners.close(); }, 2_000);
side.ready();
