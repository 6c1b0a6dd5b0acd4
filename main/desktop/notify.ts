import type { ApiEvent } from '../contracts/api.js';

/** A native notification's text. */
export interface NotificationText {
  title: string;
  body: string;
}

/**
 * The engine events worth a native notification: a training job or a pipeline run that finished (the window may be
 * hidden behind another while it ran) and an alert that started firing. Kept free of electron so a test can check it;
 * main.ts shows what this returns.
 */
export function notificationFor(event: ApiEvent): NotificationText | null {
  switch (event.name) {
    case 'training.did-finish': {
      const job = event.data;
      if (job.status === 'succeeded' && job.result !== null)
        return {
          title: `Trained ${job.result.model} v${job.result.version}`,
          body: `Finished in ${Math.round(job.result.durationMs / 1000)} s.`,
        };
      if (job.status === 'failed')
        return { title: `Training ${job.args.model ?? job.id} failed`, body: job.error?.message ?? 'no reason given' };
      return null;
    }
    case 'pipelines.did-run': {
      const run = event.data;
      if (run.status === 'failed') return { title: `Pipeline ${run.pipeline} failed`, body: run.error ?? 'no reason given' };
      if (run.status !== 'succeeded') return null;
      return {
        title: `Pipeline ${run.pipeline} ran`,
        body: `${run.rowsOut} rows written to ${run.output.dataset}${run.output.version === null ? '' : ` v${run.output.version}`}.`,
      };
    }
    case 'alerts.changed':
      return event.data.status === 'firing' ? { title: `Hearth alert: ${event.data.rule}`, body: event.data.message } : null;
    default:
      return null;
  }
}
