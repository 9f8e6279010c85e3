/** Seeding mailboxes with tracked messages over IMAP APPEND (before a POP3 or read-mostly run). */
import { openImap } from './imap-session.js';
import { quote } from './imap-client.js';
import { makeTracked, pickSize, type SizeDist } from './tracked-message.js';
import type { Ledger } from './ledger.js';
import type { Target } from './target.js';
import type { Credential } from './users.js';

export async function seedImap(t: Target, users: Credential[], perUser: number, box: string, ledger: Ledger, sizes: SizeDist, rand: () => number, concurrency = 4): Promise<number> {
  let next = 0, n = 0;
  const worker = async () => {
    while (next < users.length) {
      const u = users[next++]!;
      const s = await openImap(t, u.user, u.pass);
      try {
        if (!s.loginOk) throw new Error(`seed: login as ${u.user} refused: ${s.loginText}`);
        for (let i = 0; i < perUser; i++) {
          const id = ledger.nextId();
          const m = makeTracked(id, u.user, pickSize(sizes, rand), rand);
          const e = ledger.add(id, m.sum, u.user, box);
          const r = await s.client.command([`APPEND ${quote(box)} `, m.data]);
          if (r.status !== 'OK') throw new Error(`seed: APPEND for ${u.user}: ${r.status} ${r.text}`);
          e.state = 'stored';
          n++;
        }
        await s.client.logout();
      } finally { s.client.destroy(); }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, users.length) }, worker));
  return n;
}
