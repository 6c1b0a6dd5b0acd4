import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Cron } from 'croner';
import { HearthError } from '../contracts/errors.js';
import type { PipelineRunInfo } from '../contracts/pipeline.js';

/** Runs one pipeline file's text: through dispatch, as the schedule's own identity (scheduleDoor). */
export type RunPipeline = (definition: string, baseDir: string) => Promise<PipelineRunInfo>;

export type ScheduledOutcome = { ok: true; run: PipelineRunInfo } | { ok: false; error: unknown };

/**
 * A pipeline file run on a cron schedule (`hearth pipeline run FILE --schedule CRON`, and the server's config
 * "pipelines"). The file is read again at every tick, so an edit takes effect at the next run (and becomes a new
 * version of the pipeline); a tick that comes while the previous run still goes is skipped, never overlapped.
 */
export class PipelineSchedule {
  private readonly job: Cron;

  constructor(
    private readonly runPipeline: RunPipeline,
    readonly file: string,
    readonly schedule: string,
    onOutcome: (outcome: ScheduledOutcome) => void,
  ) {
    const path = resolve(file);
    try {
      this.job = new Cron(schedule, { protect: true, paused: true }, async () => {
        try {
          const run = await this.runPipeline(readFileSync(path, 'utf8'), dirname(path));
          onOutcome({ ok: true, run });
        } catch (error) {
          onOutcome({ ok: false, error });
        }
      });
    } catch (error) {
      throw new HearthError(
        'VALIDATION_FAILED',
        `schedule "${schedule}": ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** When the next run starts (null: never). */
  nextRun(): Date | null {
    return this.job.nextRun();
  }

  start(): void {
    this.job.resume();
  }

  stop(): void {
    this.job.stop();
  }
}
