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

/** The penalties of the linear grid stronger than `leader`'s that no entry on the board has scored yet, weakest first. */
export function strongerLinearPenalties(leader: Candidate, board: readonly LeaderboardEntry[]): number[] {
  const scored = new Set(
    board.flatMap((e) => (isSingle(e.params) && e.params.algorithm === 'linear' ? [linearL2(e.params)] : [])),
  );
  const grid = (learners.linear.searchGrid.l2 ?? []) as readonly number[];
  return [...grid].filter((l2) => l2 > linearL2(leader) && !scored.has(l2)).sort((a, b) => a - b);
}

/**
 * With a linear leader, the most strongly penalised linear candidate whose score is within one standard error of
 * the leader's (the standard error of the leader's mean over folds). On a small table the folds cannot separate a
 * weak penalty from a stronger one, and the weak one's sharper probabilities are the ones that cost most on a row
 * unlike the folds' (wine, 142 rows: L2 1e-5 led at 0.022 ± 0.013 and scored 0.17 on the test rows; L2 1e-3, at
 * 0.032, scored 0.077). `entry` is null when the leader itself is that candidate or is not linear.
 */
export function regularisedWithinNoise(
  board: readonly LeaderboardEntry[],
  rankOf: (e: LeaderboardEntry) => number,
): { entry: Candidate | null; note: string | null } {
  const leader = board[0];
  if (leader === undefined || !isSingle(leader.params) || leader.params.algorithm !== 'linear')
    return { entry: null, note: null };
  const folds = leader.cv_folds?.length ?? 3;
  const standardError = leader.cvStd / Math.sqrt(Math.max(1, folds));
  const leaderParams = leader.params;
  let chosen: { entry: LeaderboardEntry; params: Candidate } | null = null;
  for (const e of board) {
    const params = e.params;
    if (e === leader || !isSingle(params) || params.algorithm !== 'linear') continue;
    if (Object.keys(params).some((k) => k !== 'algorithm' && k !== 'l2')) continue;
    if (linearL2(params) <= linearL2(chosen?.params ?? leaderParams)) continue;
    if (Math.abs(rankOf(e) - rankOf(leader)) <= standardError) chosen = { entry: e, params };
  }
  if (chosen === null) return { entry: null, note: null };
  return {
    entry: chosen.params,
    note:
      `search: linear with L2 ${linearL2(chosen.params)} chosen over L2 ${linearL2(leaderParams)}: within one standard ` +
      `error across folds of the best (${rankOf(chosen.entry).toPrecision(3)} against ${rankOf(leader).toPrecision(3)} ± ` +
      `${standardError.toPrecision(2)}), and the stronger penalty is less confident where the folds cannot tell`,
  };
}
