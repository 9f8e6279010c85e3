/** Test helpers: the message files (new/ and cur/ of every folder) under a Maildir or mail root; one folder's messages. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function mailFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\/(new|cur)$/.test(d)) out.push(p);
    }
  };
  walk(root);
  return out;
}

/** The messages (UTF-8 text) of one folder of a mail home: new/ then cur/, each by file name; [] if it does not exist. */
export function folderMessages(home: string, folder = 'INBOX'): string[] {
  const base = join(home, 'Maildir', folder === 'INBOX' ? '' : `.${folder}`);
  const out: string[] = [];
  for (const sub of ['new', 'cur']) {
    try { for (const f of readdirSync(join(base, sub)).sort()) out.push(readFileSync(join(base, sub, f), 'utf8')); } catch { /* none */ }
  }
  return out;
}
