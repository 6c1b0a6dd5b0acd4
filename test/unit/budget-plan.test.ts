import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  finalFitDeadline,
  FINAL_FIT_FLOOR_MS,
  finishingMs,
  POST_FIT_FIXED_MS,
  predictedRows,
  projectAfterSearch,
  refitFits,
  RunClock,
  SAFETY,
  SearchBudget,
  searchDeadline,
  SHAP_ROWS_FACTOR,
  UNMEASURED_RESERVE_SHARE,
} from '../../main/training/budget-plan.js';

const close = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);

describe('the time budget plan', () => {
  // 1,000 training, 200 validation and 300 test rows, 9 features; the candidate fits at 0.01 ms a row and
  // predicts at 0.001 ms a row. By hand, with the 1.25 safety factor:
  //   final fit  1.25 × 0.01 × 1000 = 12.5 ms; refit 1.25 × 0.01 × 1200 = 15 ms;
  //   predicted rows: evaluation 2×200 (threshold, validation metrics) + 300 (test) + 200×10 (permutation
  //     importance) = 2,700; finishing 300 (test after the refit) + 2×300 (parity check) + 500×60 (TreeSHAP)
  //     + 10,000 (the cost's batch) = 40,900;
  //   after the fit 1000 + 1.25 × 0.001 × 43,600 = 1054.5 ms.
  const rows = { train: 1000, validation: 200, test: 300, features: 9 };
  const cost = { fitMsPerRow: 0.01, predictMsPerRow: 0.001 };

  it('projects the phases after the search from measured costs per row', () => {
    assert.equal(SAFETY, 1.25);
    assert.equal(SHAP_ROWS_FACTOR, 60);
    assert.equal(POST_FIT_FIXED_MS, 1000);
    const p = projectAfterSearch([cost], rows);
    close(p.finalFitMs, 12.5, 'final fit');
    close(p.refitMs, 15, 'refit');
    assert.deepEqual(predictedRows(rows), { evaluation: 2700, finishing: 40_900 });
    close(p.postFitMs, 1054.5, 'after the fit');
    close(p.totalMs, 1082, 'total');
    // An ensemble's members are each fitted and refitted: their costs add up.
    const two = projectAfterSearch([cost, { fitMsPerRow: 0.03, predictMsPerRow: 0 }], rows);
    close(two.finalFitMs, 1.25 * 0.04 * 1000, 'two members, final fit');
    close(two.refitMs, 1.25 * 0.04 * 1200, 'two members, refit');
    // No validation rows: no refit, and the evaluation is on the test rows.
    close(projectAfterSearch([cost], { ...rows, validation: 0 }).refitMs, 0, 'no refit');
  });

  it('stops the search at the budget less the reserve, never before it started', () => {
    const start = 10_000;
    const end = start + 8000;
    // Nothing measured yet: 30% of the budget is kept.
    assert.equal(UNMEASURED_RESERVE_SHARE, 0.3);
    assert.equal(searchDeadline(start, end, 8000, null), end - 2400);
    assert.equal(searchDeadline(start, end, 8000, projectAfterSearch([cost], rows)), end - 1082);
    // A candidate so slow its final fits cannot fit: the search ends at once (its first candidate still runs).
    const slow = projectAfterSearch([{ fitMsPerRow: 10, predictMsPerRow: 0 }], rows);
    assert.equal(searchDeadline(start, end, 8000, slow), start);
  });

  it('gives the final fit what the refit and the phases after it leave', () => {
    const p = projectAfterSearch([cost], rows);
    assert.equal(finalFitDeadline(50_000, 60_000, p), 60_000 - 15 - 1054.5);
    // Past the point where the phases after it fit: the final fit still gets its own projected length.
    assert.equal(finalFitDeadline(59_500, 60_000, p), 59_500 + Math.max(p.finalFitMs, FINAL_FIT_FLOOR_MS));
    assert.ok(p.finalFitMs > 0);
    // 6 s left for a 3 s final fit, a 3.6 s refit and 1.042 s after them: not all three, so the final fit gets
    // everything but the last 1.042 s.
    const tight = { finalFitMs: 3000, refitMs: 3600, postFitMs: 1042, totalMs: 7642 };
    assert.equal(finalFitDeadline(54_000, 60_000, tight), 60_000 - 1042);
    assert.equal(finalFitDeadline(50_000, 60_000, tight), 60_000 - 3600 - 1042);
  });

  it('projects the finishing phases from the final model’s evaluation time', () => {
    // The evaluation predicted 2,700 rows in 270 ms (0.1 ms a row): finishing predicts 40,900 → 1000 + 1.25 × 4090.
    close(finishingMs(270, rows), 1000 + 1.25 * 4090, 'finishing');
  });

  it('refits only when the final fit’s own cost says the refit ends in time', () => {
    // The final fit took 2 s on 1,000 rows: 1,200 rows take 1.25 × 2.4 s = 3 s.
    assert.deepEqual(refitFits(0, 5000, { ms: 2000, rows: 1000 }, 1200, 1000), { fits: true, projectedMs: 3000 });
    assert.deepEqual(refitFits(0, 3999, { ms: 2000, rows: 1000 }, 1200, 1000), { fits: false, projectedMs: 3000 });
  });

  it('records the phases, their shares of the budget and the notes', () => {
    let t = 1000;
    const clock = new RunClock(10_000, 1000, () => t);
    assert.equal(clock.end, 11_000);
    clock.phase('prepare');
    t = 2000;
    clock.phase('search');
    t = 7000;
    clock.note('refit skipped');
    // Mid-phase, the report counts the phase under way up to now and leaves it open.
    assert.deepEqual(clock.report().phases[1], { phase: 'search', startSeconds: 1, seconds: 5, share: 0.5 });
    t = 9000;
    clock.phase('final fit');
    t = 10_500;
    const report = clock.report();
    assert.equal(report.budgetSeconds, 10);
    assert.equal(report.wallSeconds, 9.5);
    assert.equal(report.withinBudget, true);
    assert.deepEqual(
      report.phases.map((p) => [p.phase, p.startSeconds, p.seconds, p.share]),
      [
        ['prepare', 0, 1, 0.1],
        ['search', 1, 7, 0.7],
        ['final fit', 8, 1.5, 0.15],
      ],
    );
    assert.deepEqual(report.notes, ['refit skipped']);
    t = 11_001;
    assert.equal(clock.report().withinBudget, false);
    // Without a budget (a single learner), shares are of the wall time and there is no verdict.
    const free = new RunClock(null, t, () => t);
    free.phase('fit');
    t += 4000;
    assert.equal(free.end, Number.POSITIVE_INFINITY);
    const r = free.report();
    assert.equal(r.withinBudget, null);
    assert.equal(r.phases[0]!.share, 1);
  });

  it('plans the search from its candidates’ measured folds', () => {
    let t = 0;
    const clock = new RunClock(20_000, 0, () => t);
    const budget = new SearchBudget(clock, 20_000, rows, 500);
    const gbdt = { algorithm: 'gbdt' };
    const mlp = { algorithm: 'mlp' };
    // Before any measurement: 30% of 20 s kept.
    assert.equal(budget.deadline(null), 14_000);
    assert.equal(budget.cost(gbdt), null);
    // Two folds of 600 rows fitted in 5 and 7 ms, 300 rows predicted in 0.2 and 0.4 ms each.
    budget.measure(gbdt, { rows: 600, ms: 5 }, { rows: 300, ms: 0.2 });
    budget.measure(gbdt, { rows: 600, ms: 7 }, { rows: 300, ms: 0.4 });
    const c = budget.cost(gbdt)!;
    close(c.fitMsPerRow, 0.01, 'fit ms per row');
    close(c.predictMsPerRow, 0.001, 'predict ms per row');
    close(budget.crossValidationMs(gbdt), 1.25 * 12.6, 'another cross-validation');
    close(budget.deadline(gbdt), 20_000 - 1082, 'deadline with gbdt leading');
    // A slow learner's ensemble does not fit in 19 s left: 1.25 × 10 ms × (1000 + 1200) rows = 27.5 s of fits.
    budget.measure(mlp, { rows: 600, ms: 6000 }, { rows: 300, ms: 0 });
    t = 1000;
    assert.equal(budget.affordable([gbdt]).fits, true);
    assert.equal(budget.affordable([gbdt, mlp]).fits, false);
    budget.choose([gbdt], gbdt);
    // Rounded to milliseconds: 18.918 s, 12.5 ms, 15 ms and 1054.5 ms.
    const plan = clock.report().plan!;
    assert.ok(Math.abs(plan.searchDeadlineSeconds - 18.918) <= 0.0005);
    assert.ok(Math.abs(plan.projectedFinalFitSeconds - 0.0125) <= 0.0005);
    close(plan.projectedRefitSeconds, 0.015, 'refit');
    assert.ok(Math.abs(plan.projectedAfterFitSeconds - 1.0545) <= 0.0005, 'after the fit');
  });
});
