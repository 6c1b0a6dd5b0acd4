import type { ApiArgs, ApiResults, BaselineComparison, BudgetReport } from '../../contracts/api.js';
import { HearthError } from '../../contracts/errors.js';
import { parseRef } from '../../serving/batch.js';
import { type Client } from '../../contracts/client.js';
import { type Output, formatMetrics } from '../output.js';
import { costLines } from '../cost-lines.js';
import { leaderboardLines } from '../leaderboard-lines.js';
import { type Command, UsageError, optional, required } from '../command.js';
import { type FlagTable, argsFromFlags, positionalFor, requiredFlagFor } from '../flags.js';

/** training.start's arguments and the flags that give them. */
const trainFlags = {
  task: 'task',
  algorithm: 'algorithm',
  model: 'model',
  l2: 'l2',
  maxIterations: 'max-iterations',
  seed: 'seed',
  trees: 'trees',
  learningRate: 'learning-rate',
  maxLeaves: 'max-leaves',
  maxDepth: 'max-depth',
  minChildSamples: 'min-child-samples',
  l1: 'l1',
  rowSubsample: 'row-subsample',
  colSubsample: 'col-subsample',
  earlyStoppingRounds: 'early-stopping',
  threads: 'threads',
  featuresPerSplit: 'features-per-split',
  folds: 'folds',
  timeColumn: 'time-column',
  threshold: 'threshold',
  resample: 'resample',
  falsePositiveCost: 'fp-cost',
  falseNegativeCost: 'fn-cost',
  groupColumn: 'group-column',
  timeBudget: 'time-budget',
  maxLatencyUs: 'max-latency-us',
  maxSize: 'max-size',
  searchStrategy: 'search',
  metric: 'metric',
  validationFraction: 'validation-fraction',
  testFraction: 'test-fraction',
  huberDelta: 'huber-delta',
  hiddenLayers: 'hidden-layers',
  epochs: 'epochs',
  batchSize: 'batch-size',
  dropout: 'dropout',
  backend: 'backend',
  imbalance: 'imbalance',
  classWeight: 'class-weight',
  calibration: 'calibration',
  minCategoryRows: 'min-category-rows',
  catSmooth: 'cat-smooth',
  catL2: 'cat-l2',
  maxCatThreshold: 'max-cat-threshold',
  minDataPerGroup: 'min-data-per-group',
  maxCatToOnehot: 'max-cat-to-onehot',
} as const satisfies FlagTable<'training.start'>;

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a model on a dataset version (linear, gbdt, forest, mlp or auto)',
  usage: `  train --dataset NAME[@V] --target COL [--task binary|multiclass|regression] [--algorithm linear|gbdt|forest|mlp|auto]
        [--model NAME] [--seed N] [--l2 X] [--class-weight balanced]
        [--validation-fraction F] [--test-fraction F]   (held-out shares, 0.15 each by default)
        [--folds K]   (k-fold cross-validation on the non-test rows, reported beside the test metrics)
        [--time-column COL | --group-column COL]   (split by time, or keep each group on one side)
        [--threshold f1 | --threshold cost --fp-cost X --fn-cost Y]   (binary: tune the decision threshold)
        [--resample smote]   (classification: SMOTE-NC rows on the training side of every fit, kept only if
                              they beat the plain fit on cross-validation)
        auto:   [--time-budget SEC] [--metric roc_auc|pr_auc|accuracy|f1|log_loss|rmse|mae|r2] [--folds K]
                [--search full|halving] [--imbalance auto|none]
                [--max-latency-us N] [--max-size KB]   (limits on the chosen model: single-row p50 latency in µs
                and ONNX size in KB of 1,024 bytes; candidates over them are marked on the leaderboard and not
                chosen; none within them: BUDGET_UNMET, nothing registered)
                [--calibration auto|none|platt|isotonic|temperature]   (classification: calibrate the chosen
                model on its out-of-fold predictions; auto picks the method, or none, by cross-validated log loss)
                (auto: class weights, SMOTE and a tuned threshold compared by cross-validation on rare classes)
        linear: [--max-iterations N]
        gbdt:   [--trees N] [--learning-rate X] [--max-leaves N] [--max-depth N] [--min-child-samples N]
                [--l1 X] [--row-subsample F] [--col-subsample F] [--early-stopping N] [--threads N]
                [--huber-delta X]  (regression with the Huber loss)
                [--min-category-rows N] [--cat-smooth X] [--cat-l2 X] [--max-cat-threshold N]
                [--min-data-per-group N] [--max-cat-to-onehot N]   (categorical columns: rarer levels pooled,
                split regularisation as LightGBM's; defaults 10, 10, 10, 32, 100, 4)
        forest: [--trees N] [--max-leaves N] [--max-depth N] [--min-child-samples N] [--features-per-split N]
        mlp:    [--hidden-layers 64,32] [--epochs N] [--batch-size N] [--learning-rate X] [--dropout F] [--l2 X]
                [--backend tensorflow-gpu|webgpu|tensorflow|wasm|cpu]   (default: the pinned one, else the first
                of these that works; a software GPU adapter only when named)`,
  run: async ({ flags, out, open }) => {
    const { name: dataset, version: datasetVersion } = parseRef(required(flags, 'dataset'));
    // Every flag is checked against training.start's schema before the store is opened.
    const args: ApiArgs<'training.start'> = {
      dataset,
      target: requiredFlagFor(flags, 'target', 'training.start', 'target'),
      ...argsFromFlags(flags, 'training.start', trainFlags),
      ...optional('datasetVersion', datasetVersion),
    };
    const { client } = open();
    const job = await runTraining(client, out, args);
    if (job.status !== 'succeeded')
      throw new HearthError(
        (job.error?.code ?? 'INTERNAL') as 'INTERNAL',
        job.error?.message ?? `training ${job.status}`,
        job.error?.details,
      );
    const info = await client.call('models.version', { name: job.result!.model, version: job.result!.version });
    out.result(
      {
        model: info.model,
        version: info.version,
        algorithm: info.algorithm,
        task: info.task,
        metrics: info.metrics,
        dataset: info.dataset.name,
        datasetVersion: info.dataset.version,
        durationMs: job.result!.durationMs,
        budget: job.result!.budget ?? null,
        fitMs: info.report.fitMs,
        // Boosted trees: the boosting rounds alone (fitMs adds binning and the hand-off to the worker).
        boostMs: info.report.boostMs ?? null,
        crossValidation: info.report.crossValidation ?? null,
        baseline: info.report.baseline ?? null,
        warnings: info.report.warnings ?? [],
        leaderboard: info.report.leaderboard ?? null,
        calibration: calibrationOf(info.report),
        evaluatedOn: info.report.evaluatedOn,
        peakRssMb: info.report.peakRssMb,
        cost: info.cost,
        trees: info.report.trees ?? null,
        bestRound: info.report.bestRound ?? null,
        backend: info.report.backend ?? null,
        // Tree learners: the hot-loop kernel that grew the trees (native, wasm-simd or typescript).
        kernel: info.report.kernel ?? null,
        // Why the GBDT kernel pinned in the settings did not grow them (it cannot run here); null when it did or none is.
        kernelPinSkipped: info.report.kernelPinSkipped ?? null,
        // Which faster kernel was passed over for growing other trees in the engine's back-end check; null when none.
        kernelPassedOver: info.report.kernelPassedOver ?? null,
        // Tree learners with HEARTH_GBDT_DEVICE=webgpu: the adapter and how many nodes' histograms it built; else null.
        histogramDevice: info.report.histogramDevice ?? null,
        // The test rows' curves the console and the HTML report draw (which ones depends on the task).
        curves: Object.fromEntries(
          ['rocCurve', 'prCurve', 'calibration', 'calibrationOf', 'perClass', 'residuals']
            .filter((k) => info.report[k] !== undefined)
            .map((k) => [k, info.report[k]]),
        ),
        validationCurve: job.history.map((h) => ({
          iteration: h.iteration,
          loss: h.loss,
          validationLoss: h.validationLoss,
        })),
        aliases: info.aliases,
      },
      () =>
        `Trained ${info.model} v${info.version} (${info.algorithm}, ${info.task}) on ${info.dataset.name} v${info.dataset.version} in ${(job.result!.durationMs / 1000).toFixed(1)} s\n${formatMetrics(info.metrics, info.report.baseline as BaselineComparison | undefined)}` +
        calibrationLine(info.report) +
        ((info.report.warnings as { message: string }[] | undefined) ?? []).map((w) => `\nwarning: ${w.message}`).join('') +
        budgetLines(job.result!.budget) +
        leaderboardLines(info.report)
          .map((l) => `\n${l}`)
          .join('') +
        `\n${costLines(info.cost).join('\n')}`,
    );
    return 0;
  },
};

