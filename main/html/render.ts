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
      return `<text x="${labelWidth - 6}" y="${y + 13}" text-anchor="end"><title>${escape(item.label)}</title>${escape(item.label.length > 32 ? `${item.label.slice(0, 31)}…` : item.label)}</text><rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${item.value >= 0 ? '#b4532a' : '#2a6bb4'}"/><text x="${(labelWidth + w + 4).toFixed(1)}" y="${y + 13}">${number(item.value)}${unit}</text>`;
    })
    .join('');
  return `<svg width="${width}" height="${items.length * rowHeight + 4}" font-size="11" role="img">${body}</svg>`;
}

/** Colours of the curves, one per class (cycled past eight). */
const palette = ['#b4532a', '#2a6bb4', '#6b8e23', '#8e44ad', '#c0392b', '#16a085', '#d4a017', '#555'];

/**
 * Curves in the unit square (ROC, precision–recall, reliability): one polyline per series with the diagonal for
 * reference, named in a legend when there are several.
 */
export function curve(
  points: { x: number; y: number }[] | { name: string; points: { x: number; y: number }[] }[],
  axes: { x: string; y: string; diagonal?: boolean } = { x: 'false positive rate', y: 'true positive rate' },
): string {
  const series =
    points.length > 0 && 'points' in points[0]!
      ? (points as { name: string; points: { x: number; y: number }[] }[])
      : [{ name: '', points: points as { x: number; y: number }[] }];
  const size = 260;
  const pad = 24;
  const scale = (v: number): number => pad + v * (size - 2 * pad);
  const lines = series
    .map((s, i) => {
      const path = s.points.map((p) => `${scale(p.x).toFixed(1)},${scale(1 - p.y).toFixed(1)}`).join(' ');
      return `<polyline points="${path}" fill="none" stroke="${palette[i % palette.length]}" stroke-width="2"><title>${escape(s.name)}</title></polyline>`;
    })
    .join('');
  const legend =
    series.length > 1
      ? series
          .map(
            (s, i) =>
              `<text x="${size + 8}" y="${pad + 14 * i + 10}" fill="${palette[i % palette.length]}">${escape(s.name.slice(0, 24))}</text>`,
          )
          .join('')
      : '';
  const diagonal =
    axes.diagonal === false
      ? ''
      : `<line x1="${pad}" y1="${size - pad}" x2="${size - pad}" y2="${pad}" stroke="#ddd" stroke-dasharray="4"/>`;
  return `<svg width="${series.length > 1 ? size + 180 : size}" height="${size}" font-size="10" role="img"><rect x="${pad}" y="${pad}" width="${size - 2 * pad}" height="${size - 2 * pad}" fill="none" stroke="#ccc"/>${diagonal}${lines}${legend}<text x="${size / 2}" y="${size - 6}" text-anchor="middle">${escape(axes.x)}</text><text x="8" y="${size / 2}" transform="rotate(-90 8 ${size / 2})" text-anchor="middle">${escape(axes.y)}</text></svg>`;
}

/** A scatter of (x, y) on its own scales (residuals, predicted against actual), with a reference line y = ref(x). */
export function scatter(
  points: { x: number; y: number }[],
  axes: { x: string; y: string },
  reference: 'identity' | 'zero',
): string {
  const w = 420;
  const h = 260;
  const pad = 36;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (reference === 'identity') [y0, y1] = [Math.min(x0, y0), Math.max(x1, y1)];
  if (reference === 'zero') [y0, y1] = [Math.min(0, y0), Math.max(0, y1)];
  const sx = (v: number): number => pad + ((v - x0) / Math.max(1e-12, x1 - x0)) * (w - 2 * pad);
  const sy = (v: number): number => h - pad - ((v - y0) / Math.max(1e-12, y1 - y0)) * (h - 2 * pad);
  const dots = points
    .map((p) => `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="1.6" fill="#2a6bb4" fill-opacity="0.5"/>`)
    .join('');
  const line =
    reference === 'identity'
      ? `<line x1="${sx(x0).toFixed(1)}" y1="${sy(x0).toFixed(1)}" x2="${sx(x1).toFixed(1)}" y2="${sy(x1).toFixed(1)}" stroke="#b4532a" stroke-dasharray="4"/>`
      : `<line x1="${pad}" y1="${sy(0).toFixed(1)}" x2="${w - pad}" y2="${sy(0).toFixed(1)}" stroke="#b4532a" stroke-dasharray="4"/>`;
  return `<svg width="${w}" height="${h}" font-size="10" role="img"><rect x="${pad}" y="${pad}" width="${w - 2 * pad}" height="${h - 2 * pad}" fill="none" stroke="#ccc"/>${line}${dots}<text x="${pad}" y="${h - pad + 12}">${number(x0)}</text><text x="${w - pad}" y="${h - pad + 12}" text-anchor="end">${number(x1)}</text><text x="${pad - 4}" y="${h - pad}" text-anchor="end">${number(y0)}</text><text x="${pad - 4}" y="${pad + 8}" text-anchor="end">${number(y1)}</text><text x="${w / 2}" y="${h - 6}" text-anchor="middle">${escape(axes.x)}</text><text x="10" y="${h / 2}" transform="rotate(-90 10 ${h / 2})" text-anchor="middle">${escape(axes.y)}</text></svg>`;
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
