import { z } from 'zod';
import { defineMethods, returns } from './method.js';
import { name, type Task, version } from './fields.js';

/* Monitoring: drift (models.drift, models.drift-history), live performance (models.monitor, models.feedback) and
 * alerts.*. */

/** Drift tests (see main/stats/drift.ts for how one is chosen). */
export type DriftTest = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi';

export interface ColumnDrift {
  column: string;
  kind: 'numeric' | 'categorical';
  test: DriftTest;
  /** The test's statistic or distance. */
  statistic: number;
  /** For the hypothesis tests (ks, chisquare, z); null for the distances. */
  pValue: number | null;
  /** The p-value adjusted across the data set's columns (Holm); the p-value itself for one column alone. */
  adjustedPValue: number | null;
  /** Adjusted p-value below it, or distance at or above it, means drift. */
  threshold: number;
  /** False when either side has fewer rows than the minimum: then drifted is false and the verdict is "not enough data". */
  enoughData: boolean;
  drifted: boolean;
  referenceRows: number;
  currentRows: number;
  /** Both distributions over the same bins or categories, as shares: what the console charts. */
  distribution: { bins: string[]; reference: number[]; current: number[] };
}

export interface DatasetDrift {
  columns: ColumnDrift[];
  /** Columns that could not be tested (no values on one side), and why. */
  skipped: { column: string; reason: string }[];
  drifted: number;
  share: number;
  /** The share of drifted columns at or above which the data set as a whole counts as drifted. */
  shareThreshold: number;
  /** Rows each side needs before a column is judged. */
  minimumRows: number;
  /** Columns tested but with too few rows to judge (left out of the share). */
  notEnoughData: number;
  datasetDrifted: boolean;
}

/** Drift of a model's inputs and predictions between its training data and what it served in a window. */
export interface DriftReport {
  model: string;
  version: number;
  window: { since: string | null; until: string | null; rows: number };
  reference: { dataset: string; version: number; rows: number };
  features: DatasetDrift;
  prediction: ColumnDrift;
}

/** One time window of a model's service: volume, latency, realised metrics on labelled rows, the label-free estimate. */
export interface MonitorWindow {
  start: string;
  end: string;
  rows: number;
  latencyMs: { p50: number; p99: number };
  labelled: number;
  /** On the rows whose labels arrived; null before any did. */
  realised: Record<string, number> | null;
  /** Classifiers: estimated from the model's confidence on every row (CBPE; multiclass: accuracy); null for regression. */
  estimated: Record<string, number> | null;
}

export interface MonitorReport {
  model: string;
  version: number;
  task: Task;
  windowSeconds: number;
  windows: MonitorWindow[];
}

export type AlertKind = 'drift' | 'metric' | 'latency' | 'error-rate' | 'validation' | 'new-rows';

/** A condition on a model's service, checked on a schedule over its last `windowSeconds`. */
export interface AlertRule {
  name: string;
  model: string;
  kind: AlertKind;
  /**
   * drift: share of drifted features at or above it; metric: the metric below it (above it for rmse/mae);
   * latency: p99 in ms above it; error-rate and validation: the share of failed requests above it; new-rows: at
   * least this many rows in the newest version of the dataset beyond the one production was trained on.
   */
  threshold: number;
  windowSeconds: number;
  /** metric rules: which metric, realised on late labels or estimated from confidence. */
  metric: string | null;
  source: 'realised' | 'estimated' | null;
  /** Where an alert is POSTed as JSON (retried); the GUI, the log and the desktop always hear of it. */
  webhook: string | null;
  /** When it fires, retrain (a challenger on the newest data, promoted only if better on its holdout). */
  retrain: boolean;
}

/** One episode of a rule's condition holding: it fires once when it starts and resolves when it ends. */
export interface Alert {
  id: number;
  rule: string;
  model: string;
  kind: AlertKind;
  status: 'firing' | 'resolved';
  value: number;
  message: string;
  startedAt: string;
  resolvedAt: string | null;
  webhook: { status: string | null; attempts: number };
}

