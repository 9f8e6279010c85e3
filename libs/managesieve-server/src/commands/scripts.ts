/**
 * Script commands (RFC 5804 §2.5–§2.12): LISTSCRIPTS, GETSCRIPT, PUTSCRIPT, CHECKSCRIPT,
 * SETACTIVE, DELETESCRIPT, RENAMESCRIPT, HAVESPACE. Scripts are validated with libs/sieve before
 * they are stored; an invalid one is refused with the parser's line and column.
 */
import { MailError } from '../../../core/src/errors.js';
import { encodeString } from '../../../managesieve-codec/src/response.js';
import type { Arg } from '../../../managesieve-codec/src/types.js';
import type { Session } from '../session.js';
import { validScriptName, type ScriptStore, type SpaceVerdict } from '../script-store.js';
import { LIMITS } from '../../../core/src/limits.js';
import { str } from './index.js';

function store(s: Session): ScriptStore {
  if (!s.scripts) throw new MailError('INTERNAL', 'no script store');
  return s.scripts;
}

function checkName(name: string): void {
  if (!validScriptName(name, LIMITS.manageSieveMaxNameLength)) throw new MailError('BADNAME', 'Invalid script name.');
}

/** The parser's first error, as Pigeonhole words it: "line L, column C: message". Null when valid. */
function validate(s: Session, text: string): string | null {
  const r = s.deps.parseScript(text);
  if (r.ok) return null;
  return `line ${r.error.line}, column ${r.error.column}: ${r.error.message}`;
}

function spaceRefusal(s: Session, v: SpaceVerdict): boolean {
  if (v === 'ok') return false;
  if (v === 'maxscripts') s.respond({ status: 'NO', code: 'QUOTA/MAXSCRIPTS', text: 'Quota exceeded (too many scripts).' });
  else s.respond({ status: 'NO', code: 'QUOTA/MAXSIZE', text: 'Quota exceeded (script too large).' });
  return true;
}

export async function listScripts(s: Session): Promise<void> {
  let out = '';
  for (const sc of await store(s).list()) out += `${encodeString(sc.name)}${sc.active ? ' ACTIVE' : ''}\r\n`;
  s.write(out);
  s.respond({ status: 'OK', text: 'Listscripts completed.' });
}

export async function getScript(s: Session, args: readonly Arg[]): Promise<void> {
  const name = str(args, 0);
  checkName(name);
  const text = await store(s).get(name);
  // RFC 5804 §2.9: the script comes as a literal string followed by CRLF and OK.
  s.write(`{${Buffer.byteLength(text, 'utf8')}}\r\n${text}\r\n`);
  s.respond({ status: 'OK', text: 'Getscript completed.' });
}

export async function putScript(s: Session, args: readonly Arg[]): Promise<void> {
  const name = str(args, 0);
  const text = str(args, 1);
  checkName(name);
  if (spaceRefusal(s, await store(s).haveSpace(name, Buffer.byteLength(text, 'utf8')))) return;
  const err = validate(s, text);
  if (err) return s.respond({ status: 'NO', text: err });
  await store(s).put(name, text);
  s.log.info({ user: s.user?.user, script: name }, 'script stored');
  s.respond({ status: 'OK', text: 'Putscript completed.' });
}

export async function checkScript(s: Session, args: readonly Arg[]): Promise<void> {
  const text = str(args, 0);
  if (Buffer.byteLength(text, 'utf8') > s.deps.config.maxScriptSize) {
    return s.respond({ status: 'NO', code: 'QUOTA/MAXSIZE', text: 'Script is too large.' });
  }
  const err = validate(s, text);
  if (err) return s.respond({ status: 'NO', text: err });
  s.respond({ status: 'OK', text: 'Script is valid.' });
}

export async function setActive(s: Session, args: readonly Arg[]): Promise<void> {
  const name = str(args, 0);
  if (name !== '') checkName(name);
  await store(s).setActive(name);
  s.respond({ status: 'OK', text: name === '' ? 'Script deactivated.' : 'Setactive completed.' });
}

export async function deleteScript(s: Session, args: readonly Arg[]): Promise<void> {
  const name = str(args, 0);
  checkName(name);
  await store(s).delete(name);
  s.respond({ status: 'OK', text: 'Deletescript completed.' });
}

export async function renameScript(s: Session, args: readonly Arg[]): Promise<void> {
  const from = str(args, 0);
  const to = str(args, 1);
  checkName(from);
  checkName(to);
  await store(s).rename(from, to);
  s.respond({ status: 'OK', text: 'Renamescript completed.' });
}

export async function haveSpace(s: Session, args: readonly Arg[]): Promise<void> {
  const name = str(args, 0);
  const a = args[1];
  const size = a && a.type === 'number' ? a.value : 0;
  checkName(name);
  if (spaceRefusal(s, await store(s).haveSpace(name, size))) return;
  s.respond({ status: 'OK', text: 'Putscript would succeed.' });
}
