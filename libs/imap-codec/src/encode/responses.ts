/**
 * Untagged response lines the server sends. Each returns one line WITHOUT the trailing CRLF,
 * starting with "* " (strings inside may be literals, which contain CRLF themselves).
 */
import type { StatusItem } from '../types.js';
import { astring, imapString, mailboxName, nstring, quoted } from './strings.js';

/** * CAPABILITY (RFC 3501 §7.2.1). */
export function formatCapability(caps: readonly string[]): string {
  return '* CAPABILITY ' + caps.join(' ');
}

/** * ENABLED (RFC 5161 §3.2). */
export function formatEnabled(caps: readonly string[]): string {
  return caps.length ? '* ENABLED ' + caps.join(' ') : '* ENABLED';
}

export interface ListEntry {
  name: string;
  /** Delimiter, or null for a flat namespace (NIL). */
  delimiter: string | null;
  attributes: readonly string[];
  /** LIST-EXTENDED CHILDINFO (RFC 5258 §3.5), e.g. ["SUBSCRIBED"]. */
  childInfo?: readonly string[];
}

function listBody(e: ListEntry, utf8: boolean): string {
  let out = `(${e.attributes.join(' ')}) ${e.delimiter === null ? 'NIL' : quoted(e.delimiter)} ${mailboxName(e.name, utf8)}`;
  if (e.childInfo && e.childInfo.length > 0) out += ` ("CHILDINFO" (${e.childInfo.map((c) => quoted(c)).join(' ')}))`;
  return out;
}

/** * LIST (RFC 3501 §7.2.2, RFC 5258 §3). */
export function formatList(e: ListEntry, utf8 = false): string {
  return '* LIST ' + listBody(e, utf8);
}

/** * LSUB (RFC 3501 §7.2.3). */
export function formatLsub(e: ListEntry, utf8 = false): string {
  return '* LSUB ' + listBody(e, utf8);
}

/** * STATUS mailbox (ITEM n ...) (RFC 3501 §7.2.4); items in the order given. */
export function formatStatus(name: string, items: ReadonlyArray<readonly [StatusItem, number]>, utf8 = false): string {
  return `* STATUS ${mailboxName(name, utf8)} (${items.map(([k, v]) => `${k} ${v}`).join(' ')})`;
}

/** * SEARCH n n n [(MODSEQ m)] (RFC 3501 §7.2.5, RFC 7162 §3.1.5). */
export function formatSearch(nums: readonly number[], modseq?: number | null): string {
  let out = '* SEARCH';
  if (nums.length) out += ' ' + nums.join(' ');
  if (modseq !== undefined && modseq !== null && nums.length) out += ` (MODSEQ ${modseq})`;
  return out;
}

export interface EsearchResult {
  tag: string;
  uid: boolean;
  min?: number;
  max?: number;
  count?: number;
  /** Already compressed sequence set (see compressUids), omitted when empty. */
  all?: string;
  modseq?: number;
}

/** * ESEARCH (TAG "t") [UID] [MIN n] [MAX n] [COUNT n] [ALL set] [MODSEQ m] (RFC 4731 §3.1). */
export function formatEsearch(r: EsearchResult): string {
  let out = `* ESEARCH (TAG ${quoted(r.tag)})`;
  if (r.uid) out += ' UID';
  if (r.min !== undefined) out += ` MIN ${r.min}`;
  if (r.max !== undefined) out += ` MAX ${r.max}`;
  if (r.count !== undefined) out += ` COUNT ${r.count}`;
  if (r.all !== undefined && r.all !== '') out += ` ALL ${r.all}`;
  if (r.modseq !== undefined) out += ` MODSEQ ${r.modseq}`;
  return out;
}

/** * ID (...) / * ID NIL (RFC 2971 §3.2). */
export function formatId(params: ReadonlyArray<readonly [string, string | null]> | null): string {
  if (!params || params.length === 0) return '* ID NIL';
  return '* ID (' + params.map(([k, v]) => `${imapString(k)} ${nstring(v)}`).join(' ') + ')';
}

export type NamespaceList = ReadonlyArray<readonly [prefix: string, delimiter: string | null]> | null;

/** * NAMESPACE personal other shared (RFC 2342 §5). */
export function formatNamespace(personal: NamespaceList, other: NamespaceList, shared: NamespaceList, utf8 = false): string {
  const one = (l: NamespaceList) =>
    !l || l.length === 0 ? 'NIL' : '(' + l.map(([p, d]) => `(${mailboxName(p, utf8)} ${d === null ? 'NIL' : quoted(d)})`).join('') + ')';
  return `* NAMESPACE ${one(personal)} ${one(other)} ${one(shared)}`;
}

/** * QUOTA root (RESOURCE usage limit ...) (RFC 9208 §5.1); usage of STORAGE is in KiB. */
export function formatQuota(root: string, resources: ReadonlyArray<readonly [string, number, number]>): string {
  return `* QUOTA ${astring(root)} (${resources.map(([n, u, l]) => `${n} ${u} ${l}`).join(' ')})`;
}

/** * QUOTAROOT mailbox root... (RFC 9208 §5.2). */
export function formatQuotaRoot(mailbox: string, roots: readonly string[], utf8 = false): string {
  return `* QUOTAROOT ${mailboxName(mailbox, utf8)}${roots.map((r) => ' ' + astring(r)).join('')}`;
}

/** * FLAGS (RFC 3501 §7.2.6). */
export function formatFlagsResponse(flags: readonly string[]): string {
  return `* FLAGS (${flags.join(' ')})`;
}

/** * VANISHED [(EARLIER)] uid-set (RFC 7162 §3.2.10). */
export function formatVanished(uidSet: string, earlier: boolean): string {
  return `* VANISHED ${earlier ? '(EARLIER) ' : ''}${uidSet}`;
}
