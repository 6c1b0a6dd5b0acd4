import { basename } from 'node:path';
import type { DatasetVersionInfo, IngestResult, UnparsableCells } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import { scanFrame, type ColumnPolicy, type PiiDetection } from '../privacy/pii.js';
import type { CsvReadOptions, QuarantinedRow } from './csv.js';
import type { DatasetPolicies } from './dataset-pii.js';
import { assertName, type DatasetVersions } from './dataset-versions.js';
import { cellValue, type Frame, type SchemaField } from '../table/frame.js';
import { fileDigest } from './input-file.js';
import { readTable, tableFormatOf, type TableFormat } from './read-table.js';
import { recordsInSchema, recordsToFrame } from './records.js';
import { evolveSchema } from './schema-evolution.js';
import { newRowsSince, unionFrames } from './transforms.js';
import type { InTransaction, VersionWriter } from './version-writer.js';

/**
 * Rows into datasets: files, query results, records and pipeline frames become versions. Each path applies the
 * dataset's PII policies first, compares the schema with the latest version's, and leaves the rules and the commit
 * to the VersionWriter.
 */
export class DatasetIngest {
  constructor(
    private readonly versions: DatasetVersions,
    private readonly pii: DatasetPolicies,
    private readonly writer: VersionWriter,
  ) {}

  /** A file's columns scanned for personal data: what `--pii suggest` and the console's upload show. */
  async scanCsv(
    path: string,
    options: CsvReadOptions & { fileName?: string; format?: TableFormat } = {},
  ): Promise<{ rows: number; detections: PiiDetection[] }> {
    const { frame } = await readTable(path, options.fileName ?? basename(path), options);
    return { rows: frame.rowCount, detections: scanFrame(frame) };
  }

  /**
   * Reads a file and records it as the next version of `name`. Everything is parsed before anything is written;
   * the version, its quarantine and its blob reference are committed in one transaction, so a rejected file or a
   * crash leaves the store as it was. A file whose bytes (SHA-256) and read options are those the latest version was
   * made from makes no version: the answer says `unchanged` and names that version, unless `force`.
   */
  async ingestCsv(
    name: string,
    path: string,
    options: CsvReadOptions & {
      fileName?: string;
      pii?: Record<string, ColumnPolicy> | 'suggested';
      /** csv (the default), or json / ndjson; by default taken from the file name's extension. */
      format?: TableFormat;
      /** Accept a narrowing schema change, and make a version of an unchanged file. */
      force?: boolean;
    } = {},
  ): Promise<IngestResult> {
    assertName('dataset', name);
    const fileName = options.fileName ?? basename(path);
    const force = options.force === true;
    // What else decides the version a file makes: its format, its delimiter and the policies given with it.
    const readOptions = JSON.stringify({
      format: tableFormatOf(fileName, options.format),
      delimiter: options.delimiter ?? null,
      pii: options.pii ?? null,
    });
    const hashing = fileDigest(path, options.spool).catch((error: unknown) => {
      // The read's own message for a missing file, whichever of the two gets there first.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new HearthError('NOT_FOUND', `cannot read ${path}: no such file`);
      throw error;
    });
    // An existing dataset is compared before the file is read (reading is what costs); a new one hashes alongside.
    if (this.versions.exists(name) && !force) {
      const same = this.unchangedVersion(name, await hashing, readOptions);
      if (same !== null) return same;
    }
    const [result, sha256] = await Promise.all([readTable(path, fileName, options), hashing]);
    // Policies already set for the dataset hold for every later version; those given now add to or replace them.
    const given =
      options.pii === 'suggested'
        ? Object.fromEntries(scanFrame(result.frame).map((d) => [d.column, { policy: d.suggested, type: d.type }]))
        : (options.pii ?? {});
    const policies = { ...this.pii.protectionFor(name, result.frame), ...given };
    const protectedFrame = this.pii.protectWith(result.frame, policies);
    const unparsable = withheldUnder(result.unparsable, policies);
    const ingested = await this.commitNewVersion(
      name,
      protectedFrame,
      result.quarantined,
      {
        fileName,
        bytes: result.bytes,
        delimiter: result.delimiter,
        lineEnding: result.lineEnding,
        sha256,
        readOptions,
        ...(unparsable === undefined ? {} : { unparsable }),
      },
      given,
      (r) => result.rowLines?.[r] ?? r + 1,
      force,
    );
    return unparsable === undefined ? ingested : { ...ingested, unparsable };
  }

