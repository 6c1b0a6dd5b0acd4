import { z } from 'zod';
import { defineMethods, returns } from './method.js';
import { name } from './fields.js';

/* costs.*: CPU-hours spent training and serving, per model and per ISO week, from what runs and the log recorded. */

/** The most weeks one summary covers (ten years): more is refused, not cut. */
export const maxCostWeeks = 520;

/** CPU-hours (and money, at the host's rate) of one model in one week, or summed over weeks or models. */
export interface CostFigures {
  /** Training runs finished (succeeded, with a measured cost). */
  runs: number;
  /** Sum of those runs' CPU-seconds (every thread of the process, search included) / 3600. */
  trainingCpuHours: number;
  /** Predictions logged (divided by serving.logSample when it is under 1). */
  predictions: number;
  /** Predictions × their version's measured single-row CPU cost (its p50 latency on one core). */
  servingCpuHours: number;
  /** Of the predictions, those by versions with no measured latency (imported or pulled): counted, not costed. */
  unmeasuredPredictions: number;
  /** At settings cost.perCoreHour; null when no rate is set. */
  price: { training: number; serving: number; total: number } | null;
}

/** A model's figures in one ISO week ("2026-W49", weeks start on Monday, UTC). */
export interface CostWeekRow extends CostFigures {
  model: string;
  week: string;
}

export interface CostSummary {
  /** The weeks covered, oldest first, each with its Monday (UTC date). */
  weeks: { week: string; start: string }[];
  /** One row per model and week with any training or serving, oldest week first, then by model. */
  rows: CostWeekRow[];
  byModel: (CostFigures & { model: string })[];
  byWeek: (CostFigures & { week: string })[];
  total: CostFigures;
  /** The host's rate (settings cost.perCoreHour, cost.currency); null: CPU-hours only. */
  rate: { perCoreHour: number; currency: string } | null;
  /** The prediction log's sampling rate (serving.logSample) the counts were scaled by. */
  logSample: number;
  /** How the figures are estimated, in words. */
  method: { training: string; serving: string };
}

export const costsMethods = defineMethods({
  'costs.summary': {
    doc: 'CPU-hours of training and serving per model and ISO week (priced when cost.perCoreHour is set).',
    permission: 'read',
    args: z
      .object({
        /** Weeks back, the current one included (default 12). */
        weeks: z.number().int().min(1).max(maxCostWeeks).optional(),
        model: name.optional(),
      })
      .strict(),
    result: returns<CostSummary>(),
  },
});
