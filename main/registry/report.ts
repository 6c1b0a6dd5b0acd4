import type { BaselineComparison, CostEstimate, DatasetVersionDetail, ModelVersionInfo } from '../contracts/api.js';
import { bars, escape, number, page, profileTable, table } from '../html/render.js';
import { evaluationCharts } from './report-charts.js';

/*
 * A self-contained HTML model report: summaries only (no raw rows), inline styles and SVG charts, no script and
 * no external resource, so it can be mailed and opened anywhere, offline.
 */

/** `data` is null for a version pulled from a registry: its dataset never came here, only its lineage did. */
export function modelReportHtml(model: ModelVersionInfo, data: DatasetVersionDetail | null): string {
  const r = model.report;
  const importance = (r.importance as { feature: string; gain: number }[] | undefined) ?? [];
  const permutation = (r.permutationImportance as { feature: string; increase: number }[] | undefined) ?? [];
  const coefficients = (r.coefficients as { feature: string; output: string; weight: number }[] | undefined) ?? [];
  const confusion = r.confusionMatrix as number[][] | undefined;
  const classes = (r.classes as string[] | undefined) ?? [];
  const warnings = (r.warnings as { message: string }[] | undefined) ?? [];
  const cv = r.crossValidation as { folds: number; metrics: Record<string, { mean: number; std: number }> } | null | undefined;
  const split = r.split as { train: number; validation: number; test: number; unlabelled: number } | undefined;
  const baseline = r.baseline as BaselineComparison | undefined;
  const leaderboard = r.leaderboard as
    | { algorithm: string; cvMetric: number; cvStd: number; modelBytes?: number; latencyUs?: number; overLimit?: string[] }[]
    | null
    | undefined;
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
    `<h2>Metrics</h2><p>On the ${escape(typeof r.evaluatedOn === 'string' ? r.evaluatedOn : 'test')} rows${baseline ? `, beside ${baseline.kind === 'majority' ? `always answering “${escape(String(baseline.answer))}”` : 'the training mean'} (what knowing nothing scores)` : ''}.</p>${table(
      Object.entries(model.metrics).map(([k, v]) =>
        baseline
          ? [k, `${number(v)} <span class="muted">(baseline ${number(baseline.metrics[k] ?? Number.NaN)})</span>`]
          : [k, number(v)],
      ),
    )}` +
      (baseline
        ? `<p class="${baseline.beaten ? 'muted' : 'warn'}">${baseline.beaten ? 'Clearly beats' : 'Does not clearly beat'} the baseline: ${escape(
            baseline.tests
              .map(
                (t) =>
                  `${t.metric} ${t.improvement >= 0 ? '+' : ''}${t.improvement.toPrecision(2)} a row, p = ${t.p.toPrecision(2)}`,
              )
              .join('; '),
          )} (paired one-sided tests on ${baseline.rows} rows, p &lt; ${baseline.alpha}).</p>`
        : '') +
      (cv
        ? `<h3>${cv.folds}-fold cross-validation</h3>${table(Object.entries(cv.metrics).map(([k, m]) => [k, `${number(m.mean)} ± ${number(m.std)}`]))}`
        : '') +
      evaluationCharts(r) +
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
        ? `<h3>Search leaderboard</h3>${table(
            leaderboard
              .slice(0, 10)
              .map((e, i) => [
                `${i + 1}. ${e.algorithm}`,
                `${number(e.cvMetric)} ± ${number(e.cvStd)}; ` +
                  `${e.modelBytes === undefined ? '—' : (e.modelBytes / 1024).toFixed(1)} KB, ` +
                  `${e.latencyUs === undefined ? '—' : e.latencyUs.toFixed(1)} µs a row` +
                  ((e.overLimit?.length ?? 0) > 0 ? ` <strong>over limit (${escape(e.overLimit!.join(', '))})</strong>` : ''),
              ]),
          )}`
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
  sections.push(costSection(model.cost));
  return page(
    `${model.model} v${model.version} — Hearth model report`,
    `<h1>${escape(model.model)} v${model.version}</h1><p>${escape(model.algorithm)} ${escape(model.task)} model predicting <b>${escape(model.target)}</b>, trained on ${escape(model.dataset.name)} v${model.dataset.version}. Summaries only: this report holds no data rows.</p>${sections.join('')}`,
  );
}

