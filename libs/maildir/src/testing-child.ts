/**
 * Child process for the concurrency and crash tests (not a test itself).
 *   node --import tsx testing-child.ts <mode> <home> <id> <count>
 * mode "worker": appends <count> messages tagged <id>-<i>, flags random messages, expunges every
 *   third of its own; prints "ACK <tag> <uid>" after each append resolved, "EXP <tag>" after expunge.
 * mode "deliver": delivers messages slowly in several chunks (fsync on), printing "ACK <tag> <uid>";
 *   meant to be killed with SIGKILL mid-stream.
 */
import { Readable } from 'node:stream';
import { MaildirStore } from './store.js';

const [mode, home, id, countStr] = process.argv.slice(2);
const count = Number(countStr);

function body(tag: string, lines: number): string {
  let s = `From: child@example.org\r\nSubject: ${tag}\r\nX-Tag: ${tag}\r\n\r\n`;
  for (let i = 0; i < lines; i++) s += `line ${i} of ${tag}\r\n`;
  return s + `END-${tag}\r\n`;
}

async function* slow(text: string): AsyncGenerator<Buffer> {
  const b = Buffer.from(text);
  const step = Math.ceil(b.length / 5);
  for (let i = 0; i < b.length; i += step) {
    yield b.subarray(i, i + step);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function main(): Promise<void> {
  const store = new MaildirStore({ hostname: `child${id}`, fsync: mode === 'deliver' });
  const acc = await store.openAccount({ user: 'u', home: home! });
  if (mode === 'deliver') {
    for (let i = 0; i < count; i++) {
      const tag = `${id}-${i}`;
      const r = await acc.append('INBOX', Readable.from(slow(body(tag, 200))), { delivery: true });
      process.stdout.write(`ACK ${tag} ${r.uid}\n`);
    }
  } else {
    const mb = await acc.open('INBOX');
    const mine: Array<{ tag: string; uid: number }> = [];
    for (let i = 0; i < count; i++) {
      const tag = `${id}-${i}`;
      const r = await acc.append('INBOX', Readable.from([Buffer.from(body(tag, 3))]), { flags: i % 2 ? ['\\Seen'] : [] });
      process.stdout.write(`ACK ${tag} ${r.uid}\n`);
      mine.push({ tag, uid: r.uid });
      const snap = await mb.sync();
      // Flag somebody's message (races with their renames and expunges).
      if (snap.messages.length) {
        const m = snap.messages[(i * 7 + Number(id)) % snap.messages.length]!;
        await mb.store([m.uid], i % 3 ? 'add' : 'remove', ['\\Flagged', `kw${id}`]);
      }
      if (i % 3 === 2) {
        const victim = mine[mine.length - 2]!;
        await mb.store([victim.uid], 'add', ['\\Deleted']);
        const gone = await mb.expunge([victim.uid]);
        if (gone.includes(victim.uid)) process.stdout.write(`EXP ${victim.tag}\n`);
      }
    }
    await mb.close();
  }
  await acc.close();
  await store.close();
  process.stdout.write('DONE\n');
}

main().catch((e) => {
  process.stderr.write(String((e as Error)?.stack ?? e) + '\n');
  process.exit(1);
});
