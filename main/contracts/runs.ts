import { z } from 'zod';
import { defineMethods, returns } from './method.js';
import type { CostEstimate, ModelVersionInfo } from './models.js';
import type { BudgetReport, TrainingJob } from './training.js';

/* runs.*: training runs as experiments, shown and compared. */

/** A training run as an experiment: what was trained, on what, with which outcome. */
export interface RunSummary {
  id: string;
  status: TrainingJob['status'];
  createdAt: string;
  finishedAt: string | null;
  dataset: string;
  datasetVersion: number | null;
  target: string;
  algorithm: string;
  model: string | null;
  version: number | null;
  metrics: Record<string, number>;
  durationMs: number | null;
  /** Wall time against the time budget, phase by phase (null for runs that did not finish or predate it). */
  budget: BudgetReport | null;
  /** The user's own labels for the run (runs.tag), sorted. */
  tags: string[];
  /** What the run cost and what its model's predictions cost (its version's cost); null without a measured version. */
  cost: CostEstimate | null;
}

/** A run with its arguments and, when it succeeded, the model version it registered. */
export interface RunDetail {
  run: RunSummary;
  args: Record<string, unknown>;
  modelVersion: ModelVersionInfo | null;
  error: { code: string; message: string; details?: unknown } | null;
}

/** Runs side by side: metrics, parameters, resources and ROC curves (binary). */
export interface RunComparison {
  runs: RunSummary[];
  metrics: string[];
  params: Record<string, Record<string, unknown>>;
  /** The parameter names whose values are not the same in every run (absent from some counts as differing), sorted. */
  differingParams: string[];
  resources: Record<
    string,
    {
      durationMs: number;
      fitMs: number | null;
      workerCpuMs: number;
      peakRssMb: number;
      modelBytes: number | null;
      predictLatencyUs: number | null;
    }
  >;
  /** ROC curves (binary), by run. */
  curves: Record<string, { x: number; y: number }[] | null>;
  /** Precision–recall curves (binary), by run. */
  prCurves: Record<string, { x: number; y: number }[] | null>;
  /** Reliability diagrams (binary): mean predicted probability against the observed share of positives. */
  calibration: Record<string, { predicted: number; observed: number; count: number }[] | null>;
  /** Confusion matrices (classification; rows actual, columns predicted) with their class labels, by run. */
  confusion: Record<string, { classes: string[]; matrix: number[][] } | null>;
  /** Permutation importance (every learner), largest first, by run. */
  importance: Record<string, { feature: string; increase: number }[]>;
  /** Mean |SHAP| per feature (tree models), largest first, by run. */
  shap: Record<string, { feature: string; meanAbs: number }[] | null>;
  /** Search trials (algorithm auto): each candidate's cross-validated metric and parameters, by run. */
  trials: Record<
    string,
    {
      metric: string;
      /** modelBytes and latencyUs: the candidate's measured ONNX size and single-row p50 (null when not measured). */
      entries: {
        trial: number;
        algorithm: string;
        cvMetric: number;
        params: Record<string, unknown>;
        modelBytes: number | null;
        latencyUs: number | null;
        /** With the run's limits: those it breaks (empty: within them); null without limits or not measured. */
        overLimit: string[] | null;
      }[];
    } | null
  >;
}

/**
 * A run tag: short, one word of letters, digits and . _ - : (so it reads in a list and on a command line), never
 * starting with punctuation.
 */
const runTag = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N}._:-]*$/u, 'a tag is one word: letters, digits and . _ - :, starting with a letter or digit');

export const runsMethods = defineMethods({
  'runs.list': {
    doc: 'Every training run, as an experiment.',
    permission: 'read',
    args: z.object({}).strict(),
    result: returns<RunSummary[]>(),
  },
  'runs.show': {
    doc: 'One run with its arguments and the model version it registered.',
    permission: 'read',
    args: z.object({ id: z.string().uuid() }).strict(),
    result: returns<RunDetail>(),
  },
  'runs.compare': {
    doc: 'Two to ten runs side by side: metrics, parameters, resources, curves.',
    permission: 'read',
    args: z.object({ ids: z.array(z.string().uuid()).min(2).max(10) }).strict(),
    result: returns<RunComparison>(),
  },
  'runs.tag': {
    doc: 'Adds a tag to a run, or removes it (remove: true); a run keeps at most 20 tags. Answers the run.',
    permission: 'write',
    args: z.object({ id: z.string().uuid(), tag: runTag, remove: z.boolean().optional() }).strict(),
    result: returns<RunSummary>(),
  },
});
