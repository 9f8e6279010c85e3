/**
 * `Maildir/subscriptions` in Dovecot's format (src/lib-storage/list/subscription-file.c):
 * version 2 header "V\t2\n\n", then one mailbox per line with the hierarchy levels separated by TAB,
 * each level tab-escaped (\001 → \0011, \t → \001t, \r → \001r, \n → \001n). Names are UTF-8.
 * Version-1 files (no header, one name per line with the separator as-is) are read too.
 * Changes are written whole under a dotlock and renamed into place.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Dotlock } from './dotlock.js';
import { readSmallFile, syncIo } from './fastio.js';

const FILE = 'subscriptions';
const V2_HEADER = 'V\t2\n\n';

function tabEscape(s: string): string {
  return s.replace(/[\x01\t\r\n]/g, (c) => '\x01' + ({ '\x01': '1', '\t': 't', '\r': 'r', '\n': 'n' } as Record<string, string>)[c]);
}
function tabUnescape(s: string): string {
  return s.replace(/\x01([1trn0])/g, (_m, c: string) => ({ '1': '\x01', t: '\t', r: '\r', n: '\n', '0': '\0' } as Record<string, string>)[c]!);
}

export function parseSubscriptions(text: string): string[] {
  let body = text;
  let v2 = false;
  if (body.startsWith(V2_HEADER)) { v2 = true; body = body.slice(V2_HEADER.length); }
  const out: string[] = [];
  for (const line of body.split('\n')) {
    if (line === '') continue;
    out.push(v2 ? line.split('\t').map(tabUnescape).join('/') : line);
  }
  return out;
}

export function formatSubscriptions(names: readonly string[]): string {
  return V2_HEADER + names.map((n) => n.split('/').map(tabEscape).join('\t') + '\n').join('');
}

export class Subscriptions {
  constructor(private readonly maildir: string, private readonly fsync: boolean) {}

  get path(): string { return join(this.maildir, FILE); }

  async list(): Promise<string[]> {
    try {
      const text = syncIo() ? readSmallFile(this.path, 1 << 20)?.toString('utf8') ?? null : null;
      return parseSubscriptions(text ?? await readFile(this.path, 'utf8'));
    } catch { return []; }
  }

  async set(name: string, subscribed: boolean): Promise<void> {
    const lock = await Dotlock.acquire(this.path);
    try {
      const cur = await this.list();
      const has = cur.includes(name);
      if (has === subscribed) { await lock.release(); return; }
      const next = subscribed ? [...cur, name] : cur.filter((n) => n !== name);
      await lock.replace(formatSubscriptions(next), this.fsync);
    } catch (e) {
      await lock.release();
      throw e;
    }
  }
}
