import { z } from 'zod';
import { defineMethods, returns } from './method.js';
import { name, row, uploadRef, version, type ColumnType } from './fields.js';
import type { DriftTest } from './monitoring.js';
import { piiPolicies, piiTypes, type ColumnPolicy, type PiiDetection } from './pii.js';
import type { RuleFailure } from './rules.js';

/* datasets.*: ingest (files, queries, rows), versions, profiles, quarantine, PII, k-anonymity, diffs. */

const piiType = z.enum(piiTypes);
const columnPolicy = z.object({ policy: z.enum(piiPolicies), type: piiType.nullable().default(null) }).strict();

/** One dataset, by its latest version. */
export interface DatasetSummary {
  name: string;
  latestVersion: number;
  rows: number;
  columns: number;
  versions: number;
  createdAt: string;
  updatedAt: string;
}

/** One immutable dataset version. */
export interface DatasetVersionInfo {
  dataset: string;
  version: number;
  rows: number;
  quarantined: number;
  contentHash: string;
  schema: { name: string; type: ColumnType }[];
  source: {
    fileName: string;
    /** The file's size; 0 for rows appended as records (HTTP push, a stream). */
    bytes: number;
    delimiter: string;
    lineEnding: string;
    /** Set when a pipeline made this version: which pipeline (and version of its file) and the inputs it read. */
    pipeline?: { name: string; version: number };
    inputs?: { dataset: string; version: number; role: 'rows' | 'lookup' }[];
    /** The SHA-256 of a file's bytes, and the options it was read with (what a re-ingest is compared on). */
    sha256?: string;
    readOptions?: string;
    /** Cells read as missing because they did not parse as their column's type. */
    unparsable?: UnparsableCells;
  };
  createdAt: string;
}

/** A column profile: counts, moments, quantiles, top values and a histogram. */
export interface ColumnProfile {
  name: string;
  type: ColumnType;
  count: number;
  missing: number;
  distinct: number;
  /** True when quantiles, distinct and top values are estimates from a 200,000-value sample. */
  sampled: boolean;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  quantiles: { p: number; value: number }[];
  topValues: { value: string; count: number }[];
  /** Bins; for a date column `label` gives its bounds as ISO dates (start and end stay epoch milliseconds). */
  histogram: { label: string; start: number | null; end: number | null; count: number }[];
  /**
   * 'date' for a datetime column, whose min, max, mean, quantiles and bin bounds are epoch milliseconds: `dates`
   * gives its min and max as ISO 8601 text (the date alone when every value is a whole day). Absent otherwise.
   */
  kind?: 'date';
  dates?: { min: string; max: string } | null;
}

/** A dataset version with its column profiles. */
export interface DatasetVersionDetail extends DatasetVersionInfo {
  profile: ColumnProfile[];
}

/** A quarantined record: where it was, why, and what it said. */
export interface QuarantinedRow {
  line: number;
  reason: string;
  raw: string;
}

/**
 * Cells that did not parse as their column's numeric or date type, within what the column tolerates (5 cells, or
 * 0.1% of its non-empty cells when that is more), and were read as missing rather than turn the column to text.
 */
export interface UnparsableCells {
  /** How many there were in all. */
  total: number;
  /** The first 100 in file order: the column, the 1-based file line, and the text as written (cut to 200 characters). */
  cells: { column: string; line: number; text: string }[];
}

/** What an ingest made. */
export interface IngestResult {
  dataset: string;
  version: number;
  rows: number;
  quarantined: number;
  columns: { name: string; type: ColumnType }[];
  contentHash: string;
  /** The dataset's rules that this version broke without being refused (warn, or rows quarantined). */
  rulesFailed?: RuleFailure[];
  /** How this version's schema differs from the previous version's (a new file as a new version). */
  schemaChanges?: SchemaChanges;
  /** Cells read as missing because they did not parse as their column's type (absent when none). */
  unparsable?: UnparsableCells;
  /**
   * True when the file's bytes and options were those of the dataset's latest version: no version was written, and
   * `version` names that one (ingest with force to make a new version anyway).
   */
  unchanged?: boolean;
}

