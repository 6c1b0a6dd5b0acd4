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

/**
 * With a linear leader, the linear candidate within one standard error of it (the leader's across folds, as glmnet's
 * lambda.1se) whose penalty is nearest the prior `priorL2`, in log scale: scikit-learn's default C = 1, which is
 * L2 = 1/n on Hearth's mean loss (a unit Gaussian prior on standardised coefficients). Among penalties the folds
 * cannot tell apart, the one a well-tried prior favours. On small tables the folds' own minimum is a noisy dip:
 * wine (142 rows): L2 1e-5 led at 0.022 ± 0.013 and scored 0.17 on the test rows, L2 1e-3 (nearest the prior
 * 0.0105) scored 0.077. Stepping to the strongest penalty within the error instead took breast cancer from L2 3e-3
 * (test log loss 0.042; the prior 0.0033) to 3e-2 (0.081). `entry` is null when the leader is that candidate or is
 * not linear.
 */
export function regularisedWithinNoise(
  board: readonly LeaderboardEntry[],
  rankOf: (e: LeaderboardEntry) => number,
  priorL2: number,
): { entry: Candidate | null; note: string | null } {
  const leader = board[0];
  if (leader === undefined || !isSingle(leader.params) || leader.params.algorithm !== 'linear')
    return { entry: null, note: null };
  const folds = leader.cv_folds?.length ?? 3;
  const standardError = leader.cvStd / Math.sqrt(Math.max(1, folds));
  const leaderParams = leader.params;
  const distance = (params: Candidate): number => Math.abs(Math.log(linearL2(params)) - Math.log(priorL2));
  let chosen: { entry: LeaderboardEntry; params: Candidate } = { entry: leader, params: leaderParams };
  for (const e of board) {
    const params = e.params;
    if (e === leader || !isSingle(params) || params.algorithm !== 'linear') continue;
    if (Object.keys(params).some((k) => k !== 'algorithm' && k !== 'l2')) continue;
    if (!(Math.abs(rankOf(e) - rankOf(leader)) <= standardError)) continue;
    const nearer = distance(params) - distance(chosen.params);
    // Equally near: the stronger penalty.
    if (nearer < -1e-9 || (Math.abs(nearer) <= 1e-9 && linearL2(params) > linearL2(chosen.params))) chosen = { entry: e, params };
  }
  if (chosen.entry === leader || linearL2(chosen.params) === linearL2(leaderParams)) return { entry: null, note: null };
  return {
    entry: chosen.params,
    note:
      `search: linear with L2 ${linearL2(chosen.params)} chosen over L2 ${linearL2(leaderParams)}: within one standard ` +
      `error across folds of the best (${rankOf(chosen.entry).toPrecision(3)} against ${rankOf(leader).toPrecision(3)} ± ` +
      `${standardError.toPrecision(2)}), and nearer the prior L2 ${priorL2.toPrecision(2)} (scikit-learn's C = 1) ` +
      'where the folds cannot tell',
  };
}

/**
 * The single candidate the search chooses: the best eligible one, or the penalty rule's equal (see
 * regularisedWithinNoise), with the note that says so. `stepped`: the rule chose a candidate behind the leader.
 */
export function chooseWithinNoise(
  board: readonly LeaderboardEntry[],
  rankOf: (e: LeaderboardEntry) => number,
  eligible: (e: LeaderboardEntry) => boolean,
  /** The linear penalty a prior favours (see regularisedWithinNoise). */
  priorL2: number,
): { choice: Candidate; leader: Candidate; stepped: boolean; notes: string[] } {
  const leader = board.find((e) => eligible(e) && isSingle(e.params))!.params as Candidate;
  // The rule applies to an eligible leader and an eligible choice only.
  const regularised = board[0] !== undefined && eligible(board[0]) ? regularisedWithinNoise(board, rankOf, priorL2) : null;
  const regularisedEntry = board.find((e) => regularised?.entry !== null && e.params === regularised?.entry);
  if (regularised?.entry && regularisedEntry !== undefined && eligible(regularisedEntry))
    return { choice: regularised.entry, leader, stepped: true, notes: regularised.note === null ? [] : [regularised.note] };
  const simpler = linearWithinNoise(board, rankOf, eligible);
  if (simpler !== null) return { choice: simpler.entry, leader, stepped: true, notes: [simpler.note] };
  return { choice: leader, leader, stepped: false, notes: [] };
}

/**
 * With a leader that is not linear, the best eligible linear candidate when it trails by less than one standard
 * error of the leader's fold scores: among candidates the folds cannot tell apart, the simplest (Breiman's rule
 * across families).
 */
function linearWithinNoise(
  board: readonly LeaderboardEntry[],
  rankOf: (e: LeaderboardEntry) => number,
  eligible: (e: LeaderboardEntry) => boolean,
): { entry: Candidate; note: string } | null {
  const leader = board.find((e) => eligible(e) && isSingle(e.params));
  if (leader === undefined || leader.algorithm === 'linear') return null;
  const linear = board.find((e) => eligible(e) && isSingle(e.params) && e.params.algorithm === 'linear');
  if (linear === undefined) return null;
  const standardError = leader.cvStd / Math.sqrt(Math.max(1, leader.cv_folds?.length ?? 3));
  const gap = Math.abs(rankOf(linear) - rankOf(leader));
  if (!(gap < standardError)) return null;
  return {
    entry: linear.params as Candidate,
    note:
      `search: linear chosen over ${leader.algorithm}: it trails by ${gap.toPrecision(2)}, less than one standard error ` +
      `across folds (${standardError.toPrecision(2)}), and the simpler model is preferred where the folds cannot tell`,
  };
}
