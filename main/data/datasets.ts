import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { ColumnProfile, DataRule, DatasetSummary, DatasetVersionInfo, IngestResult, RulesCheck } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';

import type { BlobStore } from '../store/blob-store.js';
import { CommitCache, nowIso, type Db } from '../store/database.js';
import {
  applyPolicies,
  applyToColumnValue,
  protectQuarantined,
  scanFrame,
  type ColumnPolicy,
  type PiiDetection,
  type PiiPolicy,
  type PiiType,
} from '../privacy/pii.js';
import { arrowToFrame, frameToArrow } from './columnar.js';
import { ColumnBuilder, parseIsoDate } from './column-builder.js';
import { readCsv, type CsvReadOptions, type QuarantinedRow } from './csv.js';
import { jsonFormatOf, readJsonRows, type JsonFormat } from './json-rows.js';
import { cellValue, schemaOf, selectRows, type Column, type Frame, type NumericColumn, type SchemaField } from './frame.js';
import { profileFrameInWorkers } from './profile.js';
import { checkRulesCooperatively, isRowRule, maxCheckWork, rowProblem, suggestRules } from './rules.js';
import { evolveSchema } from './schema-evolution.js';
import { readParquet } from './parquet.js';
import { newRowsSince, unionFrames } from './transforms.js';
import { redactText } from '../security/redact.js';

interface VersionRow {
  id: number;
  version: number;
  schema_json: string;
  row_count: number;
  quarantined_count: number;
  content_hash: string;
  data_blob: string;
  profile_json: string;
  source_json: string;
  created_at: string;
}

/**
 * Segments merge by tiers (see commitAppend): a segment's tier is floor(log16(rows)), and 16 segments of one tier at
 * the end merge into one of the next. Each row is rewritten about log16(version rows / batch rows) times in all, and
 * a version has at most 15 segments per tier.
 */
const mergeFanIn = 16;
const tierOf = (rows: number) => Math.floor(Math.log(Math.max(1, rows)) / Math.log(mergeFanIn));

/** Rows of recently written segments kept decoded for the next merge (see rememberSegment). */
const recentSegmentRows = 1_000_000;

