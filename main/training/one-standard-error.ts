// The one-standard-error rule (Breiman et al. 1984; Hastie, Tibshirani & Friedman, §7.10): among candidates the
// folds cannot tell apart, prefer the one a prior favours. Two uses in the search, each with its note.
import { learners } from './learners/index.js';
import { linearDefaultL2 } from './learners/linear.js';
import { isSingle, type Candidate, type LeaderboardEntry } from './train-args.js';

/**
 * Scores on a share of the rows flatter learners that saturate early: an MLP led boosting at a quarter of 160,000
 * rows and lost to it at all of them. When only such scores are left to choose from and the leader is not boosting,
 * the best boosted candidate is kept in its place if it trails by less than one standard error of the leader's fold
 * scores (the one-standard-error rule: among the candidates the folds cannot tell apart, the one expected to gain
 * most from the rows left out). A clear lead stands.
 */
export function boostingWithinNoise<
  T extends { candidate: { algorithm: string }; result: { mean: number; std: number; folds: number[] } },
>(results: T[], better: (a: number, b: number) => number): { results: T[]; note: string | null } {
  const ranked = [...results].sort((a, b) => better(a.result.mean, b.result.mean));
  const leader = ranked[0];
  const boosted = ranked.find((r) => r.candidate.algorithm === 'gbdt');
  if (leader === undefined || boosted === undefined || boosted === leader) return { results, note: null };
  const standardError = leader.result.std / Math.sqrt(Math.max(1, leader.result.folds.length));
  const gap = Math.abs(boosted.result.mean - leader.result.mean);
  if (!(gap < standardError)) return { results, note: null };
  return {
    results: results.filter((r) => r !== leader),
    note:
      `search: ${leader.candidate.algorithm} led boosting by ${gap.toPrecision(2)} on a share of the rows, less than one ` +
      `standard error across folds (${standardError.toPrecision(2)}): boosting kept, as it gains more from the rows left out`,
  };
}

/** A linear candidate's L2 penalty (its default when it names none). */
function linearL2(params: Candidate): number {
  return params.l2 ?? linearDefaultL2;
}

/**
 * The linear grid's other penalties, weakest first, as candidates: the search scores a cheap linear model's whole
 * path rather than leave it to the sampler, because the first, weakly penalised candidate can rank last and the
 * sampler then draws no other (breast cancer, 455 rows: log loss 0.21 at L2 1e-4 and 0.088 at 3e-3, ahead of every
 * network and forest; the search had tried L2 1e-4 alone and chose a network that scored 1.7× logistic regression's
 * test log loss).
 */
export function linearPenaltyPath(first: Candidate): Candidate[] {
  return linearGrid()
    .filter((l2) => l2 !== linearL2(first))
    .map((l2) => ({ algorithm: 'linear', l2 }));
}

/** The linear learner's L2 grid, weakest penalty first. */
function linearGrid(): number[] {
  return [...((learners.linear.searchGrid.l2 ?? []) as readonly number[])].sort((a, b) => a - b);
}

/** The penalties of the linear grid stronger than `leader`'s that no entry on the board has scored yet, weakest first. */
export function strongerLinearPenalties(leader: Candidate, board: readonly LeaderboardEntry[]): number[] {
  const scored = new Set(
    board.flatMap((e) => (isSingle(e.params) && e.params.algorithm === 'linear' ? [linearL2(e.params)] : [])),
  );
  return linearGrid().filter((l2) => l2 > linearL2(leader) && !scored.has(l2));
}

/** How the rules below read a board: its ranks, and how far apart the folds cannot tell two candidates. */
export interface BoardNoise {
  rankOf: (e: LeaderboardEntry) => number;
  /** Negative when score a ranks ahead of b (lower is better for losses, higher for ROC AUC). */
  better: (a: number, b: number) => number;
  /**
   * The standard error of an entry's rank across folds, in the rank's own units: a rank that is a calibrated log
   * loss has the spread of the calibrated fold scores, not of the raw ones (an overconfident network's raw fold log
   * losses spread far wider, and would widen the rule's reach).
   */
  standardError: (e: LeaderboardEntry) => number;
  /** Whether the entry was scored on all the rows (halving can leave scores on a share of them only). */
  fullRows: (e: LeaderboardEntry) => boolean;
  /** Within the run's limits. */
  eligible: (e: LeaderboardEntry) => boolean;
}

