/**
 * `mailnode hash-password`: reads a password (first line of stdin) and prints its {SHA512-CRYPT}
 * hash for the users file. On a terminal it asks without echo.
 */
import { hashPassword } from '../../libs/directory/src/file/password.js';

async function readStdinLine(): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    process.stderr.write('Password: ');
    stdin.setRawMode(true);
    let pw = '';
    for await (const chunk of stdin) {
      for (const ch of (chunk as Buffer).toString('utf8')) {
        if (ch === '\r' || ch === '\n') { stdin.setRawMode(false); stdin.pause(); process.stderr.write('\n'); return pw; }
        if (ch === '\u0003') { stdin.setRawMode(false); process.exit(130); }
        if (ch === '\u007f') pw = pw.slice(0, -1); else pw += ch;
      }
    }
    return pw;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stdin) {
    chunks.push(c as Buffer);
    size += (c as Buffer).length;
    if (size > 64 * 1024) break; // a password, not a file
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const nl = text.indexOf('\n');
  return (nl >= 0 ? text.slice(0, nl) : text).replace(/\r$/, '');
}

export async function hashPasswordCommand(): Promise<number> {
  const pw = await readStdinLine();
  if (pw.length === 0) {
    process.stderr.write('hash-password: empty password (give it on stdin: echo -n secret | mailnode hash-password)\n');
    return 64;
  }
  process.stdout.write(`${hashPassword(pw)}\n`);
  return 0;
}
