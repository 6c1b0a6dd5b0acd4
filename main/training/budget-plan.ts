import type { BudgetPhase, BudgetReport } from '../contracts/training.js';

/**
 * A run's time budget, planned from measured costs. The budget covers the whole run: preparing the rows, the
 * search, the final fit on the training rows, the refit on all of them, evaluation, explanation, the ONNX export
 * and its parity check, and registration. The search ends early enough to leave what the phases after it are
 * projected to cost, projected from what the search measured: each candidate's fit time per training row and
 * prediction time per row.
 */

/** Fits run in fresh worker threads whose cost is not all per row; projections are padded by this factor. */
export const SAFETY = 1.25;
/** Before any candidate is measured, this share of the budget is kept for the phases after the search. */
export const UNMEASURED_RESERVE_SHARE = 0.3;
/**
 * What the phases after the search cost besides predictions: an ONNX session (about 0.3 s), 200 one-row latency
 * calls through it, the registry's writes. Measured at 0.4–0.9 s on this 2-core box; kept at the high end.
 */
export const POST_FIT_FIXED_MS = 1000;
/**
 * TreeSHAP over 500 rows costs about as much as predicting this many rows per row explained (every leaf's path
 * instead of one path per tree): measured at 52× for default boosting on 8,000 rows of 24 features, so 60.
 */
export const SHAP_ROWS_FACTOR = 60;

/**
 * The batch whose throughput registration measures, for the model's cost (export-check.ts): this many rows a call,
 * run until it has taken COST_BATCH_MIN_MS or COST_BATCH_RUNS calls, whichever comes first.
 */
export const COST_BATCH_ROWS = 2_000;
export const COST_BATCH_RUNS = 5;
export const COST_BATCH_MIN_MS = 25;

/**
 * What a learner's fit costs before its first row, for a learner not yet measured: an MLP loads TensorFlow.js in
 * each fit's fresh worker (0.4 s idle, 1.5 s measured on this loaded 2-core box); the others start in milliseconds.
 */
export const FIT_STARTUP_MS: Readonly<Record<string, number>> = { mlp: 1500 };

/** One candidate's measured cost, from its cross-validation folds. */
export interface MeasuredCost {
  /** Milliseconds of fitting per training row (the fold's fit time over its training rows). */
  fitMsPerRow: number;
  /** Milliseconds per predicted row (the fold's prediction of its held-out rows). */
  predictMsPerRow: number;
}

/** The rows the phases after the search work on. */
export interface PlanRows {
  train: number;
  validation: number;
  test: number;
  /** Input columns (permutation importance predicts the validation rows once per column). */
  features: number;
}

/** The projected milliseconds of each phase after the search. */
export interface AfterSearchProjection {
  finalFitMs: number;
  refitMs: number;
  postFitMs: number;
  totalMs: number;
}

/**
 * The projected cost of the phases after the search for a choice of one candidate or an ensemble's members
 * (each fitted once on the training rows and once on all of them). Fit time scales with the rows; predictions
 * are counted as the trainer makes them: threshold and evaluation on the validation and test rows, permutation
 * importance on up to 2,000 validation rows once per feature, the test rows again after the refit, the parity
 * check's two predictions of up to 2,000 rows, and TreeSHAP's 500 rows.
 */
export function projectAfterSearch(members: readonly MeasuredCost[], rows: PlanRows): AfterSearchProjection {
  const fitPerRow = members.reduce((s, m) => s + m.fitMsPerRow, 0);
  const predictPerRow = members.reduce((s, m) => s + m.predictMsPerRow, 0);
  const finalFitMs = SAFETY * fitPerRow * rows.train;
  const refitMs = rows.validation > 0 ? SAFETY * fitPerRow * (rows.train + rows.validation) : 0;
  const predicted = predictedRows(rows);
  const postFitMs = POST_FIT_FIXED_MS + SAFETY * predictPerRow * (predicted.evaluation + predicted.finishing);
  return { finalFitMs, refitMs, postFitMs, totalMs: finalFitMs + refitMs + postFitMs };
}

