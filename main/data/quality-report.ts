import type { DataRule, DatasetVersionDetail, RulesCheck } from '../contracts/api.js';
import { escape, page, profileTable } from '../html/render.js';

/**
 * A dataset version's data-quality report: the version, each rule that failed (severity, rows, what), the rules in
 * force, the cells read as missing because they did not parse, and the columns' profiles. Summaries only, like the
 * model report: no data rows, no quarantined content; an unparsable cell is quoted (cut to 200 characters), since
 * finding the typo is the point, and withheld where a PII policy covers its column.
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
  const unparsable = data.source.unparsable;
  const cells =
    unparsable === undefined
      ? ''
      : `<h2>Unparsable cells</h2><p>${unparsable.total} cells did not parse as their column's type and were read as missing${unparsable.total > unparsable.cells.length ? ` (the first ${unparsable.cells.length} listed)` : ''}.</p><table class="grid"><tr><th>line</th><th>column</th><th>as written</th></tr>${unparsable.cells
          .map((c) => `<tr><td>${c.line}</td><td>${escape(c.column)}</td><td><code>${escape(c.text)}</code></td></tr>`)
          .join('')}</table>`;
  return page(
    `${data.dataset} v${data.version} — Hearth data-quality report`,
    `<h1>${escape(data.dataset)} v${data.version}</h1><p>${data.rows} rows, ${data.quarantined} quarantined, <code>${escape(data.contentHash)}</code>, from ${escape(data.source.fileName)}. Summaries only: this report holds no data rows.</p><h2>${check.passed ? 'Every rule holds' : `${check.failed.length} of ${check.rules} rules fail`}</h2>${failures}${inForce}${cells}<h2>Columns</h2>${profileTable(data.profile)}`,
  );
}
