/**
 * A login process for the pool's tests (not a test file): greets with its pid and generation argument,
 * echoes lines. argv: <mode> <tag>.
 */
import { serveLoginProcess } from './worker.js';

const mode = process.argv[2] === 'high-security' ? 'high-security' : 'high-performance';
const tag = process.argv[3] ?? 'g0';
// A login process that cannot start (broken config, missing file).
if (tag === 'crash') process.exit(3);
const lp = serveLoginProcess({
  mode,
  onConnection: (sock) => {
    sock.write(`hello ${process.pid} ${tag}\r\n`);
    sock.on('data', (d) => sock.write(d));
    sock.on('end', () => sock.end());
  },
  shutdown: async () => undefined,
  metrics: async () => [{ name: 'test_conns', help: 'h', type: 'gauge', values: [{ value: lp.connections, labels: {} }], aggregator: 'sum' }],
});
lp.ready();
