/**
 * Directory over LDAP (ldapts), UCS schema by default (config.ts). Passwords are checked by
 * binding as the user (default, as UCS's Dovecot does with auth_bind = yes) or by reading the
 * stored hash with the service account. Unknown user and wrong password both give null after
 * the same LDAP round trips (a search and a bind to a DN that does not exist), so the answer
 * and, within network noise, the time are the same. Unreachable LDAP -> MailError('TEMP').
 */
import { randomBytes } from 'node:crypto';
import type { Client, Entry } from 'ldapts';
import { LIMITS } from '../../../core/src/limits.js';
import type { AuthContext, Directory, Recipient, SharedFolderRecord, UserRecord } from '../types.js';
import { ldapConfig, type LdapDirectoryConfig } from './config.js';
import { first, groupRecord, toSharedFolder, toUserRecord, userAttributes, values } from './entry.js';
import { escapeDnValue, fillFilter } from './filter.js';
import { isLdapResult, LdapPool } from './pool.js';
import { verifyStored } from './stored-password.js';
import { DUMMY_PASSWORD, verifyPasswordAsync } from '../file/password.js';

export interface LdapDirectoryOptions extends Partial<LdapDirectoryConfig> {
  uris: string[];
  base: string;
  /** Called for every LDAP request (metrics; the login benchmark counts them). */
  onOperation?: (op: 'bind' | 'search') => void;
}

const INVALID_CREDENTIALS = 49;

export class LdapDirectory implements Directory {
  readonly config: LdapDirectoryConfig;
  /** LDAP requests sent since start, by kind. */
  readonly operations = { bind: 0, search: 0 };
  private readonly search: LdapPool;
  private readonly auth: LdapPool;
  private readonly count: (op: 'bind' | 'search') => void;

  constructor(opts: LdapDirectoryOptions) {
    this.config = ldapConfig(opts);
    const c = this.config;
    const count = this.count = (op: 'bind' | 'search') => { this.operations[op]++; opts.onOperation?.(op); };
    const base = { uris: c.uris, startTls: c.startTls, tls: c.tls, size: c.poolSize, timeoutMs: c.timeoutMs, connectTimeoutMs: c.connectTimeoutMs, onOperation: count };
    this.search = new LdapPool({ ...base, bindDn: c.bindDn, bindPassword: c.bindPassword });
    // User binds change a connection's identity, so they get their own (anonymously opened) pool.
    this.auth = new LdapPool({ ...base, bindDn: null, bindPassword: null });
  }

  private async find(filter: string, attributes: string[], limit = 2, base = this.config.base, scope: 'sub' | 'one' | 'base' = this.config.scope): Promise<Entry[]> {
    return this.search.use(async (c: Client) => {
      this.count('search');
      try {
        const r = await c.search(base, { scope, filter, attributes, sizeLimit: limit, timeLimit: Math.ceil(this.config.timeoutMs / 1000) });
        return r.searchEntries;
      } catch (e) {
        // sizeLimitExceeded(4) with entries is still an answer; noSuchObject(32): the base/DN is not there.
        if (isLdapResult(e) && e.code === 32) return [];
        throw e;
      }
    });
  }

  /** Exactly one entry or null: an ambiguous login (two entries) logs in nobody. */
  private async findOne(filter: string, attributes: string[]): Promise<Entry | null> {
    let entries: Entry[];
    try {
      entries = await this.find(filter, attributes, 2);
    } catch (e) {
      if (isLdapResult(e) && e.code === 4) return null; // size limit exceeded: more than one
      throw e;
    }
    return entries.length === 1 ? entries[0]! : null;
  }

  private static plausible(login: string, password: string): boolean {
    return login.length > 0 && login.length <= LIMITS.authMaxLoginLength && password.length <= LIMITS.authMaxPasswordLength;
  }

