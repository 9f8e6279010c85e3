/**
 * LDAP search filters from configured templates. Every client value is escaped as RFC 4515 §3
 * requires ("*", "(", ")", "\" and NUL become \2a \28 \29 \5c \00), so a login like "*)(uid=*"
 * is a literal value that matches nobody and never changes the filter's structure.
 */

/** RFC 4515 §3 value escaping. Also escapes every other non-printable ASCII byte (harmless, clearer logs). */
export function escapeFilterValue(value: string): string {
  let out = '';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (ch === '*' || ch === '(' || ch === ')' || ch === '\\' || c < 0x20 || c === 0x7f) {
      out += '\\' + c.toString(16).padStart(2, '0');
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * Fills a filter template (Dovecot style): %u and %s = the whole value, %n = the part before the
 * last "@", %d = the part after it, %% = "%". Every substitution is escaped.
 */
export function fillFilter(template: string, value: string): string {
  const at = value.lastIndexOf('@');
  const local = at < 0 ? value : value.slice(0, at);
  const domain = at < 0 ? '' : value.slice(at + 1);
  return template.replace(/%([usnd%])/g, (_, k: string) => {
    if (k === '%') return '%';
    return escapeFilterValue(k === 'n' ? local : k === 'd' ? domain : value);
  });
}

/** RFC 4514 §2.4 escaping of an attribute value inside a DN (for the dummy bind DN). */
export function escapeDnValue(value: string): string {
  return value
    .replace(/[\\,+"<>;=\u0000]/g, (c) => '\\' + c.charCodeAt(0).toString(16).padStart(2, '0'))
    .replace(/^[ #]/, (c) => '\\' + c.charCodeAt(0).toString(16))
    .replace(/ $/, '\\20');
}
