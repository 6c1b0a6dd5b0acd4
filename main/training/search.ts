import { HearthError } from '../contracts/errors.js';
import type { PredictionMatrix } from '../models/linear-model.js';
import { chooseCalibration, noCalibration, type CalibrationReport } from './calibrate.js';
import { metricOf } from './evaluation.js';
import { blendPredictions, type EnsembleModel, type SingleModel } from '../models/ensemble-model.js';
import { crossFittedBlend, selectEnsemble, takePrediction } from './ensemble-selection.js';
import type { Fit } from './fit.js';
import { crossFittedThresholdScores, scatterPrediction, thresholdObjective } from './imbalance.js';
import { defaultMetric, lowerIsBetter } from './labels.js';
import { learners } from './learners/index.js';
import { meanAndStd } from '../stats/metrics.js';
import { modelInputs, predictModel, type TrainedModel } from '../models/model.js';
import { rawInputsFromFrame, type Task } from '../models/preprocess.js';
import { seededRandom } from '../stats/random.js';
import { foldPairs, holdOut, type FoldPair, type SplitScheme } from './split.js';
import { candidateKey, isSingle, type Candidate, type LeaderboardEntry, type TrainArgs } from './train-args.js';
import { selectRows, type Frame } from '../table/frame.js';
import { searchSpace } from './search-space.js';
import { imbalanceWinner, smoteRefused, type ImbalanceComparisonRow } from './resample-guard.js';
import { projectSmoteFolds } from './smote.js';
import { boostingWithinNoise, linearPenaltyPath, chooseWithinNoise, strongerLinearPenalties } from './one-standard-error.js';
import type { SearchBudget } from './budget-plan.js';
import { limitsOf, SearchLimits, type Footprint, type LimitsReport } from './search-limits.js';
import { OutOfFoldStore } from './out-of-fold.js';

/** What the search reads: the labelled data, its split, and how to fit a candidate. */
export interface SearchContext {
  args: TrainArgs;
  frame: Frame;
  task: Task;
  seed: number;
  classes: string[] | null;
  classOf: Int32Array | undefined;
  scheme: SplitScheme;
  split: { train: Int32Array; validation: Int32Array; test: Int32Array };
  targetsOf: (rows: Int32Array) => Int32Array | Float64Array;
  fit: Fit;
  cancel: Int32Array;
  /** The run's time budget: when the search must stop, from what its candidates cost (budget-plan.ts). */
  budget: SearchBudget;
  /** A model's serialized size and single-row latency (search-limits.ts); null: nothing is measured. */
  measure: ((model: TrainedModel) => Promise<Footprint>) | null;
  /** A candidate was scored. */
  onTrial: (t: { trial: number; algorithm: string; metric: string; value: number }) => void;
}

/** The search's choice: the arguments to fit (or the ensemble's members), and what it reports. */
export interface SearchOutcome {
  chosen: TrainArgs;
  ensembleMembers: { candidate: Candidate; weight: number }[] | null;
  /** Whether a threshold objective is tuned (the search may find that the default threshold wins). */
  tuneThreshold: boolean;
  leaderboard: LeaderboardEntry[];
  searchReport: Record<string, unknown>;
  /** The calibration chosen on the chosen model's out-of-fold predictions (its calibrator goes into the model). */
  calibration: CalibrationReport;
  /** With limits (maxSize, maxLatencyUs): what the run records of them; null without. */
  limits: LimitsReport | null;
  /**
   * With limits: the eligible single candidates after the chosen one, best first, each with its calibration, for
   * when the chosen model breaks a limit after its final fit.
   */
  fallbacks: () => { chosen: TrainArgs; calibration: CalibrationReport }[];
}

/**
 * Algorithm "auto": random search over learners and parameters, each candidate scored by k-fold cross-validation
 * on the non-test rows, until the time budget is spent; then the imbalance treatments and ensemble selection.
 * The best is refitted by the final-fit stage.
 */
