/** Test helper: the message files (new/ and cur/ of every folder) under a Maildir or mail root. */
import { existsSync, readdirSync } from 'node:fs';
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