export interface SchemaChanges {
  added: { column: string; type: ColumnType }[];
  dropped: { column: string; type: ColumnType }[];
  /** widening: integer → number, boolean → integer or number, categorical → text; anything else needed --force. */
  retyped: { column: string; from: ColumnType; to: ColumnType; widening: boolean }[];
  /** Levels of a categorical column that no earlier version had (the first 50, and how many). */
  newLevels: { column: string; levels: string[]; count: number }[];
}

export interface KAnonymityReport {
  dataset: string;
  version: number;
  columns: string[];
  /** The k asked for, and the k the data has (its smallest group). */
  required: number;
  k: number;
  groups: number;
  groupsBelowK: number;
  rowsBelowK: number;
  smallest: { values: (string | null)[]; rows: number }[];
}

/** Two versions of a dataset compared: schema, rows (as multisets of values), and each shared column's distribution. */
export interface DatasetDiff {
  dataset: string;
  from: number;
  to: number;
  schema: {
    added: { column: string; type: ColumnType }[];
    dropped: { column: string; type: ColumnType }[];
    retyped: { column: string; from: ColumnType; to: ColumnType }[];
  };
  rows: { from: number; to: number; added: number; removed: number; unchanged: number };
  distributions: { column: string; test: DriftTest; statistic: number; pValue: number | null; changed: boolean }[];
  skipped: { column: string; reason: string }[];
}

