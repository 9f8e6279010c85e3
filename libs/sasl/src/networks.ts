/**
 * IP networks in CIDR notation ("127.0.0.0/8", "10.1.2.3", "fd00::/8"), pure (no node:net) so the
 * SASL policy stays I/O-free. IPv4 is kept as IPv4-mapped IPv6 (RFC 4291 §2.5.5.2), so a socket
 * address "::ffff:127.0.0.1" from a dual-stack listener matches "127.0.0.0/8".
 */

const V4_MAPPED = 0xffffn << 32n;

/** Parses an IPv4 or IPv6 address (an IPv6 zone "%eth0" is ignored) to 128 bits; null when invalid. */
export function parseIp(text: string): bigint | null {
  const s = text.replace(/%[\w.-]+$/, '');
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    const v = parseV4(s);
    return v === null ? null : V4_MAPPED | v;
  }
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || s.length > 45) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    const parts = h.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(p) ? parseV4(p) : null;
        if (v4 === null) return null;
        out.push(Number((v4 >> 16n) & 0xffffn), Number(v4 & 0xffffn));
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

function parseV4(s: string): bigint | null {
  let v = 0n;
  for (const part of s.split('.')) {
    const n = Number(part);
    if (n > 255 || (part.length > 1 && part.startsWith('0'))) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

export interface Network { readonly base: bigint; readonly prefix: number; readonly text: string }

/** Parses "addr" or "addr/len"; IPv4 prefixes count in IPv4 bits. Null when invalid. */
export function parseNetwork(text: string): Network | null {
  const t = text.trim();
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(t);
  if (!m) return null;
  const addr = parseIp(m[1]!);
  if (addr === null) return null;
  const isV4 = /^\d/.test(m[1]!) && !m[1]!.includes(':');
  const max = isV4 ? 32 : 128;
  const len = m[2] === undefined ? max : Number(m[2]);
  if (len > max) return null;
  const prefix = isV4 ? len + 96 : len;
  const mask = prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
  return { base: addr & mask, prefix, text: t };
}

/** A set of networks; `contains` is false for anything that is not a valid address. */
export class NetworkList {
  readonly networks: readonly Network[];
  constructor(networks: readonly Network[]) { this.networks = networks; }

  /** Parses every entry; throws a plain Error naming the bad entries (config validation shows it). */
  static parse(list: readonly string[]): NetworkList {
    const bad = list.filter((n) => parseNetwork(n) === null);
    if (bad.length > 0) throw new Error(`invalid network(s): ${bad.join(', ')}`);
    return new NetworkList(list.map((n) => parseNetwork(n)!));
  }

  contains(ip: string | undefined | null): boolean {
    if (!ip) return false;
    const a = parseIp(ip);
    if (a === null) return false;
    return this.networks.some((n) => {
      const mask = n.prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - n.prefix)) - 1n);
      return (a & mask) === n.base;
    });
  }

  get size(): number { return this.networks.length; }
}
