import { z } from 'zod';
import { defineMethods, returns } from './method.js';
import { name, version } from './fields.js';
import type { ModelVersionInfo } from './models.js';

/* models.compress*: smaller and faster variants of a trained model version, evaluated on the rows its run held
 * out, and one of them registered as a new version (never promoted). Engine: main/training/compress.ts. */

/** One variant (or the original) as evaluated: its size, single-row latency and metric, and its marks. */
export interface CompressVariantResult {
  /** The recipe: steps joined by "+" (leaves-N, rounds-N, prune-N, narrow, f32, f16, int8, dead, l1-P, members-K); "original". */
  variant: string;
  description: string;
  sizeBytes: number;
  p50Us: number;
  p99Us: number;
  /** The run's metric on its validation rows and its test rows (null when the run kept none). */
  validation: number | null;
  test: number | null;
  /** The variant's metric minus the original's (validation, test). */
  deltaValidation: number | null;
  deltaTest: number | null;
  /** How much worse than the original on validation (on test when there are no validation rows); ≤ 0 is no loss. */
  loss: number;
  /** Largest difference between the ONNX graph's answers and its TypeScript reference, and the allowed one. */
  parity: number;
  parityTolerance: number;
  /** Pareto-optimal: no other variant is as small (as fast) and at least as good, and better in one. */
  pareto: { size: boolean; latency: boolean };
  /** Within every limit asked for (true when none was). */
  withinLimits: boolean;
  /** Pruning's validation loss (log loss or squared error) before and after. */
  validationLoss?: { before: number; after: number };
}

/** A compression job: its progress and, once done, the original and its variants. */
export interface CompressJob {
  id: string;
  model: string;
  version: number;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  createdAt: string;
  finishedAt: string | null;
  progress: { done: number; total: number; current: string | null; fraction: number };
  limits: { maxSizeKb?: number | undefined; maxLatencyUs?: number | undefined; maxLoss?: number | undefined };
  metric: string | null;
  higherIsBetter: boolean | null;
  result: {
    original: CompressVariantResult;
    variants: CompressVariantResult[];
    rows: { validation: number; test: number };
  } | null;
  error: { code: string; message: string; details?: unknown } | null;
}

const limits = {
  /** Offer only variants of at most this many kilobytes (1,000 bytes) of ONNX. */
  maxSizeKb: z.number().gt(0).max(10_000_000).optional(),
  /** … with a single-row p50 latency of at most this many microseconds. */
  maxLatencyUs: z.number().gt(0).max(1e9).optional(),
  /** … losing at most this much of the run's metric on validation (0.002: two thousandths of ROC AUC). */
  maxLoss: z.number().min(0).max(1e6).optional(),
};

export const compressMethods = defineMethods({
  'models.compress': {
    doc: "Starts a compression job: candidate variants of a trained version, each evaluated on its run's held-out rows.",
    permission: 'write',
    args: z
      .object({
        name,
        version: version.optional(),
        /** The metric variants are judged by (default: the run's own metric). */
        metric: z
          .enum(['roc_auc', 'pr_auc', 'accuracy', 'precision', 'recall', 'f1', 'log_loss', 'rmse', 'mae', 'r2'])
          .optional(),
        ...limits,
      })
      .strict(),
    result: returns<CompressJob>(),
  },
  'models.compress-get': {
    doc: 'One compression job: its progress, and its frontier once done.',
    permission: 'read',
    args: z.object({ jobId: z.string().uuid() }).strict(),
    result: returns<CompressJob>(),
  },
  'models.compress-cancel': {
    doc: 'Cancels a running compression job (between variants).',
    permission: 'write',
    args: z.object({ jobId: z.string().uuid() }).strict(),
    result: returns<CompressJob>(),
  },
  'models.compress-choose': {
    doc: 'Registers one variant of a version as a new version, with its lineage and its own metrics; not promoted.',
    permission: 'write',
    args: z
      .object({
        name,
        version: version.optional(),
        /** A variant's recipe as models.compress lists it, e.g. "prune-61+narrow+f32". */
        variant: z.string().min(1).max(200),
      })
      .strict(),
    result: returns<ModelVersionInfo>(),
  },
});
