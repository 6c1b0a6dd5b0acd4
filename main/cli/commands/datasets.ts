import { piiPolicies, piiTypes, type PiiPolicy, type PiiType } from '../../contracts/pii.js';
import type { ApiResults } from '../../contracts/api.js';
import { parseRef } from '../../serving/batch.js';
import { writeParquet } from '../../data/parquet.js';
import { describeSource } from '../../data/sql-source.js';
import { type Output } from '../output.js';
import { type Command, UsageError, optional, required } from '../command.js';
import { flagFor } from '../flags.js';
import { checkOutFile, writeOutFile, writeOutFileBy } from '../out-file.js';

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'read a file or a SQL query as the next version of a dataset; or scan a file for personal data',
  usage: `  ingest FILE --dataset NAME [--format csv|json|ndjson|parquet] [--append] [--force] [--pii apply | --pii-policy COL=POLICY[:TYPE],…]
                                      read a CSV file as the next version of a dataset; PII policies (keep, drop,
                                      mask, hash, generalise) apply before anything is written, and to later versions;
                                      added, dropped, widened columns and new levels are reported, a narrowed type
                                      is refused unless --force; a few unparsable cells in a numeric or date column
                                      (5, or 0.1%) are read as missing and listed by line; the same bytes as the
                                      latest version answer "unchanged" and make no version unless --force;
                                      --delimiter ';' (or '|', a tab) when not a comma
  ingest --from postgres://USER@HOST/DB | sqlite:///PATH --query 'SELECT …' --dataset NAME [--append] [--force]
                                      a SQL query's rows as the next version (read in a read-only transaction)
  ingest FILE --pii suggest           scan a file for personal data and suggest a policy per column; stores nothing`,
  run: async ({ rest, flags, out, open }) => {
    if (rest.length !== 1 && flags.from === undefined) throw new UsageError('ingest takes one FILE, or --from URL --query SQL');
    const { client } = open();
    if (flags.from !== undefined) {
      const name = required(flags, 'dataset');
      const result = await client.call('datasets.ingest-query', {
        name,
        from: flags.from,
        query: required(flags, 'query'),
        ...(flags.append === true ? { append: true } : {}),
        ...(flags.force === true ? { force: true } : {}),
      });
      printIngest(out, result, ` from ${describeSource(flags.from)}`);
      return 0;
    }
    const file = rest[0]!;
    if (flags.pii === 'suggest') {
      const scan = await client.call('datasets.pii-scan', {
        path: file,
        ...optional('format', flagFor(flags, 'format', 'datasets.pii-scan', 'format')),
      });
      out.result(scan, () =>
        scan.detections.length === 0
          ? `No personal data found in ${scan.rows} rows.`
          : [
              `Personal data in ${file} (${scan.rows} rows):`,
              ...scan.detections.map(
                (d) =>
                  `  ${d.column}: ${d.type} (confidence ${d.confidence.toFixed(2)}, ${d.matched}/${d.sampled} sampled values) → suggested: ${d.suggested}`,
              ),
              `Ingest with these policies: hearth ingest ${file} --dataset NAME --pii apply`,
              `or choose: --pii-policy ${scan.detections.map((d) => `${d.column}=${d.suggested}`).join(',')}`,
            ].join('\n'),
      );
      return 0;
    }
    const name = required(flags, 'dataset');
    if (flags.pii !== undefined && flags.pii !== 'apply') throw new UsageError('--pii takes suggest or apply');
    const pii = flags.pii === 'apply' ? ('suggested' as const) : parsePolicies(flags['pii-policy']);
    const bar = out.progress('reading', 100);
    const unsubscribe = client.on((event) => {
      if (event.name === 'datasets.ingest-progress' && event.data.dataset === name) {
        bar.update(
          Math.round((100 * event.data.bytesRead) / Math.max(1, event.data.totalBytes)),
          `${(event.data.bytesRead / 1e6).toFixed(0)} MB`,
        );
      }
    });
    let result: ApiResults['datasets.ingest'];
    try {
      result = await client.call('datasets.ingest', {
        name,
        path: file,
        ...optional('delimiter', flagFor(flags, 'delimiter', 'datasets.ingest', 'delimiter')),
        ...(pii === undefined ? {} : { pii }),
        ...optional('format', flagFor(flags, 'format', 'datasets.ingest', 'format')),
        ...(flags.append === true ? { append: true } : {}),
        ...(flags.force === true ? { force: true } : {}),
      });
    } finally {
      unsubscribe();
      bar.stop();
    }
    printIngest(out, result);
    return 0;
  },
};

