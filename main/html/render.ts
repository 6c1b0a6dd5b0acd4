import type { ColumnProfile } from '../contracts/api.js';

/*
 * The pieces every Hearth HTML report is built from: escaping, numbers, tables, SVG charts and the page shell.
 * Pure string rendering: summaries only, inline styles, no script and no external resource.
 */

export function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function number(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v)
    ? Math.abs(v) >= 1e5
      ? v.toExponential(3)
      : Number(v.toPrecision(5)).toString()
    : '–';
}

export function table(rows: [string, string][]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${escape(k)}</th><td>${v}</td></tr>`).join('')}</table>`;
}

/** Horizontal bars (importance, SHAP-like values): one row per item, scaled to the largest magnitude. */
export function bars(items: { label: string; value: number }[], unit = ''): string {
  const max = Math.max(1e-12, ...items.map((i) => Math.abs(i.value)));
  const rowHeight = 18;
  const width = 520;
  const labelWidth = 200;
  const body = items
    .map((item, i) => {
      const w = ((width - labelWidth - 70) * Math.abs(item.value)) / max;
      const y = i * rowHeight;
      return `<text x="${labelWidth - 6}" y="${y + 13}" text-anchor="end">${escape(item.label.slice(0, 32))}</text><rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${item.value >= 0 ? '#b4532a' : '#2a6bb4'}"/><text x="${(labelWidth + w + 4).toFixed(1)}" y="${y + 13}">${number(item.value)}${unit}</text>`;
    })
    .join('');
  return `<svg width="${width}" height="${items.length * rowHeight + 4}" font-size="11" role="img">${body}</svg>`;
}

/** A curve in the unit square (ROC): polyline with the diagonal for reference. */
export function curve(points: { x: number; y: number }[]): string {
  const size = 260;
  const pad = 24;
  const scale = (v: number): number => pad + v * (size - 2 * pad);
  const path = points.map((p) => `${scale(p.x).toFixed(1)},${scale(1 - p.y).toFixed(1)}`).join(' ');
  return `<svg width="${size}" height="${size}" font-size="10" role="img"><rect x="${pad}" y="${pad}" width="${size - 2 * pad}" height="${size - 2 * pad}" fill="none" stroke="#ccc"/><line x1="${pad}" y1="${size - pad}" x2="${size - pad}" y2="${pad}" stroke="#ddd" stroke-dasharray="4"/><polyline points="${path}" fill="none" stroke="#b4532a" stroke-width="2"/><text x="${size / 2}" y="${size - 6}" text-anchor="middle">false positive rate</text><text x="8" y="${size / 2}" transform="rotate(-90 8 ${size / 2})" text-anchor="middle">true positive rate</text></svg>`;
}

/** Dates as dates, numbers as numbers. */
export function valueOf(profile: ColumnProfile, v: number | null): string {
  if (v === null) return '–';
  return profile.type === 'datetime' ? new Date(v).toISOString().slice(0, 10) : number(v);
}

export function histogram(profile: ColumnProfile): string {
  const max = Math.max(1, ...profile.histogram.map((b) => b.count));
  const w = 160;
  const h = 36;
  const barWidth = w / Math.max(1, profile.histogram.length);
  return `<svg width="${w}" height="${h}" role="img">${profile.histogram
    .map((b, i) => {
      const bh = (h * b.count) / max;
      return `<rect x="${(i * barWidth).toFixed(1)}" y="${(h - bh).toFixed(1)}" width="${Math.max(1, barWidth - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="#c98b6b"><title>${escape(b.label)}: ${b.count}</title></rect>`;
    })
    .join('')}</svg>`;
}

/** The shell every report shares: inline styles, no script, no external resource. */
export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title><style>
body{font:14px system-ui,sans-serif;color:#222;max-width:960px;margin:2em auto;padding:0 1em}h1{margin-bottom:0}h2{border-bottom:1px solid #e6ddd5;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:.25em .6em;border-bottom:1px solid #eee;text-align:left;vertical-align:middle}th{color:#6b5e55;font-weight:600}
.grid td,.grid th{border:1px solid #eee}code{font-size:.85em;word-break:break-all}.warn li,.fail td{color:#a3261b}svg text{fill:#333}
</style></head><body>${body}</body></html>`;
}

export function profileTable(profile: readonly ColumnProfile[]): string {
  return `<table class="grid"><tr><th>column</th><th>type</th><th>missing</th><th>distinct</th><th>mean</th><th>min – max</th><th>distribution</th></tr>${profile
    .map(
      (p) =>
        `<tr><td>${escape(p.name)}</td><td>${p.type}</td><td>${p.missing}</td><td>${p.distinct}${p.sampled ? '≈' : ''}</td><td>${valueOf(p, p.mean)}</td><td>${p.min === null ? '–' : `${valueOf(p, p.min)} – ${valueOf(p, p.max)}`}</td><td>${histogram(p)}</td></tr>`,
    )
    .join('')}</table>`;
}