  /** The latest version as an `unchanged` answer when it was made from these bytes with these options; else null. */
  private unchangedVersion(name: string, sha256: string, readOptions: string): IngestResult | null {
    const latest = this.versions.versionRow(name);
    const source = JSON.parse(latest.source_json) as DatasetVersionInfo['source'];
    if (source.sha256 !== sha256 || source.readOptions !== readOptions) return null;
    return {
      dataset: name,
      version: latest.version,
      rows: latest.row_count,
      quarantined: latest.quarantined_count,
      columns: JSON.parse(latest.schema_json) as SchemaField[],
      contentHash: latest.content_hash,
      ...(source.unparsable === undefined ? {} : { unparsable: source.unparsable }),
      unchanged: true,
    };
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
    inTransaction?: InTransaction,
  ): Promise<IngestResult> {
    const previous = this.versions.exists(name) ? this.versions.loadFrame(name).frame : null;
    const { frame, changes } = evolveSchema(previous, next, force);
    const { ruleQuarantined: _setAside, ...ingested } = await this.writer.commitVersion(
      name,
      frame,
      quarantined,
      source,
      policies,
      {
        lineOf,
        ...(previous === null ? {} : { previous }),
        ...(inTransaction === undefined ? {} : { inTransaction }),
      },
    );
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
    inTransaction?: InTransaction,
  ): Promise<IngestResult & { appended: number; ignoredFields: string[] }> {
    assertName('dataset', name);
    if (records.length === 0) throw new HearthError('VALIDATION_FAILED', 'no rows to append');
    // The dataset's PII policies apply before anything else sees the rows.
    records = this.pii.protectRecords(name, records);
    const exists = this.versions.exists(name);
    // Rows sent as records have no file size (measuring their JSON cost more than the rest of a small append).
    const sourceInfo = { fileName: source, bytes: 0, delimiter: '', lineEnding: '' };
    if (!exists) {
      const { frame, quarantined, rowLines, unparsable } = recordsToFrame(records);
      const { ruleQuarantined, ...ingested } = await this.writer.commitVersion(
        name,
        frame,
        [...unparsed, ...quarantined],
        unparsable === undefined ? sourceInfo : { ...sourceInfo, unparsable },
        {},
        { lineOf: (r) => rowLines[r] ?? r + 1, ...(inTransaction === undefined ? {} : { inTransaction }) },
      );
      return {
        ...ingested,
        ...(unparsable === undefined ? {} : { unparsable }),
        appended: frame.rowCount - ruleQuarantined,
        ignoredFields: [],
      };
    }
    const latest = this.versions.versionRow(name);
    // The latest version's schema is all an append needs: its rows are neither read nor copied.
    const schema = JSON.parse(latest.schema_json) as SchemaField[];
    const { frame, quarantined, acceptedLines, ignoredFields } = recordsInSchema(schema, records);
    const { ruleQuarantined, ...result } = await this.writer.commitAppend(
      name,
      latest,
      frame,
      [...unparsed, ...quarantined],
      sourceInfo,
      (r) => acceptedLines[r] ?? r + 1,
      inTransaction,
    );
    return { ...result, appended: frame.rowCount - ruleQuarantined, ignoredFields };
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
    const { frame, quarantined, rowLines, unparsable } = recordsToFrame(this.pii.protectRecords(name, records));
    const ingested = await this.commitNewVersion(
      name,
      frame,
      quarantined,
      {
        fileName: source,
        bytes: Buffer.byteLength(JSON.stringify(records)),
        delimiter: '',
        lineEnding: '',
        ...(unparsable === undefined ? {} : { unparsable }),
      },
      {},
      (r) => rowLines[r] ?? r + 1,
      options.force === true,
    );
    return unparsable === undefined ? ingested : { ...ingested, unparsable };
  }