interface Segment {
  blob: string;
  rows: number;
}
/** profile_json of a version whose profile is computed when first looked at (appended versions). */
const pendingProfile = 'null';

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function assertName(kind: string, name: string): void {
  if (!namePattern.test(name)) {
    throw new HearthError(
      'VALIDATION_FAILED',
      `${kind} name "${name}" is not allowed: use letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
}

/** Datasets and their immutable versions: an Arrow blob per version plus schema, profile and quarantine rows. */
export class DatasetStore {
  /** Decoded versions by content hash, with the segments each was read from. */
  private readonly frameCache = new Map<string, { frame: Frame; segments: Segment[] }>();

  constructor(
    private readonly db: Db,
    private readonly blobs: BlobStore,
    /** The key of keyed pseudonyms (hash policies): from the store's secret, so tokens are stable on this box. */
    private readonly piiKey: () => Buffer = () => {
      throw new HearthError('INTERNAL', 'this store has no pseudonym key');
    },
  ) {
    this.policyCache = new CommitCache(db);
    this.rulesCache = new CommitCache(db);
  }

  private readonly policyCache: CommitCache<Record<string, ColumnPolicy>>;
  /** Rules are read on every served request: cached until any connection commits. */
  private readonly rulesCache: CommitCache<DataRule[]>;

  /** The PII policies of a dataset's columns (none: an empty record). */
  policies(name: string): Record<string, ColumnPolicy> {
    return this.policyCache.get(name, () => {
      const rows = this.db
        .prepare(
          `SELECT p.column_name, p.policy, p.pii_type FROM pii_policies p JOIN datasets d ON d.id = p.dataset_id
            WHERE d.name = ? ORDER BY p.column_name`,
        )
        .all(name) as { column_name: string; policy: PiiPolicy; pii_type: PiiType | null }[];
      return Object.fromEntries(rows.map((r) => [r.column_name, { policy: r.policy, type: r.pii_type }]));
    });
  }

  /**
   * Applies a dataset's policies to rows from outside (a prediction request, a stream), value by value, so a model
   * trained on pseudonymised or generalised columns is given what it learnt from, and only that reaches the log.
   */
  protectRecords<T extends Record<string, unknown>>(name: string, records: readonly T[]): T[] {
    const policies = Object.entries(this.policies(name)).filter(([, p]) => p.policy !== 'keep');
    if (policies.length === 0) return records as T[];
    const key = this.piiKey();
    return records.map((record) => {
      const out: Record<string, unknown> = { ...record };
      for (const [column, policy] of policies) {
        const v = out[column];
        if (v === null || v === undefined || v === '') continue;
        if (policy.policy === 'drop') delete out[column];
        else out[column] = applyToColumnValue(column, policy, key, typeof v === 'string' ? v : JSON.stringify(v));
      }
      return out as T;
    });
  }

  /** The dataset's policies for the columns `frame` has (a later file may lack a column an earlier one had). */
  private protectionFor(name: string, frame: Frame): Record<string, ColumnPolicy> {
    const present = new Set(frame.columns.map((c) => c.name));
    return Object.fromEntries(Object.entries(this.policies(name)).filter(([column]) => present.has(column)));
  }

  /** A frame under the policies given (a pipeline's pii step), with this store's pseudonym key. */
  protectWith(frame: Frame, policies: Record<string, ColumnPolicy>): Frame {
    return Object.keys(policies).length === 0 ? frame : applyPolicies(frame, policies, this.piiKey());
  }

  /** A row set aside (a pipeline's cast problem) under the policies given, with this store's pseudonym key. */
  protectProblem<T extends { reason: string; raw: string }>(problem: T, policies: Record<string, ColumnPolicy>): T {
    return protectQuarantined(problem, policies, this.piiKey());
  }

  /** A frame from outside (a file to score) under the dataset's policies, as the model's training data was. */
  protectFrame(name: string, frame: Frame): Frame {
    const policies = this.protectionFor(name, frame);
    return Object.keys(policies).length === 0 ? frame : applyPolicies(frame, policies, this.piiKey());
  }

  /** A file's columns scanned for personal data: what `--pii suggest` and the console's upload show. */
  async scanCsv(
    path: string,
    options: CsvReadOptions & { fileName?: string; format?: 'csv' | 'parquet' | JsonFormat } = {},
  ): Promise<{ rows: number; detections: PiiDetection[] }> {
    const { frame } = await readTable(path, options.fileName ?? basename(path), options);
    return { rows: frame.rowCount, detections: scanFrame(frame) };
  }

  /**
   * Reads a file and records it as the next version of `name`. Everything is parsed before anything is written;
   * the version, its quarantine and its blob reference are committed in one transaction, so a rejected file or a
   * crash leaves the store as it was.
   */
  async ingestCsv(
    name: string,
    path: string,
    options: CsvReadOptions & {
      fileName?: string;
      pii?: Record<string, ColumnPolicy> | 'suggested';
      /** csv (the default), or json / ndjson; by default taken from the file name's extension. */
      format?: 'csv' | 'parquet' | JsonFormat;
      /** Accept a narrowing schema change. */
      force?: boolean;
    } = {},
  ): Promise<IngestResult> {
    assertName('dataset', name);
    const fileName = options.fileName ?? basename(path);
    const result = await readTable(path, fileName, options);
    // Policies already set for the dataset hold for every later version; those given now add to or replace them.
    const given =
      options.pii === 'suggested'
        ? Object.fromEntries(scanFrame(result.frame).map((d) => [d.column, { policy: d.suggested, type: d.type }]))
        : (options.pii ?? {});
    const policies = { ...this.protectionFor(name, result.frame), ...given };
    const protectedFrame =
      Object.keys(policies).length === 0 ? result.frame : applyPolicies(result.frame, policies, this.piiKey());
    return this.commitNewVersion(
      name,
      protectedFrame,
      result.quarantined,
      { fileName, bytes: result.bytes, delimiter: result.delimiter, lineEnding: result.lineEnding },
      given,
      (r) => result.rowLines?.[r] ?? r + 1,
      options.force === true,
    );
  }

  /**
   * A whole new frame (a file, a query's rows) as the next version: its schema compared with the previous
   * version's (changes reported, narrowing refused unless forced), then committed with the rules enforced.
   */
  private async commitNewVersion(
    name: string,
    next: Frame,
    quarantined: readonly QuarantinedRow[],
    source: DatasetVersionInfo['source'],
    policies: Record<string, ColumnPolicy>,
    lineOf: (row: number) => number,
    force: boolean,
    inTransaction?: (datasetId: number, version: number) => void,
  ): Promise<IngestResult> {
    const previous = this.exists(name) ? this.loadFrame(name).frame : null;
    const { frame, changes } = evolveSchema(previous, next, force);
    const { ruleQuarantined: _setAside, ...ingested } = await this.commitVersion(name, frame, quarantined, source, policies, {
      lineOf,
      ...(previous === null ? {} : { previous }),
      ...(inTransaction === undefined ? {} : { inTransaction }),
    });
    return previous === null ? ingested : { ...ingested, schemaChanges: changes };
  }

  /**
   * Appends JSON rows as the next version of `name`: the latest version's rows and then these, in its schema. A
   * value the column's type cannot hold quarantines its row (numbered from 1 within the batch); fields the schema
   * lacks are left out and reported. A dataset that does not exist yet is created with types inferred from the rows.
   */
  async appendRecords(
    name: string,
    records: readonly Record<string, unknown>[],
    source: string,
    /** Records the source could not even parse (a file's malformed lines), kept with the version's quarantine. */
    unparsed: readonly QuarantinedRow[] = [],
    inTransaction?: (datasetId: number, version: number) => void,
  ): Promise<IngestResult & { appended: number; ignoredFields: string[] }> {
    assertName('dataset', name);
    if (records.length === 0) throw new HearthError('VALIDATION_FAILED', 'no rows to append');
    // The dataset's PII policies apply before anything else sees the rows.
    records = this.protectRecords(name, records);
    const exists = this.exists(name);
    // Rows sent as records have no file size (measuring their JSON cost more than the rest of a small append).
    const sourceInfo = { fileName: source, bytes: 0, delimiter: '', lineEnding: '' };
    if (!exists) {
      const { frame, quarantined, rowLines } = recordsToFrame(records);
      const { ruleQuarantined, ...ingested } = await this.commitVersion(
        name,
        frame,
        [...unparsed, ...quarantined],
        sourceInfo,
        {},
        { lineOf: (r) => rowLines[r] ?? r + 1, ...(inTransaction === undefined ? {} : { inTransaction }) },
      );
      return { ...ingested, appended: frame.rowCount - ruleQuarantined, ignoredFields: [] };
    }
    const latest = this.versionRow(name);
    // The latest version's schema is all an append needs: its rows are neither read nor copied.
    const schema = JSON.parse(latest.schema_json) as SchemaField[];
    const typed = schema.map((f): Column =>
      f.type === 'categorical' || f.type === 'text'
        ? { kind: 'string', name: f.name, type: f.type, codes: new Int32Array(0), dictionary: [] }
        : { kind: 'numeric', name: f.name, type: f.type, values: new Float64Array(0) },
    );
    const known = new Set(schema.map((f) => f.name));
    const ignored = new Set<string>();
    for (const record of records) for (const field in record) if (!known.has(field)) ignored.add(field);
    const ignoredFields = [...ignored];
    const quarantined: QuarantinedRow[] = [];
    const accepted: Record<string, unknown>[] = [];
    const acceptedLines: number[] = [];
    records.forEach((record, i) => {
      for (const column of typed) {
        const reason = cellProblem(column, record[column.name]);
        if (reason !== null) {
          quarantined.push({ line: i + 1, reason: `"${column.name}": ${reason}`, raw: JSON.stringify(record).slice(0, 1000) });
          return;
        }
      }
      accepted.push(record);
      acceptedLines.push(i + 1);
    });
    if (accepted.length === 0) throw allQuarantined(quarantined);
    // Plain loops: TypedArray.from with a mapping function goes through the iterator protocol, several times slower.
    const n = accepted.length;
    const columns: Column[] = typed.map((column) => {
      const field = column.name;
      if (column.kind === 'numeric') {
        const values = new Float64Array(n);
        for (let i = 0; i < n; i++) values[i] = numericCell(column, accepted[i]![field]);
        return { ...column, values };
      }
      const dictionary: string[] = [];
      const index = new Map<string, number>();
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = accepted[i]![field];
        if (v === null || v === undefined || v === '') {
          codes[i] = -1;
          continue;
        }
        const text = typeof v === 'string' ? v : JSON.stringify(v);
        let code = index.get(text);
        if (code === undefined) {
          code = dictionary.push(text) - 1;
          index.set(text, code);
        }
        codes[i] = code;
      }
      return { ...column, dictionary, codes };
    });
    const { ruleQuarantined, ...result } = await this.commitAppend(
      name,
      latest,
      { rowCount: accepted.length, columns },
      [...unparsed, ...quarantined],
      sourceInfo,
      (r) => acceptedLines[r] ?? r + 1,
      inTransaction,
    );
    return { ...result, appended: accepted.length - ruleQuarantined, ignoredFields };
  }

  /**
   * Records (a SQL query's rows) as the next version of `name`, as a file would be: PII policies first, then the
   * schema compared with the previous version's, then the rules.
   */
  async ingestRecords(
    name: string,
    records: readonly Record<string, unknown>[],
    source: string,
    options: { force?: boolean } = {},
  ): Promise<IngestResult> {
    assertName('dataset', name);
    if (records.length === 0) throw new HearthError('INVALID_INPUT', 'the query returned no rows', { reason: 'empty' });
    const { frame, quarantined, rowLines } = recordsToFrame(this.protectRecords(name, records));
    return this.commitNewVersion(
      name,
      frame,
      quarantined,
      { fileName: source, bytes: Buffer.byteLength(JSON.stringify(records)), delimiter: '', lineEnding: '' },
      {},
      (r) => rowLines[r] ?? r + 1,
      options.force === true,
    );
  }

  /**
   * Appends a file's rows (CSV, JSON or NDJSON) to the dataset's latest version, in its schema, as `appendRecords`
   * does; the file's own malformed lines are quarantined with their line numbers beside the rows its types refuse.
   */
  async appendFile(
    name: string,
    path: string,
    options: CsvReadOptions & {
      fileName?: string;
      format?: 'csv' | 'parquet' | JsonFormat;
      inTransaction?: (datasetId: number, version: number) => void;
    } = {},
  ): Promise<IngestResult & { appended: number; ignoredFields: string[] }> {
    const fileName = options.fileName ?? basename(path);
    const { frame, quarantined } = await readTable(path, fileName, options);
    const records = Array.from({ length: frame.rowCount }, (_, r) =>
      Object.fromEntries(frame.columns.map((c) => [c.name, cellValue(c, r)])),
    );
    return this.appendRecords(name, records, fileName, quarantined, options.inTransaction);
  }

  /**
   * Rows a pipeline computed, appended to `name` (created when new): the dataset's PII policies applied, the schema
   * compared with the latest version's (a column the rows lack stays, missing in them; a narrowing type is refused
   * unless forced), the rules judged on the new rows only. `inTransaction` commits the pipeline's state with it.
   */
  async appendFrame(
    name: string,
    batch: Frame,
    problems: readonly QuarantinedRow[],
    source: DatasetVersionInfo['source'],
    options: { force?: boolean; inTransaction?: (datasetId: number, version: number) => void } = {},
  ): Promise<IngestResult & { appended: number }> {
    assertName('dataset', name);
    const protectedBatch = this.protectFrame(name, batch);
    const inTransaction = options.inTransaction === undefined ? {} : { inTransaction: options.inTransaction };
    if (!this.exists(name)) {
      const { ruleQuarantined, ...result } = await this.commitVersion(name, protectedBatch, problems, source, {}, inTransaction);
      return { ...result, appended: protectedBatch.rowCount - ruleQuarantined };
    }
    const { frame: previous } = this.loadFrame(name);
    const { frame: evolved, changes } = evolveSchema(previous, protectedBatch, options.force === true);
    const byName = new Map(evolved.columns.map((c) => [c.name, c]));
    if (
      changes.added.length === 0 &&
      changes.retyped.length === 0 &&
      byName.size === previous.columns.length &&
      previous.columns.every((c) => byName.get(c.name)?.type === c.type)
    ) {
      // The same columns and types: the rows become one more segment of the version (see commitAppend).
      const { ruleQuarantined, ...result } = await this.commitAppend(
        name,
        this.versionRow(name),
        { rowCount: evolved.rowCount, columns: previous.columns.map((c) => byName.get(c.name)!) },
        problems,
        source,
        (r) => r + 1,
        options.inTransaction,
      );
      return { ...result, appended: evolved.rowCount - ruleQuarantined, schemaChanges: changes };
    }
    const { ruleQuarantined, ...result } = await this.commitVersion(
      name,
      unionFrames([previous, evolved]),
      problems,
      source,
      {},
      { firstRow: previous.rowCount, previous, lineOf: (r) => r - previous.rowCount + 1, ...inTransaction },
    );
    // An append keeps the columns the new rows lack: they are not dropped from the dataset.
    return { ...result, appended: evolved.rowCount - ruleQuarantined, schemaChanges: { ...changes, dropped: [] } };
  }

  /**
   * Rows a pipeline rebuilt from all its inputs, as the next version of `name` on their own (replacing what the
   * latest version holds): PII policies, schema comparison (narrowing refused unless forced) and rules as for a file.
   */
  async replaceFrame(
    name: string,
    frame: Frame,
    problems: readonly QuarantinedRow[],
    source: DatasetVersionInfo['source'],
    options: { force?: boolean; inTransaction?: (datasetId: number, version: number) => void } = {},
  ): Promise<IngestResult> {
    assertName('dataset', name);
    return this.commitNewVersion(
      name,
      this.protectFrame(name, frame),
      problems,
      source,
      {},
      (r) => r + 1,
      options.force === true,
      options.inTransaction,
    );
  }

  /**
   * A file's current rows as the next version of `name`, unless the latest version already holds exactly these
   * rows (a pipeline reads its file sources at every run; an unchanged file makes no new version). Returns the
   * version that holds the file's rows.
   */
  async refreshFromFile(
    name: string,
    path: string,
    options: CsvReadOptions & { format?: 'csv' | 'parquet' | JsonFormat },
  ): Promise<number> {
    const fileName = basename(path);
    const result = await readTable(path, fileName, options);
    return this.refresh(
      name,
      result.frame,
      result.quarantined,
      {
        fileName,
        bytes: result.bytes,
        delimiter: result.delimiter,
        lineEnding: result.lineEnding,
      },
      (r) => result.rowLines?.[r] ?? r + 1,
    );
  }

  /** A query's rows as the next version of `name`, unless the latest version already holds exactly these rows. */
  async refreshFromRecords(name: string, records: readonly Record<string, unknown>[], source: string): Promise<number> {
    if (records.length === 0) throw new HearthError('INVALID_INPUT', 'the query returned no rows', { reason: 'empty' });
    const { frame, quarantined, rowLines } = recordsToFrame(records);
    const bytes = Buffer.byteLength(JSON.stringify(records));
    return this.refresh(
      name,
      frame,
      quarantined,
      { fileName: source, bytes, delimiter: '', lineEnding: '' },
      (r) => rowLines[r] ?? r + 1,
    );
  }

  private async refresh(
    name: string,
    frame: Frame,
    quarantined: readonly QuarantinedRow[],
    source: DatasetVersionInfo['source'],
    lineOf: (row: number) => number = (r) => r + 1,
  ): Promise<number> {
    assertName('dataset', name);
    const protectedFrame = this.protectFrame(name, frame);
    if (this.exists(name)) {
      const { frame: latest, info } = this.loadFrame(name);
      const sameColumns =
        latest.columns.length === protectedFrame.columns.length &&
        latest.columns.every((c) => protectedFrame.columns.some((x) => x.name === c.name));
      if (sameColumns && latest.rowCount === protectedFrame.rowCount && newRowsSince(protectedFrame, latest).rows.length === 0)
        return info.version;
    }
    const result = await this.commitNewVersion(name, protectedFrame, quarantined, source, {}, lineOf, false);
    return result.version;
  }

  /**
   * The dataset's rules on a frame about to be stored: a broken reject rule refuses the version (nothing is written),
   * rows that break a quarantine rule are set aside with the rule named, the rest is the version's check. The rules
   * share the event loop while they run (checkRulesCooperatively); their outcome is the same.
   */
  private async enforceRules(
    name: string,
    frame: Frame,
    quarantined: readonly QuarantinedRow[],
    enforce: { firstRow?: number; previous?: Frame; lineOf?: (row: number) => number },
  ): Promise<{
    frame: Frame;
    quarantined: readonly QuarantinedRow[];
    check: Omit<RulesCheck, 'version'> | null;
    ruleQuarantined: number;
  }> {
    const rules = this.rules(name);
    if (rules.length === 0) return { frame, quarantined, check: null, ruleQuarantined: 0 };
    let ruleQuarantined = 0;
    const previous = enforce.previous ?? (this.exists(name) ? this.loadFrame(name).frame : null);
    const context = {
      previous,
      reference: (v: number) => this.loadFrame(name, v).frame,
      ...(enforce.firstRow === undefined ? {} : { firstRow: enforce.firstRow }),
    };
    // Row rules first: the table rules then judge the version as it would be stored, without the rows set aside.
    const outcome = await checkRulesCooperatively(frame, rules.filter(isRowRule), context);
    const refusing = outcome.failures.some((f) => f.severity === 'reject');
    if (outcome.quarantine.size > 0 && !refusing) {
      const lineOf = enforce.lineOf ?? ((r: number) => r + 1);
      const setAside = [...outcome.quarantine.entries()].map(([r, reason]) => ({
        line: lineOf(r),
        reason,
        raw: JSON.stringify(Object.fromEntries(frame.columns.map((c) => [c.name, cellValue(c, r)]))).slice(0, 1000),
      }));
      const keep = Int32Array.from({ length: frame.rowCount }, (_, r) => r).filter((r) => !outcome.quarantine.has(r));
      if (keep.length === 0)
        throw new HearthError('INVALID_INPUT', `every row broke a quarantine rule (first: ${setAside[0]!.reason})`, {
          reason: 'all-quarantined',
        });
      frame = selectRows(frame, keep);
      quarantined = [...quarantined, ...setAside];
      ruleQuarantined = setAside.length;
    }
    outcome.failures.push(
      ...(
        await checkRulesCooperatively(
          frame,
          rules.filter((r) => !isRowRule(r)),
          context,
        )
      ).failures,
    );
    const rejected = outcome.failures.filter((f) => f.severity === 'reject');
    if (rejected.length > 0) {
      throw new HearthError(
        'VALIDATION_FAILED',
        `refused by the dataset's rules: ${rejected.map((f) => `${f.rule} (${f.detail})`).join('; ')}`,
        { reason: 'rules', failed: rejected },
      );
    }
    const check = { dataset: name, rules: rules.length, passed: outcome.failures.length === 0, failed: outcome.failures };
    return { frame, quarantined, check, ruleQuarantined };
  }

  /**
   * Stores a frame as the next version: blob, schema, profile, quarantine and rules check in one transaction. The
   * dataset's rules are enforced first (see enforceRules).
   */
  private async commitVersion(
    name: string,
    frame: Frame,
    quarantined: readonly QuarantinedRow[],
    source: DatasetVersionInfo['source'],
    /** Policies to record for the dataset with this version (raw values never reached `frame`). */
    policies: Record<string, ColumnPolicy> = {},
    enforce: {
      firstRow?: number;
      previous?: Frame;
      lineOf?: (row: number) => number;
      /** Runs inside the transaction that commits the version (a record that must not outlive or miss it). */
      inTransaction?: (datasetId: number, version: number) => void;
    } = {},
  ): Promise<IngestResult & { ruleQuarantined: number }> {
    const enforced = await this.enforceRules(name, frame, quarantined, enforce);
    frame = enforced.frame;
    // Profiling runs in worker threads while this thread encodes and writes the version's blob.
    const profiling = profileFrameInWorkers(frame);
    let blob: ReturnType<BlobStore['put']>;
    try {
      blob = this.blobs.put(frameToArrow(frame));
    } catch (error) {
      await profiling.catch(() => undefined);
      throw error;
    }
    try {
      const profile = await profiling;
      return this.insertVersion(name, {
        frame,
        quarantined: enforced.quarantined,
        check: enforced.check,
        ruleQuarantined: enforced.ruleQuarantined,
        contentHash: blob.digest,
        blobs: [blob],
        segments: [],
        profileJson: JSON.stringify(profile),
        source,
        policies,
        ...(enforce.inTransaction === undefined ? {} : { inTransaction: enforce.inTransaction }),
      });
    } catch (error) {
      if (blob.created) this.blobs.discard(blob.digest);
      throw error;
    }
  }

  /**
   * Rows appended to the latest version, stored as one more segment: only the new rows are encoded and written, and
   * the version lists its segments (the previous version's and this one), so an append costs what the batch costs,
   * not what the dataset holds. Small trailing segments merge by tiers (mergeFanIn), which bounds how many blobs
   * loading a version reads. The profile is computed when the version is first looked at.
   */
  private async commitAppend(
    name: string,
    latest: VersionRow & { dataset_id: number },
    batch: Frame,
    quarantined: readonly QuarantinedRow[],
    source: DatasetVersionInfo['source'],
    lineOf: (row: number) => number,
    inTransaction?: (datasetId: number, version: number) => void,
  ): Promise<IngestResult & { ruleQuarantined: number }> {
    let check: Omit<RulesCheck, 'version'> | null = null;
    let ruleQuarantined = 0;
    if (this.rules(name).length > 0) {
      // The rules see the version as it would be stored; the rows they set aside are all new ones. They share the
      // event loop while they run, so another write may commit meanwhile: the check is then made again on the
      // version it left (the rows are appended to the latest version, never beside it).
      for (let attempt = 1; ; attempt++) {
        const previous = this.loadFrame(name).frame;
        const enforced = await this.enforceRules(name, unionFrames([previous, batch]), quarantined, {
          firstRow: previous.rowCount,
          previous,
          lineOf: (r) => lineOf(r - previous.rowCount),
        });
        const now = this.versionRow(name);
        if (now.id === latest.id) {
          batch = selectRows(
            enforced.frame,
            Int32Array.from({ length: enforced.frame.rowCount - previous.rowCount }, (_, i) => previous.rowCount + i),
          );
          ({ quarantined, check, ruleQuarantined } = enforced);
          break;
        }
        if (now.schema_json !== latest.schema_json || attempt >= 5)
          throw new HearthError('CONFLICT', `${name} changed while this append's rules were checked; send it again`);
        latest = now;
      }
    }
    const batchBytes = frameToArrow(batch);
    // A chain: the previous version's hash and the new rows' digest name this version's content.
    const batchDigest = `sha256:${createHash('sha256').update(batchBytes).digest('hex')}`;
    const contentHash = `sha256:${createHash('sha256').update(`${latest.content_hash}\n${batchDigest}`).digest('hex')}`;
    // The new rows are the last segment; then, while the last 16 segments share a tier, they merge into one.
    const segments: (Segment & { frame?: Frame; bytes?: Uint8Array })[] = [
      ...this.segmentsOf(latest),
      { blob: batchDigest, rows: batch.rowCount, frame: batch, bytes: batchBytes },
    ];
    for (;;) {
      const tail = segments.slice(-mergeFanIn);
      if (tail.length < mergeFanIn || !tail.every((t) => tierOf(t.rows) === tierOf(tail[0]!.rows))) break;
      const merged = unionFrames(
        tail.map((t) => t.frame ?? this.recentSegments.get(t.blob) ?? arrowToFrame(this.blobs.get(t.blob))),
      );
      const bytes = frameToArrow(merged);
      segments.splice(-mergeFanIn, mergeFanIn, {
        blob: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
        rows: merged.rowCount,
        frame: merged,
        bytes,
      });
    }
    const written = segments.filter((t) => t.bytes !== undefined).map((t) => this.blobs.put(t.bytes!));
    for (const t of segments) if (t.frame !== undefined) this.rememberSegment(t.blob, t.frame);
    try {
      return this.insertVersion(name, {
        frame: { rowCount: latest.row_count + batch.rowCount, columns: batch.columns },
        quarantined,
        check,
        ruleQuarantined,
        contentHash,
        blobs: written,
        segments: segments.length === 1 ? [] : segments.map(({ blob, rows }) => ({ blob, rows })),
        profileJson: pendingProfile,
        source,
        policies: {},
        ...(inTransaction === undefined ? {} : { inTransaction }),
      });
    } catch (error) {
      for (const blob of written) if (blob.created) this.blobs.discard(blob.digest);
      throw error;
    }
  }

  /** Writes a version's row, its segments, quarantine and policies in one transaction. */
  private insertVersion(
    name: string,
    v: {
      frame: Frame;
      quarantined: readonly QuarantinedRow[];
      check: Omit<RulesCheck, 'version'> | null;
      ruleQuarantined: number;
      contentHash: string;
      blobs: { digest: string; size: number }[];
      /** The version's segments in order; empty when its one blob (the last of `blobs`) holds it whole. */
      segments: Segment[];
      profileJson: string;
      source: DatasetVersionInfo['source'];
      policies: Record<string, ColumnPolicy>;
      inTransaction?: (datasetId: number, version: number) => void;
    },
  ): IngestResult & { ruleQuarantined: number } {
    const schema = schemaOf(v.frame);
    // The one place quarantined records are written: every path (a file's malformed lines, a cast, a rule, a
    // pipeline's problems) passes the dataset's policies here, those recorded and those this version sets.
    const policies = { ...this.policies(name), ...v.policies };
    const quarantined = Object.values(policies).some((p) => p.policy !== 'keep')
      ? v.quarantined.map((q) => protectQuarantined(q, policies, this.piiKey()))
      : v.quarantined;
    const dataBlob = v.segments.at(-1)?.blob ?? v.blobs[v.blobs.length - 1]!.digest;
    const version = this.db.transaction(() => {
      const now = nowIso();
      const putBlob = this.db.prepare(
        'INSERT INTO blobs (digest, size, media_type, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      );
      for (const b of v.blobs) putBlob.run(b.digest, b.size, 'application/vnd.apache.arrow.file', now);
      this.db.prepare('INSERT INTO datasets (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING').run(name, now);
      const dataset = this.db.prepare('SELECT id FROM datasets WHERE name = ?').get(name) as { id: number };
      const last = this.db
        .prepare('SELECT COALESCE(MAX(version), 0) AS v FROM dataset_versions WHERE dataset_id = ?')
        .get(dataset.id) as { v: number };
      const version = last.v + 1;
      const info = this.db
        .prepare(
          `INSERT INTO dataset_versions (dataset_id, version, schema_json, row_count, quarantined_count, content_hash,
             data_blob, profile_json, source_json, created_at, rules_check_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          dataset.id,
          version,
          JSON.stringify(schema),
          v.frame.rowCount,
          v.quarantined.length,
          v.contentHash,
          dataBlob,
          v.profileJson,
          JSON.stringify(v.source),
          now,
          v.check === null ? null : JSON.stringify(v.check),
        );
      const segment = this.db.prepare('INSERT INTO dataset_segments (version_id, seq, blob, rows) VALUES (?, ?, ?, ?)');
      v.segments.forEach((t, seq) => segment.run(info.lastInsertRowid, seq, t.blob, t.rows));
      const insert = this.db.prepare('INSERT INTO quarantine (version_id, line, reason, raw) VALUES (?, ?, ?, ?)');
      for (const q of quarantined) insert.run(info.lastInsertRowid, q.line, q.reason, q.raw);
      const setPolicy = this.db.prepare(
        `INSERT INTO pii_policies (dataset_id, column_name, policy, pii_type, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (dataset_id, column_name) DO UPDATE SET policy = excluded.policy, pii_type = excluded.pii_type,
           updated_at = excluded.updated_at`,
      );
      for (const [column, p] of Object.entries(v.policies)) setPolicy.run(dataset.id, column, p.policy, p.type, now);
      this.policyCache.clear();
      v.inTransaction?.(dataset.id, version);
      return version;
    })();
    return {
      dataset: name,
      version,
      rows: v.frame.rowCount,
      quarantined: v.quarantined.length,
      columns: schema,
      contentHash: v.contentHash,
      ruleQuarantined: v.ruleQuarantined,
      ...(v.check === null ? {} : { rulesFailed: v.check.failed }),
    };
  }

  /**
   * Segments this process wrote lately, decoded, by digest (at most recentSegmentRows rows in all): the next merge
   * of their tier reads them from here instead of decoding their blobs again.
   */
  private readonly recentSegments = new Map<string, Frame>();
  private recentRows = 0;

  private rememberSegment(digest: string, frame: Frame): void {
    if (frame.rowCount > recentSegmentRows / 4 || this.recentSegments.has(digest)) return;
    this.recentSegments.set(digest, frame);
    this.recentRows += frame.rowCount;
    for (const [key, old] of this.recentSegments) {
      if (this.recentRows <= recentSegmentRows) break;
      this.recentSegments.delete(key);
      this.recentRows -= old.rowCount;
    }
  }

  /** The blobs holding a version's rows, in order: its segments, or its one whole blob. */
  private segmentsOf(row: { id: number; data_blob: string; row_count: number }): Segment[] {
    const rows = this.db
      .prepare('SELECT blob, rows FROM dataset_segments WHERE version_id = ? ORDER BY seq')
      .all(row.id) as Segment[];
    return rows.length === 0 ? [{ blob: row.data_blob, rows: row.row_count }] : rows;
  }

  /** The dataset's id, or null when there is no dataset of that name. */
  datasetId(name: string): number | null {
    return (this.db.prepare('SELECT id FROM datasets WHERE name = ?').get(name) as { id: number } | undefined)?.id ?? null;
  }

  private exists(name: string): boolean {
    return this.datasetId(name) !== null;
  }

  /** The dataset's rules ([] when none are set). */
  rules(name: string): DataRule[] {
    return this.rulesCache.get(name, () => {
      const row = this.db
        .prepare('SELECT r.rules_json FROM dataset_rules r JOIN datasets d ON d.id = r.dataset_id WHERE d.name = ?')
        .get(name) as { rules_json: string } | undefined;
      return row === undefined ? [] : (JSON.parse(row.rules_json) as DataRule[]);
    });
  }

  /**
   * A served row against the dataset's row rules that refuse or quarantine (warn rules do not stop a request):
   * the first rule a row breaks, as a 422 naming the rule, the row and the column.
   */
  assertServable(name: string, rows: readonly Record<string, unknown>[]): void {
    const rules = this.rules(name)
      .filter(isRowRule)
      .filter((r) => r.severity !== 'warn');
    if (rules.length === 0) return;
    // Judged on the row as the store would hold it: the rules were checked on protected values at ingest, and a
    // refusal quoting the raw value of a hashed or dropped column would carry it into the answer and the log.
    this.protectRecords(name, rows).forEach((row, i) => {
      for (const rule of rules) {
        const value = row[rule.column];
        const problem =
          value === undefined || typeof value === 'object' ? null : rowProblem(rule, value as string | number | boolean);
        if (problem !== null)
          throw new HearthError('INVALID_INPUT', `row ${i}: rule ${rule.column}:${rule.kind}: ${problem}`, {
            reason: 'rule',
            row: i,
            rule: `${rule.column}:${rule.kind}`,
            column: rule.column,
          });
      }
    });
  }

  /** Replaces the dataset's rules; each pattern must compile and each column must exist in the latest version. */
  setRules(name: string, rules: DataRule[]): DataRule[] {
    const info = this.version(name);
    // Rules belong to the dataset, not to a version: keyed by the dataset's id (info.id is the latest version's row).
    const datasetId = this.datasetId(name)!;
    const columns = new Set(info.schema.map((c) => c.name));
    for (const rule of rules) {
      const named = 'column' in rule ? [rule.column] : rule.kind === 'duplicate-keys' ? rule.columns : [];
      const unknown = named.find((c) => !columns.has(c));
      if (unknown !== undefined)
        throw new HearthError('VALIDATION_FAILED', `rule ${rule.kind}: ${name} has no column "${unknown}"`, { column: unknown });
      // Compiles the pattern now, so a broken one is refused here rather than at the next ingest.
      if (rule.kind === 'pattern') rowProblem(rule, 'x');
      if (rule.kind === 'distribution') this.version(name, rule.reference);
      if (rule.severity === 'quarantine' && !isRowRule(rule))
        throw new HearthError('VALIDATION_FAILED', `rule ${rule.kind}: only row rules (range, allowed, pattern) can quarantine`);
    }
    this.db
      .prepare(
        `INSERT INTO dataset_rules (dataset_id, rules_json, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (dataset_id) DO UPDATE SET rules_json = excluded.rules_json, updated_at = excluded.updated_at`,
      )
      .run(datasetId, JSON.stringify(rules), nowIso());
    this.rulesCache.clear();
    return rules;
  }

  suggestRules(name: string, version?: number): DataRule[] {
    const { frame, info } = this.loadFrame(name, version);
    return suggestRules(frame, info.version);
  }

  /**
   * A version against the dataset's rules, or against `rules` when given (any reader may name them): refused up front
   * when its estimated work is over maxCheckWork, else run sharing the event loop.
   */
  async checkRules(name: string, version?: number, rules?: DataRule[]): Promise<RulesCheck> {
    const { frame, info } = this.loadFrame(name, version);
    const applied = rules ?? this.rules(name);
    const previous = info.version > 1 ? this.loadFrame(name, info.version - 1).frame : null;
    const { failures } = await checkRulesCooperatively(
      frame,
      applied,
      { previous, reference: (v) => this.loadFrame(name, v).frame },
      maxCheckWork,
    );
    return { dataset: name, version: info.version, rules: applied.length, passed: failures.length === 0, failed: failures };
  }

  list(): DatasetSummary[] {
    const rows = this.db
      .prepare(
        `SELECT d.name, d.created_at, v.version, v.row_count, v.schema_json, v.created_at AS updated_at,
                (SELECT COUNT(*) FROM dataset_versions x WHERE x.dataset_id = d.id) AS versions
           FROM datasets d JOIN dataset_versions v ON v.dataset_id = d.id
          WHERE v.version = (SELECT MAX(version) FROM dataset_versions y WHERE y.dataset_id = d.id)
          ORDER BY d.name`,
      )
      .all() as {
      name: string;
      created_at: string;
      version: number;
      row_count: number;
      schema_json: string;
      updated_at: string;
      versions: number;
    }[];
    return rows.map((r) => ({
      name: r.name,
      latestVersion: r.version,
      rows: r.row_count,
      columns: (JSON.parse(r.schema_json) as SchemaField[]).length,
      versions: r.versions,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  private versionRow(name: string, version?: number): VersionRow & { dataset_id: number } {
    const dataset = this.db.prepare('SELECT id FROM datasets WHERE name = ?').get(name) as { id: number } | undefined;
    if (dataset === undefined) throw new HearthError('NOT_FOUND', `no dataset named "${name}"`);
    const row = (
      version === undefined
        ? this.db.prepare('SELECT * FROM dataset_versions WHERE dataset_id = ? ORDER BY version DESC LIMIT 1').get(dataset.id)
        : this.db.prepare('SELECT * FROM dataset_versions WHERE dataset_id = ? AND version = ?').get(dataset.id, version)
    ) as (VersionRow & { dataset_id: number }) | undefined;
    if (row === undefined) throw new HearthError('NOT_FOUND', `dataset "${name}" has no version ${version ?? ''}`.trim());
    return row;
  }

  private toInfo(name: string, row: VersionRow): DatasetVersionInfo {
    const source = JSON.parse(row.source_json) as DatasetVersionInfo['source'];
    return {
      dataset: name,
      version: row.version,
      rows: row.row_count,
      quarantined: row.quarantined_count,
      contentHash: row.content_hash,
      schema: JSON.parse(row.schema_json) as SchemaField[],
      // A SQL source's connection string is recorded without its password; versions recorded before that was so, or
      // with an sslpassword=… in the query string, are redacted here, since every role reads versions.
      source: { ...source, fileName: redactText(source.fileName) },
      createdAt: row.created_at,
    };
  }

  versions(name: string): DatasetVersionInfo[] {
    const dataset = this.db.prepare('SELECT id FROM datasets WHERE name = ?').get(name) as { id: number } | undefined;
    if (dataset === undefined) throw new HearthError('NOT_FOUND', `no dataset named "${name}"`);
    const rows = this.db
      .prepare('SELECT * FROM dataset_versions WHERE dataset_id = ? ORDER BY version DESC')
      .all(dataset.id) as VersionRow[];
    return rows.map((r) => this.toInfo(name, r));
  }

  version(name: string, version?: number): DatasetVersionInfo & { id: number; profile: ColumnProfile[] } {
    const row = this.versionRow(name, version);
    // A pending profile (an appended version not looked at yet) reads as none here; detail() computes it.
    return { ...this.toInfo(name, row), id: row.id, profile: (JSON.parse(row.profile_json) as ColumnProfile[] | null) ?? [] };
  }

  versionById(id: number): DatasetVersionInfo {
    const row = this.db
      .prepare('SELECT v.*, d.name FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE v.id = ?')
      .get(id) as (VersionRow & { name: string }) | undefined;
    if (row === undefined) throw new HearthError('NOT_FOUND', `no dataset version with id ${id}`);
    return this.toInfo(row.name, row);
  }

  quarantine(
    name: string,
    version: number | undefined,
    offset: number,
    limit: number,
  ): { total: number; rows: QuarantinedRow[] } {
    const row = this.versionRow(name, version);
    const rows = this.db
      .prepare('SELECT line, reason, raw FROM quarantine WHERE version_id = ? ORDER BY line LIMIT ? OFFSET ?')
      .all(row.id, limit, offset) as QuarantinedRow[];
    return { total: row.quarantined_count, rows };
  }

  /**
   * Loads a version's rows as typed columns. The last few loaded are kept in memory; a version appended to one of
   * them reads only its own new segments.
   */
  loadFrame(name: string, version?: number): { frame: Frame; info: DatasetVersionInfo & { id: number } } {
    const row = this.versionRow(name, version);
    const info = { ...this.toInfo(name, row), id: row.id };
    let cached = this.frameCache.get(row.content_hash);
    if (cached === undefined) {
      const segments = this.segmentsOf(row);
      // The cached version sharing the longest run of leading segments (the version this one was appended to)
      // gives those rows; only the segments after them are read.
      let shared = 0;
      let base: Frame | undefined;
      for (const c of this.frameCache.values()) {
        let k = 0;
        while (k < c.segments.length && k < segments.length && c.segments[k]!.blob === segments[k]!.blob) k++;
        if (k > shared) {
          shared = k;
          base = c.frame;
        }
      }
      const sharedRows = segments.slice(0, shared).reduce((n, t) => n + t.rows, 0);
      const rest = segments.slice(shared).map((t) => arrowToFrame(this.blobs.get(t.blob)));
      const parts = base === undefined ? rest : [leadingRows(base, sharedRows), ...rest];
      cached = { frame: parts.length === 1 ? parts[0]! : unionFrames(parts), segments };
      if (this.frameCache.size >= 3) this.frameCache.delete(this.frameCache.keys().next().value!);
      this.frameCache.set(row.content_hash, cached);
    }
    return { frame: cached.frame, info };
  }

  /** A version with its column profiles; an appended version's profile is computed (and kept) on first look. */
  async detail(name: string, version?: number): Promise<DatasetVersionInfo & { id: number; profile: ColumnProfile[] }> {
    const row = this.versionRow(name, version);
    if (row.profile_json !== pendingProfile) return this.version(name, row.version);
    const profile = await profileFrameInWorkers(this.loadFrame(name, row.version).frame);
    // Derived from the immutable rows, so filling it in later does not change the version.
    this.db.prepare('UPDATE dataset_versions SET profile_json = ? WHERE id = ?').run(JSON.stringify(profile), row.id);
    return { ...this.toInfo(name, row), id: row.id, profile };
  }
}

/** The first `rows` rows of a frame, as views (nothing copied). */
function leadingRows(frame: Frame, rows: number): Frame {
  if (rows === frame.rowCount) return frame;
  return {
    rowCount: rows,
    columns: frame.columns.map((c) =>
      c.kind === 'numeric' ? { ...c, values: c.values.subarray(0, rows) } : { ...c, codes: c.codes.subarray(0, rows) },
    ),
  };
}

/** A JSON value as a numeric column's cell: NaN for missing, undefined when the type cannot hold it. */
function toNumericCell(column: NumericColumn, value: unknown): number | undefined {
  if (value === null || value === undefined || value === '') return Number.NaN;
  if (column.type === 'boolean') {
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value === 0 || value === 1) return value;
    if (typeof value === 'string' && /^(true|yes)$/i.test(value)) return 1;
    if (typeof value === 'string' && /^(false|no)$/i.test(value)) return 0;
    return undefined;
  }
  if (column.type === 'datetime') {
    if (typeof value === 'number') return value;
    const t = typeof value === 'string' ? parseIsoDate(value.trim()) : Number.NaN;
    return Number.isNaN(t) ? undefined : t;
  }
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (Number.isNaN(n)) return undefined;
  if (column.type === 'integer' && !Number.isInteger(n)) return undefined;
  return n;
}

function numericCell(column: NumericColumn, value: unknown): number {
  return toNumericCell(column, value) ?? Number.NaN;
}

function cellProblem(column: Column, value: unknown): string | null {
  if (typeof value === 'object' && value !== null) return 'a nested value';
  if (column.kind === 'string') return null;
  return toNumericCell(column, value) === undefined
    ? `${JSON.stringify(value)} is not ${column.type === 'integer' ? 'an integer' : `a ${column.type}`}`
    : null;
}

/**
 * JSON-like records as a frame: types inferred as ingest infers them from a file's cells (each value goes through
 * the same builder); a record holding a nested value is quarantined with its number (from 1). `rowLines` gives each
 * row's record number, for the quarantine lines of rules applied later.
 */
export function recordsToFrame(records: readonly Record<string, unknown>[]): {
  frame: Frame;
  quarantined: QuarantinedRow[];
  rowLines: Int32Array;
} {
  const fields = [...new Set(records.flatMap((r) => Object.keys(r)))];
  const quarantined: QuarantinedRow[] = [];
  const rowLines: number[] = [];
  const builders = fields.map((f) => new ColumnBuilder(f));
  records.forEach((r, i) => {
    const nested = fields.find((f) => typeof r[f] === 'object' && r[f] !== null);
    if (nested !== undefined) {
      quarantined.push({ line: i + 1, reason: `"${nested}": a nested value`, raw: JSON.stringify(r).slice(0, 1000) });
      return;
    }
    rowLines.push(i + 1);
    fields.forEach((f, j) => {
      const v = r[f];
      builders[j]!.pushText(v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
    });
  });
  if (quarantined.length === records.length) throw allQuarantined(quarantined);
  return {
    frame: { rowCount: rowLines.length, columns: builders.map((b) => b.finish()) },
    quarantined,
    rowLines: Int32Array.from(rowLines),
  };
}

function allQuarantined(quarantined: readonly QuarantinedRow[]): HearthError {
  return new HearthError('INVALID_INPUT', `no row could be appended: row ${quarantined[0]!.line}: ${quarantined[0]!.reason}`, {
    reason: 'all-quarantined',
  });
}

/** Reads a table file by its format: `format` when given, else the file name's extension (.json, .ndjson, .jsonl), else CSV. */
export async function readTable(
  path: string,
  fileName: string,
  options: CsvReadOptions & { format?: 'csv' | 'parquet' | JsonFormat },
): Promise<{
  frame: Frame;
  rowLines?: Int32Array;
  quarantined: QuarantinedRow[];
  bytes: number;
  delimiter: string;
  lineEnding: string;
}> {
  const format = options.format ?? (/\.(parquet|pq)$/i.test(fileName) ? 'parquet' : null) ?? jsonFormatOf(fileName) ?? 'csv';
  if (format === 'parquet') {
    const parquet = await readParquet(path, options.spool);
    return { frame: parquet.frame, quarantined: [], bytes: parquet.bytes, delimiter: '', lineEnding: '' };
  }
  if (format === 'csv') {
    const csv = await readCsv(path, options);
    return { ...csv, delimiter: csv.dialect.delimiter, lineEnding: csv.dialect.lineEnding };
  }
  const json = await readJsonRows(path, format, { spool: options.spool });
  return { ...json, delimiter: '', lineEnding: format === 'ndjson' ? 'LF' : '' };
}
