/**
 * The node's directory from the configuration: the users file (embedded default) or LDAP with the
 * UCS schema, the latter behind the auth cache (local LRU + Redis when auth.redisUrl is set) and
 * the per-IP login penalty. SIGUSR2 logs the auth cache statistics (as Dovecot's auth process does).
 */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { MailConfig } from '../../libs/config/src/schema.js';
import type { Directory } from '../../libs/directory/src/types.js';
import { FileDirectory } from '../../libs/directory/src/file/file-directory.js';
import { LdapDirectory, type LdapDirectoryConfig } from '../../libs/directory/src/ldap/index.js';
import { AuthPenalty, CachingDirectory, createAuthRedis, flushShared, redisReady } from '../../libs/auth/src/index.js';

export interface NodeDirectory {
  /** What the services use; reload() = SIGHUP (the users file is re-read; LDAP needs nothing). */
  directory: Directory & { reload(): Promise<unknown> };
  /** The auth cache (LDAP only), for flush and statistics. */
  cache: CachingDirectory | null;
  /** Users loaded (file), null for LDAP (unknown without a full search). */
  size(): number | null;
  close(): Promise<void>;
}

export function ldapOptions(c: MailConfig): LdapDirectoryConfig {
  const d = c.directory;
  return {
    uris: d.ldapUris, base: d.ldapBase ?? '', scope: d.ldapScope, bindDn: d.ldapBindDn, bindPassword: d.ldapBindPassword,
    startTls: d.ldapStartTls, tls: d.ldapCaFile === null ? undefined : { ca: readFileSync(d.ldapCaFile, 'utf8') },
    passwordCheck: d.ldapPasswordCheck, aliasLogin: d.ldapAliasLogin, poolSize: d.ldapPoolSize, timeoutMs: d.ldapTimeout,
    connectTimeoutMs: Math.min(d.ldapTimeout, 2_000),
    filters: d.ldapFilters as unknown as LdapDirectoryConfig['filters'],
    attributes: d.ldapAttributes as unknown as LdapDirectoryConfig['attributes'],
  };
}

export async function openDirectory(c: MailConfig, logger: Logger, registry: Registry): Promise<NodeDirectory> {
  if (c.directory.type === 'file') {
    // A local auth cache in front of the file too: a {SHA512-CRYPT} check costs milliseconds of CPU,
    // so warm logins (clients reconnect all day) must not pay it again. Flushed when the file changes.
    let cache: CachingDirectory | null = null;
    const file = await FileDirectory.open({ path: c.directory.path, logger, onReload: () => { void cache?.flush(); } });
    const a = c.auth;
    cache = new CachingDirectory(file, {
      redis: null, ttlMs: a.cacheTtl, negativeTtlMs: a.cacheNegativeTtl, maxEntries: a.cacheSize, penalty: null, logger, metrics: registry,
    });
    const fileCache = cache;
    return {
      directory: Object.assign(fileCache, { reload: () => file.reload() }), cache: fileCache,
      size: () => file.size(), close: async () => { await fileCache.close(); await file.close(); },
    };
  }
  const ldapOps = new Counter({ name: 'mail_ldap_operations_total', help: 'LDAP requests sent (bind, search)', labelNames: ['op'] as const, registers: [registry] });
  const ldap = new LdapDirectory({ ...ldapOptions(c), onOperation: (op) => ldapOps.inc({ op }) });
  const a = c.auth;
  let redis: Redis | null = null;
  let lastRedisError = 0;
  if (a.redisUrl !== null) {
    redis = createAuthRedis(a.redisUrl, {
      onError: (e) => {
        // A dead Redis reconnects every second; log at most once a minute.
        if (Date.now() - lastRedisError > 60_000) { lastRedisError = Date.now(); logger.warn({ err: e }, 'auth Redis unavailable; logins go on via LDAP and the local cache'); }
      },
    });
  }
  const penalty = a.penaltyInit > 0
    ? new AuthPenalty({ redis, prefix: a.redisPrefix, initMs: a.penaltyInit, maxMs: a.penaltyMax, exempt: a.penaltyExempt })
    : null;
  const cache = new CachingDirectory(ldap, {
    redis, prefix: a.redisPrefix, secret: a.cacheSecret ?? undefined, ttlMs: a.cacheTtl, negativeTtlMs: a.cacheNegativeTtl,
    maxEntries: a.cacheSize, penalty, logger, metrics: registry,
  });
  const onUsr2 = () => cache.logStats();
  process.on('SIGUSR2', onUsr2);
  logger.info({ uris: c.directory.ldapUris, base: c.directory.ldapBase, passwordCheck: c.directory.ldapPasswordCheck, sharedCache: redis !== null }, 'LDAP directory');
  return {
    directory: Object.assign(cache, { reload: async () => undefined }), cache,
    size: () => null,
    async close() {
      process.off('SIGUSR2', onUsr2);
      await cache.close();
      redis?.disconnect();
    },
  };
}

/** `mailnode auth-cache-flush [USER...]` (doveadm auth cache flush): both levels, every node. */
export async function authCacheFlushCommand(c: MailConfig, users: string[]): Promise<number> {
  if (c.auth.redisUrl === null) {
    process.stderr.write('mailnode: auth.redisUrl is not set: there is no shared auth cache to flush (a local cache empties on restart)\n');
    return 69; // EX_UNAVAILABLE
  }
  const r = createAuthRedis(c.auth.redisUrl, { commandTimeoutMs: 10_000 });
  try {
    await redisReady(r, 5_000);
    const list = users.length ? users.map((u) => u.trim().toLowerCase()) : null;
    const n = await flushShared(r, c.auth.redisPrefix, list);
    process.stdout.write(`auth cache flushed (${list ? list.join(', ') : 'all users'}): ${n} shared entries removed; every node told to empty its local cache\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`mailnode: auth cache flush failed: ${e instanceof Error ? e.message : String(e)}\n`);
    return 75; // EX_TEMPFAIL
  } finally {
    r.disconnect();
  }
}
