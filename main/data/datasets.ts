import type { ColumnProfile, DataRule, DatasetSummary, DatasetVersionInfo, IngestResult, RulesCheck } from '../contracts/api.js';
import type { ColumnPolicy, PiiDetection } from '../privacy/pii.js';
import type { BlobStore } from '../store/blob-store.js';
import type { Db } from '../store/database.js';
import type { CsvReadOptions, QuarantinedRow } from './csv.js';
import { DatasetPolicies } from './dataset-pii.js';
import { DatasetRules } from './dataset-rules.js';
import { DatasetVersions } from './dataset-versions.js';
import type { Frame } from '../table/frame.js';
import { DatasetIngest } from './ingest.js';
import type { TableFormat } from './read-table.js';
import { VersionWriter, type InTransaction } from './version-writer.js';

export { assertName } from './dataset-versions.js';
export { readTable } from './read-table.js';
export { recordsToFrame } from './records.js';

/**
 * Datasets and their immutable versions, as one service: a facade over the modules that do the work, each given
 * only what it uses: versions (read side, dataset-versions.ts), PII policies (dataset-pii.ts), rules
 * (dataset-rules.ts), the version writer (version-writer.ts) and ingest (ingest.ts).
 */
export class DatasetStore {
  private readonly store: DatasetVersions;
  private readonly pii: DatasetPolicies;
  private readonly ruleBook: DatasetRules;
  private readonly ingest: DatasetIngest;

  constructor(
    db: Db,
    blobs: BlobStore,
    /** The key of keyed pseudonyms (hash policies): from the store's secret, so tokens are stable on this box. */
    piiKey?: () => Buffer,
  ) {
    this.store = new DatasetVersions(db, blobs);
    this.pii = new DatasetPolicies(db, piiKey);
    this.ruleBook = new DatasetRules(db, this.store, this.pii);
    this.ingest = new DatasetIngest(this.store, this.pii, new VersionWriter(db, blobs, this.store, this.ruleBook, this.pii));
  }

  // Versions (dataset-versions.ts)

  list(): DatasetSummary[] {
    return this.store.list();
  }
  versions(name: string): DatasetVersionInfo[] {
    return this.store.versions(name);
  }
  version(name: string, version?: number): DatasetVersionInfo & { id: number; profile: ColumnProfile[] } {
    return this.store.version(name, version);
  }
  versionById(id: number): DatasetVersionInfo {
    return this.store.versionById(id);
  }
  rowCount(name: string, version?: number): number {
    return this.store.rowCount(name, version);
  }
  quarantine(
    name: string,
    version: number | undefined,
    offset: number,
    limit: number,
  ): { total: number; rows: QuarantinedRow[] } {
    return this.store.quarantine(name, version, offset, limit);
  }
  loadFrame(name: string, version?: number): { frame: Frame; info: DatasetVersionInfo & { id: number } } {
    return this.store.loadFrame(name, version);
  }
  detail(name: string, version?: number): Promise<DatasetVersionInfo & { id: number; profile: ColumnProfile[] }> {
    return this.store.detail(name, version);
  }
  datasetId(name: string): number | null {
    return this.store.datasetId(name);
  }

  // PII policies (dataset-pii.ts)

  policies(name: string): Record<string, ColumnPolicy> {
    return this.pii.policies(name);
  }
  protectRecords<T extends Record<string, unknown>>(name: string, records: readonly T[]): T[] {
    return this.pii.protectRecords(name, records);
  }
  protectWith(frame: Frame, policies: Record<string, ColumnPolicy>): Frame {
    return this.pii.protectWith(frame, policies);
  }
  protectProblem<T extends { reason: string; raw: string }>(problem: T, policies: Record<string, ColumnPolicy>): T {
    return this.pii.protectProblem(problem, policies);
  }
  protectFrame(name: string, frame: Frame): Frame {
    return this.pii.protectFrame(name, frame);
  }

  // Rules (dataset-rules.ts)

  rules(name: string): DataRule[] {
    return this.ruleBook.rules(name);
  }
  assertServable(name: string, rows: readonly Record<string, unknown>[]): void {
    this.ruleBook.assertServable(name, rows);
  }
  setRules(name: string, rules: DataRule[]): DataRule[] {
    return this.ruleBook.setRules(name, rules);
  }
  suggestRules(name: string, version?: number): DataRule[] {
    return this.ruleBook.suggestRules(name, version);
  }
  checkRules(name: string, version?: number, rules?: DataRule[]): Promise<RulesCheck> {
    return this.ruleBook.checkRules(name, version, rules);
  }

  // Ingest (ingest.ts)

  scanCsv(
    path: string,
    options?: CsvReadOptions & { fileName?: string; format?: TableFormat },
  ): Promise<{ rows: number; detections: PiiDetection[] }> {
    return this.ingest.scanCsv(path, options);
  }
  ingestCsv(name: string, path: string, options?: Parameters<DatasetIngest['ingestCsv']>[2]): Promise<IngestResult> {
    return this.ingest.ingestCsv(name, path, options);
  }
  appendRecords(
    name: string,
    records: readonly Record<string, unknown>[],
    source: string,
    unparsed?: readonly QuarantinedRow[],
    inTransaction?: InTransaction,
  ): Promise<IngestResult & { appended: number; ignoredFields: string[] }> {
    return this.ingest.appendRecords(name, records, source, unparsed, inTransaction);
  }
  ingestRecords(
    name: string,
    records: readonly Record<string, unknown>[],
    source: string,
    options?: { force?: boolean },
  ): Promise<IngestResult> {
    return this.ingest.ingestRecords(name, records, source, options);
  }
  appendFile(
    name: string,
    path: string,
    options?: Parameters<DatasetIngest['appendFile']>[2],
  ): Promise<IngestResult & { appended: number; ignoredFields: string[] }> {
    return this.ingest.appendFile(name, path, options);
  }
  appendFrame(
    name: string,
    batch: Frame,
    problems: readonly QuarantinedRow[],
    source: DatasetVersionInfo['source'],
    options?: { force?: boolean; inTransaction?: InTransaction },
  ): Promise<IngestResult & { appended: number }> {
    return this.ingest.appendFrame(name, batch, problems, source, options);
  }
  replaceFrame(
    name: string,
    frame: Frame,
    problems: readonly QuarantinedRow[],
    source: DatasetVersionInfo['source'],
    options?: { force?: boolean; inTransaction?: InTransaction },
  ): Promise<IngestResult> {
    return this.ingest.replaceFrame(name, frame, problems, source, options);
  }
  refreshFromFile(name: string, path: string, options: CsvReadOptions & { format?: TableFormat }): Promise<number> {
    return this.ingest.refreshFromFile(name, path, options);
  }
  refreshFromRecords(name: string, records: readonly Record<string, unknown>[], source: string): Promise<number> {
    return this.ingest.refreshFromRecords(name, records, source);
  }
}