export const datasetsCommand: Command = {
  name: 'datasets',
  summary: 'list datasets; show, diff, export a version; PII policies; k-anonymity',
  usage: `  datasets list | show NAME[@V] | diff NAME@A NAME@B | pii NAME | k-anonymity NAME[@V] --columns A,B [--k 5]
         | export NAME[@V] --out FILE.parquet|FILE.csv [--format parquet|csv] [--force]
                                      list datasets, show a version's schema and profile, its PII policies, or the
                                      smallest group sharing the quasi-identifiers' values (exit 1 below k)`,
  run: async ({ rest, flags, out, open }) => {
    const { engine, client } = open();
    const [sub, ref] = rest;
    if (sub === 'list') {
      const list = await client.call('datasets.list', {});
      out.result(list, () =>
        list.length === 0
          ? 'No datasets.'
          : list.map((d) => `${d.name}  v${d.latestVersion}  ${d.rows} rows  ${d.columns} columns`).join('\n'),
      );
      return 0;
    }
    if (sub === 'show' && ref !== undefined) {
      const { name, version } = parseRef(ref);
      const detail = await client.call('datasets.version', { name, ...(version === undefined ? {} : { version }) });
      const quarantine = await client.call('datasets.quarantine', { name, version: detail.version, limit: 20 });
      out.result({ ...detail, quarantine }, () =>
        [
          `${detail.dataset} v${detail.version}: ${detail.rows} rows, ${detail.quarantined} quarantined, ${detail.contentHash}`,
          ...detail.profile.map(
            (p) =>
              `  ${p.name} (${p.type}): ${p.missing} missing, ${p.distinct} distinct` +
              (p.dates !== undefined && p.dates !== null
                ? `, ${p.dates.min} to ${p.dates.max}`
                : p.mean === null
                  ? ''
                  : `, mean ${p.mean.toPrecision(5)}`),
          ),
          ...quarantine.rows.map((q) => `  quarantined line ${q.line}: ${q.reason}`),
          ...(detail.source.unparsable === undefined ? [] : [formatUnparsable(detail.source.unparsable).slice(1)]),
        ].join('\n'),
      );
      return 0;
    }
    if (sub === 'export' && ref !== undefined) {
      // A version written out for another tool: Parquet (by --format or the --out extension) or CSV.
      const { name, version } = parseRef(ref);
      const target = required(flags, 'out');
      const format = flags.format ?? (/\.(parquet|pq)$/i.test(target) ? 'parquet' : 'csv');
      if (format !== 'parquet' && format !== 'csv') throw new UsageError('datasets export writes parquet or csv');
      // An existing file is replaced only with --force, a link never written through; refused before any reading.
      const force = flags.force === true;
      checkOutFile(target, force);
      let written: { version: number; rows: number; bytes: number };
      if (format === 'parquet') {
        // Host-only (main/cli/host-only.ts): Parquet is written from the stored frame, on this machine's disk.
        const { frame, info } = engine.datasets.loadFrame(name, version);
        written = {
          version: info.version,
          rows: frame.rowCount,
          bytes: writeOutFileBy(target, force, (path) => writeParquet(frame, path)),
        };
      } else {
        const exported = await client.call('datasets.export', { name, ...(version === undefined ? {} : { version }) });
        writeOutFile(target, exported.csv, force);
        written = { version: exported.version, rows: exported.rows, bytes: Buffer.byteLength(exported.csv) };
      }
      out.result(
        { dataset: name, version: written.version, rows: written.rows, format, out: target, bytes: written.bytes },
        () => `Wrote ${name} v${written.version} (${written.rows} rows) to ${target} as ${format}`,
      );
      return 0;
    }
    if (sub === 'diff' && ref !== undefined && rest[2] !== undefined) {
      const a = parseRef(ref);
      const b = parseRef(rest[2]);
      if (a.version === undefined || b.version === undefined || a.name !== b.name)
        throw new UsageError('datasets diff NAME@A NAME@B (two versions of one dataset)');
      const diff = await client.call('datasets.diff', { name: a.name, from: a.version, to: b.version });
      out.result(diff, () =>
        [
          `${diff.dataset} v${diff.from} → v${diff.to}: ${diff.rows.from} → ${diff.rows.to} rows (${diff.rows.added} added, ${diff.rows.removed} removed)`,
          ...diff.schema.added.map((c) => `  + ${c.column} (${c.type})`),
          ...diff.schema.dropped.map((c) => `  - ${c.column} (${c.type})`),
          ...diff.schema.retyped.map((c) => `  ~ ${c.column}: ${c.from} → ${c.to}`),
          ...diff.distributions
            .filter((d) => d.changed)
            .map((d) => `  distribution of ${d.column} changed (${d.test} ${d.statistic.toPrecision(3)})`),
        ].join('\n'),
      );
      return 0;
    }
    if (sub === 'pii' && ref !== undefined) {
      const policies = await client.call('datasets.pii-policies', { name: ref });
      out.result(policies, () =>
        Object.keys(policies).length === 0
          ? `${ref}: no PII policies`
          : Object.entries(policies)
              .map(([column, p]) => `${column}: ${p.policy}${p.type === null ? '' : ` (${p.type})`}`)
              .join('\n'),
      );
      return 0;
    }
    if (sub === 'k-anonymity' && ref !== undefined) {
      const { name, version } = parseRef(ref);
      const columns = required(flags, 'columns')
        .split(',')
        .map((c) => c.trim());
      const report = await client.call('datasets.k-anonymity', {
        name,
        columns,
        ...(version === undefined ? {} : { version }),
        ...optional('k', flagFor(flags, 'k', 'datasets.k-anonymity', 'k')),
      });
      out.result(report, () =>
        [
          `${report.dataset} v${report.version} over ${report.columns.join(', ')}: k = ${report.k} (${report.groups} groups)`,
          report.groupsBelowK === 0
            ? `  every group has at least ${report.required} rows`
            : `  ${report.groupsBelowK} groups (${report.rowsBelowK} rows) have fewer than ${report.required} rows; smallest:`,
          ...(report.groupsBelowK === 0
            ? []
            : report.smallest.map((g) => `    ${g.values.map((v) => v ?? '∅').join(' | ')}: ${g.rows}`)),
        ].join('\n'),
      );
      return report.groupsBelowK === 0 ? 0 : 1;
    }
    throw new UsageError(
      'datasets takes list, show NAME[@VERSION], diff NAME@A NAME@B, pii NAME or k-anonymity NAME[@V] --columns A,B [--k N]',
    );
  },
};

