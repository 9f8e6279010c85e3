/**
 * The users file of the embedded default (YAML; JSON is valid YAML too):
 *
 *   domains: [example.org]          # optional: hosted domains that have no user yet
 *   users:
 *     alice@example.org:            # login = primary address
 *       password: "{SHA512-CRYPT}$6$..."
 *       aliases: [a.example@example.org]
 *       quota: 1024                 # MB, 0 = none (UCS univentionMailUserQuota)
 *       forwards: []
 *       forwardCopyToSelf: false
 *       disabled: false
 *       homeServer: null
 *
 *   groups:                         # optional: group / mailing-list addresses
 *     team@example.org: { members: [alice@example.org, bob@example.org] }
 *   sharedFolders:                  # optional: UCS shared folders
 *     support: { address: support@example.org, homeServer: null, quota: 0, acl: { anyone: lrs } }
 *
 * Parsing collects every problem with its path, like the config loader.
 */
import { LineCounter, isScalar, parseDocument, visit, type Document } from 'yaml';
import type { GroupRecord, SharedFolderRecord, UserRecord } from '../types.js';
import { parseStoredPassword, type StoredPassword } from './password.js';

export interface UserEntry { record: UserRecord; password: StoredPassword | null }

export interface UsersTable {
  /** Primary address → entry. */
  users: Map<string, UserEntry>;
  /** Every address (primary and alias) → primary address. */
  addresses: Map<string, string>;
  domains: string[];
  /** Group address → group. */
  groups: Map<string, GroupRecord>;
  /** Shared folder name → folder. */
  sharedFolders: Map<string, SharedFolderRecord>;
  /** Shared folder address → folder name. */
  sharedAddresses: Map<string, string>;
}

const USER_KEYS = new Set(['password', 'aliases', 'quota', 'forwards', 'forwardCopyToSelf', 'disabled', 'homeServer']);

/**
 * Addresses become directory names (<mailRoot>/<domain>/<localpart>), so besides being plausible
 * addresses they must be safe path segments: no "/", "\\", NUL/control characters, no leading dot.
 */
const ADDRESS = /^(?!\.)[^\s@/\\\u0000-\u001f\u007f"]{1,64}@(?!-)[a-z0-9-]+(\.[a-z0-9-]+)*$/;

export function isSafeAddress(a: string): boolean {
  return ADDRESS.test(a) && a.length <= 254;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1);

/** "Map keys must be unique" (YAML 1.2 §3.2.1.1) for every mapping, in linear time. */
function duplicateKeys(doc: Document, lineCounter: LineCounter): string[] {
  const out: number[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const item of map.items) {
        const key = isScalar(item.key) ? item.key.value : item.key;
        if (key === '<<') continue; // merge keys may repeat
        if (seen.has(key)) out.push((isScalar(item.key) ? item.key.range?.[0] : undefined) ?? 0);
        seen.add(key);
      }
    },
  });
  return out.sort((a, b) => a - b).map((pos) => {
    const p = lineCounter.linePos(pos);
    return `line ${p.line}, column ${p.col}: Map keys must be unique`;
  });
}