export const datasetsMethods = defineMethods({
  'datasets.list': {
    doc: 'Every dataset, by its latest version.',
    permission: 'read',
    args: z.object({}).strict(),
    result: returns<DatasetSummary[]>(),
  },
  'datasets.versions': {
    doc: "A dataset's versions.",
    permission: 'read',
    args: z.object({ name }).strict(),
    result: returns<DatasetVersionInfo[]>(),
  },
  'datasets.version': {
    doc: 'One version (the latest when none is named) with its column profiles.',
    permission: 'read',
    args: z.object({ name, version: version.optional() }).strict(),
    result: returns<DatasetVersionDetail>(),
  },
  'datasets.export': {
    doc:
      'One version (the latest when none is named) as CSV text, header first: the values as stored, so under the ' +
      "dataset's PII policies as every read is; refused past 64 MB of text.",
    permission: 'read',
    args: z.object({ name, version: version.optional() }).strict(),
    result: returns<{ dataset: string; version: number; rows: number; csv: string }>(),
  },
  'datasets.quarantine': {
    doc: 'A page of the records a version set aside, with why.',
    permission: 'read',
    args: z
      .object({
        name,
        version: version.optional(),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(100),
      })
      .strict(),
    result: returns<{ total: number; rows: QuarantinedRow[] }>(),
  },
  'datasets.ingest': {
    doc:
      "A CSV, JSON, NDJSON or Parquet file as the dataset's next version (or appended to the latest); the latest " +
      "version's own bytes and options again answer unchanged, making no version, unless force.",
    permission: 'ingest',
    args: z
      .object({
        name,
        /** An id from the transport's upload (HTTP PUT /api/uploads, or the desktop bridge). */
        uploadId: z
          .string()
          .regex(/^[a-f0-9-]{36}$/)
          .optional(),
        /** A local file path: accepted from the CLI and in-process callers only, never over HTTP or IPC. */
        path: z.string().min(1).optional(),
        fileName: z.string().max(255).optional(),
        delimiter: z.enum([',', ';', '\t', '|']).optional(),
        /** csv, json (an array of objects), ndjson or parquet; by default from the file name's extension. */
        format: z.enum(['csv', 'json', 'ndjson', 'parquet']).optional(),
        /** Append the file's rows to the latest version (in its schema) instead of making a version of the file alone. */
        append: z.boolean().optional(),
        /**
         * With append: at most once per content. A file whose bytes were appended to this dataset before is refused
         * (CONFLICT); its SHA-256 is recorded in the transaction that commits its rows (what a watched folder sends).
         */
        once: z.boolean().optional(),
        /**
         * Accept a schema that narrows a column's type (refused otherwise), and make a new version even when the
         * file's bytes and options are those of the latest version (which otherwise answers `unchanged`).
         */
        force: z.boolean().optional(),
        /** PII policies applied before anything is written: "suggested" takes the scan's suggestions. */
        pii: z.union([z.literal('suggested'), z.record(z.string().min(1), columnPolicy)]).optional(),
      })
      .strict()
      .refine((a) => (a.uploadId === undefined) !== (a.path === undefined), 'give exactly one of uploadId or path')
      .refine((a) => a.once !== true || a.append === true, 'once goes with append'),
    /** With append, `appended` counts the rows this call added (`rows` counts the whole new version). */
    result: returns<IngestResult & { appended?: number }>(),
  },
  /**
   * A SQL query's rows as the next version (or appended): PostgreSQL or another SQLite file. From the CLI and
   * in-process callers only: a server that connects where an HTTP caller says would reach past the box's own data.
   */
  'datasets.ingest-query': {
    doc: "A SQL query's rows (PostgreSQL or SQLite) as the dataset's next version (or appended).",
    permission: 'ingest',
    args: z
      .object({
        name,
        from: z.string().regex(/^(postgres(ql)?|sqlite):\/\//, 'postgres://USER@HOST/DB or sqlite:///PATH'),
        query: z.string().min(1).max(100_000),
        append: z.boolean().optional(),
        force: z.boolean().optional(),
      })
      .strict(),
    result: returns<IngestResult>(),
  },
  'datasets.append': {
    doc: "Appends JSON rows as the dataset's next version (the latest's rows, then these), or creates it from them.",
    permission: 'ingest',
    args: z
      .object({
        name,
        rows: z.array(row).min(1).max(100_000),
        /** Where the rows came from, kept as the version's source (e.g. the MQTT topic). */
        source: z.string().min(1).max(255).optional(),
      })
      .strict(),
    result: returns<IngestResult & { appended: number; ignoredFields: string[] }>(),
  },
  'datasets.pii-scan': {
    doc: 'Scans a file for personal data without storing anything: detections per column, with a suggested policy.',
    permission: 'ingest',
    args: z
      .object({
        uploadId: uploadRef.optional(),
        path: z.string().min(1).optional(),
        keepUpload: z.boolean().optional(),
        fileName: z.string().max(255).optional(),
        format: z.enum(['csv', 'json', 'ndjson', 'parquet']).optional(),
      })
      .strict()
      .refine((a) => (a.uploadId === undefined) !== (a.path === undefined), 'give exactly one of uploadId or path'),
    result: returns<{ rows: number; detections: PiiDetection[] }>(),
  },
  'datasets.pii-policies': {
    doc: 'The PII policy applied to each column of a dataset.',
    permission: 'read',
    args: z.object({ name }).strict(),
    result: returns<Record<string, ColumnPolicy>>(),
  },
  'datasets.k-anonymity': {
    doc: "The smallest group of rows sharing one combination of the quasi-identifiers' values.",
    permission: 'read',
    args: z
      .object({
        name,
        version: version.optional(),
        columns: z.array(z.string().min(1)).min(1).max(32),
        k: z.number().int().min(2).max(1000).default(5),
      })
      .strict(),
    result: returns<KAnonymityReport>(),
  },
  'datasets.diff': {
    doc: 'Two versions of a dataset compared: schema, rows and distributions.',
    permission: 'read',
    args: z.object({ name, from: version, to: version }).strict(),
    result: returns<DatasetDiff>(),
  },
});
