/**
 * Value parsers for the configuration schema. Each returns the typed value or a description of
 * what was expected, so the loader can report `path: expected X, got Y` for every bad value at once.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };
export type Parser<T> = (raw: unknown) => Parsed<T>;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(expected: string): Parsed<T> => ({ ok: false, expected });

/** How a bad value is shown in an error: strings quoted, the rest as YAML would show it. */
export function show(raw: unknown): string {
  if (typeof raw === 'string') return JSON.stringify(raw);
  if (raw === null || raw === undefined) return 'null';
  if (Array.isArray(raw)) return 'a list';
  if (typeof raw === 'object') return 'a mapping';
  return String(raw);
}

export function integer(min: number, max: number): Parser<number> {
  return (raw) => {
    const n = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max) return ok(n);
    return bad(`integer ${min}..${max}`);
  };
}

/** A TCP port; null or false disables the listener, 0 asks the OS for an ephemeral port (tests). */
export const port: Parser<number | null> = (raw) => {
  if (raw === null || raw === false) return ok(null);
  const r = integer(0, 65535)(raw);
  return r.ok ? r : bad('integer 0..65535, or null/false to disable');
};

export const boolean: Parser<boolean> = (raw) => {
  if (typeof raw === 'boolean') return ok(raw);
  if (typeof raw === 'string') {
    const s = raw.trim().toLowerCase();
    if (['true', 'yes', 'on', '1'].includes(s)) return ok(true);
    if (['false', 'no', 'off', '0'].includes(s)) return ok(false);
  }
  return bad('boolean (true/false)');
};

export function string(opts: { nonEmpty?: boolean; pattern?: RegExp; what?: string } = {}): Parser<string> {
  return (raw) => {
    const s = typeof raw === 'number' ? String(raw) : raw;
    if (typeof s !== 'string') return bad(opts.what ?? 'string');
    if (opts.nonEmpty && s.length === 0) return bad(opts.what ?? 'non-empty string');
    if (opts.pattern && !opts.pattern.test(s)) return bad(opts.what ?? `string matching ${opts.pattern}`);
    return ok(s);
  };
}

export function nullable<T>(p: Parser<T>): Parser<T | null> {
  return (raw) => {
    if (raw === null) return ok(null);
    const r = p(raw);
    return r.ok ? r : bad(`${r.expected}, or null`);
  };
}

export function oneOf<T extends string>(values: readonly T[]): Parser<T> {
  return (raw) =>
    typeof raw === 'string' && (values as readonly string[]).includes(raw) ? ok(raw as T) : bad(`one of ${values.join(', ')}`);
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/** Octets: an integer, or a number with a binary unit ("64M", "1 GB"; K/M/G = 1024-based, as in Dovecot). */
export function size(min: number, max: number): Parser<number> {
  return (raw) => {
    let n: number | undefined;
    if (typeof raw === 'number' && Number.isInteger(raw)) n = raw;
    else if (typeof raw === 'string') {
      const m = /^\s*(\d+)\s*([a-zA-Z]*)\s*$/.exec(raw);
      const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
      if (m && unit !== undefined) n = Number(m[1]) * unit;
    }
    if (n !== undefined && n >= min && n <= max) return ok(n);
    return bad(`size in octets ${min}..${max} (integer, or with unit K/M/G)`);
  };
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, '': 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** Milliseconds: an integer number of seconds, or a number with unit ms/s/m/min/h ("30m", "90s"). */
export function duration(minMs: number, maxMs: number): Parser<number> {
  return (raw) => {
    let n: number | undefined;
    if (typeof raw === 'number' && Number.isInteger(raw)) n = raw * 1000;
    else if (typeof raw === 'string') {
      const m = /^\s*(\d+)\s*([a-z]*)\s*$/.exec(raw);
      const unit = m ? DURATION_UNITS[m[2]!] : undefined;
      if (m && unit !== undefined) n = Number(m[1]) * unit;
    }
    if (n !== undefined && n >= minMs && n <= maxMs) return ok(n);
    return bad(`duration ${fmtMs(minMs)}..${fmtMs(maxMs)} (seconds, or with unit ms/s/m/h)`);
  };
}

function fmtMs(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
