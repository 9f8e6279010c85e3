/**
 * The read-back: log in as every user the ledger knows, EXAMINE each mailbox that should hold
 * our messages (read-only, RFC 3501 §6.3.2, so \Recent and flags stay untouched), FETCH the id
 * and checksum headers and the body in chunks, and compare with the ledger.
 */
import { checkMessage, ID_HEADER, SUM_HEADER } from './tracked-message.js';
import { compare, Ledger, type VerifyCounts } from './ledger.js';
import { parseFetch, itemStarting } from './imap-fetch.js';
import { openImap } from './imap-session.js';
import { quote } from './imap-client.js';
import type { Target } from './target.js';

export interface VerifyResult extends VerifyCounts { readErrors: string[]; ms: number }

const CHUNK = 50;

/** `corrupted` may come pre-filled (e.g. with POP3 RETR checks done during the run); keys are Ledger.key(). */
export async function verifyImap(t: Target, ledger: Ledger, passwordOf: (user: string) => string, extraBoxes: string[] = [], corrupted = new Set<string>(), concurrency = 4): Promise<VerifyResult> {
  const t0 = Date.now();
  const found = new Map<string, number>();
  const readErrors: string[] = [];
  const users = ledger.users();
  let next = 0;
  const worker = async () => {
    while (next < users.length) {
      const user = users[next++]!;
      try {
        await verifyUser(t, ledger, user, passwordOf(user), extraBoxes, found, corrupted);
      } catch (e) {
        readErrors.push(`${user}: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, users.length)) }, worker));
  const counts = compare(ledger, found, corrupted);
  return { ...counts, readErrors, ms: Date.now() - t0 };
}

async function verifyUser(t: Target, ledger: Ledger, user: string, pass: string, extraBoxes: string[], found: Map<string, number>, corrupted: Set<string>): Promise<void> {
  const s = await openImap(t, user, pass);
  const c = s.client;
  try {
    if (!s.loginOk) throw new Error(`read-back login failed: ${s.loginText}`);
    const boxes = [...new Set([...ledger.boxesOf(user), ...extraBoxes])];
    for (const box of boxes) {
      const ex = await c.command(`EXAMINE ${quote(box)}`);
      if (ex.status !== 'OK') {
        if (ledger.boxesOf(user).includes(box)) continue; // nothing there: every stored message of it counts as lost
        continue;
      }
      let exists = 0;
      for (const u of ex.untagged) { const m = /^(\d+) EXISTS/i.exec(u); if (m) exists = Number(m[1]); }
      for (let a = 1; a <= exists; a += CHUNK) {
        const b = Math.min(exists, a + CHUNK - 1);
        const r = await c.command(`FETCH ${a}:${b} (UID BODY.PEEK[HEADER.FIELDS (${ID_HEADER} ${SUM_HEADER})] BODY.PEEK[TEXT])`);
        if (r.status !== 'OK') throw new Error(`read-back FETCH ${a}:${b} in ${box}: ${r.status} ${r.text}`);
        for (const u of r.untagged) {
          const f = parseFetch(u);
          if (!f) continue;
          const header = itemStarting(f, 'BODY[HEADER.FIELDS');
          const body = f.items.get('BODY[TEXT]');
          if (header === undefined || body === undefined) continue; // a flag update, not our data
          const chk = checkMessage(header, Buffer.from(body, 'latin1'), ledger.idPrefix);
          if (chk.kind === 'foreign') continue;
          const e = ledger.get(chk.id, user);
          if (!e) continue;
          const k = Ledger.key(chk.id, user);
          if (chk.kind === 'corrupted') corrupted.add(k);
          if (e.box === box) found.set(k, (found.get(k) ?? 0) + 1);
        }
      }
    }
    await c.command('LOGOUT', { timeoutMs: 5000 }).catch(() => undefined);
  } finally {
    c.destroy();
  }
}