/** The calibration a search chose, as the run recorded it (null without a search). */
function calibrationOf(
  report: Record<string, unknown>,
): { method: string; compared: { method: string; cv_log_loss: number; cv_brier: number; cv_ece: number }[] } | null {
  const search = report.search as { calibration?: ReturnType<typeof calibrationOf> } | null | undefined;
  return search?.calibration ?? null;
}

/** "calibration platt (cross-validated log loss 0.3100 → 0.2900)", or nothing without a search. */
function calibrationLine(report: Record<string, unknown>): string {
  const calibration = calibrationOf(report);
  if (calibration === null) return '';
  const loss = (method: string): string | undefined =>
    calibration.compared.find((c) => c.method === method)?.cv_log_loss.toFixed(4);
  const none = loss('none');
  const chosen = loss(calibration.method);
  return (
    `\ncalibration ${calibration.method}` +
    (none !== undefined && chosen !== undefined && calibration.method !== 'none'
      ? ` (cross-validated log loss ${none} → ${chosen})`
      : '')
  );
}

export const runsCommand: Command = {
  name: 'runs',
  summary: 'training runs as experiments: list, show, compare, tag',
  usage: `  runs list | show ID | compare ID ID…   training runs as experiments (ids may be abbreviated)
       | tag ID TAG [--remove]           label a run (one word; at most 20 a run), or take the label off`,
  run: async ({ rest, flags, out, open }) => {
    const { client } = open();
    const [sub, ...ids] = rest;
    if (sub === 'list') {
      const runs = await client.call('runs.list', {});
      out.result(runs, () =>
        runs.length === 0
          ? 'No runs.'
          : runs
              .map((r) => {
                const metric = Object.entries(r.metrics)[0];
                return `${r.id.slice(0, 8)}  ${r.status.padEnd(9)} ${r.algorithm.padEnd(7)} ${r.dataset}→${r.target}  ${r.model === null ? '' : `${r.model} v${r.version}`}  ${metric === undefined ? '' : `${metric[0]} ${metric[1].toFixed(4)}`}${r.tags.length === 0 ? '' : `  [${r.tags.join(', ')}]`}`;
              })
              .join('\n'),
      );
      return 0;
    }
    const resolveId = async (prefix: string): Promise<string> => {
      const matches = (await client.call('runs.list', {})).filter((r) => r.id.startsWith(prefix));
      if (matches.length !== 1) throw new UsageError(`"${prefix}" matches ${matches.length} runs; give more of the id`);
      return matches[0]!.id;
    };
    if (sub === 'show' && ids.length === 1) {
      const detail = await client.call('runs.show', { id: await resolveId(ids[0]!) });
      out.result(detail, () =>
        [
          `run ${detail.run.id}: ${detail.run.status}, ${detail.run.algorithm} on ${detail.run.dataset} v${detail.run.datasetVersion ?? '?'} → ${detail.run.target}`,
          `arguments: ${JSON.stringify(detail.args)}`,
          detail.error === null ? formatMetrics(detail.run.metrics) : `error: ${detail.error.message}`,
          ...(detail.modelVersion === null ? [] : costLines(detail.modelVersion.cost)),
        ].join('\n'),
      );
      return 0;
    }
    if (sub === 'compare' && ids.length >= 2) {
      const comparison = await client.call('runs.compare', { ids: await Promise.all(ids.map(resolveId)) });
      out.result(comparison, () => {
        const header = ['metric', ...comparison.runs.map((r) => `${r.id.slice(0, 8)} ${r.algorithm}`)];
        const rows = comparison.metrics.map((m) => [m, ...comparison.runs.map((r) => (r.metrics[m] ?? Number.NaN).toFixed(4))]);
        const differing = comparison.differingParams.map((p) => [
          p,
          ...comparison.runs.map((r) => (p in comparison.params[r.id]! ? JSON.stringify(comparison.params[r.id]![p]) : '—')),
        ]);
        const table = (t: string[][]): string => t.map((r) => r.map((c) => c.padEnd(18)).join('')).join('\n');
        return (
          table([header, ...rows]) +
          (differing.length === 0 ? '\n\nSame parameters.' : `\n\n${table([['parameter', ...header.slice(1)], ...differing])}`)
        );
      });
      return 0;
    }
    if (sub === 'tag' && ids.length === 2) {
      const run = await client.call('runs.tag', {
        id: await resolveId(ids[0]!),
        tag: positionalFor(ids[1]!, 'TAG', 'runs.tag', 'tag'),
        ...(flags.remove === true ? { remove: true } : {}),
      });
      out.result(run, () => `run ${run.id.slice(0, 8)}: ${run.tags.length === 0 ? 'no tags' : `tags ${run.tags.join(', ')}`}`);
      return 0;
    }
    throw new UsageError('runs takes list, show ID, compare ID ID…, or tag ID TAG [--remove]');
  },
};

