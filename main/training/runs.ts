import type { ModelVersionInfo, RunComparison, RunDetail, RunSummary } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import type { ModelRegistry } from '../registry/registry.js';
import { nowIso, type Db } from '../store/database.js';
import type { Trainer, TrainingJob } from './trainer.js';
import type { LeaderboardEntry } from './train-args.js';

/**
 * Runs are training jobs seen as experiments: what was asked (arguments), on which data version, with which
 * outcome (metrics, cross-validation, resources). They are read from the jobs table and the registry; nothing is
 * stored twice. Tags are the one thing runs add: the user's own labels, in run_tags.
 */
/** How many tags one run keeps: enough to label it, too few to use tags as a data store. */
export const maxTagsPerRun = 20;

/** The parameter names whose values differ between runs (by their JSON), a name missing from some run included. */
export function differingParams(params: readonly Record<string, unknown>[]): string[] {
  const names = [...new Set(params.flatMap((p) => Object.keys(p)))].sort();
  return names.filter((n) => new Set(params.map((p) => (n in p ? JSON.stringify(p[n]) : '\u0000absent'))).size > 1);
}

export class Runs {
  constructor(
    private readonly trainer: Trainer,
    private readonly registry: ModelRegistry,
    private readonly db: Db,
  ) {}

  private tagsOf(id: string): string[] {
    return (this.db.prepare('SELECT tag FROM run_tags WHERE run_id = ? ORDER BY tag').all(id) as { tag: string }[]).map(
      (r) => r.tag,
    );
  }

  /** Adds (or removes) a tag; adding one a run has, or removing one it has not, changes nothing. */
  tag(id: string, tag: string, remove = false): RunSummary {
    const job = this.trainer.get(id);
    if (remove) this.db.prepare('DELETE FROM run_tags WHERE run_id = ? AND tag = ?').run(job.id, tag);
    else {
      const tags = this.tagsOf(job.id);
      if (!tags.includes(tag) && tags.length >= maxTagsPerRun)
        throw new HearthError('CONFLICT', `run ${job.id} has ${tags.length} tags, the most a run keeps; remove one first`, {
          path: ['tag'],
        });
      this.db
        .prepare('INSERT INTO run_tags (run_id, tag, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
        .run(job.id, tag, nowIso());
    }
    return this.summary(job, this.versionOf(job));
  }

  private versionOf(job: TrainingJob): ModelVersionInfo | null {
    if (job.result === null) return null;
    try {
      return this.registry.version(job.result.model, job.result.version);
    } catch {
      return null;
    }
  }

  private summary(job: TrainingJob, version: ModelVersionInfo | null): RunSummary {
    return {
      id: job.id,
      status: job.status,
      createdAt: job.createdAt,
      finishedAt: job.finishedAt,
      dataset: job.args.dataset,
      datasetVersion: version?.dataset.version ?? job.args.datasetVersion ?? null,
      target: job.args.target,
      algorithm: version?.algorithm ?? job.args.algorithm,
      model: version?.model ?? null,
      version: version?.version ?? null,
      metrics: version?.metrics ?? {},
      durationMs: job.result?.durationMs ?? null,
      budget: job.result?.budget ?? null,
      tags: this.tagsOf(job.id),
      cost: version?.cost ?? null,
    };
  }

  list(): RunSummary[] {
    return this.trainer.list().map((job) => this.summary(job, this.versionOf(job)));
  }

  show(id: string): RunDetail {
    const job = this.trainer.get(id);
    const version = this.versionOf(job);
    return {
      run: this.summary(job, version),
      args: { ...job.args },
      modelVersion: version,
      error: job.error,
    };
  }

  compare(ids: readonly string[]): RunComparison {
    const details = ids.map((id) => this.show(id));
    const metrics = [...new Set(details.flatMap((d) => Object.keys(d.run.metrics)))];
    if (details.some((d) => d.modelVersion === null)) {
      const failed = details.find((d) => d.modelVersion === null)!;
      throw new HearthError('CONFLICT', `run ${failed.run.id} produced no model (${failed.run.status}); compare finished runs`);
    }
    return {
      runs: details.map((d) => d.run),
      metrics,
      params: Object.fromEntries(details.map((d) => [d.run.id, d.modelVersion!.params])),
      differingParams: differingParams(details.map((d) => d.modelVersion!.params)),
      resources: Object.fromEntries(
        details.map((d) => {
          const r = d.modelVersion!.report;
          return [
            d.run.id,
            {
              durationMs: r.durationMs as number,
              fitMs: (r.fitMs as number | undefined) ?? null,
              workerCpuMs: r.workerCpuMs as number,
              peakRssMb: r.peakRssMb as number,
              modelBytes: (r.modelBytes as number | undefined) ?? null,
              predictLatencyUs: (r.predictLatencyUs as number | undefined) ?? null,
            },
          ];
        }),
      ),
      prCurves: Object.fromEntries(
        details.map((d) => [d.run.id, (d.modelVersion!.report.prCurve as { x: number; y: number }[] | undefined) ?? null]),
      ),
      calibration: Object.fromEntries(
        details.map((d) => [
          d.run.id,
          (d.modelVersion!.report.calibration as { predicted: number; observed: number; count: number }[] | undefined) ?? null,
        ]),
      ),
      curves: Object.fromEntries(
        details.map((d) => [d.run.id, (d.modelVersion!.report.rocCurve as { x: number; y: number }[] | undefined) ?? null]),
      ),
      confusion: Object.fromEntries(
        details.map((d) => {
          const r = d.modelVersion!.report;
          const matrix = r.confusionMatrix as number[][] | undefined;
          const classes = r.classes as string[] | undefined;
          return [d.run.id, matrix !== undefined && classes !== undefined ? { classes, matrix } : null];
        }),
      ),
      importance: Object.fromEntries(
        details.map((d) => [
          d.run.id,
          (d.modelVersion!.report.permutationImportance as { feature: string; increase: number }[] | undefined) ?? [],
        ]),
      ),
      shap: Object.fromEntries(
        details.map((d) => [
          d.run.id,
          (d.modelVersion!.report.shapSummary as { feature: string; meanAbs: number }[] | null | undefined) ?? null,
        ]),
      ),
      trials: Object.fromEntries(
        details.map((d) => {
          const r = d.modelVersion!.report;
          const board = r.leaderboard as
            | (Pick<LeaderboardEntry, 'algorithm' | 'cvMetric' | 'modelBytes' | 'latencyUs' | 'overLimit'> & {
                trial?: number;
                params: Record<string, unknown>;
              })[]
            | null
            | undefined;
          const search = r.search as { metric: string } | null | undefined;
          return [
            d.run.id,
            board && search
              ? {
                  metric: search.metric,
                  entries: board.map(({ trial, algorithm, cvMetric, params, modelBytes, latencyUs, overLimit }, i) => ({
                    trial: trial ?? i + 1,
                    algorithm,
                    cvMetric,
                    params,
                    modelBytes: modelBytes ?? null,
                    latencyUs: latencyUs ?? null,
                    overLimit: overLimit ?? null,
                  })),
                }
              : null,
          ];
        }),
      ),
    };
  }
}
