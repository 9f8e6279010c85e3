/** Readiness checks for /healthz/ready: listeners up and the mail root writable. */
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export function storageWritable(mailRoot: string): () => Promise<boolean> {
  return async () => {
    const probe = join(mailRoot, `.healthcheck.${process.pid}`);
    try {
      const fh = await open(probe, 'w');
      await fh.close();
      await unlink(probe);
      return true;
    } catch {
      return false;
    }
  };
}