export async function runTraining(
  client: Client,
  out: Output,
  args: ApiArgs<'training.start'>,
): Promise<ApiResults['training.get']> {
  const job = await client.call('training.start', args);
  const bar = out.progress('training', 100);
  const unsubscribe = client.on((event) => {
    if (event.name === 'training.progress' && event.data.jobId === job.id) {
      bar.update(
        Math.round(event.data.fraction * 100),
        `${event.data.phase} loss ${Number.isFinite(event.data.loss) ? event.data.loss.toFixed(4) : ''}`,
      );
    }
  });
  const stop = (): void => {
    void client.call('training.cancel', { jobId: job.id });
  };
  process.once('SIGINT', stop);
  try {
    for (;;) {
      const current = await client.call('training.get', { jobId: job.id });
      if (current.status !== 'queued' && current.status !== 'running') return current;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    process.off('SIGINT', stop);
    unsubscribe();
    bar.stop();
  }
}

/**
 * The run's wall time phase by phase: against its budget, with what the budget forced, or (a single learner, no
 * budget) on its own.
 */
function budgetLines(budget: BudgetReport | undefined): string {
  if (budget === undefined) return '';
  const phases = budget.phases.map((p) => `${p.phase} ${p.seconds.toFixed(1)} s`).join(', ');
  if (budget.budgetSeconds === null) return `\nphases: ${phases}`;
  return (
    `\nbudget: ${budget.wallSeconds.toFixed(1)} s of ${budget.budgetSeconds} s (${phases})` +
    budget.notes.map((n) => `\nbudget: ${n}`).join('')
  );
}
