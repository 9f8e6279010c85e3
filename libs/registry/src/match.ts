/** Session filters: doveadm-style user masks (`*`, `?`) and IP / CIDR matches. Pure. */
import { isIP } from 'node:net';
import type { SessionFilter, SessionInfo } from './types.js';

/** `*` = any run of characters, `?` = one character; everything else literal; case-insensitive. */
export function maskToRegExp(mask: string): RegExp {
  let re = '';
  for (const ch of mask) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'is');
}

function ipv4ToInt(ip: string): number | null {
  const p = ip.split('.');
  if (p.length !== 4) return null;
  let n = 0;
  for (const s of p) {
    const v = Number(s);
    if (!/^\d{1,3}$/.test(s) || v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

/** Normalises IPv4-mapped IPv6 (`::ffff:127.0.0.1`) to IPv4, as sockets report it. */
export function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/** Exact match, or IPv4 CIDR (`10.0.0.0/8`). An invalid pattern matches nothing. */
export function ipMatches(pattern: string, ip: string): boolean {
  const addr = normaliseIp(ip);
  const slash = pattern.indexOf('/');
  if (slash < 0) return normaliseIp(pattern) === addr;
  const base = ipv4ToInt(pattern.slice(0, slash));
  const bits = Number(pattern.slice(slash + 1));
  const a = ipv4ToInt(addr);
  if (base === null || a === null || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  if (bits === 0) return true;
  const shift = 32 - bits;
  return Math.floor(base / 2 ** shift) === Math.floor(a / 2 ** shift);
}

export function compileFilter(f: SessionFilter | undefined): (s: SessionInfo) => boolean {
  const re = f?.userMask !== undefined ? maskToRegExp(f.userMask) : null;
  return (s) => (re === null || re.test(s.user))
    && (f?.ip === undefined || ipMatches(f.ip, s.ip))
    && (f?.service === undefined || f.service === s.service);
}