/**
 * The linear candidate within one standard error of the leader (the leader's across folds, as glmnet's
 * lambda.1se) whose penalty is nearest the prior `priorL2`, in log scale: scikit-learn's default C = 1, which is
 * L2 = 1/n on Hearth's mean loss (a unit Gaussian prior on standardised coefficients). Among penalties the folds
 * cannot tell apart, the one a well-tried prior favours. On small tables the folds' own minimum is a noisy dip:
 * wine (142 rows): L2 1e-5 led at 0.022 ± 0.013 and scored 0.17 on the test rows, L2 1e-3 (nearest the prior
 * 0.0105) scored 0.077. Stepping to the strongest penalty within the error instead took breast cancer from L2 3e-3
 * (test log loss 0.042; the prior 0.0033) to 3e-2 (0.081).
 *
 * A leader of another family gives way the same way (Breiman's rule across families: the simpler model where the
 * folds cannot tell them apart): on breast cancer (455 rows) the default MLP led at 0.0608 ± 0.0106 and a linear
 * model trailed by 0.0064; on the test rows the MLP scored 0.151 and the linear model 0.126. Only scores on all the
 * rows are compared (a linear model saturates earliest, and a share of the rows flatters it). `entry` is null when
 * the leader stays.
 */
export function regularisedWithinNoise(
  board: readonly LeaderboardEntry[],
  noise: BoardNoise,
  priorL2: number,
): { entry: Candidate | null; note: string | null } {
  const { rankOf, better, fullRows, eligible } = noise;
  const leader = board[0];
  if (leader === undefined || !isSingle(leader.params) || !eligible(leader) || !fullRows(leader))
    return { entry: null, note: null };
  const leaderParams = leader.params;
  const linearLeader = leaderParams.algorithm === 'linear';
  const standardError = noise.standardError(leader);
  const distance = (params: Candidate): number => Math.abs(Math.log(linearL2(params)) - Math.log(priorL2));
  let chosen: { entry: LeaderboardEntry; params: Candidate } | null = linearLeader
    ? { entry: leader, params: leaderParams }
    : null;
  for (const e of board) {
    const params = e.params;
    if (e === leader || !isSingle(params) || params.algorithm !== 'linear' || !eligible(e) || !fullRows(e)) continue;
    if (Object.keys(params).some((k) => k !== 'algorithm' && k !== 'l2')) continue;
    // Behind the leader (or level with it) by at most one standard error; a NaN score or spread never qualifies.
    const gap = better(rankOf(e), rankOf(leader));
    if (!(gap >= 0 && gap <= standardError)) continue;
    const nearer = chosen === null ? -1 : distance(params) - distance(chosen.params);
    // Equally near: the stronger penalty.
    if (nearer < -1e-9 || (chosen !== null && Math.abs(nearer) <= 1e-9 && linearL2(params) > linearL2(chosen.params)))
      chosen = { entry: e, params };
  }
  if (chosen === null || chosen.entry === leader) return { entry: null, note: null };
  if (linearLeader && linearL2(chosen.params) === linearL2(leaderParams)) return { entry: null, note: null };
  const margin =
    `within one standard error across folds of the best (${rankOf(chosen.entry).toPrecision(3)} against ` +
    `${rankOf(leader).toPrecision(3)} ± ${standardError.toPrecision(2)})`;
  return {
    entry: chosen.params,
    note: linearLeader
      ? `search: linear with L2 ${linearL2(chosen.params)} chosen over L2 ${linearL2(leaderParams)}: ${margin}, and ` +
        `nearer the prior L2 ${priorL2.toPrecision(2)} (scikit-learn's C = 1) where the folds cannot tell`
      : `search: linear with L2 ${linearL2(chosen.params)} chosen over ${leader.algorithm}: ${margin}, the simpler ` +
        `model where the folds cannot tell them apart (its L2 the nearest the prior ${priorL2.toPrecision(2)} among ` +
        'the linear candidates within it)',
  };
}

/**
 * The single candidate the search chooses: the best eligible one, or the penalty rule's equal (see
 * regularisedWithinNoise), with the note that says so. `stepped`: the rule chose a candidate behind the leader.
 */
export function chooseWithinNoise(
  board: readonly LeaderboardEntry[],
  noise: BoardNoise,
  /** The linear penalty a prior favours (see regularisedWithinNoise). */
  priorL2: number,
): { choice: Candidate; leader: Candidate; stepped: boolean; notes: string[] } {
  const leader = board.find((e) => noise.eligible(e) && isSingle(e.params))!.params as Candidate;
  // The rule applies to an eligible leader and an eligible choice only.
  const regularised = regularisedWithinNoise(board, noise, priorL2);
  if (regularised.entry !== null)
    return { choice: regularised.entry, leader, stepped: true, notes: regularised.note === null ? [] : [regularised.note] };
  return { choice: leader, leader, stepped: false, notes: [] };
}