  async authenticate(login: string, password: string, _ctx?: AuthContext): Promise<UserRecord | null> {
    const c = this.config;
    const name = login.trim().toLowerCase();
    if (!LdapDirectory.plausible(name, password)) return null;
    const filter = fillFilter(c.aliasLogin ? c.filters.aliasLogin : c.filters.login, name);
    if (c.passwordCheck === 'compare') {
      const entry = await this.findOne(filter, [...userAttributes(c.attributes), c.attributes.password]);
      const stored = entry ? first(entry, c.attributes.password) : null;
      // Unknown user: the same hash work against a dummy, then the same null.
      const ok = stored !== null && password.length > 0
        ? await verifyStored(password, stored)
        : (await verifyPasswordAsync(password, DUMMY_PASSWORD), false);
      const user = ok && entry ? toUserRecord(entry, c.attributes) : null;
      return user && !user.disabled ? user : null;
    }
    const entry = await this.findOne(filter, userAttributes(c.attributes));
    // RFC 4513 §5.1.2: a simple bind with an empty password is an unauthenticated bind that
    // "succeeds"; never send one. A missing user binds to a DN that cannot exist instead.
    const dn = entry?.dn ?? `cn=${escapeDnValue('nonexistent-' + randomBytes(8).toString('hex'))},${c.base}`;
    if (password.length === 0) return null;
    const bound = await this.auth.use(async (cl: Client) => {
      this.count('bind');
      try {
        await cl.bind(dn, password);
        return true;
      } catch (e) {
        if (isLdapResult(e) && e.code === INVALID_CREDENTIALS) return false;
        throw e;
      }
    });
    if (!bound || !entry) return null;
    const user = toUserRecord(entry, c.attributes);
    return user && !user.disabled ? user : null;
  }

  async lookup(address: string): Promise<UserRecord | null> {
    const a = address.trim().toLowerCase();
    if (!LdapDirectory.plausible(a, '')) return null;
    const entry = await this.findOne(fillFilter(this.config.filters.user, a), userAttributes(this.config.attributes));
    return entry ? toUserRecord(entry, this.config.attributes) : null;
  }

  async resolve(address: string): Promise<Recipient | null> {
    const a = address.trim().toLowerCase();
    if (!LdapDirectory.plausible(a, '')) return null;
    const user = await this.lookup(a);
    if (user) return { kind: 'user', user };
    const at = this.config.attributes;
    const f = this.config.filters;
    const [group, list, shared] = await Promise.all([
      this.findOne(fillFilter(f.group, a), [at.primaryAddress, at.groupMemberDn, at.groupMemberUid]),
      this.findOne(fillFilter(f.mailingList, a), [at.primaryAddress, at.listMember]),
      this.findOne(fillFilter(f.sharedFolder, a), [at.sharedFolderName, at.primaryAddress, at.homeServer, at.quota, at.sharedFolderAcl]),
    ]);
    if (group) return { kind: 'group', group: groupRecord(a, await this.groupMembers(group)) };
    if (list) return { kind: 'group', group: groupRecord(a, values(list, at.listMember).slice(0, LIMITS.ldapMaxGroupMembers)) };
    const folder = shared ? toSharedFolder(shared, at) : null;
    if (folder) return { kind: 'shared', folder };
    return null;
  }

  /** Member addresses of a group: uniqueMember DNs read one by one, memberUid values in one OR search per chunk. */
  private async groupMembers(group: Entry): Promise<string[]> {
    const at = this.config.attributes;
    const out: string[] = [];
    const dns = values(group, at.groupMemberDn).slice(0, LIMITS.ldapMaxGroupMembers);
    const uids = values(group, at.groupMemberUid).slice(0, LIMITS.ldapMaxGroupMembers);
    for (const dn of dns) {
      const r = await this.find('(objectClass=*)', [at.primaryAddress], 1, dn, 'base').catch((e: unknown) => {
        if (isLdapResult(e)) return []; // a member DN we cannot read (bad syntax, no access) is skipped
        throw e;
      });
      const addr = r[0] ? first(r[0], at.primaryAddress) : null;
      if (addr) out.push(addr);
    }
    const seen = new Set(out.map((x) => x.toLowerCase()));
    for (let i = 0; i < uids.length; i += 100) {
      const or = uids.slice(i, i + 100).map((u) => fillFilter(`(${at.uid}=%s)`, u)).join('');
      const r = await this.find(`(&(objectClass=univentionMail)(|${or}))`, [at.primaryAddress], 100);
      for (const e of r) {
        const addr = first(e, at.primaryAddress);
        if (addr && !seen.has(addr.toLowerCase())) { seen.add(addr.toLowerCase()); out.push(addr); }
      }
    }
    return out;
  }

  async sharedFolders(): Promise<SharedFolderRecord[]> {
    const at = this.config.attributes;
    const r = await this.find(this.config.filters.sharedFolders, [at.sharedFolderName, at.primaryAddress, at.homeServer, at.quota, at.sharedFolderAcl], 0);
    return r.map((e) => toSharedFolder(e, at)).filter((x): x is SharedFolderRecord => x !== null);
  }

  async domains(): Promise<string[]> {
    const r = await this.find(this.config.filters.domains, [this.config.attributes.domainName], 0);
    return [...new Set(r.flatMap((e) => values(e, this.config.attributes.domainName)).map((d) => d.toLowerCase()))].sort();
  }

  async close(): Promise<void> {
    await Promise.all([this.search.close(), this.auth.close()]);
  }
}
