import { z } from 'zod';
import { defineMethods, returns } from './method.js';
import type { Task } from './fields.js';
import type { TrainingJob } from './training.js';

/* overview: the state of the whole box at a glance, for the console's landing page and `hearth overview`. */

/** A model's production version and how it is doing. */
export interface ProductionModel {
  model: string;
  version: number;
  task: Task;
  algorithm: string;
  /** The headline metric on the version's test rows (roc_auc for classifiers, rmse for regression), when evaluated. */
  metric: { name: string; value: number } | null;
  /** The last 24 hours of serving, from the prediction log. */
  served: { rows: number; latencyP99Ms: number | null; realised: number | null; estimated: number | null };
  /** The newest closed drift window, when the schedule has recorded one. */
  drift: { windowEnd: string; share: number; datasetDrifted: boolean; predictionDrifted: boolean } | null;
  openAlerts: number;
}

export interface Overview {
  production: ProductionModel[];
  /** Models with no production alias: trained, not serving by default. */
  unpromoted: { model: string; latestVersion: number }[];
  /** Training jobs queued or running, with their progress. */
  jobs: (Pick<TrainingJob, 'id' | 'status' | 'createdAt' | 'progress'> & {
    model: string | null;
    dataset: string;
    algorithm: string;
  })[];
  recentRuns: {
    id: string;
    status: TrainingJob['status'];
    createdAt: string;
    model: string | null;
    version: number | null;
    algorithm: string;
    metric: { name: string; value: number } | null;
  }[];
  datasets: { name: string; latestVersion: number; rows: number; quarantined: number; rules: number; updatedAt: string }[];
  alerts: { firing: number };
  sync: { pending: number; failed: number; remotes: number; lastError: string | null };
  generatedAt: string;
}

export const overviewMethods = defineMethods({
  'system.overview': {
    doc: 'The box at a glance: production models and their health, running jobs, recent runs, datasets, the sync queue.',
    permission: 'read',
    args: z.object({}).strict(),
    result: returns<Overview>(),
  },
});
