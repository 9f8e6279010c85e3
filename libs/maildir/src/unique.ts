/**
 * Unique Maildir base names (cr.yp.to/proto/maildir.html + Dovecot's M<usecs>P<pid>Q<counter>):
 * time, microseconds, pid and a per-process counter make a name no other delivery on any host can
 * produce; the host part covers NFS clusters.
 */
import { formatBase } from './maildir-filename.js';

let counter = 0;

/**
 * Wall-clock time with microseconds. Seconds and microseconds must come from the same clock: new
 * UIDs are given in name order (seconds, then M<usecs>), so two deliveries by different processes in
 * one second keep the order they arrived in. (process.hrtime is not aligned to wall-clock seconds.)
 */
function wallMicros(): { secs: number; usecs: number } {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  return { secs: Math.floor(us / 1e6), usecs: us % 1e6 };
}

export function uniqueBase(host: string, size: number, vsize: number, now?: number): string {
  const t = now === undefined ? wallMicros() : { secs: Math.floor(now / 1000), usecs: (now % 1000) * 1000 };
  return formatBase({ secs: t.secs, usecs: t.usecs, pid: process.pid, counter: ++counter, host, size, vsize });
}

/** A temp file name for tmp/ (before the final size is known). */
export function tmpName(host: string): string {
  const t = wallMicros();
  return `${t.secs}.M${t.usecs}P${process.pid}Q${++counter}.${host.replace(/[/:,\s]/g, '_')}`;
}
