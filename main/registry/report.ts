import type { ColumnProfile, DataRule, DatasetVersionDetail, ModelVersionInfo, RulesCheck } from '../contracts/api.js';

/*
 * A self-contained HTML model report: summaries only (no raw rows), inline styles and SVG charts, no script and
 * no external resource, so it can be mailed and opened anywhere, offline.
 */

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function number(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v)
    ? Math.abs(v) >= 1e5
      ? v.toExponential(3)
      : Number(v.toPrecision(5)).toString()
    : '–';
}

function table(rows: [string, string][]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${escape(k)}</th><td>${v}</td></tr>`).join('')}</table>`;
}

/** Horizontal bars (importance, SHAP-like values): one row per item, scaled to the largest magnitude. */
function bars(items: { label: string; value: number }[], unit = ''): string {
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
function curve(points: { x: number; y: number }[]): string {
  const size = 260;
  const pad = 24;
  const scale = (v: number): number => pad + v * (size - 2 * pad);
  const path = points.map((p) => `${scale(p.x).toFixed(1)},${scale(1 - p.y).toFixed(1)}`).join(' ');
  return `<svg width="${size}" height="${size}" font-size="10" role="img"><rect x="${pad}" y="${pad}" width="${size - 2 * pad}" height="${size - 2 * pad}" fill="none" stroke="#ccc"/><line x1="${pad}" y1="${size - pad}" x2="${size - pad}" y2="${pad}" stroke="#ddd" stroke-dasharray="4"/><polyline points="${path}" fill="none" stroke="#b4532a" stroke-width="2"/><text x="${size / 2}" y="${size - 6}" text-anchor="middle">false positive rate</text><text x="8" y="${size / 2}" transform="rotate(-90 8 ${size / 2})" text-anchor="middle">true positive rate</text></svg>`;
}

/** Dates as dates, numbers as numbers. */
function valueOf(profile: ColumnProfile, v: number | null): string {
  if (v === null) return '–';
  return profile.type === 'datetime' ? new Date(v).toISOString().slice(0, 10) : number(v);
}

function histogram(profile: ColumnProfile): string {
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

/** `data` is null for a version pulled from a registry: its dataset never came here, only its lineage did. */
export function modelReportHtml(model: ModelVersionInfo, data: DatasetVersionDetail | null): string {
  const r = model.report;
  const importance = (r.importance as { feature: string; gain: number }[] | undefined) ?? [];
  const permutation = (r.permutationImportance as { feature: string; increase: number }[] | undefined) ?? [];
  const coefficients = (r.coefficients as { feature: string; output: string; weight: number }[] | undefined) ?? [];
  const roc = r.rocCurve as { x: number; y: number }[] | undefined;
  const confusion = r.confusionMatrix as number[][] | undefined;
  const classes = (r.classes as string[] | undefined) ?? [];
  const warnings = (r.warnings as { message: string }[] | undefined) ?? [];
  const cv = r.crossValidation as { folds: number; metrics: Record<string, { mean: number; std: number }> } | null | undefined;
  const split = r.split as { train: number; validation: number; test: number; unlabelled: number } | undefined;
  const leaderboard = r.leaderboard as { algorithm: string; cv_metric: number; cv_std: number }[] | null | undefined;
  const sections: string[] = [];
  sections.push(
    `<h2>Model</h2>${table([
      ['name', `${escape(model.model)} v${model.version}`],
      ['learner', escape(model.algorithm)],
      ['task', `${escape(model.task)} of <b>${escape(model.target)}</b>`],
      ['aliases', escape(model.aliases.join(', ') || '–')],
      ['created', escape(model.createdAt)],
      ['ONNX', `<code>${escape(model.onnxDigest)}</code>`],
      ['parameters', `<code>${escape(JSON.stringify(model.params))}</code>`],
    ])}`,
  );
  sections.push(
    `<h2>Metrics</h2><p>On the ${escape(typeof r.evaluatedOn === 'string' ? r.evaluatedOn : 'test')} rows.</p>${table(Object.entries(model.metrics).map(([k, v]) => [k, number(v)]))}` +
      (cv
        ? `<h3>${cv.folds}-fold cross-validation</h3>${table(Object.entries(cv.metrics).map(([k, m]) => [k, `${number(m.mean)} ± ${number(m.std)}`]))}`
        : '') +
      (roc ? `<h3>ROC curve</h3>${curve(roc)}` : '') +
      (confusion
        ? `<h3>Confusion matrix</h3><table class="grid"><tr><th>actual \\ predicted</th>${classes.map((c) => `<th>${escape(c)}</th>`).join('')}</tr>${confusion
            .map((row, i) => `<tr><th>${escape(classes[i] ?? String(i))}</th>${row.map((v) => `<td>${v}</td>`).join('')}</tr>`)
            .join('')}</table>`
        : ''),
  );
  sections.push(
    `<h2>Validation</h2>${table([
      [
        'split (train / validation / test)',
        split ? `${split.train} / ${split.validation} / ${split.test} (${split.unlabelled} rows without a target left out)` : '–',
      ],
      ['ONNX parity with the trained model', `max |Δ| ${number(r.onnxParityMaxAbsDiff)}`],
    ])}${warnings.length > 0 ? `<ul class="warn">${warnings.map((w) => `<li>${escape(w.message)}</li>`).join('')}</ul>` : '<p>No data warnings.</p>'}` +
      (leaderboard && leaderboard.length > 0
        ? `<h3>Search leaderboard</h3>${table(leaderboard.slice(0, 10).map((e, i) => [`${i + 1}. ${e.algorithm}`, `${number(e.cv_metric)} ± ${number(e.cv_std)}`]))}`
        : '') +
      searchSummary(r.search),
  );
  const explanations: string[] = [];
  if (importance.length > 0)
    explanations.push(
      `<h3>Feature importance (split gain)</h3>${bars(importance.slice(0, 20).map((i) => ({ label: i.feature, value: i.gain })))}`,
    );
  if (permutation.length > 0)
    explanations.push(
      `<h3>Permutation importance (validation loss increase)</h3>${bars(permutation.slice(0, 20).map((i) => ({ label: i.feature, value: i.increase })))}`,
    );
  if (coefficients.length > 0)
    explanations.push(
      `<h3>Largest coefficients</h3>${bars(coefficients.slice(0, 20).map((c) => ({ label: `${c.feature} → ${c.output}`, value: c.weight })))}`,
    );
  if (explanations.length > 0) sections.push(`<h2>Explanations</h2>${explanations.join('')}`);
  if (data === null)
    sections.push(
      `<h2>Data</h2><p>Pulled from ${escape(model.origin?.url ?? 'a registry')} (${escape(model.origin?.digest ?? '')}); trained elsewhere on ${escape(model.dataset.name)} v${model.dataset.version}, <code>${escape(model.dataset.contentHash)}</code>.</p>`,
    );
  else
    sections.push(
      `<h2>Data</h2><p>${escape(data.dataset)} v${data.version}: ${data.rows} rows, ${data.quarantined} quarantined, <code>${escape(data.contentHash)}</code>, from ${escape(data.source.fileName)}.</p>${profileTable(data.profile)}`,
    );
  sections.push(
    `<h2>Resources and lineage</h2>${table([
      ['training wall time', `${number((r.durationMs as number) / 1000)} s (fit ${number(r.fitMs ?? Number.NaN)} ms)`],
      ['worker CPU', `${number((r.workerCpuMs as number) / 1000)} s`],
      ...(r.backend === undefined
        ? []
        : [['TensorFlow.js back end', escape((r.backend as { name: string }).name)] as [string, string]]),
      ['peak memory', `${number(r.peakRssMb)} MB`],
      ['model size', `${number(r.modelBytes)} bytes`],
      ['single-row latency (ONNX Runtime)', `${number(r.predictLatencyUs)} µs`],
      [
        'dataset version',
        `${escape(model.dataset.name)} v${model.dataset.version} <code>${escape(model.dataset.contentHash)}</code>`,
      ],
      ['Hearth', escape(typeof r.codeVersion === 'string' ? r.codeVersion : '–')],
    ])}`,
  );
  return page(
    `${model.model} v${model.version} — Hearth model report`,
    `<h1>${escape(model.model)} v${model.version}</h1><p>${escape(model.algorithm)} ${escape(model.task)} model predicting <b>${escape(model.target)}</b>, trained on ${escape(model.dataset.name)} v${model.dataset.version}. Summaries only: this report holds no data rows.</p>${sections.join('')}`,
  );
}

/** The shell every report shares: inline styles, no script, no external resource. */
function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title><style>
body{font:14px system-ui,sans-serif;color:#222;max-width:960px;margin:2em auto;padding:0 1em}h1{margin-bottom:0}h2{border-bottom:1px solid #e6ddd5;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:.25em .6em;border-bottom:1px solid #eee;text-align:left;vertical-align:middle}th{color:#6b5e55;font-weight:600}
.grid td,.grid th{border:1px solid #eee}code{font-size:.85em;word-break:break-all}.warn li,.fail td{color:#a3261b}svg text{fill:#333}
</style></head><body>${body}</body></html>`;
}

function profileTable(profile: readonly ColumnProfile[]): string {
  return `<table class="grid"><tr><th>column</th><th>type</th><th>missing</th><th>distinct</th><th>mean</th><th>min – max</th><th>distribution</th></tr>${profile
    .map(
      (p) =>
        `<tr><td>${escape(p.name)}</td><td>${p.type}</td><td>${p.missing}</td><td>${p.distinct}${p.sampled ? '≈' : ''}</td><td>${valueOf(p, p.mean)}</td><td>${p.min === null ? '–' : `${valueOf(p, p.min)} – ${valueOf(p, p.max)}`}</td><td>${histogram(p)}</td></tr>`,
    )
    .join('')}</table>`;
}

/**
 * A dataset version's data-quality report: the version, each rule that failed (severity, rows, what), the rules in
 * force, and the columns' profiles. Summaries only, like the model report: no data rows, no quarantined content.
 */
export function qualityReportHtml(data: DatasetVersionDetail, check: RulesCheck, rules: readonly DataRule[]): string {
  const failures =
    check.failed.length === 0
      ? `<p>${check.rules === 0 ? 'No rules are set for this dataset.' : `All ${check.rules} rules hold.`}</p>`
      : `<table class="grid"><tr><th>rule</th><th>severity</th><th>rows</th><th>what</th></tr>${check.failed
          .map(
            (f) =>
              `<tr class="${f.severity === 'warn' ? '' : 'fail'}"><td>${escape(f.rule)}</td><td>${f.severity}</td><td>${f.rows}</td><td>${escape(f.detail)}</td></tr>`,
          )
          .join('')}</table>`;
  const inForce =
    rules.length === 0
      ? ''
      : `<h2>Rules in force</h2><table class="grid"><tr><th>rule</th><th>severity</th><th>parameters</th></tr>${rules
          .map((r) => {
            const { kind: _kind, severity, ...parameters } = r;
            const shown = Object.fromEntries(Object.entries(parameters).filter(([k]) => k !== 'column'));
            return `<tr><td>${escape('column' in r ? `${r.column}:${r.kind}` : r.kind)}</td><td>${severity}</td><td><code>${escape(JSON.stringify(shown))}</code></td></tr>`;
          })
          .join('')}</table>`;
  return page(
    `${data.dataset} v${data.version} — Hearth data-quality report`,
    `<h1>${escape(data.dataset)} v${data.version}</h1><p>${data.rows} rows, ${data.quarantined} quarantined, <code>${escape(data.contentHash)}</code>, from ${escape(data.source.fileName)}. Summaries only: this report holds no data rows.</p><h2>${check.passed ? 'Every rule holds' : `${check.failed.length} of ${check.rules} rules fail`}</h2>${failures}${inForce}<h2>Columns</h2>${profileTable(data.profile)}`,
  );
}

/** The ensemble and imbalance decisions of a search, in a sentence each. */
function searchSummary(search: unknown): string {
  const s = search as
    | {
        ensemble?: { members: number; cv_metric: number; best_single: number; kept: boolean } | null;
        imbalance?: {
          compared: { strategy: string; threshold: string; metric: string; cv_metric: number }[];
          chosen: { strategy: string; threshold: string };
        } | null;
      }
    | null
    | undefined;
  const parts: string[] = [];
  if (s?.ensemble)
    parts.push(
      s.ensemble.kept
        ? `<p>Ensemble of ${s.ensemble.members} kept: ${number(s.ensemble.cv_metric)} against the best single ${number(s.ensemble.best_single)} on cross-validation.</p>`
        : `<p>No ensemble beat the best single model (${number(s.ensemble.best_single)}).</p>`,
    );
  if (s?.imbalance)
    parts.push(
      `<h3>Imbalance treatments</h3>${table(s.imbalance.compared.map((c) => [`${escape(c.strategy)}, threshold ${escape(c.threshold)}`, `${escape(c.metric)} ${number(c.cv_metric)}`]))}<p>Kept: ${escape(s.imbalance.chosen.strategy)}, threshold ${escape(s.imbalance.chosen.threshold)}.</p>`,
    );
  return parts.join('');
}
