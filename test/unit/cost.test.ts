import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CostMeasures } from '../../main/contracts/api.js';
import { parseConfig, resolveSettings } from '../../main/settings/resolve.js';
import { batchCpuHoursPerMillion, costEstimate, cpuHours, singleRowCpuHoursPerMillion } from '../../main/stats/cost.js';
import { costLines } from '../../main/cli/cost-lines.js';

const close = (actual: number | null, expected: number, what: string): void => {
  assert.ok(
    actual !== null && Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} ≠ ${expected}`,
  );
};

const measures = (over: Partial<CostMeasures> = {}): CostMeasures => ({
  cpuMs: 7_200_000,
  mainThreadCpuMs: 1_800_000,
  wallMs: 3_600_000,
  cores: 4,
  phases: [{ phase: 'fit', seconds: 3600 }],
  latency: { p50Us: 36, p99Us: 90, samples: 200 },
  // 10,000 rows in 200 ms (50,000 rows/s) with 400 ms of CPU: two cores busy.
  batch: { rows: 10_000, wallMs: 200, cpuMs: 400 },
  ...over,
});

describe('cost arithmetic, against hand-computed answers', () => {
  it('7,200 CPU-seconds are 2 CPU-hours, 0.1 at 0.05 per core-hour', () => {
    assert.equal(cpuHours(7200), 2);
    const cost = costEstimate(measures(), { peakRssMb: 120, modelBytes: 4096 }, { perCoreHour: 0.05, currency: 'EUR' });
    assert.equal(cost.training.cpuSeconds, 7200);
    assert.equal(cost.training.mainThreadCpuSeconds, 1800);
    assert.equal(cost.training.cpuHours, 2);
    close(cost.price!.training, 0.1, 'training price');
    assert.equal(cost.price!.currency, 'EUR');
    assert.equal(cost.peakRssMb, 120);
    assert.equal(cost.modelBytes, 4096);
  });

  it('a million single-row calls at a p50 of 36 µs are 36 CPU-s = 0.01 CPU-h (0.0005 at 0.05)', () => {
    close(singleRowCpuHoursPerMillion(36), 0.01, 'single row');
    const cost = costEstimate(measures(), { peakRssMb: null, modelBytes: null }, { perCoreHour: 0.05, currency: '' });
    close(cost.perMillion.singleRowCpuHours, 0.01, 'single row');
    close(cost.price!.perMillionSingleRow, 0.0005, 'single row price');
  });

  it('a million rows in batches at 50,000 rows/s on two busy cores are 40 CPU-s = 1/90 CPU-h', () => {
    close(batchCpuHoursPerMillion(50_000, 2), 40 / 3600, 'batch');
    const cost = costEstimate(measures(), { peakRssMb: null, modelBytes: null }, { perCoreHour: 0.05, currency: '' });
    assert.equal(cost.batch!.rowsPerSecond, 50_000);
    close(cost.perMillion.batchCpuHours, 40 / 3600, 'batch');
    close(cost.price!.perMillionBatch, (40 / 3600) * 0.05, 'batch price');
  });

  it('a batch too quick for the CPU clock still counts one busy core', () => {
    const cost = costEstimate(
      measures({ batch: { rows: 10_000, wallMs: 100, cpuMs: 0 } }),
      { peakRssMb: null, modelBytes: null },
      null,
    );
    // 100,000 rows/s: a million rows in 10 s of one core.
    close(cost.perMillion.batchCpuHours, 10 / 3600, 'batch');
  });

  it('no rate: CPU-hours only, and nothing made up for what was not measured', () => {
    const cost = costEstimate(measures({ latency: null, batch: null }), { peakRssMb: null, modelBytes: null }, null);
    assert.equal(cost.price, null);
    assert.equal(cost.perMillion.singleRowCpuHours, null);
    assert.equal(cost.perMillion.batchCpuHours, null);
    assert.equal(cost.training.cpuHours, 2);
    const text = costLines(cost).join('\n');
    assert.match(text, /7200\.0 CPU-s .* = 2\.00 CPU-h\n/);
    assert.match(text, /no price: set cost\.perCoreHour/);
    assert.equal(costLines(null).length, 1);
  });

  it('priced text names the currency', () => {
    const text = costLines(
      costEstimate(measures(), { peakRssMb: 120, modelBytes: 4096 }, { perCoreHour: 0.05, currency: 'EUR' }),
    ).join('\n');
    assert.match(text, /= 2\.00 CPU-h = 0\.10 EUR/);
    assert.match(text, /p50 36\.0 µs, p99 90\.0 µs \(200 calls\); per million: 0\.0100 CPU-h = 0\.00050 EUR/);
    assert.match(text, /batch of 10000 rows: 200\.0 ms \(50000 rows\/s\); per million: 0\.0111 CPU-h/);
  });
});

describe('the cost settings', () => {
  const valueOf = (key: string, layers: Parameters<typeof resolveSettings>[0]): { value: unknown; source: string } => {
    const r = resolveSettings(layers).find((s) => s.setting.key === key)!;
    return { value: r.value, source: r.source };
  };

  it('none by default; the file, then HEARTH_COST_PER_CORE_HOUR / HEARTH_COST_CURRENCY win', () => {
    assert.deepEqual(valueOf('cost.perCoreHour', { env: {} }), { value: undefined, source: 'default' });
    assert.deepEqual(valueOf('cost.currency', { env: {} }), { value: undefined, source: 'default' });
    const file = parseConfig(JSON.stringify({ cost: { perCoreHour: 0.05, currency: 'EUR' } }), 'c.json');
    assert.deepEqual(valueOf('cost.perCoreHour', { file, env: {} }), { value: 0.05, source: 'file' });
    assert.deepEqual(valueOf('cost.currency', { file, env: {} }), { value: 'EUR', source: 'file' });
    const env = { HEARTH_COST_PER_CORE_HOUR: '0.07', HEARTH_COST_CURRENCY: '$' };
    assert.deepEqual(valueOf('cost.perCoreHour', { file, env }), { value: 0.07, source: 'env' });
    assert.deepEqual(valueOf('cost.currency', { file, env }), { value: '$', source: 'env' });
  });

  it('refuses a price that is not a number or is negative, and a label that is markup', () => {
    assert.throws(() => resolveSettings({ env: { HEARTH_COST_PER_CORE_HOUR: 'cheap' } }), /HEARTH_COST_PER_CORE_HOUR/);
    assert.throws(() => resolveSettings({ env: { HEARTH_COST_PER_CORE_HOUR: '-1' } }), /HEARTH_COST_PER_CORE_HOUR/);
    assert.throws(() => resolveSettings({ env: { HEARTH_COST_CURRENCY: '<b>€</b>' } }), /HEARTH_COST_CURRENCY/);
    assert.throws(() => parseConfig(JSON.stringify({ cost: { perCoreHour: -0.5 } }), 'c.json'), /cost\.perCoreHour/);
  });
});