/** One closed window's drift, computed on the schedule. */
export interface DriftHistoryEntry {
  version: number;
  windowStart: string;
  windowEnd: string;
  rows: number;
  share: number;
  datasetDrifted: boolean;
  predictionDrifted: boolean;
  /** Per column: the test's statistic and whether it drifted. */
  columns: Record<string, { statistic: number; drifted: boolean }>;
}

export const monitoringMethods = defineMethods({
  'models.feedback': {
    doc: 'Labels that arrived after the predictions, joined by the ids predict returned.',
    permission: 'ingest',
    args: z
      .object({
        name,
        labels: z
          .array(z.object({ id: z.string().uuid(), label: z.union([z.string().min(1).max(256), z.number()]) }).strict())
          .min(1)
          .max(100_000),
      })
      .strict(),
    result: returns<{ matched: number; unknown: string[] }>(),
  },
  'models.monitor': {
    doc: 'Live performance over time windows: volume, latency, realised metrics on late labels, the label-free estimate.',
    permission: 'read',
    args: z
      .object({
        name,
        version: version.optional(),
        since: z.string().datetime().optional(),
        until: z.string().datetime().optional(),
        windowSeconds: z
          .number()
          .int()
          .min(60)
          .max(31 * 86400)
          .optional(),
      })
      .strict(),
    result: returns<MonitorReport>(),
  },
  'models.drift': {
    doc: "Drift of a version's inputs and predictions: its training data against the rows it served in [since, until).",
    permission: 'read',
    args: z
      .object({
        name,
        version: version.optional(),
        since: z.string().datetime().optional(),
        until: z.string().datetime().optional(),
        tests: z
          .record(
            z.string(),
            z
              .object({
                test: z.enum(['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi']).optional(),
                threshold: z.number().positive().optional(),
              })
              .strict(),
          )
          .optional(),
        shareThreshold: z.number().gt(0).max(1).optional(),
      })
      .strict(),
    result: returns<DriftReport>(),
  },
  'models.drift-history': {
    doc: 'Drift per closed window (hourly by default), oldest first, as the schedule recorded it.',
    permission: 'read',
    args: z.object({ name, limit: z.number().int().min(1).max(10_000).optional() }).strict(),
    result: returns<DriftHistoryEntry[]>(),
  },
  'alerts.rules': {
    doc: 'Every alert rule.',
    permission: 'read',
    args: z.object({}).strict(),
    result: returns<AlertRule[]>(),
  },
  'alerts.add-rule': {
    doc: "Adds an alert rule on a model's service.",
    permission: 'write',
    args: z
      .object({
        name,
        model: name,
        kind: z.enum(['drift', 'metric', 'latency', 'error-rate', 'validation', 'new-rows']),
        threshold: z.number(),
        windowSeconds: z
          .number()
          .int()
          .min(60)
          .max(31 * 86400)
          .default(3600),
        metric: z.string().min(1).max(32).optional(),
        source: z.enum(['realised', 'estimated']).optional(),
        /** http(s) URL the alert is POSTed to. */
        webhook: z.string().url().max(2000).optional(),
        retrain: z.boolean().optional(),
      })
      .strict()
      .refine((r) => r.kind !== 'metric' || r.metric !== undefined, 'a metric rule names its metric'),
    result: returns<AlertRule>(),
  },
  'alerts.remove-rule': {
    doc: 'Removes an alert rule.',
    permission: 'write',
    args: z.object({ name }).strict(),
    result: returns<{ removed: string }>(),
  },
  'alerts.list': {
    doc: 'Alerts, newest first: every episode, or only those firing now.',
    permission: 'read',
    args: z.object({ firing: z.boolean().optional() }).strict(),
    result: returns<Alert[]>(),
  },
  'alerts.check': {
    doc: 'Evaluates every rule now (the server does it every minute).',
    permission: 'write',
    args: z.object({}).strict(),
    result: returns<Alert[]>(),
  },
});
