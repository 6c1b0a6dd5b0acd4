import { z } from 'zod';
import { defineMethods, returns } from './method.js';
import { aliasName, name, settableAlias, type Task, uploadRef, version } from './fields.js';

/* models.*: the registry (versions, aliases, reports, imports, metric snapshots). Serving, monitoring, sync and
 * retraining of models are in serving.ts, monitoring.ts, sync.ts and training.ts. */

/** A registered model and where its aliases point. */
export interface ModelSummary {
  name: string;
  task: Task;
  target: string;
  latestVersion: number;
  versions: number;
  aliases: Record<string, number>;
  createdAt: string;
}

/** One model version: lineage, parameters, metrics and the evaluation report. */
export interface ModelVersionInfo {
  model: string;
  version: number;
  algorithm: string;
  task: Task;
  target: string;
  dataset: { name: string; version: number; contentHash: string };
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  report: Record<string, unknown>;
  inputSchema: { name: string; type: 'double' | 'string' }[];
  onnxDigest: string;
  modelDigest: string;
  aliases: string[];
  createdAt: string;
  /**
   * Why models.predict cannot explain this version (an ensemble, a neural net, an imported graph), or null when it
   * can (exact TreeSHAP or linear SHAP).
   */
  explainRefusal: string | null;
  /** Where a version pulled from a registry came from; null for one trained here. */
  origin: ModelOrigin | null;
  /** What training it cost and what predicting with it costs on this box; null for a version that did not measure it. */
  cost: CostEstimate | null;
}

/**
 * What a training run measured for its cost (in the version's report as `cost`): the process's CPU time over the
 * run, and the exported graph's single-row latency and batch throughput through the serving predictor.
 */
export interface CostMeasures {
  /** User + system CPU time of the whole process (every thread: workers, ONNX Runtime, GC) from start to registration. */
  cpuMs: number;
  /** Of which the engine's main thread (Linux only; null elsewhere). */
  mainThreadCpuMs: number | null;
  wallMs: number;
  /** The cores this box offers (os.availableParallelism): CPU time can reach wall time × cores. */
  cores: number;
  /** Wall time per phase, up to registration. */
  phases: { phase: string; seconds: number }[];
  /** Single-row predictions, one call each, through the graph predictor: p50 and p99 over `samples` calls. */
  latency: { p50Us: number; p99Us: number; samples: number } | null;
  /** One batch through the graph predictor: its rows, wall time and the process's CPU time meanwhile. */
  batch: { rows: number; wallMs: number; cpuMs: number } | null;
}

/** A version's cost: the measures, CPU-hours worked out from them, and money when a rate per core-hour is set. */
export interface CostEstimate {
  training: {
    cpuSeconds: number;
    mainThreadCpuSeconds: number | null;
    wallSeconds: number;
    cores: number;
    cpuHours: number;
    phases: { phase: string; seconds: number }[];
  };
  peakRssMb: number | null;
  /** The ONNX graph's size in bytes. */
  modelBytes: number | null;
  latency: { p50Us: number; p99Us: number; samples: number } | null;
  batch: { rows: number; wallMs: number; cpuMs: number; rowsPerSecond: number | null } | null;
  /** CPU-hours per million predictions, one row per call (from the p50) and in batches (from the throughput). */
  perMillion: { singleRowCpuHours: number | null; batchCpuHours: number | null };
  /** At the host's rate (settings cost.perCoreHour, cost.currency); null when none is set. */
  price: {
    perCoreHour: number;
    currency: string;
    training: number;
    perMillionSingleRow: number | null;
    perMillionBatch: number | null;
  } | null;
}

/** A pulled version's provenance: the artifact it was verified against and the remote's own version number. */
export interface ModelOrigin {
  /** oci://HOST[:PORT]/REPOSITORY */
  url: string;
  /** The tag or digest that was asked for. */
  reference: string;
  /** The manifest's digest, verified on arrival. */
  digest: string;
  remoteVersion: number | null;
  pulledAt: string;
}

/**
 * One input of a model version as a form should offer it: its kind, the levels the model knows (a categorical input)
 * and the range of the training data version (a numeric or date input). Missing is always allowed.
 */
