/**
 * A self-contained HTML report: inline SVG charts (throughput, latency over time, sessions and
 * server memory when sampled), the per-command percentile table and the correctness verdict.
 * No scripts, no external resources: it opens from a file, a CI artifact or an e-mail.
 */
import type { RunResult } from './result.js';
import type { Second } from '../lib/stats.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

interface Series { name: string; points: number[] }

/** A line chart of series over seconds, with axes and a legend. */
export function lineChart(title: string, unit: string, series: Series[], w = 860, h = 240): string {
  const n = Math.max(1, ...series.map((s) => s.points.length));
  const max = Math.max(1e-9, ...series.flatMap((s) => s.points.filter(Number.isFinite)));
  const L = 56, R = 12, T = 24, B = 28;
  const x = (i: number) => L + (n <= 1 ? 0 : (i / (n - 1)) * (w - L - R));
  const y = (v: number) => T + (1 - v / max) * (h - T - B);
  const grid: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    grid.push(`<line x1="${L}" x2="${w - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/><text x="${L - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="10">${fmt(v)}</text>`);
  }
  const ticks = Math.min(10, n);
  for (let k = 0; k < ticks; k++) {
    const i = Math.round((k / Math.max(1, ticks - 1)) * (n - 1));
    grid.push(`<text x="${x(i).toFixed(1)}" y="${h - 10}" text-anchor="middle" font-size="10">${i}s</text>`);
  }
  const lines = series.map((s, si) => {
    const pts = s.points.map((v, i) => `${x(i).toFixed(1)},${y(Number.isFinite(v) ? v : 0).toFixed(1)}`).join(' ');
    return `<polyline fill="none" stroke="${COLORS[si % COLORS.length]}" stroke-width="1.5" points="${pts}"><title>${esc(s.name)}</title></polyline>`;
  });
  const legend = series.map((s, si) => `<tspan fill="${COLORS[si % COLORS.length]}">■ ${esc(s.name)}</tspan>`).join('  ');
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="${esc(title)}">` +
    `<text x="${L}" y="14" font-size="12" font-weight="bold">${esc(title)} (${esc(unit)})</text>${grid.join('')}` +
    `<line x1="${L}" x2="${L}" y1="${T}" y2="${h - B}" stroke="#999"/><line x1="${L}" x2="${w - R}" y1="${h - B}" y2="${h - B}" stroke="#999"/>${lines.join('')}</svg>` +
    `<figcaption style="font-size:12px">${legend}</figcaption></figure>`;
}

function fmt(v: number): string { return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2); }

function busiest(timeline: Second[], k: number): string[] {
  const tot = new Map<string, number>();
  for (const s of timeline) for (const [c, v] of Object.entries(s.cmds)) tot.set(c, (tot.get(c) ?? 0) + v.n);
  return [...tot.entries()].sort((a, b) => b[1] - a[1]).slice(0, k).map(([c]) => c);
}

export function charts(r: RunResult): string {
  const tl = r.timeline;
  const out: string[] = [];
  const top = busiest(tl, 8);
  out.push(lineChart('Throughput', 'operations per second', [
    { name: 'all', points: tl.map((s) => s.ops) },
    { name: 'errors', points: tl.map((s) => s.errors) },
    ...top.map((c) => ({ name: c, points: tl.map((s) => s.cmds[c]?.n ?? 0) })),
  ]));
  out.push(lineChart('Latency over time', 'ms', [
    { name: 'p50 (all)', points: tl.map((s) => s.p50Ms) },
    { name: 'p99 (all)', points: tl.map((s) => s.p99Ms) },
    ...top.map((c) => ({ name: `${c} mean`, points: tl.map((s) => { const v = s.cmds[c]; return v && v.n ? v.sumMs / v.n : 0; }) })),
  ]));
  if (tl.some((s) => s.sessions !== undefined)) out.push(lineChart('Open sessions', 'sessions', [{ name: 'sessions', points: tl.map((s) => s.sessions ?? 0) }]));
  if (tl.some((s) => s.rssKb !== undefined)) out.push(lineChart('Server memory', 'MB RSS', [{ name: 'server RSS', points: tl.map((s) => (s.rssKb ?? 0) / 1024) }]));
  return out.join('\n');
}

function table(r: RunResult): string {
  const rows = Object.entries(r.commands).map(([n, c]) =>
    `<tr><td>${esc(n)}</td><td>${c.count}</td><td>${c.failed}</td><td>${(c.count / Math.max(r.durationS, 0.001)).toFixed(1)}</td>` +
    `<td>${c.p50Ms.toFixed(2)}</td><td>${c.p95Ms.toFixed(2)}</td><td>${c.p99Ms.toFixed(2)}</td><td>${c.p999Ms.toFixed(2)}</td><td>${c.maxMs.toFixed(2)}</td></tr>`);
  return `<table><thead><tr><th>command</th><th>OK</th><th>failed</th><th>per s</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function section(r: RunResult, heading: string): string {
  const verdictCls = r.passed ? 'pass' : 'fail';
  const corr = r.verified
    ? `checked ${r.checkedMessages} messages · lost <b>${r.lost}</b> · duplicated <b>${r.duplicated}</b> · corrupted <b>${r.corrupted}</b> · unexpected ${r.unexpected} · uncertain ${r.uncertain}`
    : 'not verified';
  const list = (title: string, xs: string[]) => xs.length ? `<details><summary>${esc(title)} (${xs.length})</summary><pre>${esc(xs.join('\n'))}</pre></details>` : '';
  return `<h2>${esc(heading)}</h2>
<p class="${verdictCls}">${r.passed ? 'PASS' : `FAIL (exit ${r.exitCode})`}</p>
<p>${r.totals.ops} operations in ${r.durationS.toFixed(1)} s = <b>${r.totals.opsPerSec}/s</b>; connect errors ${r.totals.connectErrors}; protocol errors <b>${r.protocolErrors}</b>; workers ${r.workers}</p>
<p>Correctness: ${corr}</p>
${charts(r)}
${table(r)}
${list('lost ids', r.lostIds)}${list('duplicated ids', r.duplicatedIds)}${list('corrupted ids', r.corruptedIds)}${list('read-back errors', r.readErrors)}${list('error samples', r.errorSamples)}
${Object.keys(r.extra).length ? `<details><summary>profile details</summary><pre>${esc(JSON.stringify(r.extra, null, 2))}</pre></details>` : ''}`;
}

export function renderHtml(r: RunResult): string {
  const body = r.runs
    ? Object.entries(r.runs).map(([k, v]) => section(v, `${k}: ${v.target.host}:${Object.values(v.target.ports).join('/')}`)).join('\n') +
      `<h2>Ratios</h2><pre>${esc(JSON.stringify(r.extra, null, 2))}</pre>`
    : section(r, `${r.profile} against ${r.target.host} ${Object.entries(r.target.ports).map(([k, v]) => `${k}:${v}`).join(' ')} (tls ${r.target.tls})`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>loadtest ${esc(r.profile)} ${esc(r.runId)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:920px;margin:1em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}td:first-child,th:first-child{text-align:left}
.pass{color:#070;font-weight:bold;font-size:20px}.fail{color:#b00;font-weight:bold;font-size:20px}figure{margin:1em 0}pre{font-size:12px;overflow:auto}</style></head>
<body><h1>loadtest: ${esc(r.profile)}</h1>
<p>run <code>${esc(r.runId)}</code> · ${esc(r.startedAt)} → ${esc(r.endedAt)} · options <code>${esc(JSON.stringify(r.options))}</code></p>
${body}
</body></html>
`;
}