/**
 * The rows the trainer predicts after the final fit. Evaluation: the threshold and the validation metrics on the
 * validation rows, the evaluation rows, permutation importance on up to 2,000 validation rows once per feature
 * and once as they are. Finishing: the test rows again after the refit, the parity check's two predictions of up
 * to 2,000 rows, and TreeSHAP's 500 rows.
 */
export function predictedRows(rows: PlanRows): { evaluation: number; finishing: number } {
  const evaluationRows = rows.test > 0 ? rows.test : rows.validation > 0 ? rows.validation : rows.train;
  const importanceRows = Math.min(2000, rows.validation) * (rows.features + 1);
  return {
    evaluation: 2 * rows.validation + evaluationRows + importanceRows,
    finishing: rows.test + 2 * Math.min(2000, evaluationRows) + 500 * SHAP_ROWS_FACTOR + COST_BATCH_ROWS * COST_BATCH_RUNS,
  };
}

/**
 * What finishing the run costs (the refit's evaluation, SHAP, export, registration), from the final model's own
 * prediction time: the evaluation phase's milliseconds over the rows it predicted.
 */
export function finishingMs(evaluationMs: number, rows: PlanRows): number {
  const predicted = predictedRows(rows);
  return POST_FIT_FIXED_MS + (SAFETY * evaluationMs * predicted.finishing) / Math.max(1, predicted.evaluation);
}

/**
 * When the search must stop starting work: the budget's end less what the phases after it are projected to cost
 * for the best candidate so far (or, before any is measured, a fixed share of the budget). Never before `now`'s
 * search start, so the first candidate always runs (cut at this deadline).
 */
export function searchDeadline(
  searchStart: number,
  end: number,
  budgetMs: number,
  projection: AfterSearchProjection | null,
): number {
  const reserve = projection === null ? UNMEASURED_RESERVE_SHARE * budgetMs : projection.totalMs;
  return Math.max(searchStart, end - reserve);
}

/**
 * Where the final fit must stop. When the final fit, the refit and the phases after them all fit in what is left,
 * the budget's end less the refit's and the rest's projections. When they do not, the final fit gets everything the
 * phases after it leave (the refit will then be skipped): one fit run to its length makes a better model than two
 * cut short. And never less than its own projected length (at least FINAL_FIT_FLOOR_MS): a search that ran to
 * its deadline must not leave the model itself a fit stopped before its first iterations (a 2 s budget once served a
 * logistic model after one L-BFGS step); the budget then overruns by at most that.
 */
export function finalFitDeadline(now: number, end: number, projection: AfterSearchProjection): number {
  const { finalFitMs, refitMs, postFitMs } = projection;
  if (finalFitMs + refitMs + postFitMs <= end - now) return end - refitMs - postFitMs;
  return Math.max(now + Math.max(finalFitMs, FINAL_FIT_FLOOR_MS), end - postFitMs);
}

/**
 * The least a final fit is given past its start, however late: a projection measured on folds of a few milliseconds
 * is all message latency, and a logistic model cut at its projection converged no further than one L-BFGS step.
 */
export const FINAL_FIT_FLOOR_MS = 250;

/**
 * When the SHAP summary must stop explaining rows: the budget's end less the export's projected cost (its fixed
 * part and the parity check's two predictions, at the final model's own prediction rate).
 */
export function explanationDeadline(end: number, evaluationMs: number, rows: PlanRows): number {
  const predicted = predictedRows(rows);
  const evaluationRows = rows.test > 0 ? rows.test : rows.validation > 0 ? rows.validation : rows.train;
  const parityRows = 2 * Math.min(2000, evaluationRows);
  return end - POST_FIT_FIXED_MS - (SAFETY * evaluationMs * parityRows) / Math.max(1, predicted.evaluation);
}

