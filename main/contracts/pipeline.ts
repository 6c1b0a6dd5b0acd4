// The pipeline file's format, shared by the engine, the API contract and the console (no Node imports).
import { z } from 'zod';
import { piiPolicies, piiTypes } from './pii.js';

const datasetName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, ".", "_" or "-"');
const sourceName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, 'a source name: letters, digits, "_" or "-"');
const columnName = z.string().min(1).max(255);
const columnTypes = ['integer', 'number', 'boolean', 'datetime', 'categorical', 'text'] as const;

/**
 * Where a pipeline's rows come from. A dataset (its latest version, or `NAME@VERSION`); a file or a SQL query,
 * each read at every run into the dataset `into` (a new version only when its rows changed) and used from there,
 * so every input a run read is a dataset version its lineage can name.
 */
export const pipelineSource = z.union([
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(@\d+)?$/, 'a dataset name, or NAME@VERSION'),
  z.object({ dataset: datasetName, version: z.number().int().positive().optional() }).strict(),
  z
    .object({
      file: z.string().min(1),
      into: datasetName,
      format: z.enum(['csv', 'json', 'ndjson', 'parquet']).optional(),
      delimiter: z.enum([',', ';', '\t', '|']).optional(),
    })
    .strict(),
  z
    .object({
      query: z.string().min(1).max(100_000),
      from: z.string().regex(/^(postgres(ql)?|sqlite):\/\//, 'postgres://USER@HOST/DB or sqlite:///PATH'),
      into: datasetName,
    })
    .strict(),
]);
export type PipelineSource = z.infer<typeof pipelineSource>;

/** Each step is an object with one key, the step's kind; its value is what the step needs. */
export const pipelineSteps = {
  /** Starts from a source's new rows (the first step; exactly one). */
  from: sourceName,
  rename: z.record(columnName, columnName),
  cast: z.record(columnName, z.enum(columnTypes)),
  /** New (or replaced) columns computed from expressions, in order: a later one may use an earlier one. */
  derive: z.record(columnName, z.string().min(1).max(2000)),
  filter: z.string().min(1).max(2000),
  select: z.array(columnName).min(1),
  drop: z.array(columnName).min(1),
  join: z
    .object({
      with: sourceName,
      on: z.union([columnName, z.array(columnName).min(1)]),
      how: z.enum(['inner', 'left']).default('inner'),
      /** Added to a right-hand column whose name the left already has (default "_" + the source's name). */
      suffix: z.string().min(1).max(64).optional(),
    })
    .strict(),
  /** Another source's new rows after these, columns matched by name. */
  union: z.union([sourceName, z.array(sourceName).min(1)]),
  /** One row per key (all columns when no keys), also against the rows earlier runs wrote. */
  dedup: z.union([z.literal(true), z.object({ keys: z.array(columnName).min(1).optional() }).strict()]),
  sample: z.object({ fraction: z.number().gt(0).max(1), seed: z.number().int().default(0) }).strict(),
  pii: z.record(
    columnName,
    z.union([
      z.enum(piiPolicies),
      z.object({ policy: z.enum(piiPolicies), type: z.enum(piiTypes).nullable().default(null) }).strict(),
    ]),
  ),
} as const;
export type PipelineStepKind = keyof typeof pipelineSteps;
export const pipelineStepKinds = Object.keys(pipelineSteps) as PipelineStepKind[];
export type PipelineStep = { [K in PipelineStepKind]: { kind: K; spec: z.infer<(typeof pipelineSteps)[K]> } }[PipelineStepKind];

export const pipelineFile = z
  .object({
    /** The pipeline's name: runs, versions of its file and its incremental state are kept under it. */
    name: datasetName,
    description: z.string().max(2000).optional(),
    sources: z.record(sourceName, pipelineSource),
    steps: z.array(z.record(z.string(), z.unknown())).min(1).max(200),
    output: z.union([datasetName, z.object({ dataset: datasetName, force: z.boolean().optional() }).strict()]),
  })
  .strict();

/** A pipeline file, checked: sources by name, steps in order, the output dataset. */
export interface PipelineSpec {
  name: string;
  description?: string;
  sources: Record<string, PipelineSource>;
  steps: PipelineStep[];
  output: { dataset: string; force: boolean };
}

/** What one step did in a preview: its rows and columns after it, and the first rows. */
export interface PipelineStepPreview {
  index: number;
  /** The step as one line ("join customers on customer_id (left)"). */
  label: string;
  rows: number;
  columns: { name: string; type: (typeof columnTypes)[number] }[];
  sample: Record<string, string | number | boolean | null>[];
  /** Rows the step set aside (a cast that failed), with why. */
  setAside: number;
}

/** The input a run read: a dataset version, its new rows (for a row source) or all of it (a lookup). */
export interface PipelineInput {
  source: string;
  dataset: string;
  version: number;
  role: 'rows' | 'lookup';
  /** Rows new since the version the previous run consumed (rows sources); the whole version for lookups. */
  rows: number;
  /** Rows an earlier consumed version had that this one lacks (a rewritten input; they are not retracted). */
  removed?: number;
}

export interface PipelinePreview {
  pipeline: string;
  inputs: PipelineInput[];
  steps: PipelineStepPreview[];
  /** True when the preview read only the first rows of each input (the run reads all new rows). */
  truncated: boolean;
}

/** One run of a pipeline: what it read, what it wrote, how it ended. */
export interface PipelineRunInfo {
  id: number;
  pipeline: string;
  /** The version of the pipeline file it ran (a new version whenever the file's text changes). */
  pipelineVersion: number;
  status: 'succeeded' | 'up-to-date' | 'failed' | 'cancelled';
  startedAt: string;
  finishedAt: string;
  inputs: PipelineInput[];
  output: { dataset: string; version: number | null };
  /** New input rows read, rows written to the output, rows set aside. */
  rowsIn: number;
  rowsOut: number;
  quarantined: number;
  error: string | null;
  /** incremental: new input rows appended; rebuild: every input row, written as a whole new output version. */
  mode: 'incremental' | 'rebuild';
}

export interface PipelineSummary {
  name: string;
  versions: number;
  output: string;
  lastRun: PipelineRunInfo | null;
}
