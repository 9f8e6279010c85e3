/** Aggregation (median and range over repetitions) and the side-by-side table of the IMAP benchmark. */

export interface Sample {
  server: 'ours' | 'dovecot';
  metric: string;
  /** ms / kb / count: lower is better; ops: higher is better. */
  unit: 'ms' | 'ops' | 'kb' | 'count';
  value: number;
}

export interface Stat { median: number; min: number; max: number; n: number }

export interface SummaryRow {
  metric: string;
  unit: Sample['unit'];
  ours: Stat | null;
  dovecot: Stat | null;
  /** ours / dovecot medians. */
  ratio: number | null;
  /** Ours at least as good as Dovecot (by the medians). */
  goalMet: boolean | null;
}

function stat(v: number[]): Stat {
  const s = [...v].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

export function summarise(samples: Sample[]): SummaryRow[] {
  const order: string[] = [];
  const by = new Map<string, { unit: Sample['unit']; ours: number[]; dovecot: number[] }>();
  for (const s of samples) {
    let e = by.get(s.metric);
    if (!e) { e = { unit: s.unit, ours: [], dovecot: [] }; by.set(s.metric, e); order.push(s.metric); }
    e[s.server].push(s.value);
  }
  return order.map((metric) => {
    const e = by.get(metric)!;
    const ours = e.ours.length ? stat(e.ours) : null;
    const dovecot = e.dovecot.length ? stat(e.dovecot) : null;
    const ratio = ours && dovecot && dovecot.median !== 0 ? ours.median / dovecot.median : null;
    let goalMet: boolean | null = null;
    if (ours && dovecot) goalMet = e.unit === 'ops' ? ours.median >= dovecot.median : ours.median <= dovecot.median;
    return { metric, unit: e.unit, ours, dovecot, ratio, goalMet };
  });
}

function fmt(s: Stat | null, unit: Sample['unit']): string {
  if (!s) return '-';
  const f = (v: number) => (unit === 'count' ? String(Math.round(v)) : v >= 100 ? v.toFixed(0) : v.toFixed(1));
  return s.n > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);
}

export function printTable(rows: SummaryRow[]): void {
  const head = ['metric', 'unit', 'ours', 'dovecot', 'ours/dovecot', 'ours ≥ dovecot'];
  const lines = rows.map((r) => [
    r.metric, r.unit === 'ops' ? 'cmd/s' : r.unit === 'kb' ? 'KiB' : r.unit, fmt(r.ours, r.unit), fmt(r.dovecot, r.unit),
    r.ratio === null ? '-' : r.ratio.toFixed(2), r.goalMet === null ? '-' : r.goalMet ? 'yes' : 'NO',
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (l: string[]) => l.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  process.stdout.write(row(head) + '\n' + w.map((n) => '-'.repeat(n)).join('  ') + '\n');
  for (const l of lines) process.stdout.write(row(l) + '\n');
}
