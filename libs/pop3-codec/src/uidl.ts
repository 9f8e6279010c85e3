/**
 * Dovecot's pop3_uidl_format (doc: "%08Xu%08Xv" by default): variables expanded per message,
 * so clients moving from Dovecot see the same UIDs and download nothing twice.
 * Supported: %u (IMAP UID), %v (UIDVALIDITY), %% ; modifiers: zero-padded width ("08") and X
 * (hex). Dovecot 2.3's var_expand writes hex in LOWER case ("%llx"), whatever the docs' capital X
 * suggests: the differential test against dovecot-pop3d pins this (dovecot-diff.test.ts).
 */
export interface UidlVars { uid: number; uidValidity: number }

const VAR = /%(0?\d*)([Xx]?)([uv%])/g;

export function validUidlFormat(fmt: string): boolean {
  if (!/%(0?\d*)[Xx]?u/.test(fmt)) return false; // must contain the UID to be unique
  const stripped = fmt.replace(VAR, '');
  return !stripped.includes('%') && /^[\x21-\x7e]*$/.test(stripped);
}

/** Compiles a format once; the function is called for every message of a UIDL listing. */
export function compileUidl(fmt: string): (v: UidlVars) => string {
  if (fmt === '%08Xu%08Xv') return (v) => hex8(v.uid) + hex8(v.uidValidity);
  return (v) => fmt.replace(VAR, (_m, width: string, radix: string, name: string) => {
    if (name === '%') return '%';
    const n = name === 'u' ? v.uid : v.uidValidity;
    let s = radix ? n.toString(16) : String(n);
    const w = Number(width || '0');
    if (s.length < w) s = (width.startsWith('0') ? '0' : ' ').repeat(w - s.length) + s;
    return s;
  });
}

function hex8(n: number): string {
  const s = n.toString(16);
  return s.length >= 8 ? s : '00000000'.slice(s.length) + s;
}