export function parseUsersFile(text: string): { table: UsersTable | null; errors: string[] } {
  const errors: string[] = [];
  const lineCounter = new LineCounter();
  // The yaml library's uniqueKeys compares each key with every earlier one of its map: 100,000 users
  // took minutes to load. duplicateKeys() finds the same errors with one Set per map.
  const doc = parseDocument(text, { uniqueKeys: false, lineCounter });
  for (const e of doc.errors) {
    const p = lineCounter.linePos(e.pos[0]);
    errors.push(`line ${p.line}, column ${p.col}: ${e.message.split('\n')[0]}`);
  }
  if (errors.length === 0) errors.push(...duplicateKeys(doc, lineCounter));
  if (errors.length) return { table: null, errors };
  const root: unknown = doc.toJS() ?? {};
  if (!isMap(root)) return { table: null, errors: ['(top level): expected a mapping with "users"'] };
  for (const k of Object.keys(root)) if (k !== 'users' && k !== 'domains' && k !== 'groups' && k !== 'sharedFolders') errors.push(`${k}: unknown key`);

  const users = new Map<string, UserEntry>();
  const addresses = new Map<string, string>();
  const domains = new Set<string>();
  const claim = (addr: string, owner: string, path: string) => {
    const prev = addresses.get(addr);
    if (prev !== undefined && prev !== owner) errors.push(`${path}: address ${addr} already belongs to ${prev}`);
    else addresses.set(addr, owner);
  };

  if (root.domains !== undefined && root.domains !== null) {
    if (!Array.isArray(root.domains)) errors.push('domains: expected a list of domain names');
    else for (const d of root.domains) {
      if (typeof d === 'string' && isSafeAddress(`x@${d.toLowerCase()}`)) domains.add(d.toLowerCase());
      else errors.push(`domains: bad domain ${JSON.stringify(d)}`);
    }
  }
  const rawUsers = root.users ?? {};
  if (!isMap(rawUsers)) errors.push('users: expected a mapping of login address to user');
  else for (const [login, raw] of Object.entries(rawUsers)) {
    const user = login.toLowerCase();
    const path = `users.${login}`;
    if (!isSafeAddress(user)) { errors.push(`${path}: not a valid address (local@domain, no "/", "\\" or leading ".")`); continue; }
    if (users.has(user)) { errors.push(`${path}: duplicate user (logins are case-insensitive)`); continue; }
    const u: Record<string, unknown> = raw === null ? {} : isMap(raw) ? raw : (errors.push(`${path}: expected a mapping`), {});
    for (const k of Object.keys(u)) if (!USER_KEYS.has(k)) errors.push(`${path}.${k}: unknown key`);
    let password: StoredPassword | null = null;
    if (u.password === undefined || u.password === null) password = null;
    else if (typeof u.password !== 'string') errors.push(`${path}.password: expected a string "{SCHEME}hash"`);
    else {
      const p = parseStoredPassword(u.password);
      if ('error' in p) errors.push(`${path}.password: ${p.error}`); else password = p;
    }
    const list = (key: string): string[] => {
      const v = u[key];
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v)) { errors.push(`${path}.${key}: expected a list of addresses`); return []; }
      const out: string[] = [];
      for (const a of v) {
        if (typeof a === 'string' && isSafeAddress(a.toLowerCase())) out.push(a.toLowerCase());
        else errors.push(`${path}.${key}: bad address ${JSON.stringify(a)}`);
      }
      return [...new Set(out)];
    };
    const bool = (key: string): boolean => {
      const v = u[key];
      if (v === undefined || v === null) return false;
      if (typeof v !== 'boolean') { errors.push(`${path}.${key}: expected true or false`); return false; }
      return v;
    };
    let quotaBytes: number | null = null;
    if (u.quota !== undefined && u.quota !== null) {
      if (typeof u.quota !== 'number' || !Number.isInteger(u.quota) || u.quota < 0) errors.push(`${path}.quota: expected an integer number of MB >= 0`);
      else quotaBytes = u.quota === 0 ? null : u.quota * 1024 * 1024;
    }
    let homeServer: string | null = null;
    if (u.homeServer !== undefined && u.homeServer !== null) {
      if (typeof u.homeServer !== 'string') errors.push(`${path}.homeServer: expected a host name`);
      else homeServer = u.homeServer.toLowerCase();
    }
    const aliases = list('aliases').filter((a) => a !== user);
    const record: UserRecord = {
      user, aliases, homeServer, quotaBytes, forwards: list('forwards'),
      forwardCopyToSelf: bool('forwardCopyToSelf'), disabled: bool('disabled'),
    };
    users.set(user, { record, password });
    claim(user, user, path);
    for (const a of aliases) claim(a, user, `${path}.aliases`);
    domains.add(domainOf(user));
    for (const a of aliases) domains.add(domainOf(a));
  }
  const groups = new Map<string, GroupRecord>();
  const rawGroups = root.groups ?? {};
  if (!isMap(rawGroups)) errors.push('groups: expected a mapping of group address to { members: [...] }');
  else for (const [addr, raw] of Object.entries(rawGroups)) {
    const address = addr.toLowerCase();
    const path = `groups.${addr}`;
    if (!isSafeAddress(address)) { errors.push(`${path}: not a valid address`); continue; }
    if (addresses.has(address) || groups.has(address)) { errors.push(`${path}: address already in use`); continue; }
    const g = isMap(raw) ? raw : (errors.push(`${path}: expected a mapping`), {} as Record<string, unknown>);
    for (const k of Object.keys(g)) if (k !== 'members') errors.push(`${path}.${k}: unknown key`);
    const members: string[] = [];
    if (g.members !== undefined && g.members !== null) {
      if (!Array.isArray(g.members)) errors.push(`${path}.members: expected a list of addresses`);
      else for (const m of g.members) {
        if (typeof m === 'string' && isSafeAddress(m.toLowerCase())) members.push(m.toLowerCase());
        else errors.push(`${path}.members: bad address ${JSON.stringify(m)}`);
      }
    }
    groups.set(address, { address, members: [...new Set(members)] });
    domains.add(domainOf(address));
  }

  const sharedFolders = new Map<string, SharedFolderRecord>();
  const sharedAddresses = new Map<string, string>();
  const rawShared = root.sharedFolders ?? {};
  if (!isMap(rawShared)) errors.push('sharedFolders: expected a mapping of folder name to folder');
  else for (const [name, raw] of Object.entries(rawShared)) {
    const path = `sharedFolders.${name}`;
    if (!/^[^\s/\\\u0000-\u001f\u007f.][^\s/\\\u0000-\u001f\u007f]{0,254}$/.test(name)) { errors.push(`${path}: bad folder name`); continue; }
    const f = isMap(raw) ? raw : (raw === null ? {} : (errors.push(`${path}: expected a mapping`), {})) as Record<string, unknown>;
    for (const k of Object.keys(f)) if (!['address', 'homeServer', 'quota', 'acl'].includes(k)) errors.push(`${path}.${k}: unknown key`);
    let address: string | null = null;
    if (f.address !== undefined && f.address !== null) {
      if (typeof f.address !== 'string' || !isSafeAddress(f.address.toLowerCase())) errors.push(`${path}.address: not a valid address`);
      else {
        address = f.address.toLowerCase();
        if (addresses.has(address) || groups.has(address) || sharedAddresses.has(address)) errors.push(`${path}.address: address already in use`);
        else { sharedAddresses.set(address, name); domains.add(domainOf(address)); }
      }
    }
    let homeServer: string | null = null;
    if (f.homeServer !== undefined && f.homeServer !== null) {
      if (typeof f.homeServer !== 'string') errors.push(`${path}.homeServer: expected a host name`);
      else homeServer = f.homeServer.toLowerCase();
    }
    let quotaBytes: number | null = null;
    if (f.quota !== undefined && f.quota !== null) {
      if (typeof f.quota !== 'number' || !Number.isInteger(f.quota) || f.quota < 0) errors.push(`${path}.quota: expected an integer number of MB >= 0`);
      else quotaBytes = f.quota === 0 ? null : f.quota * 1024 * 1024;
    }
    const acl: Record<string, string> = {};
    if (f.acl !== undefined && f.acl !== null) {
      if (!isMap(f.acl)) errors.push(`${path}.acl: expected a mapping of identifier to rights`);
      else for (const [id, rights] of Object.entries(f.acl)) {
        if (typeof rights !== 'string' || !/^[lrswipkxtecda]*$/.test(rights)) errors.push(`${path}.acl.${id}: rights must be letters of "lrswipkxtecda" (RFC 4314)`);
        else acl[id.toLowerCase()] = rights;
      }
    }
    sharedFolders.set(name, { name, address, homeServer, quotaBytes, acl });
  }

  if (errors.length) return { table: null, errors };
  return { table: { users, addresses, domains: [...domains].sort(), groups, sharedFolders, sharedAddresses }, errors };
}