export interface ModelInput {
  name: string;
  /** How the ONNX graph takes it. */
  type: 'double' | 'string';
  kind: 'number' | 'integer' | 'boolean' | 'date' | 'category';
  /**
   * A categorical input's levels as the model learned them (sorted); any other value is treated as unseen. Null for
   * numeric inputs, and for an imported graph's string inputs when its reference data does not list every level.
   */
  levels: string[] | null;
  /** The smallest and largest value in the training data version (dates: epoch ms); null when not known. */
  min: number | null;
  max: number | null;
  /** A date input's range as ISO 8601 text. */
  dates: { min: string; max: string } | null;
}

/** What a version takes and what it can do with it: models.schema. */
export interface ModelSchema {
  model: string;
  version: number;
  algorithm: string;
  task: Task;
  target: string;
  /** In the order the graph takes them. */
  inputs: ModelInput[];
  /** Whether models.predict with explain is answered, and how (null when it is refused: see explainRefusal). */
  explain: 'treeshap' | 'linear-shap' | null;
  explainRefusal: string | null;
  /** Where the ranges come from: the training data version, or null when it is not in this store. */
  rangesFrom: { dataset: string; version: number } | null;
}

/** A model version's metrics measured on labelled data after training; synced as an OCI referrer of the version. */
export interface MetricSnapshot {
  id: number;
  model: string;
  version: number;
  source: string;
  dataHash: string;
  rows: number;
  metrics: Record<string, number>;
  createdAt: string;
}

/** A file a method returns for download: base64 in JSON, the bytes themselves over HTTP when asked for. */
export interface FileDownload {
  fileName: string;
  mediaType: string;
  bytes: number;
  base64: string;
}

/** A model version's ONNX file, with the metadata written into it. */
export interface ModelExport extends FileDownload {
  model: string;
  version: number;
  /** The graph's metadata_props, as written into the file. */
  metadata: Record<string, string>;
}

/**
 * What knowing nothing scores on a model's evaluation rows (report.baseline): the training class prior (always the
 * majority class) or the training mean, and whether the model clearly beats it by a paired one-sided test.
 */
export interface BaselineComparison {
  kind: 'majority' | 'mean';
  /** The constant answer: the majority class, or the training mean. */
  answer: string | number;
  /** The baseline's metrics on the same rows, under the model's metric names. */
  metrics: Record<string, number>;
  /** Per-row improvement of the model over the baseline (mean, standard error, one-sided p). */
  tests: { metric: string; improvement: number; se: number; p: number }[];
  rows: number;
  alpha: number;
  /** Classification: the training class shares in the model's class order (what the baseline answers with). */
  prior: number[] | null;
  /** True when some test's improvement is positive with p < alpha; false puts a BELOW_BASELINE warning on the model. */
  beaten: boolean;
}

/** A curve point as the report stores it (ROC: false/true positive rate; PR: recall/precision). */
export interface StoredCurvePoint {
  x: number;
  y: number;
  /** The score cut-off; JSON null for the ROC curve's opening +∞. */
  threshold: number | null;
}

/** One class against the rest (report.perClass, multiclass): its ROC and precision–recall curves on the test rows. */
export interface ClassCurves {
  class: string;
  /** Test rows of this class. */
  support: number;
  rocAuc: number | null;
  averagePrecision: number | null;
  roc: StoredCurvePoint[];
  pr: StoredCurvePoint[];
}

/** Actual against predicted on the test rows (report.residuals, regression), a sample of at most 2,000 rows. */
export interface ResidualSample {
  rows: number;
  points: { actual: number; predicted: number; residual: number }[];
}

/** One reliability-diagram bin (report.calibration): mean predicted probability and the observed rate. */
export interface CalibrationBin {
  predicted: number;
  observed: number;
  count: number;
}

/** A metric snapshot from models.evaluate, with the baseline on the same rows (not stored; null without a prior). */
export interface EvaluationSnapshot extends MetricSnapshot {
  baseline: BaselineComparison | null;
}

/** The result of moving an alias. */
export interface AliasMove {
  model: string;
  alias: string;
  version: number;
  previousVersion: number | null;
}