export async function searchLearners(context: SearchContext): Promise<SearchOutcome> {
  const { args, frame, task, seed, classes, classOf, scheme, split, targetsOf, fit, cancel, budget, onTrial, measure } = context;
  let ensembleMembers: { candidate: Candidate; weight: number }[] | null = null;
  let imbalanceReport: Record<string, unknown> | null = null;
  let tuneThreshold = args.threshold !== undefined;
  const metric = args.metric ?? defaultMetric(task);
  const higherIsBetter = !lowerIsBetter.has(metric);
  const budgetMs = budget.budgetMs;
  const pool = Int32Array.from([...split.train, ...split.validation]).sort();
  const folds = foldPairs(pool, args.folds ?? 3, seed, scheme);
  if (folds.length === 0) throw new HearthError('VALIDATION_FAILED', 'too few groups for the requested folds');
  // Out-of-fold predictions are kept pool-aligned: row pool[i] at index i, predicted by the fold that held it out.
  const poolIndex = new Int32Array(frame.rowCount).fill(-1);
  pool.forEach((r, i) => (poolIndex[r] = i));
  const foldIndices = folds.map((f) => Int32Array.from(f.heldOut, (r) => poolIndex[r]!));
  const foldTargets = folds.map((f) => targetsOf(f.heldOut));
  /** Per-fold values of a metric (higher or lower is better as the metric says) over out-of-fold predictions. */
  const foldValue = (prediction: PredictionMatrix, k: number): number =>
    metricOf(task, prediction, foldTargets[k]!, classes, metric)!;
  const foldValues = (oof: PredictionMatrix): number[] => foldIndices.map((rows, k) => foldValue(takePrediction(oof, rows), k));
  const searchStarted = Date.now();
  const board: LeaderboardEntry[] = [];
  let trial = 0;
  const scored: { candidate: Candidate; score: number }[] = [];
  const sampler = searchSpace(seed, scored, higherIsBetter);
  const better = (a: number, b: number): number => (higherIsBetter ? b - a : a - b);
  // The best candidate scored on all rows so far: the plan reserves time to fit, refit and finish it.
  const leader = (): Candidate | null =>
    scored.reduce<{ candidate: Candidate; score: number } | null>(
      (b, e) => (b === null || better(e.score, b.score) < 0 ? e : b),
      null,
    )?.candidate ?? null;
  // The best few candidates' out-of-fold predictions (for ensemble selection), and the best linear ones'.
  const outOfFold = new OutOfFoldStore(better);
  const keptOutOfFold = outOfFold.best;
  // Cross-validates one candidate on the given folds; returns the metric's mean and spread, and on the full
  // folds the out-of-fold predictions.
  const crossValidate = async (
    candidate: Candidate,
    pairs: FoldPair[],
    tag: string,
    /** Halving's last rung: scored without a deadline. */
    promoted = false,
  ): Promise<{ mean: number; std: number; folds: number[]; oof: PredictionMatrix | null; model: TrainedModel | null }> => {
    const full = pairs === folds;
    const perFold: number[] = [];
    let oof: PredictionMatrix | null = null;
    let lastModel: TrainedModel | null = null;
    for (let k = 0; k < pairs.length; k++) {
      const { train: rest, heldOut } = pairs[k]!;
      // Where the run stops early (decided on the rows its final fit trains on, as the fitter decides it), boosting
      // stops on a seeded tenth of the fold's training rows, as the final fit stops on the validation rows.
      const learner = learners[candidate.algorithm];
      const { kept, held } = learner.earlyStopsInSearch(learner.decideDefaults({ ...args, ...candidate }, pool.length))
        ? holdOut(rest, 0.1, seed + k)
        : { kept: rest, held: new Int32Array(0) };
      // No candidate gets more than 15% of the budget, so one slow candidate (a big MLP, a deep forest) cannot
      // spend the search: it stops where it got, which can only understate it. Each fold also gets at most an
      // equal share of what is left, except on halving's full rows, where the finalists get their whole 15%.
      // And no fold runs past the search's deadline (a promoted finalist gets a quarter of a second at least); a
      // fold's floor of a second shrinks to the cap on small budgets.
      const cap = (0.15 * budgetMs) / pairs.length;
      const searchEnd = budget.deadline(leader());
      const share = promoted ? cap : Math.min((searchEnd - Date.now()) / (pairs.length - k), cap);
      const deadline = Math.min(Date.now() + Math.max(Math.min(1000, cap), share), Math.max(searchEnd, Date.now() + 250));
      const fitStarted = Date.now();
      const { model: foldModel } = await fit(
        kept,
        held,
        `${tag}, fold ${k + 1}/${pairs.length}`,
        { ...args, ...candidate },
        deadline,
      );
      const predictStarted = Date.now();
      const prediction = predictModel(
        foldModel,
        rawInputsFromFrame({ features: modelInputs(foldModel) }, selectRows(frame, heldOut)),
      );
      budget.measure(
        candidate,
        { rows: kept.length, ms: predictStarted - fitStarted },
        { rows: heldOut.length, ms: Date.now() - predictStarted },
      );
      const value = metricOf(task, prediction, targetsOf(heldOut), classes, metric);
      if (value === undefined) throw new HearthError('VALIDATION_FAILED', `metric "${metric}" does not apply to ${task} models`);
      perFold.push(value);
      if (full) oof = scatterPrediction(oof, prediction, foldIndices[k]!, pool.length);
      lastModel = foldModel;
    }
    return { ...meanAndStd(perFold), folds: perFold, oof, model: lastModel };
  };
  // With log loss as the objective and calibration allowed, candidates are compared as they will be served: their
  // out-of-fold predictions calibrated by cross-fitting (each fold by the others). Otherwise a sharp learner that
  // calibration fixes would rank below a softer one, and the choice would ignore what calibration does. Scored as
  // each candidate is recorded, so its cost falls inside the search's own deadline checks.
  const requestedCalibration = args.calibration ?? 'auto';
  const calibrationFolds = foldIndices.map((indices, k) => ({ indices, targets: foldTargets[k]! }));
  const ranksCalibrated = task !== 'regression' && metric === 'log_loss' && requestedCalibration !== 'none';
  // One calibration per set of out-of-fold predictions: the chosen model's, scored when it was recorded, is the one
  // it is served with.
  const calibrations = new WeakMap<PredictionMatrix, CalibrationReport>();
  const calibrate = (oof: PredictionMatrix): CalibrationReport => {
    let report = calibrations.get(oof);
    if (report === undefined)
      calibrations.set(oof, (report = chooseCalibration(task, oof, calibrationFolds, requestedCalibration)));
    return report;
  };
  const calibratedScore = (oof: PredictionMatrix): { mean: number; std: number } => {
    const report = calibrate(oof);
    const chosen = report.compared.find((c) => c.method === report.method);
    return { mean: chosen?.cv_log_loss ?? Number.NaN, std: chosen?.cv_log_loss_std ?? Number.NaN };
  };
  // Each entry's spread across folds in its rank's units (the calibrated folds' where ranked calibrated), and the
  // entries halving scored on a share of the rows only: what the one-standard-error rule reads.
  const rankSpread = new Map<LeaderboardEntry, number>();
  const partialRows = new Set<LeaderboardEntry>();
  const rankOf = (e: LeaderboardEntry): number => e.cvCalibrated ?? e.cvMetric;
  const limits = new SearchLimits(limitsOf(args), measure, better, rankOf);
  const record = async (
    candidate: Candidate,
    result: { mean: number; std: number; folds?: number[]; oof: PredictionMatrix | null; model?: TrainedModel | null },
    started: number,
    /** Measured whatever its score (an imbalance variant may win on another objective). */
    forceMeasure = false,
    /** Scored on a share of the rows (halving cut short). */
    partial = false,
  ): Promise<void> => {
    const calibratedFolds = ranksCalibrated && result.oof !== null ? calibratedScore(result.oof) : null;
    const calibrated = calibratedFolds?.mean ?? Number.NaN;
    const rank = Number.isFinite(calibrated) ? calibrated : result.mean;
    scored.push({ candidate, score: rank });
    const entry: LeaderboardEntry = {
      trial,
      algorithm: candidate.algorithm,
      params: candidate,
      cvMetric: result.mean,
      cvStd: result.std,
      ...(Number.isFinite(calibrated) ? { cvCalibrated: calibrated } : {}),
      ...(result.folds === undefined ? {} : { cv_folds: result.folds }),
      fitSeconds: (Date.now() - started) / 1000,
    };
    board.push(entry);
    rankSpread.set(entry, Number.isFinite(calibrated) ? calibratedFolds!.std : result.std);
    if (partial) partialRows.add(entry);
    await limits.consider(entry, result.model ?? null, board, forceMeasure, () => Date.now() > loopEnd());
    if (result.oof !== null) outOfFold.keep(candidate, rank, result.oof, result.model ?? null);
    onTrial({ trial, algorithm: candidate.algorithm, metric, value: rank });
  };
  // Classification with a rare class (under 20% of the rows), or when asked: after the search, the best
  // candidate is cross-validated again with class weights and with SMOTE, so a share of the budget is kept.
  // The share of the rarest class present among the rows searched.
  const classCounts = new Array<number>(classes?.length ?? 0).fill(0);
  if (classOf !== undefined) for (const r of pool) classCounts[classOf[r]!]!++;
  const rarest = classes === null ? 1 : Math.min(...classCounts.filter((c) => c > 0)) / pool.length;
  const compareImbalance =
    classes !== null && args.imbalance !== 'none' && (args.imbalance === 'auto' || rarest < 0.2 || args.threshold !== undefined);
  let objectiveDecided = false;
  // The search stops starting candidates at the plan's deadline; with imbalance to compare, earlier by what
  // cross-validating the best twice more costs. At least one candidate is always scored.
  const loopEnd = (): number => {
    const best = leader();
    return budget.deadline(best) - (compareImbalance && best !== null ? 2 * budget.crossValidationMs(best) : 0);
  };
  const outOfTime = (): boolean => trial >= 1 && Date.now() > loopEnd();
  // Nor does it start one projected to end past that deadline (from its learner's measured cost).
  const foldRows = (pairs: FoldPair[]): number => pairs.reduce((s, p) => s + p.train.length, 0);
  const wouldOverrun = (candidate: Candidate, pairs: FoldPair[]): boolean =>
    trial >= 1 && Date.now() + budget.expectedCrossValidationMs(candidate, foldRows(pairs), pairs.length) > loopEnd();
  // Candidates skipped in a row for their projected cost: the search ends after ten (none cheap enough is coming).
  let skipped = 0;
  const searchMs = Math.max(0, loopEnd() - searchStarted);
  const drawn = new Set<string>();
  let repeats = 0;
  // On large tables a single full cross-validation can eat most of a budget: halve by default there.
  const strategy = args.searchStrategy ?? (pool.length > 100_000 ? 'halving' : 'full');
  // A linear model's penalty path, queued after its first candidate when that cost under 1% of the budget.
  let linearPath: Candidate[] | null = null;
  let bracketMs = 0;
  while (!outOfTime() && trial < 200) {
    if (Atomics.load(cancel, 0) === 1) throw new HearthError('CANCELLED', 'training was cancelled');
    if (strategy === 'full') {
      const candidate = linearPath?.shift() ?? (sampler.next().value as Candidate);
      // A candidate already scored would only be scored again under another seed: the sampler draws anew instead,
      // and after fifty repeats in a row the grid is taken as exhausted (small tables reach that well within 200).
      const key = candidateKey(candidate);
      if (drawn.has(key)) {
        if (++repeats >= 50) {
          budget.clock.note(`search: ended after ${trial} candidates, every other draw repeated one already scored`);
          break;
        }
        continue;
      }
      repeats = 0;
      drawn.add(key);
      if (wouldOverrun(candidate, folds)) {
        if (++skipped >= 10) break;
        continue;
      }
      skipped = 0;
      trial++;
      const started = Date.now();
      await record(candidate, await crossValidate(candidate, folds, `trial ${trial}`), started);
      if (candidate.algorithm === 'linear' && linearPath === null && Date.now() - started < 0.01 * budgetMs)
        linearPath = linearPenaltyPath(candidate);
      continue;
    }
    // Successive halving (Jamieson & Talwalkar, 2016): nine candidates on a quarter of the rows, the best third
    // on half, the best one on all of them; only full-data scores enter the leaderboard and guide the sampler.
    // A later bracket starts only when one as long as the last fits before the deadline. One that cannot reach the
    // full rows leaves quarter-row scores alone, which flatter learners that saturate early: on synth 200k a second
    // bracket's MLP (three epochs on a quarter of the rows) took the lead from boosting, ROC AUC 0.845 against 0.852.
    if (bracketMs > 0 && Date.now() + bracketMs > loopEnd()) {
      budget.clock.note(
        `search: no other halving bracket, as one as long as the last (${(bracketMs / 1000).toFixed(1)} s) would end past the deadline`,
      );
      break;
    }
    const bracketStarted = Date.now();
    let rung = Array.from({ length: 9 }, () => sampler.next().value as Candidate);
    const random = seededRandom(seed + trial);
    let previous: { candidate: Candidate; result: Awaited<ReturnType<typeof crossValidate>>; started: number }[] = [];
    let previousShare = 0;
    for (const share of [0.25, 0.5, 1]) {
      // Past the search's deadline, the bracket goes straight to all the rows with its best candidate and its best
      // boosted one alone; when even the best is projected to end past it, their scores on fewer rows are what the
      // board gets.
      const late = scored.length + trial > 0 && Date.now() > loopEnd();
      if (late && share === 0.5) continue;
      if (late && share === 1) rung = [...new Set([rung[0]!, ...rung.filter((c) => c.algorithm === 'gbdt').slice(0, 1)])];
      if (share === 1 && previous.length > 0 && wouldOverrun(rung[0]!, folds)) {
        const kept = boostingWithinNoise(
          previous.filter((p) => rung.includes(p.candidate)),
          better,
        );
        for (const r of kept.results) await record(r.candidate, r.result, r.started, false, true);
        budget.clock.note(
          `search: scored on ${Math.round(previousShare * 100)}% of the rows only, for lack of time for all of them`,
        );
        if (kept.note !== null) budget.clock.note(kept.note);
        break;
      }
      const rows = share < 1 ? pool.filter(() => random() < share) : pool;
      const pairs = share < 1 ? foldPairs(rows, args.folds ?? 3, seed, scheme) : folds;
      // Nor is the half rung started when its first candidate is projected to end past the deadline.
      if (share === 0.5 && wouldOverrun(rung[0]!, pairs)) continue;
      const results: { candidate: Candidate; result: Awaited<ReturnType<typeof crossValidate>>; started: number }[] = [];
      for (const candidate of rung) {
        // A partial rung stops starting candidates once its share of the budget is spent (40% for the quarter,
        // 60% with the half), keeping time for the full rows; but one boosted candidate is always scored, so
        // one reaches the full rows. The promoted candidates on all rows are all scored.
        const rungSpent = Date.now() - searchStarted > searchMs * (share === 0.25 ? 0.4 : 0.6) || Date.now() > loopEnd();
        const boostedScored = results.some((r) => r.candidate.algorithm === 'gbdt');
        if (share < 1 && results.length > 0 && rungSpent && (boostedScored || candidate.algorithm !== 'gbdt')) continue;
        if (
          share < 1 &&
          results.length > 0 &&
          wouldOverrun(candidate, pairs) &&
          (boostedScored || candidate.algorithm !== 'gbdt')
        )
          continue;
        trial++;
        const started = Date.now();
        results.push({
          candidate,
          result: await crossValidate(candidate, pairs, `trial ${trial} (${Math.round(share * 100)}% of rows)`, share === 1),
          started,
        });
      }
      if (share === 1) for (const r of results) await record(r.candidate, r.result, r.started);
      results.sort((a, b) => better(a.result.mean, b.result.mean));
      previous = results;
      previousShare = share;
      rung = results.slice(0, Math.max(1, Math.ceil(results.length / 3))).map((r) => r.candidate);
      // The best boosted-tree candidate always goes on: small row shares flatter learners that saturate early
      // (an MLP led at a quarter of 160,000 rows and lost at all of them), and boosting is the strong default.
      const bestBoosted = results.find((r) => r.candidate.algorithm === 'gbdt');
      if (bestBoosted !== undefined && !rung.includes(bestBoosted.candidate)) rung.push(bestBoosted.candidate);
      if (rung.length === 0) break;
    }
    bracketMs = Date.now() - bracketStarted;
  }
  board.sort((p, q) => better(rankOf(p), rankOf(q)));
  // A linear leader: the stronger penalties of its grid are scored too (milliseconds each), so the
  // one-standard-error rule below has them to choose from.
  if (board[0]?.algorithm === 'linear' && isSingle(board[0].params)) {
    for (const l2 of strongerLinearPenalties(board[0].params, board)) {
      const candidate: Candidate = { algorithm: 'linear', l2 };
      if (Atomics.load(cancel, 0) === 1 || Date.now() > loopEnd() || wouldOverrun(candidate, folds)) break;
      trial++;
      const started = Date.now();
      await record(candidate, await crossValidate(candidate, folds, `trial ${trial} (L2 ${l2})`), started);
    }
    board.sort((p, q) => better(rankOf(p), rankOf(q)));
  }
  // With limits, only candidates measured within them may be chosen; none: the run is refused, nothing registered.
  const eligible = (e: LeaderboardEntry): boolean => limits.eligible(e);
  const eligibleSingles = (): Candidate[] => board.filter(eligible).flatMap((e) => (isSingle(e.params) ? [e.params] : []));
  if (eligibleSingles().length === 0) throw limits.unmet(board);
  const rule = chooseWithinNoise(
    board,
    {
      rankOf,
      better,
      eligible,
      standardError: (e) => (rankSpread.get(e) ?? e.cvStd) / Math.sqrt(folds.length),
      fullRows: (e) => !partialRows.has(e),
    },
    folds.length / foldRows(folds),
  );
  rule.notes.forEach((note) => budget.clock.note(note));

  // Imbalance: the best candidate as it is, with balanced class weights (learners that take them) and with
  // SMOTE inside each fold; for binary targets with a threshold objective, each also with a threshold tuned
  // on the other folds' predictions. Whichever scores best on cross-validation is kept.
  let chosenSingle: Candidate;
  if (compareImbalance && Atomics.load(cancel, 0) === 0) {
    const best = rule.choice;
    const variants: { strategy: string; candidate: Candidate }[] = [];
    if (learners[best.algorithm].takesClassWeights)
      variants.push({ strategy: 'class weights', candidate: { ...best, classWeight: 'balanced' } });
    // SMOTE-NC needs a numeric feature to interpolate; without one it is left out, and the report says so.
    const smoteRefusal = smoteRefused(frame, args);
    if (smoteRefusal === null) variants.push({ strategy: 'SMOTE', candidate: { ...best, resample: 'smote' } });
    // A threshold is tuned on the plain candidate's out-of-fold predictions: one scored on a share of the rows has none.
    const baseline = outOfFold.of(best);
    const asked = task === 'binary' ? thresholdObjective(args) : null;
    const objective = baseline === undefined ? null : asked;
    if (asked !== null && objective === null)
      budget.clock.note('imbalance: no threshold tuned, as the chosen candidate was scored on a share of the rows only');
    const rows: ImbalanceComparisonRow<Candidate>[] = [];
    const judge = (
      strategy: string,
      candidate: Candidate,
      result: { mean: number; std: number; oof: PredictionMatrix | null },
    ): void => {
      // Class weights and SMOTE shift probabilities, which calibration undoes: judged calibrated when ranked so
      // (the score `record` gave the candidate's board entry).
      const calibrated = board.find((e) => e.params === candidate)?.cvCalibrated ?? Number.NaN;
      rows.push({
        strategy,
        threshold: 'default',
        candidate,
        metric,
        cvMetric: Number.isFinite(calibrated) ? calibrated : result.mean,
        cvStd: result.std,
        ...(Number.isFinite(calibrated) ? { calibrated: true } : {}),
      });
      if (objective !== null && result.oof !== null) {
        const scores = crossFittedThresholdScores(result.oof, foldIndices, foldTargets, objective);
        rows.push({ strategy, threshold: 'default', candidate, metric: objective.metric, ...scores.fixed });
        rows.push({ strategy, threshold: 'tuned', candidate, metric: objective.metric, ...scores.tuned });
      }
    };
    const bestEntry = board.find((e) => e.params === best)!;
    judge('none', best, { mean: bestEntry.cvMetric, std: bestEntry.cvStd, oof: baseline ?? null });
    for (const variant of variants) {
      // SMOTE's cost is its neighbour search and the rows it adds, projected from timing it on a fold.
      const projectedMs =
        variant.candidate.resample === 'smote'
          ? projectSmoteFolds(frame, folds, classOf!, classes.length, args.target, seed, budget.crossValidationMs(best))
          : budget.crossValidationMs(best);
      if (Date.now() + projectedMs > budget.deadline(best)) {
        budget.clock.note(
          `imbalance: ${variant.strategy} not compared, for lack of time before the search's deadline (projected at ` +
            `${(projectedMs / 1000).toFixed(1)} s)`,
        );
        continue;
      }
      trial++;
      const started = Date.now();
      const result = await crossValidate(variant.candidate, folds, `trial ${trial} (${variant.strategy})`);
      await record(variant.candidate, result, started, limits.limits !== null);
      judge(variant.strategy, variant.candidate, result);
    }
    // With a threshold objective the objective decides (higher is better for F1, lower for cost); otherwise the metric.
    // A variant over a limit (class weights can grow a boosted model) is compared but cannot win.
    const withinLimits = (c: Candidate): boolean => limits.eligible(board.find((e) => e.params === c)!);
    const decisive = rows.filter(
      (r) => r.metric === (objective === null ? metric : objective.metric) && withinLimits(r.candidate),
    );
    const higher = objective === null ? higherIsBetter : objective.kind === 'f1';
    objectiveDecided = objective !== null;
    // A resampled candidate wins only by beating the plain one; the report says what became of SMOTE and why.
    const { winner, smote } = imbalanceWinner(decisive, higher, smoteRefusal);
    imbalanceReport = {
      compared: rows.map(({ candidate: _c, ...row }) => row),
      chosen: { strategy: winner.strategy, threshold: winner.threshold },
      smote,
    };
    tuneThreshold = winner.threshold === 'tuned';
    board.sort((p, q) => better(rankOf(p), rankOf(q)));
    chosenSingle = winner.candidate;
  } else {
    chosenSingle = rule.choice;
  }

  // Ensemble selection over the best candidates' out-of-fold predictions; kept only when the blend's
  // cross-validated score beats the best single candidate's.
  let ensembleReport: Record<string, unknown> | null = null;
  let chosenOof: PredictionMatrix | null = null;
  if (keptOutOfFold.length >= 2 && !objectiveDecided) {
    const sign = higherIsBetter ? 1 : -1;
    const oofs = keptOutOfFold.map((k) => k.oof);
    const selection = selectEnsemble(oofs, (p) => sign * meanAndStd(foldValues(p)).mean);
    const members = keptOutOfFold
      .map((k, i) => ({ candidate: k.candidate, weight: selection.weights[i]! }))
      .filter((m) => m.weight > 0);
    const blendedOof = blendPredictions(
      members.map((m) => keptOutOfFold.find((k) => k.candidate === m.candidate)!.oof),
      members.map((m) => m.weight),
    );
    // Judged cross-fitted (weights chosen without the rows they score); served with the weights chosen on every row.
    const honestOof = crossFittedBlend(oofs, foldIndices, (p, k) => sign * foldValue(p, k));
    // Ranked calibrated, the blend is judged calibrated too, against the chosen single candidate calibrated (the
    // leader, where the one-standard-error rule stepped back from it: a blend must beat the best single).
    const stepped = rule.stepped && chosenSingle === rule.choice;
    const rival = stepped ? rule.leader : chosenSingle;
    const chosenEntry = board.find((e) => e.params === rival);
    const calibratedBlend = ranksCalibrated && members.length >= 2 ? calibratedScore(honestOof).mean : Number.NaN;
    const calibratedPair = Number.isFinite(calibratedBlend) && chosenEntry?.cvCalibrated !== undefined;
    // With limits, the blend must beat the best single candidate within them, the one it would replace.
    const bestSingle = calibratedPair
      ? chosenEntry.cvCalibrated!
      : limits.limits !== null && chosenEntry !== undefined
        ? rankOf(chosenEntry)
        : keptOutOfFold[0]!.score;
    const honest = meanAndStd(foldValues(honestOof));
    const blended = calibratedPair ? calibratedBlend : honest.mean;
    ensembleReport = {
      candidates: keptOutOfFold.length,
      members: members.length,
      cvMetric: blended,
      bestSingle: bestSingle,
      calibrated: calibratedPair,
      kept: false,
    };
    // A real improvement, not rounding: blends of near-identical members tie to the last digits. And one whose
    // members cannot all be fitted and refitted in what is left of the budget is not kept.
    const improves = members.length >= 2 && better(blended, bestSingle) < -1e-6 * Math.max(1e-12, Math.abs(bestSingle));
    const affordable = budget.affordable(members.map((m) => m.candidate));
    if (improves && !affordable.fits)
      budget.clock.note(
        `ensemble of ${members.length} not kept: fitting and refitting its members is projected at ` +
          `${(affordable.projectedMs / 1000).toFixed(1)} s, with ${(budget.clock.left() / 1000).toFixed(1)} s of the budget left`,
      );
    if (improves && affordable.fits) {
      const weighted = members.map((m) => ({ algorithm: m.candidate.algorithm, params: m.candidate, weight: m.weight }));
      const entry: LeaderboardEntry = {
        trial: trial + 1,
        algorithm: 'ensemble',
        params: { algorithm: 'ensemble', members: weighted },
        cvMetric: honest.mean,
        ...(calibratedPair ? { cvCalibrated: calibratedBlend } : {}),
        cvStd: honest.std,
        fitSeconds: members.reduce((s, m) => s + (board.find((e) => e.params === m.candidate)?.fitSeconds ?? 0), 0),
      };
      board.push(entry);
      // The blend is measured as a whole: its members' last fold models in one graph, as it would be served.
      const memberModels = members.map((m) => outOfFold.foldModel(m.candidate));
      if (memberModels.every((m) => m !== undefined)) {
        const blend: EnsembleModel = {
          format: 'hearth.ensemble/1',
          task,
          target: args.target,
          classes,
          members: memberModels as SingleModel[],
          weights: members.map((m) => m.weight),
        };
        await limits.consider(entry, blend, board, true);
      }
      board.sort((p, q) => better(rankOf(p), rankOf(q)));
      if (limits.eligible(entry)) {
        ensembleMembers = members;
        ensembleReport.kept = true;
        chosenOof = blendedOof;
      } else {
        ensembleReport.overLimit = entry.overLimit ?? 'not measured';
        budget.clock.note(
          `ensemble of ${members.length} not kept: over the run's limits (${(entry.overLimit ?? ['not measured']).join(', ')})`,
        );
      }
    }
  }
  budget.choose(ensembleMembers?.map((m) => m.candidate) ?? [chosenSingle], leader());
  const tried = new Set(board.map((e) => e.algorithm));
  const untried = (['gbdt', 'linear', 'forest', 'mlp'] as const).filter((a) => !tried.has(a));
  if (untried.length > 0) budget.clock.note(`search: ${untried.join(', ')} not tried within the budget`);
  chosenOof ??= outOfFold.of(chosenSingle) ?? null;
  const calibration: CalibrationReport =
    chosenOof === null
      ? noCalibration(
          requestedCalibration,
          task === 'regression' ? 'regression: nothing to calibrate' : "the chosen model's out-of-fold predictions were not kept",
        )
      : calibrate(chosenOof);
  // One object: the run's search report and the trainer's final checks share it.
  const limitsReport = limits.report(board);
  const calibrationOf = (candidate: Candidate): CalibrationReport => {
    const oof = outOfFold.of(candidate);
    return oof === undefined
      ? { ...calibration, method: 'none', calibrator: null, compared: [], note: 'not kept' }
      : calibrate(oof);
  };
  return {
    chosen: { ...args, ...chosenSingle },
    ensembleMembers,
    tuneThreshold,
    leaderboard: board,
    calibration,
    limits: limitsReport,
    fallbacks: () =>
      eligibleSingles()
        .filter((c) => ensembleMembers !== null || c !== chosenSingle)
        .map((c) => ({ chosen: { ...args, ...c }, calibration: calibrationOf(c) })),
    searchReport: {
      strategy,
      metric,
      folds: folds.length,
      trials: board.length,
      budgetSeconds: budgetMs / 1000,
      searchSeconds: (Date.now() - searchStarted) / 1000,
      ensemble: ensembleReport,
      imbalance: imbalanceReport,
      calibration,
      limits: limitsReport,
    },
  };
}
