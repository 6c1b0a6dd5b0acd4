import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesPerKb, limitsOf, overLimits, SearchLimits, type LimitsReport } from '../../main/training/search-limits.js';
import { finalWithinLimits } from '../../main/training/final-limits.js';
import type { LeaderboardEntry, TrainArgs } from '../../main/training/train-args.js';
import type { TrainedModel } from '../../main/models/model.js';

const entry = (trial: number, cvMetric: number): LeaderboardEntry => ({
  trial,
  algorithm: 'gbdt',
  params: { algorithm: 'gbdt' },
  cvMetric,
  cvStd: 0,
  fitSeconds: 0,
});

describe('search limits', () => {
  it('limits in bytes and µs; a footprint at the limit is within it', () => {
    const args = { dataset: 'd', target: 't', algorithm: 'auto', maxSize: 2 } as TrainArgs;
    assert.deepEqual(limitsOf(args), { maxBytes: 2 * bytesPerKb, maxLatencyUs: null });
    assert.equal(limitsOf({ ...args, maxSize: undefined }), null);
    const limits = { maxBytes: 2048, maxLatencyUs: 10 };
    assert.deepEqual(overLimits({ modelBytes: 2048, latencyUs: 10 }, limits), []);
    assert.deepEqual(overLimits({ modelBytes: 2049, latencyUs: 10 }, limits), ['size']);
    assert.deepEqual(overLimits({ modelBytes: 1, latencyUs: 10.1 }, limits), ['latency']);
    assert.deepEqual(overLimits({ modelBytes: 4096, latencyUs: 99 }, limits), ['size', 'latency']);
  });

  it('with limits, measures only candidates that beat the best one known within them (higher is better)', async () => {
    // The fake measure reads a model's size from the model itself: known answers, no ONNX Runtime.
    const measured: number[] = [];
    const limits = new SearchLimits(
      { maxBytes: 1000, maxLatencyUs: null },
      async (m) => {
        const bytes = (m as unknown as { bytes: number }).bytes;
        measured.push(bytes);
        return { modelBytes: bytes, latencyUs: 5 };
      },
      (a, b) => b - a,
      (e) => e.cvMetric,
    );
    const board: LeaderboardEntry[] = [];
    const add = async (score: number, bytes: number): Promise<LeaderboardEntry> => {
      const e = entry(board.length + 1, score);
      board.push(e);
      await limits.consider(e, { bytes } as unknown as TrainedModel, board);
      return e;
    };
    const big = await add(0.9, 5000); // nothing eligible yet: measured, over
    const small = await add(0.8, 500); // nothing eligible yet: measured, within
    const worse = await add(0.7, 400); // below the eligible 0.8: not measured
    const better = await add(0.85, 3000); // beats the eligible 0.8: measured, over
    assert.deepEqual(measured, [5000, 500, 3000]);
    assert.deepEqual(big.overLimit, ['size']);
    assert.deepEqual(small.overLimit, []);
    assert.equal(worse.overLimit, undefined);
    assert.deepEqual(better.overLimit, ['size']);
    assert.deepEqual(
      board.filter((e) => limits.eligible(e)).map((e) => e.cvMetric),
      [0.8],
    );
    const error = limits.unmet(board);
    assert.equal(error.code, 'BUDGET_UNMET');
    assert.match(error.message, /at most 1000 bytes|at most 0\.9765625 KB/);
    assert.match(error.message, /smallest was gbdt at 0\.5 KB/);
  });

  it('without limits, the top three at the time they are scored are measured, and every entry is eligible', async () => {
    let calls = 0;
    const limits = new SearchLimits(
      null,
      async () => ({ modelBytes: ++calls, latencyUs: 1 }),
      (a, b) => a - b, // lower is better (log loss)
      (e) => e.cvMetric,
    );
    const board: LeaderboardEntry[] = [];
    for (const score of [0.5, 0.4, 0.6, 0.7, 0.3]) {
      const e = entry(board.length + 1, score);
      board.push(e);
      await limits.consider(e, {} as TrainedModel, board);
    }
    // 0.5, 0.4 and 0.6 enter the top three; 0.7 is fourth; 0.3 leads.
    assert.deepEqual(
      board.map((e) => e.modelBytes ?? null),
      [1, 2, 3, null, 4],
    );
    assert.ok(board.every((e) => limits.eligible(e) && e.overLimit === undefined));
  });
});

describe('the final fit against the limits', () => {
  const fitOf = (bytes: number) => ({
    model: { bytes } as unknown as TrainedModel,
    params: {},
    fitReport: {},
    workerCpuMs: 0,
    fittedArgs: [],
    reports: [],
  });
  const outcome = (fallbacks: { chosen: TrainArgs; calibration: unknown }[]) =>
    ({
      calibration: { method: 'platt' },
      searchReport: {},
      fallbacks: () => fallbacks,
    }) as unknown as Parameters<typeof finalWithinLimits>[0]['search'];
  const report = (): LimitsReport => ({
    maxLatencyUs: null,
    maxSizeKb: 1,
    method: '',
    measured: 0,
    overLimit: 0,
    finalChecks: [],
  });
  const measure = async (m: TrainedModel) => ({ modelBytes: (m as unknown as { bytes: number }).bytes, latencyUs: 3 });
  const gbdt = { dataset: 'd', target: 't', algorithm: 'gbdt' } as TrainArgs;
  const linear = { dataset: 'd', target: 't', algorithm: 'linear' } as TrainArgs;

  it('over a limit after the final fit: the next eligible candidate is fitted instead, with its calibration, and noted', async () => {
    const notes: string[] = [];
    const search = outcome([{ chosen: linear, calibration: { method: 'none' } }]);
    const limits = report();
    const checked = await finalWithinLimits({
      search,
      report: limits,
      fitted: { final: fitOf(5000), chosen: gbdt, ensembleMembers: null },
      measure,
      refit: async (next) => {
        assert.equal(next, linear);
        return fitOf(700);
      },
      note: (n) => notes.push(n),
    });
    assert.equal(checked.chosen, linear);
    assert.deepEqual(
      limits.finalChecks.map((c) => [c.algorithm, c.modelBytes, c.overLimit, c.kept]),
      [
        ['gbdt', 5000, ['size'], false],
        ['linear', 700, [], true],
      ],
    );
    assert.deepEqual(search.calibration, { method: 'none' });
    assert.match(
      notes[0]!,
      /final gbdt fit is over the limit \(size: 4\.9 KB.*the next eligible candidate \(linear\) was fitted instead/,
    );
  });

  it('none left within the limits: BUDGET_UNMET', async () => {
    await assert.rejects(
      finalWithinLimits({
        search: outcome([]),
        report: report(),
        fitted: { final: fitOf(5000), chosen: gbdt, ensembleMembers: null },
        measure,
        refit: async () => fitOf(1),
        note: () => undefined,
      }),
      (e: { code?: string }) => e.code === 'BUDGET_UNMET',
    );
  });
});
