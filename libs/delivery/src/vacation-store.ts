/**
 * Vacation response tracking (RFC 5230 §4.2): which sender got a reply for which handle, and until
 * when no new one is sent. One small JSON file per user in the mail home (as Pigeonhole keeps its
 * in the lda-dupes file there; UCS mail homes are per user, so tracking is per user), written
 * atomically (temp file + rename); bounded in size.
 *
 * Each record keeps when the reply was sent and the period it was sent with. The check uses the
 * period of the script running now (:days / :seconds, RFC 5230 §4.1 / RFC 6131): shortening :days
 * takes effect at once; the stored period only decides when a record may be dropped.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LIMITS } from '../../core/src/limits.js';

export const VACATION_FILE = '.dovecot.vacation.json';

/** "handle\0sender" -> [sent at, kept until] in epoch ms (a bare number: an older "until" record). */
type Records = Record<string, [number, number] | number>;

const keptUntil = (r: [number, number] | number): number => (Array.isArray(r) ? Number(r[1]) : Number(r));

const locks = new Map<string, Promise<unknown>>();

/** Runs `fn` after earlier calls for the same file (in this process). */
function serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(key) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const tail = run.catch(() => undefined);
  locks.set(key, tail);
  void tail.then(() => { if (locks.get(key) === tail) locks.delete(key); });
  return run;
}

async function load(path: string): Promise<Records> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Records) : {};
  } catch { return {}; }
}

const key = (handle: string, sender: string) => `${handle}\u0000${sender.toLowerCase()}`;

/** Was `sender` answered for `handle` less than `periodSeconds` ago? */
export async function vacationAnswered(home: string, sender: string, handle: string, periodSeconds: number, now = Date.now()): Promise<boolean> {
  const recs = await load(join(home, VACATION_FILE));
  const r = recs[key(handle, sender)];
  if (typeof r === 'number') return r > now; // older record: no send time, only its end
  if (!Array.isArray(r) || typeof r[0] !== 'number') return false;
  return r[0] <= now && now < r[0] + Math.max(1, periodSeconds) * 1000;
}

export async function recordVacation(home: string, sender: string, handle: string, periodSeconds: number, now = Date.now()): Promise<void> {
  const path = join(home, VACATION_FILE);
  await serial(path, async () => {
    const recs = await load(path);
    for (const [k, r] of Object.entries(recs)) if (!(keptUntil(r) > now)) delete recs[k];
    recs[key(handle, sender)] = [now, now + Math.max(1, periodSeconds) * 1000];
    const entries = Object.entries(recs);
    const kept = entries.length > LIMITS.vacationMaxRecords
      ? Object.fromEntries(entries.sort((a, b) => keptUntil(b[1]) - keptUntil(a[1])).slice(0, LIMITS.vacationMaxRecords)) : recs;
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(kept), { mode: 0o600 });
    await rename(tmp, path);
  });
}