  /**
   * Appends a file's rows (CSV, JSON or NDJSON) to the dataset's latest version, in its schema, as `appendRecords`
   * does; the file's own malformed lines are quarantined with their line numbers beside the rows its types refuse.
   */
  async appendFile(
    name: string,
    path: string,
    options: CsvReadOptions & { fileName?: string; format?: TableFormat; inTransaction?: InTransaction } = {},
  ): Promise<IngestResult & { appended: number; ignoredFields: string[] }> {
    const fileName = options.fileName ?? basename(path);
    // Strict types: a cell the dataset's column cannot hold quarantines its row (with why) rather than go missing, and a
    // text column's cells are never taken for typos of a number.
    const { frame, quarantined } = await readTable(path, fileName, { ...options, strictTypes: true });
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
    options: { force?: boolean; inTransaction?: InTransaction } = {},
  ): Promise<IngestResult & { appended: number }> {
    assertName('dataset', name);
    const protectedBatch = this.pii.protectFrame(name, batch);
    const inTransaction = options.inTransaction === undefined ? {} : { inTransaction: options.inTransaction };
    if (!this.versions.exists(name)) {
      const { ruleQuarantined, ...result } = await this.writer.commitVersion(
        name,
        protectedBatch,
        problems,
        source,
        {},
        inTransaction,
      );
      return { ...result, appended: protectedBatch.rowCount - ruleQuarantined };
    }
    const { frame: previous } = this.versions.loadFrame(name);
    const { frame: evolved, changes } = evolveSchema(previous, protectedBatch, options.force === true);
    const byName = new Map(evolved.columns.map((c) => [c.name, c]));
    if (
      changes.added.length === 0 &&
      changes.retyped.length === 0 &&
      byName.size === previous.columns.length &&
      previous.columns.every((c) => byName.get(c.name)?.type === c.type)
    ) {
      // The same columns and types: the rows become one more segment of the version (see commitAppend).
      const { ruleQuarantined, ...result } = await this.writer.commitAppend(
        name,
        this.versions.versionRow(name),
        { rowCount: evolved.rowCount, columns: previous.columns.map((c) => byName.get(c.name)!) },
        problems,
        source,
        (r) => r + 1,
        options.inTransaction,
      );
      return { ...result, appended: evolved.rowCount - ruleQuarantined, schemaChanges: changes };
    }
    const { ruleQuarantined, ...result } = await this.writer.commitVersion(
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
    options: { force?: boolean; inTransaction?: InTransaction } = {},
  ): Promise<IngestResult> {
    assertName('dataset', name);
    return this.commitNewVersion(
      name,
      this.pii.protectFrame(name, frame),
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
  async refreshFromFile(name: string, path: string, options: CsvReadOptions & { format?: TableFormat }): Promise<number> {
    const fileName = basename(path);
    const result = await readTable(path, fileName, options);
    const unparsable = withheldUnder(result.unparsable, this.pii.policies(name));
    return this.refresh(
      name,
      result.frame,
      result.quarantined,
      {
        fileName,
        bytes: result.bytes,
        delimiter: result.delimiter,
        lineEnding: result.lineEnding,
        ...(unparsable === undefined ? {} : { unparsable }),
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
    const protectedFrame = this.pii.protectFrame(name, frame);
    if (this.versions.exists(name)) {
      const { frame: latest, info } = this.versions.loadFrame(name);
      const sameColumns =
        latest.columns.length === protectedFrame.columns.length &&
        latest.columns.every((c) => protectedFrame.columns.some((x) => x.name === c.name));
      if (sameColumns && latest.rowCount === protectedFrame.rowCount && newRowsSince(protectedFrame, latest).rows.length === 0)
        return info.version;
    }
    const result = await this.commitNewVersion(name, protectedFrame, quarantined, source, {}, lineOf, false);
    return result.version;
  }
}

/**
 * Unparsable cells as a version records them: the text of a cell in a column under a PII policy other than keep is
 * withheld (its line is still given), since the policy never let the column's raw values reach the store.
 */
function withheldUnder(
  unparsable: UnparsableCells | undefined,
  policies: Record<string, ColumnPolicy>,
): UnparsableCells | undefined {
  if (unparsable === undefined) return undefined;
  return {
    total: unparsable.total,
    cells: unparsable.cells.map((c) => {
      const policy = policies[c.column]?.policy;
      return policy === undefined || policy === 'keep' ? c : { ...c, text: `(withheld: ${policy} policy)` };
    }),
  };
}