export const modelsMethods = defineMethods({
  'models.list': {
    doc: 'Every registered model and where its aliases point.',
    permission: 'read',
    args: z.object({}).strict(),
    result: returns<ModelSummary[]>(),
  },
  'models.versions': {
    doc: "A model's versions.",
    permission: 'read',
    args: z.object({ name }).strict(),
    result: returns<ModelVersionInfo[]>(),
  },
  'models.version': {
    doc: 'One model version (the latest when none is named).',
    permission: 'read',
    args: z.object({ name, version: version.optional() }).strict(),
    result: returns<ModelVersionInfo>(),
  },
  'models.schema': {
    doc:
      "A version's inputs as a form offers them: each input's kind, the categorical levels the model knows, the " +
      'numeric and date ranges of its training data, and whether its predictions can be explained.',
    permission: 'read',
    args: z.object({ name, version: version.optional() }).strict(),
    result: returns<ModelSchema>(),
  },
  'models.report': {
    doc: 'A self-contained HTML report of a model version (summaries, charts, lineage; no data rows).',
    permission: 'read',
    args: z.object({ name, version: version.optional() }).strict(),
    result: returns<{ fileName: string; html: string }>(),
  },
  'models.promote': {
    doc: 'Sets or moves an alias (production when none is named) to a version.',
    permission: 'write',
    args: z.object({ name, version, alias: settableAlias.optional() }).strict(),
    result: returns<AliasMove>(),
  },
  'models.rollback': {
    doc: "Undoes an alias's (production's by default) latest promotion not yet undone (repeated calls walk further back).",
    permission: 'write',
    args: z.object({ name, alias: settableAlias.optional() }).strict(),
    result: returns<AliasMove>(),
  },
  'models.remove-alias': {
    doc: 'Removes an alias other than production (production can be moved, never removed: requests without a version use it).',
    permission: 'write',
    args: z.object({ name, alias: settableAlias }).strict(),
    result: returns<{ model: string; alias: string; removedVersion: number }>(),
  },
  'models.export': {
    doc:
      'A version (production when none is named) as its ONNX file: the graph with its preprocessing, its input names ' +
      'and types, class labels and Hearth name and version in the metadata. Base64 in JSON; over HTTP, ' +
      '`Accept: application/octet-stream` gives the file itself as a download. Analysts and admins: a graph holds ' +
      'values from the training data (tree thresholds, category levels), which a viewer does not see.',
    permission: 'write',
    args: z.object({ name, version: version.optional() }).strict(),
    result: returns<ModelExport>(),
  },
  'models.evaluate': {
    doc: 'Scores a labelled upload and records the metrics as a snapshot of the version (synced as a referrer).',
    permission: 'write',
    args: z
      .object({
        name,
        version: version.optional(),
        uploadId: z
          .string()
          .regex(/^[a-f0-9-]{36}$/)
          .optional(),
        /** A local file path: accepted from the CLI and in-process callers only. */
        path: z.string().min(1).optional(),
      })
      .strict()
      .refine((a) => (a.uploadId === undefined) !== (a.path === undefined), 'give exactly one of uploadId or path'),
    result: returns<EvaluationSnapshot>(),
  },
  'models.snapshots': {
    doc: "A version's metric snapshots.",
    permission: 'read',
    args: z.object({ name, version: version.optional() }).strict(),
    result: returns<MetricSnapshot[]>(),
  },
  'models.import': {
    doc: 'Registers an ONNX file made elsewhere; its inputs are read from the graph.',
    permission: 'write',
    args: z
      .object({
        name,
        uploadId: uploadRef.optional(),
        /** A local file path: accepted from the CLI and in-process callers only. */
        path: z.string().min(1).optional(),
        target: z.string().min(1).max(256).optional(),
        task: z.enum(['binary', 'multiclass', 'regression']).optional(),
        classes: z.array(z.string().min(1).max(256)).min(2).max(10_000).optional(),
        features: z.array(z.string().min(1).max(256)).min(1).max(100_000).optional(),
        /** The training data (a CSV), ingested as NAME-reference: what drift is measured against. */
        referenceUploadId: uploadRef.optional(),
        referencePath: z.string().min(1).optional(),
        alias: aliasName.optional(),
      })
      .strict()
      .refine((a) => (a.uploadId === undefined) !== (a.path === undefined), 'give exactly one of uploadId or path')
      .refine((a) => a.referenceUploadId === undefined || a.referencePath === undefined, 'give at most one reference'),
    result: returns<ModelVersionInfo>(),
  },
});
