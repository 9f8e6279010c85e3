/**
 * LIST (RFC 3501 §6.3.8, LIST-EXTENDED RFC 5258, LIST-STATUS RFC 5819, SPECIAL-USE RFC 6154,
 * CHILDREN RFC 3348) and LSUB (RFC 3501 §6.3.9).
 */
import type { Session } from '../session.js';
import type { CmdOf } from './index.js';
import type { MailboxInfo, SpecialUse } from '../../../mailstore/src/types.js';
import { mailboxName } from '../encode.js';
import { formatStatus } from './mailboxes.js';
import { isMailError } from '../../../core/src/errors.js';

/** `*` matches anything, `%` anything but the separator; INBOX matches case-insensitively. */
export function patternToRegex(pattern: string): RegExp {
  const p = /^inbox(?=\/|$)/i.test(pattern) ? 'INBOX' + pattern.slice(5) : pattern;
  let re = '^';
  for (const ch of p) {
    if (ch === '*') re += '.*';
    else if (ch === '%') re += '[^/]*';
    else re += ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(re + '$', 's');
}

interface Entry { info: MailboxInfo; specialUse: SpecialUse[]; hasChildren: boolean; subscribedChild: boolean }

async function entries(s: Session): Promise<Map<string, Entry>> {
  const list = await s.account!.list();
  const map = new Map<string, Entry>();
  for (const info of list) {
    const name = info.name.toUpperCase() === 'INBOX' ? 'INBOX' : info.name;
    const su = [...info.specialUse];
    for (const extra of s.config.specialUse[name] ?? []) if (!su.includes(extra)) su.push(extra);
    map.set(name, { info, specialUse: su, hasChildren: false, subscribedChild: false });
  }
  for (const [name, e] of map) {
    const slash = name.lastIndexOf('/');
    if (slash > 0) {
      // Mark every ancestor (the store lists parents that exist only as such with noSelect).
      let parent = name.slice(0, slash);
      for (;;) {
        const p = map.get(parent);
        if (p) { if (!e.info.nonExistent) p.hasChildren = true; if (e.info.subscribed) p.subscribedChild = true; }
        const i = parent.lastIndexOf('/');
        if (i <= 0) break;
        parent = parent.slice(0, i);
      }
    }
  }
  return map;
}

export async function list(s: Session, cmd: CmdOf<'LIST'>): Promise<void> {
  const sel = new Set(cmd.selection);
  const ret = new Set(cmd.returnOpts);
  if (cmd.patterns.length === 1 && cmd.patterns[0] === '' && sel.size === 0) {
    // RFC 3501 §6.3.8: empty pattern asks for the hierarchy delimiter.
    s.write('* LIST (\\Noselect) "/" ""\r\n');
    return;
  }
  const all = await entries(s);
  const regexes = cmd.patterns.map((p) => patternToRegex(cmd.reference + p));
  const onlySubscribed = sel.has('SUBSCRIBED');
  const onlySpecial = sel.has('SPECIAL-USE');
  const showSubscribed = onlySubscribed || ret.has('SUBSCRIBED');
  const recursive = sel.has('RECURSIVEMATCH');
  for (const [name, e] of all) {
    if (!regexes.some((r) => r.test(name))) continue;
    // A subscription without a mailbox shows only in LIST (SUBSCRIBED) (RFC 5258 §3.1 \NonExistent).
    if (e.info.nonExistent && !onlySubscribed) continue;
    let childInfo = false;
    if (onlySubscribed && !e.info.subscribed) {
      if (recursive && e.subscribedChild) childInfo = true; else continue;
    }
    if (onlySpecial && e.specialUse.length === 0) continue;
    const attrs: string[] = [];
    if (e.info.noSelect) attrs.push(cmd.extended ? '\\NonExistent' : '\\Noselect');
    attrs.push(e.hasChildren ? '\\HasChildren' : '\\HasNoChildren');
    if (showSubscribed && e.info.subscribed) attrs.push('\\Subscribed');
    attrs.push(...e.specialUse);
    let line = `* LIST (${attrs.join(' ')}) "/" ${mailboxName(name)}`;
    if (childInfo) line += ' ("CHILDINFO" ("SUBSCRIBED"))';
    s.write(line + '\r\n');
    if (cmd.returnStatus && !e.info.noSelect && !childInfo) {
      try {
        const st = await s.account!.status(name);
        s.write(formatStatus(name, st, cmd.returnStatus));
      } catch (err) {
        // RFC 5819 §2: a mailbox that cannot be STATUSed simply has no STATUS response.
        if (!isMailError(err)) throw err;
      }
    }
  }
}

export async function lsub(s: Session, cmd: CmdOf<'LSUB'>): Promise<void> {
  if (cmd.pattern === '') {
    s.write('* LSUB (\\Noselect) "/" ""\r\n');
    return;
  }
  const all = await entries(s);
  const re = patternToRegex(cmd.reference + cmd.pattern);
  const sent = new Set<string>();
  for (const [name, e] of all) {
    if (!e.info.subscribed) continue;
    if (re.test(name)) {
      sent.add(name);
      // A subscribed name whose mailbox is gone is listed with no attributes, as Dovecot does.
      s.write(`* LSUB (${e.info.noSelect && !e.info.nonExistent ? '\\Noselect' : ''}) "/" ${mailboxName(name)}\r\n`);
      continue;
    }
    // RFC 3501 §6.3.9: with "%", an unsubscribed parent of a subscribed match is shown \Noselect.
    let i = name.lastIndexOf('/');
    while (i > 0) {
      const parent = name.slice(0, i);
      if (!sent.has(parent) && re.test(parent) && !all.get(parent)?.info.subscribed) {
        sent.add(parent);
        s.write(`* LSUB (\\Noselect) "/" ${mailboxName(parent)}\r\n`);
      }
      i = parent.lastIndexOf('/');
    }
  }
}