/** The ensemble, imbalance and calibration decisions of a search, in a sentence or a table each. */
function searchSummary(search: unknown): string {
  const s = search as
    | {
        ensemble?: { members: number; cvMetric: number; bestSingle: number; kept: boolean } | null;
        imbalance?: {
          compared: { strategy: string; threshold: string; metric: string; cvMetric: number }[];
          chosen: { strategy: string; threshold: string };
        } | null;
        calibration?: {
          method: string;
          compared: { method: string; cv_log_loss: number; cv_brier: number; cv_ece: number }[];
        } | null;
      }
    | null
    | undefined;
  const parts: string[] = [];
  if (s?.ensemble)
    parts.push(
      s.ensemble.kept
        ? `<p>Ensemble of ${s.ensemble.members} kept: ${number(s.ensemble.cvMetric)} against the best single ${number(s.ensemble.bestSingle)} on cross-validation.</p>`
        : `<p>No ensemble beat the best single model (${number(s.ensemble.bestSingle)}).</p>`,
    );
  if (s?.imbalance)
    parts.push(
      `<h3>Imbalance treatments</h3>${table(s.imbalance.compared.map((c) => [`${escape(c.strategy)}, threshold ${escape(c.threshold)}`, `${escape(c.metric)} ${number(c.cvMetric)}`]))}<p>Kept: ${escape(s.imbalance.chosen.strategy)}, threshold ${escape(s.imbalance.chosen.threshold)}.</p>`,
    );
  if (s?.calibration && s.calibration.compared.length > 0)
    parts.push(
      `<h3>Probability calibration (on out-of-fold predictions)</h3>${table(s.calibration.compared.map((c) => [escape(c.method), `log loss ${number(c.cv_log_loss)}, Brier ${number(c.cv_brier)}, ECE ${number(c.cv_ece)}`]))}<p>Applied: ${escape(s.calibration.method)}.</p>`,
    );
  return parts.join('');
}

/** What training cost and what predictions cost on the box that trained it, in CPU-hours (and money when priced). */
function costSection(cost: CostEstimate | null): string {
  if (cost === null)
    return '<h2>Cost</h2><p>Not measured for this version (registered before Hearth measured cost, or imported).</p>';
  const price = cost.price;
  const money = (v: number | null): string =>
    price === null || v === null ? '' : ` (${number(v)}${price.currency === '' ? '' : ` ${escape(price.currency)}`})`;
  const t = cost.training;
  const rows: [string, string][] = [
    [
      'training CPU (all threads of the process, user + system)',
      `${number(t.cpuSeconds)} CPU-s = ${number(t.cpuHours)} CPU-h${money(price?.training ?? null)}`,
    ],
    ['of which the main thread', t.mainThreadCpuSeconds === null ? '–' : `${number(t.mainThreadCpuSeconds)} s`],
    ['training wall time', `${number(t.wallSeconds)} s on ${t.cores} cores`],
    ['wall time per phase', escape(t.phases.map((p) => `${p.phase} ${number(p.seconds)} s`).join(', '))],
    ['peak memory (RSS)', `${number(cost.peakRssMb)} MB`],
    ['model size on disk (ONNX)', `${number(cost.modelBytes)} bytes`],
  ];
  if (cost.latency !== null)
    rows.push([
      'single-row latency',
      `p50 ${number(cost.latency.p50Us)} µs, p99 ${number(cost.latency.p99Us)} µs (${cost.latency.samples} calls)`,
    ]);
  if (cost.batch !== null)
    rows.push([
      'batch throughput',
      `${number(cost.batch.rowsPerSecond)} rows/s (${cost.batch.rows} rows in ${number(cost.batch.wallMs)} ms)`,
    ]);
  rows.push(
    [
      'per million predictions, one row per call',
      `${number(cost.perMillion.singleRowCpuHours)} CPU-h${money(price?.perMillionSingleRow ?? null)}`,
    ],
    [
      'per million predictions, in batches',
      `${number(cost.perMillion.batchCpuHours)} CPU-h${money(price?.perMillionBatch ?? null)}`,
    ],
  );
  const rate =
    price === null
      ? 'No price per core-hour is set (setting cost.perCoreHour): CPU-hours only.'
      : `Priced at ${number(price.perCoreHour)}${price.currency === '' ? '' : ` ${escape(price.currency)}`} per core-hour.`;
  return `<h2>Cost</h2>${table(rows)}<p>Measured on the box that trained it. ${rate}</p>`;
}