/**
 * A new version's report, for a file or a query alike: counts, columns, schema changes, the cells read as missing
 * and the rules that failed; or that the file was unchanged (no version made).
 */
function printIngest(out: Output, result: ApiResults['datasets.ingest'], from = ''): void {
  out.result(
    {
      dataset: result.dataset,
      version: result.version,
      unchanged: result.unchanged === true,
      rows: result.rows,
      quarantined: result.quarantined,
      columns: result.columns,
      contentHash: result.contentHash,
      unparsable: result.unparsable ?? null,
      rulesFailed: result.rulesFailed ?? [],
      schemaChanges: result.schemaChanges ?? null,
    },
    () =>
      result.unchanged === true
        ? `unchanged: ${result.dataset} v${result.version} (the same bytes and options; --force makes a new version)`
        : `Ingested ${result.rows} rows into ${result.dataset} v${result.version}${from}` +
          (result.quarantined > 0
            ? ` (${result.quarantined} quarantined: see \`hearth datasets show ${result.dataset}@${result.version}\`)`
            : '') +
          `\n${result.columns.map((c) => `  ${c.name}: ${c.type}`).join('\n')}` +
          formatUnparsable(result.unparsable) +
          formatSchemaChanges(result.schemaChanges) +
          (result.rulesFailed === undefined || result.rulesFailed.length === 0
            ? ''
            : `\nRules that did not hold:\n${result.rulesFailed.map((f) => `  ${f.rule} [${f.severity}]: ${f.detail}`).join('\n')}`),
  );
}

/** Cells read as missing because they did not parse: each with its line and text (the first 100 of them). */
function formatUnparsable(unparsable: ApiResults['datasets.ingest']['unparsable']): string {
  if (unparsable === undefined) return '';
  const listed = unparsable.cells.map((c) => `  line ${c.line}, ${c.column}: ${JSON.stringify(c.text)}`);
  const more = unparsable.total > listed.length ? [`  … and ${unparsable.total - listed.length} more`] : [];
  return `\n${unparsable.total} cells did not parse as their column's type and were read as missing:\n${[...listed, ...more].join('\n')}`;
}

function formatSchemaChanges(changes: ApiResults['datasets.ingest']['schemaChanges']): string {
  if (changes === undefined) return '';
  const lines = [
    ...changes.added.map((c) => `  + ${c.column} (${c.type})`),
    ...changes.dropped.map((c) => `  - ${c.column} (${c.type})`),
    ...changes.retyped.map((c) => `  ~ ${c.column}: ${c.from} → ${c.to}${c.widening ? ' (widened)' : ' (narrowed, forced)'}`),
    ...changes.newLevels.map(
      (c) => `  * ${c.column}: ${c.count} new levels (${c.levels.slice(0, 5).join(', ')}${c.count > 5 ? ', …' : ''})`,
    ),
  ];
  return lines.length === 0 ? '' : `\nSchema changes against the previous version:\n${lines.join('\n')}`;
}

/** --pii-policy email=hash,dob=generalise:date-of-birth,notes=drop */
function parsePolicies(text: string | undefined): Record<string, { policy: PiiPolicy; type: PiiType | null }> | undefined {
  if (text === undefined) return undefined;
  const out: Record<string, { policy: PiiPolicy; type: PiiType | null }> = {};
  for (const part of text.split(',')) {
    const m = /^([^=]+)=([a-z]+)(?::([a-z0-9-]+))?$/.exec(part.trim());
    if (
      m === null ||
      !(piiPolicies as readonly string[]).includes(m[2]!) ||
      (m[3] !== undefined && !(piiTypes as readonly string[]).includes(m[3]))
    )
      throw new UsageError(
        `--pii-policy takes COLUMN=${piiPolicies.join('|')}[:TYPE], not "${part}" (types: ${piiTypes.join(', ')})`,
      );
    out[m[1]!.trim()] = { policy: m[2] as PiiPolicy, type: (m[3] as PiiType | undefined) ?? null };
  }
  return out;
}
