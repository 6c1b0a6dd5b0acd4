import { HearthError } from '../contracts/errors.js';
import type { TrainedModel } from '../models/model.js';
import type { FinalFit } from './final-fit.js';
import type { SearchOutcome } from './search.js';
import { bytesPerKb, overLimits, type Footprint, type Limits, type LimitsReport } from './search-limits.js';
import type { Candidate, TrainArgs } from './train-args.js';

/** The model to go on with after the limits' check of the final fit. */
export interface CheckedFit {
  final: FinalFit;
  chosen: TrainArgs;
  ensembleMembers: { candidate: Candidate; weight: number }[] | null;
}

/**
 * The search measured its candidates on fold models; the final fit (more rows, its own early stopping) can come out
 * bigger or slower. It is measured again the same way; over a limit, the next eligible candidate of the board is
 * fitted instead (its calibration replacing the search's), and the run's notes say so. When every fallback breaks a
 * limit too, the run is refused with the search's BUDGET_UNMET error, and nothing is registered.
 */
export async function finalWithinLimits(input: {
  search: SearchOutcome;
  report: LimitsReport;
  fitted: CheckedFit;
  measure: (model: TrainedModel) => Promise<Footprint>;
  refit: (chosen: TrainArgs) => Promise<FinalFit>;
  note: (text: string) => void;
}): Promise<CheckedFit> {
  const { search, report, measure, refit, note } = input;
  const limits: Limits = {
    maxLatencyUs: report.maxLatencyUs,
    maxBytes: report.maxSizeKb === null ? null : report.maxSizeKb * bytesPerKb,
  };
  let current = input.fitted;
  const queue = search.fallbacks();
  for (;;) {
    const footprint = await measure(current.final.model);
    const over = overLimits(footprint, limits);
    const algorithm = current.ensembleMembers === null ? current.chosen.algorithm : 'ensemble';
    report.finalChecks.push({ algorithm, ...footprint, overLimit: over, kept: over.length === 0 });
    if (over.length === 0) return current;
    const next = queue.shift();
    const measured = `${(footprint.modelBytes / bytesPerKb).toFixed(1)} KB, ${footprint.latencyUs.toFixed(1)} µs`;
    if (next === undefined) {
      note(
        `limits: the final ${algorithm} fit is over the limit (${over.join(', ')}: ${measured}) and no other candidate is eligible`,
      );
      throw new HearthError(
        'BUDGET_UNMET',
        `no model met the limits: the final ${algorithm} fit came out at ${measured} (${over.join(', ')} over) and no other candidate was within them`,
        { maxSizeKb: report.maxSizeKb, maxLatencyUs: report.maxLatencyUs, finalChecks: report.finalChecks },
      );
    }
    note(
      `limits: the final ${algorithm} fit is over the limit (${over.join(', ')}: ${measured}); ` +
        `the next eligible candidate (${next.chosen.algorithm}) was fitted instead`,
    );
    search.calibration = next.calibration;
    search.searchReport.calibration = next.calibration;
    current = { final: await refit(next.chosen), chosen: next.chosen, ensembleMembers: null };
  }
}
