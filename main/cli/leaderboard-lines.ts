import type { LeaderboardEntry } from '../training/train-args.js';

/**
 * A search's leaderboard as text: rank, learner, cross-validated score (calibrated where it was ranked so), and
 * beside it the candidate's ONNX size in KB and single-row p50 latency in µs where measured ("—" where not), with
 * "over limit" naming the limits a candidate broke. The first ten; empty without a search.
 */
export function leaderboardLines(report: Record<string, unknown>): string[] {
  const board = report.leaderboard as LeaderboardEntry[] | null | undefined;
  if (board === null || board === undefined || board.length === 0) return [];
  const search = report.search as { metric?: string; limits?: { maxSizeKb: number | null; maxLatencyUs: number | null } | null };
  const limits = search?.limits ?? null;
  const head =
    `leaderboard (${search?.metric ?? 'metric'}, cross-validated; size KB and p50 µs of one row)` +
    (limits === null
      ? ''
      : ` limits:${limits.maxSizeKb === null ? '' : ` ${limits.maxSizeKb} KB`}${limits.maxLatencyUs === null ? '' : ` ${limits.maxLatencyUs} µs`}`);
  const rows = board.slice(0, 10).map((e, i) => {
    const score = (e.cvCalibrated ?? e.cvMetric).toFixed(4);
    const size = e.modelBytes === undefined ? '—' : (e.modelBytes / 1024).toFixed(1);
    const latency = e.latencyUs === undefined ? '—' : e.latencyUs.toFixed(1);
    const mark =
      e.overLimit === undefined
        ? limits === null
          ? ''
          : '  not measured'
        : e.overLimit.length > 0
          ? `  over limit (${e.overLimit.join(', ')})`
          : '';
    return `${String(i + 1).padStart(4)}. ${e.algorithm.padEnd(9)} ${score} ± ${e.cvStd.toFixed(4)} ${size.padStart(9)} KB ${latency.padStart(9)} µs${mark}`;
  });
  return [head, ...rows];
}