/**
 * Whether the refit on all training rows fits in what is left: projected from the final fit's own measured time
 * per row (a better measure than the folds'), scaled to all the rows, with the phases after it still to come.
 */
export function refitFits(
  now: number,
  end: number,
  finalFit: { ms: number; rows: number },
  allRows: number,
  postFitMs: number,
): { fits: boolean; projectedMs: number } {
  const projectedMs = (SAFETY * finalFit.ms * allRows) / Math.max(1, finalFit.rows);
  return { fits: now + projectedMs + postFitMs <= end, projectedMs };
}

/** A run's wall clock, phase by phase, against its budget (null: no budget, a single learner runs to the end). */
export class RunClock {
  readonly end: number;
  private readonly phases: BudgetPhase[] = [];
  private current: { phase: string; started: number } | null = null;
  private readonly notes: string[] = [];
  private plan: BudgetReport['plan'] = null;

  constructor(
    readonly budgetMs: number | null,
    readonly started: number,
    private readonly now: () => number = Date.now,
  ) {
    this.end = budgetMs === null ? Number.POSITIVE_INFINITY : started + budgetMs;
  }

  /** Ends the phase under way (if any) and starts `phase` (now, or at `at`: the first phase starts with the run). */
  phase(phase: string, at?: number): void {
    this.close();
    this.current = { phase, started: at ?? this.now() };
  }

  /** A decision the budget forced, said in the run's record. */
  note(text: string): void {
    this.notes.push(text);
  }

  /** What the plan reserved and projected, for the record. */
  setPlan(plan: NonNullable<BudgetReport['plan']>): void {
    this.plan = plan;
  }

  /** Records when the final fit had to stop (ms since the epoch). */
  planFinalFit(deadline: number): void {
    if (this.plan !== null) this.plan = { ...this.plan, finalFitDeadlineSeconds: seconds(deadline - this.started) };
  }

  /** Milliseconds until the budget's end (Infinity without a budget). */
  left(): number {
    return this.end - this.now();
  }

  /** The record so far: the phase under way counts up to now. */
  report(): BudgetReport {
    const t = this.now();
    const wallMs = t - this.started;
    const whole = this.budgetMs ?? Math.max(1, wallMs);
    const phases = this.current === null ? this.phases : [...this.phases, this.entry(this.current, t)];
    return {
      budgetSeconds: this.budgetMs === null ? null : this.budgetMs / 1000,
      wallSeconds: seconds(wallMs),
      withinBudget: this.budgetMs === null ? null : wallMs <= this.budgetMs,
      phases: phases.map((p) => ({ ...p, share: Number(((p.seconds * 1000) / whole).toFixed(3)) })),
      plan: this.plan,
      notes: [...this.notes],
    };
  }

  private entry(current: { phase: string; started: number }, t: number): BudgetPhase {
    return {
      phase: current.phase,
      startSeconds: seconds(current.started - this.started),
      seconds: seconds(t - current.started),
      share: 0,
    };
  }

  private close(): void {
    if (this.current === null) return;
    this.phases.push(this.entry(this.current, this.now()));
    this.current = null;
  }
}

function seconds(ms: number): number {
  return Number((ms / 1000).toFixed(3));
}

/** One candidate's measured cross-validation: fit and prediction time and the rows they covered. */
interface Measured {
  fitMs: number;
  fitRows: number;
  predictMs: number;
  predictRows: number;
}

/**
 * The search's side of the plan: it records each fold's fit and prediction time by candidate, and answers when
 * the search must stop (the budget's end less the projected cost of fitting, refitting and finishing its best
 * candidate so far), whether another pass over the best fits, and what a choice will cost after the search.
 */
export class SearchBudget {
  private readonly measured = new Map<object, Measured>();
  /** The projection for what the search chose, set when it ends. */
  chosen: AfterSearchProjection | null = null;

  constructor(
    readonly clock: RunClock,
    readonly budgetMs: number,
    readonly rows: PlanRows,
    readonly searchStart: number,
  ) {}

