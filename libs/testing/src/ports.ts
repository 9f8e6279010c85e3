/**
 * A loopback TCP port free right now, for a server a test starts later. Never the same port twice in
 * one process: a test that picks many (the chart test renders three pods of nine ports each) must not
 * give two listeners one port, which the kernel's bind(0) can hand out again once it is closed.
 */
import { createServer } from 'node:net';

const given = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const p = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    if (!given.has(p)) { given.add(p); return p; }
  }
}
