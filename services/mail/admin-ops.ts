/**
 * The admin API operations of a mail node (mailctl's verbs), built from the node's parts.
 * `quota get -A` walks the mail homes on this node's disk (<mailRoot>/<domain>/<localpart>), the users
 * whose mail is here, as doveadm -A iterates the userdb of a backend.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AdminOps, QuotaLine, UserLookup } from '../../libs/admin/src/types.js';
import type { Directory, UserRecord } from '../../libs/directory/src/types.js';
import type { SessionRegistry } from '../../libs/registry/src/types.js';
import { userQuota } from '../../libs/quota/src/usage.js';
import { mailHome } from '../../libs/delivery/src/home.js';

export interface AdminNode {
  mailRoot: string;
  directory: Directory;
  /** The auth cache, when the directory is wrapped by one (libs/auth CachingDirectory). */
  authCache?: { flush(users?: readonly string[]): Promise<number> } | null;
  registry: SessionRegistry;
  logger: Logger;
  /** Reloads this node (and, in a cluster, asks the others). */
  reload(): Promise<{ nodes: number; errors: string[] }>;
  logDestination: string;
}

async function quotaLines(node: AdminNode, u: UserRecord): Promise<QuotaLine[]> {
  const q = await userQuota(mailHome(node.mailRoot, u.user), u.quotaBytes);
  const pct = (v: number, l: number | null) => (l ? Math.floor((v * 100) / l) : 0);
  const limitKiB = q.limit === null ? null : Math.floor(q.limit / 1024);
  return [
    { user: u.user, quotaName: 'User quota', type: 'STORAGE', value: Math.ceil(q.bytes / 1024), limit: limitKiB, percent: pct(q.bytes, q.limit) },
    { user: u.user, quotaName: 'User quota', type: 'MESSAGE', value: q.messages, limit: null, percent: 0 },
  ];
}

async function homesOnDisk(mailRoot: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(mailRoot, { withFileTypes: true }).catch(() => [])) {
    if (!d.isDirectory()) continue;
    for (const l of await readdir(join(mailRoot, d.name), { withFileTypes: true }).catch(() => [])) {
      if (l.isDirectory()) out.push(`${l.name}@${d.name}`);
    }
  }
  return out.sort();
}

export function adminOps(node: AdminNode): AdminOps {
  return {
    reload: () => node.reload(),
    who: (f) => node.registry.list(f),
    kick: (f) => node.registry.kick(f),
    async quotaGet(user) {
      if (user !== null) {
        const u = await node.directory.lookup(user);
        return u ? quotaLines(node, u) : [];
      }
      const lines: QuotaLine[] = [];
      for (const addr of await homesOnDisk(node.mailRoot)) {
        const u = await node.directory.lookup(addr);
        if (u) lines.push(...await quotaLines(node, u));
      }
      return lines;
    },
    async authCacheFlush(users) {
      if (!node.authCache) return { flushed: 0 };
      const n = await node.authCache.flush(users.length ? users : undefined);
      return { flushed: users.length ? n : 'all' };
    },
    async authTest(user, password) {
      const u = await node.directory.authenticate(user, password, { service: 'admin' });
      return u ? { ok: true, user: u.user } : { ok: false };
    },
    async userLookup(user): Promise<UserLookup | null> {
      const u = await node.directory.lookup(user);
      if (!u) return null;
      return {
        user: u.user, aliases: [...u.aliases], homeServer: u.homeServer, backend: null, quotaBytes: u.quotaBytes,
        forwards: [...u.forwards], groups: [], disabled: u.disabled,
      };
    },
    async logTest() {
      const levels = ['debug', 'info', 'warn', 'error'] as const;
      for (const l of levels) node.logger[l]({ test: true }, `This is a ${l} level test line (mailctl log test)`);
      return { levels: [...levels] };
    },
    async logFind() {
      return [{ destination: 'all levels', path: node.logDestination }];
    },
  };
}
