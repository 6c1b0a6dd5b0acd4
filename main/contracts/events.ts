import type { IngestResult } from './datasets.js';
import type { AliasMove } from './models.js';
import type { Alert } from './monitoring.js';
import type { PipelineRunInfo } from './pipeline.js';
import type { PipelineProgressEvent } from './pipelines.js';
import type { TrainingJob, TrainingProgress } from './training.js';

/** Events pushed to clients (server-sent events over HTTP, messages over IPC). */
export interface ApiEvents {
  'datasets.ingest-progress': { dataset: string; bytesRead: number; totalBytes: number };
  'training.progress': TrainingProgress;
  /** A candidate of an automatic search was scored. */
  'training.trial': { jobId: string; trial: number; algorithm: string; metric: string; value: number };
  'training.did-finish': TrainingJob;
  'datasets.did-ingest': IngestResult;
  /** A pipeline run's progress: reading inputs, each step, the commit. */
  'pipelines.progress': PipelineProgressEvent;
  'pipelines.did-run': PipelineRunInfo;
  'models.did-move-alias': AliasMove;
  /** An alert started (fired) or ended (resolved). */
  'alerts.changed': Alert;
}

export type ApiEventName = keyof ApiEvents;
export type ApiEvent = { [K in ApiEventName]: { name: K; data: ApiEvents[K] } }[ApiEventName];
