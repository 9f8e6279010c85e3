/**
 * Spool files a killed LMTP server or proxy left behind (kill -9, OOM kill: Spool.discard never ran). Removing
 * them loses nothing: a transaction whose body is still spooled got no final reply, so Postfix
 * still has the message queued and retries it.
 *
 * Called at start, before the listeners: no transaction of this process exists yet, so a file is
 * stale unless another LIVE process (the pid in its name, see libs/delivery Spool) still owns it.
 * A file carrying our own pid is stale when older than this process: a proxy restarted in a
 * container often gets the dead one's pid (often 1).
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Spool file names as libs/delivery/src/spool.ts makes them: lmtp-<pid>-<random hex>.eml. */
const SPOOL_FILE = /^lmtp-(\d+)-[0-9a-f]+\.eml$/;

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Removes the stale spool files in `dir`; returns how many. A missing dir is fine (0). */
export async function removeStaleSpool(dir: string): Promise<number> {
  let names: string[];
  try { names = await readdir(dir); } catch { return 0; }
  let removed = 0;
  for (const name of names) {
    const m = SPOOL_FILE.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid) {
      // Ours only if written since this process started (another server in this process may be
      // mid-transaction); older ones are a dead predecessor's that had the same pid.
      const st = await stat(join(dir, name)).catch(() => null);
      if (!st || st.mtimeMs >= performance.timeOrigin) continue;
    } else if (alive(pid)) continue;
    await rm(join(dir, name), { force: true });
    removed++;
  }
  return removed;
}
