/**
 * Parses one LMTP command line (without CRLF) into the AST. Strict on what decides delivery (the
 * paths), lenient on case and extra spaces, as Dovecot's lib-smtp is. Pure.
 */
import type { Command, CommandError, Path } from './types.js';

const err = (code: 500 | 501 | 502, enhanced: string, text: string, known?: string): CommandError =>
  ({ verb: 'ERROR', code, enhanced, text, ...(known ? { known } : {}) });

/** RFC 5321 §4.1.2 Mailbox, loosely: local@domain, local part may be quoted; no controls or spaces outside quotes. */
function parsePath(s: string, allowNull: boolean): { path: Path; rest: string } | null {
  if (!s.startsWith('<')) return null;
  let i = 1;
  // Source routes (RFC 5321 §4.1.2 "@a,@b:") are obsolete; accept and drop them.
  if (s[i] === '@') {
    const colon = s.indexOf(':', i);
    if (colon < 0) return null;
    i = colon + 1;
  }
  let local = '';
  if (s[i] === '"') {
    i++;
    for (; i < s.length && s[i] !== '"'; i++) {
      if (s[i] === '\\') i++;
      const ch = s[i];
      if (ch === undefined || ch < ' ' || ch === '\x7f') return null;
      local += ch;
    }
    if (s[i] !== '"') return null;
    i++;
    local = `"${local.replace(/(["\\])/g, '\\$1')}"`;
  }
  const end = s.indexOf('>', i);
  if (end < 0) return null;
  const raw = local + s.slice(i, end);
  const rest = s.slice(end + 1);
  if (raw === '') return allowNull ? { path: { address: '' }, rest } : null;
  const at = raw.lastIndexOf('@');
  if (at <= 0 || at === raw.length - 1) return null;
  const localPart = raw.slice(0, at);
  const domain = raw.slice(at + 1);
  if (!localPart.startsWith('"') && /[\s<>()[\]\\,;:"\x00-\x1f\x7f]/.test(localPart)) return null;
  if (!/^(?:[^\s<>@()\\,;:"[\]\x00-\x1f\x7f]+|\[[^\]\s]+\])$/u.test(domain)) return null;
  return { path: { address: raw }, rest };
}

/** esmtp-param *(SP esmtp-param), RFC 5321 §4.1.2; keys upper-cased. */
function parseParams(s: string): Map<string, string | true> | null {
  const out = new Map<string, string | true>();
  for (const p of s.split(' ').filter(Boolean)) {
    const eq = p.indexOf('=');
    const key = (eq < 0 ? p : p.slice(0, eq)).toUpperCase();
    if (!/^[A-Z0-9][A-Z0-9-]*$/.test(key)) return null;
    const value = eq < 0 ? true : p.slice(eq + 1);
    if (value !== true && !/^[\x21-\x3c\x3e-\x7e]*$/.test(value)) return null;
    out.set(key, value);
  }
  return out;
}

export function parseCommand(line: string): Command | CommandError {
  const sp = line.indexOf(' ');
  const verb = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
  const arg = sp < 0 ? '' : line.slice(sp + 1);
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(line)) return err(501, '5.5.2', 'Invalid characters in command', verb);
  switch (verb) {
    case 'LHLO': case 'HELO': case 'EHLO': {
      const domain = arg.trim();
      if (!domain || /\s/.test(domain)) return err(501, '5.5.4', `Invalid ${verb} parameters`, verb);
      return { verb, domain };
    }
    case 'MAIL': {
      const m = /^FROM:\s*/i.exec(arg);
      if (!m) return err(501, '5.5.4', 'Syntax: MAIL FROM:<address> [params]', verb);
      const p = parsePath(arg.slice(m[0].length), true);
      if (!p) return err(501, '5.1.7', 'Invalid sender address', verb);
      const params = parseParams(p.rest);
      if (!params) return err(501, '5.5.4', 'Invalid MAIL parameters', verb);
      return { verb, from: p.path, params };
    }
    case 'RCPT': {
      const m = /^TO:\s*/i.exec(arg);
      if (!m) return err(501, '5.5.4', 'Syntax: RCPT TO:<address> [params]', verb);
      const p = parsePath(arg.slice(m[0].length), false);
      if (!p) return err(501, '5.1.3', 'Invalid recipient address', verb);
      const params = parseParams(p.rest);
      if (!params) return err(501, '5.5.4', 'Invalid RCPT parameters', verb);
      return { verb, to: p.path, params };
    }
    case 'BDAT': {
      // RFC 3030 §2: bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ]
      const m = /^(\d{1,15})(?: +(LAST))? *$/i.exec(arg);
      if (!m) return err(501, '5.5.4', 'Syntax: BDAT <size> [LAST]', verb);
      return { verb, size: Number(m[1]), last: m[2] !== undefined };
    }
    case 'DATA': case 'RSET': case 'QUIT':
      if (arg.trim() !== '') return err(501, '5.5.4', `${verb} takes no parameters`, verb);
      return { verb };
    case 'NOOP':
      return { verb };
    case 'VRFY':
      return { verb, arg };
    case '':
      return err(500, '5.5.2', 'Empty command');
    default:
      return err(500, '5.5.1', 'Unknown command');
  }
}
