/**
 * XCLIENT as Dovecot's pop3-login and managesieve-login take it from a trusted proxy (a Dovecot
 * extension, no RFC): "XCLIENT ADDR=<ip> PORT=<port> SESSION=<id> TTL=<n>" names the real client of a
 * proxied connection. Keys are case-insensitive; unknown keys (FORWARD=, CLIENT-TRANSPORT=, ...) are
 * skipped as Dovecot skips what it does not use; a bad ADDR, PORT or TTL makes the whole command
 * invalid; a SESSION id longer than LIMITS.xclientMaxSessionIdLength is ignored (not an error).
 * Pure: whether the peer may send it (sasl.trustedNetworks) is the server's check.
 */
import { LIMITS } from '../../core/src/limits.js';
import { parseIp } from './networks.js';

export interface XclientFields {
  addr?: string;
  port?: number;
  session?: string;
  ttl?: number;
}

/** The fields of XCLIENT's parameters (already split on spaces); null when one of them is invalid. */
export function parseXclient(params: readonly string[]): XclientFields | null {
  const out: XclientFields = {};
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const key = p.slice(0, eq).toUpperCase();
    const value = p.slice(eq + 1);
    if (key === 'ADDR') {
      if (parseIp(value) === null) return null;
      out.addr = value;
    } else if (key === 'PORT') {
      // Dovecot net_str2port: 1..65535, digits only.
      if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) return null;
      out.port = Number(value);
    } else if (key === 'SESSION') {
      if (value.length <= LIMITS.xclientMaxSessionIdLength && /^[\x21-\x7e]*$/.test(value)) out.session = value;
    } else if (key === 'TTL') {
      if (!/^\d{1,10}$/.test(value) || Number(value) > 0xffffffff) return null;
      out.ttl = Number(value);
    }
  }
  return out;
}