  /** One fold of `candidate`: `fitRows` rows fitted in `fitMs`, `predictRows` predicted in `predictMs`. */
  measure(candidate: object, fit: { rows: number; ms: number }, predict: { rows: number; ms: number }): void {
    const m = this.measured.get(candidate) ?? { fitMs: 0, fitRows: 0, predictMs: 0, predictRows: 0 };
    m.fitMs += fit.ms;
    m.fitRows += fit.rows;
    m.predictMs += predict.ms;
    m.predictRows += predict.rows;
    this.measured.set(candidate, m);
  }

  /** A candidate's measured cost per row; null before any of its folds finished. */
  cost(candidate: object): MeasuredCost | null {
    const m = this.measured.get(candidate);
    if (m === undefined || m.fitRows === 0) return null;
    return { fitMsPerRow: m.fitMs / m.fitRows, predictMsPerRow: m.predictRows === 0 ? 0 : m.predictMs / m.predictRows };
  }

  /** What another full cross-validation of `candidate` costs, as its last one did (fit and prediction). */
  crossValidationMs(candidate: object): number {
    const m = this.measured.get(candidate);
    return m === undefined ? 0 : SAFETY * (m.fitMs + m.predictMs);
  }

  /**
   * What cross-validating `candidate` on folds of `fitRows` training rows in all is expected to cost: at its
   * learner's measured milliseconds per row (fit and prediction) where one of its kind was measured, else at the
   * average candidate's so far plus its learner's start-up per fold (FIT_STARTUP_MS). 0 before anything was measured.
   */
  expectedCrossValidationMs(candidate: { algorithm: string }, fitRows: number, folds: number): number {
    const rate = (entries: [object, Measured][]): number | null => {
      const rows = entries.reduce((s, [, m]) => s + m.fitRows, 0);
      return rows === 0 ? null : entries.reduce((s, [, m]) => s + m.fitMs + m.predictMs, 0) / rows;
    };
    const all = [...this.measured.entries()];
    const same = all.filter(([c]) => (c as { algorithm?: string }).algorithm === candidate.algorithm);
    const measured = rate(same);
    if (measured !== null) return SAFETY * measured * fitRows;
    const average = rate(all);
    return average === null ? 0 : SAFETY * (average * fitRows + folds * (FIT_STARTUP_MS[candidate.algorithm] ?? 0));
  }

  /** The phases after the search, projected for these members (unmeasured ones are left out: null if none is measured). */
  projection(members: readonly object[]): AfterSearchProjection | null {
    const costs = members.map((c) => this.cost(c)).filter((c): c is MeasuredCost => c !== null);
    return costs.length === 0 ? null : projectAfterSearch(costs, this.rows);
  }

  /** When the search must stop, given its best candidate so far (null: none scored yet). */
  deadline(leader: object | null): number {
    return searchDeadline(this.searchStart, this.clock.end, this.budgetMs, leader === null ? null : this.projection([leader]));
  }

  /** Whether a choice of these members can still be fitted, refitted and finished by the budget's end. */
  affordable(members: readonly object[]): { fits: boolean; projectedMs: number } {
    const projectedMs = this.projection(members)?.totalMs ?? 0;
    return { fits: projectedMs <= this.clock.left(), projectedMs };
  }

  /** Records the search's choice and the plan it leaves for the phases after it. */
  choose(members: readonly object[], leader: object | null): void {
    this.chosen = this.projection(members);
    const deadline = this.deadline(leader);
    this.clock.setPlan({
      searchDeadlineSeconds: seconds(deadline - this.clock.started),
      projectedFinalFitSeconds: seconds(this.chosen?.finalFitMs ?? 0),
      projectedRefitSeconds: seconds(this.chosen?.refitMs ?? 0),
      projectedAfterFitSeconds: seconds(this.chosen?.postFitMs ?? 0),
    });
  }
}
