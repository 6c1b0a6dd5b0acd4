// Trains Hearth's `auto` on a peer split's train.csv within a time budget, in a fresh process, and scores test.csv.
// Prints one JSON line.
import { Engine } from '../../main/engine/engine.js';
import { evaluateFile } from '../../main/serving/batch.js';
import type { Task } from '../../main/models/preprocess.js';

const [train, test, target, dataDir, budget, task] = process.argv.slice(2);
if (train === undefined || test === undefined || target === undefined || dataDir === undefined || budget === undefined)
  throw new Error('usage: automl-child TRAIN TEST TARGET DATA_DIR BUDGET_S [TASK]');
const engine = Engine.open(dataDir);
await engine.datasets.ingestCsv('bench', train);
const started = performance.now();
const job = engine.trainer.start({
  dataset: 'bench',
  target,
  algorithm: 'auto',
  timeBudget: Number(budget),
  model: 'bench',
  // The peer's test rows are the test set; 15% of the training rows stop early and tune, as by default.
  testFraction: 0,
  ...(task === undefined ? {} : { task: task as Task }),
});
const done = await engine.trainer.wait(job.id);
// The training's wall time: scoring test.csv below is the bench's, not the run's.
const wallS = (performance.now() - started) / 1000;
if (done.status !== 'succeeded') throw new Error(`training failed: ${done.error?.message}`);
const info = engine.registry.version('bench', done.result!.version);
const evaluation = await evaluateFile(engine, 'bench', test);
const search = info.report.search as {
  searchSeconds: number;
  trials: number;
  metric: string;
  ensemble: unknown;
  calibration: { method: string };
};
const board = info.report.leaderboard as { algorithm: string; cvMetric: number }[];
process.stdout.write(
  `${JSON.stringify({
    chosen: info.algorithm,
    wall_s: Number(wallS.toFixed(1)),
    // The goal: wall ≤ budget + 5%, every phase after the search included (the job's own record of its phases).
    within_budget_5pct: wallS <= Number(budget) * 1.05,
    // Seconds by phase (evaluation comes twice when the refit runs: summed).
    phases: (done.result!.budget?.phases ?? []).reduce<Record<string, number>>(
      (sum, p) => ({ ...sum, [p.phase]: Number(((sum[p.phase] ?? 0) + p.seconds).toFixed(3)) }),
      {},
    ),
    budget_notes: done.result!.budget?.notes ?? [],
    budget_plan: done.result!.budget?.plan ?? null,
    search_s: search.searchSeconds,
    trials: search.trials,
    search_metric: search.metric,
    best_cv: board[0]?.cvMetric,
    learners_tried: [...new Set(board.map((e) => e.algorithm))],
    ensemble: search.ensemble,
    calibration: search.calibration.method,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    ...evaluation.metrics,
  })}\n`,
);
engine.close();
