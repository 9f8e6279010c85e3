/**
 * Unique Maildir base names (cr.yp.to/proto/maildir.html + Dovecot's M<usecs>P<pid>Q<counter>):
 * time, microseconds, pid and a per-process counter make a name no other delivery on any host can
 * produce; the host part covers NFS clusters.
 */
import { formatBase } from './maildir-filename.js';

let counter = 0;

export function uniqueBase(host: string, size: number, vsize: number, now = Date.now()): string {
  const hr = process.hrtime.bigint();
  const usecs = Number((hr / 1000n) % 1000000n);
  return formatBase({ secs: Math.floor(now / 1000), usecs, pid: process.pid, counter: ++counter, host, size, vsize });
}

/** A temp file name for tmp/ (before the final size is known). */
export function tmpName(host: string): string {
  const now = Date.now();
  return `${Math.floor(now / 1000)}.M${Number((process.hrtime.bigint() / 1000n) % 1000000n)}P${process.pid}Q${++counter}.${host.replace(/[/:,\s]/g, '_')}`;
}
