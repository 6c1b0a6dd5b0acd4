import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createHandlers } from '../../main/api/handlers.js';
import { dispatch } from '../../main/api/dispatch.js';
import type { CostSummary } from '../../main/contracts/api.js';
import { Engine } from '../../main/engine/engine.js';
import { costSummary } from '../../main/training/costs.js';
import { isoWeekOf } from '../../main/stats/iso-week.js';
import { syntheticCsv, tempDir, writeFile } from '../helpers.js';

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));

/**
 * A fixture store: four real runs whose CPU-seconds and finishing dates are set, and prediction-log rows on known
 * dates, summed per model and ISO week against hand-computed figures.
 */
describe('costs.summary: CPU-hours per model and ISO week', () => {
  const tmp = tempDir();
  after(tmp.cleanup);
  const dataDir = join(tmp.dir, 'data');
  // Wednesday 2 December 2026, noon UTC: ISO week 2026-W49 (Monday 30 November).
  const now = Date.parse('2026-12-02T12:00:00Z');

  before(async () => {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'hearth.config.json'), JSON.stringify({ cost: { perCoreHour: 0.05, currency: 'EUR' } }));
    const engine = Engine.open(dataDir);
    try {
      await engine.datasets.ingestCsv('churn', writeFile(tmp.dir, 'churn.csv', syntheticCsv('binary', 400, 3)));
      const runs: { model: string; cpuMs: number; finishedAt: string; p50Us: number | null }[] = [
        { model: 'a', cpuMs: 3_600_000, finishedAt: '2026-11-17T10:00:00.000Z', p50Us: 36 }, // W47: 1 h
        { model: 'a', cpuMs: 1_800_000, finishedAt: '2026-11-29T23:59:59.999Z', p50Us: 72 }, // Sunday of W48: 0.5 h
        { model: 'b', cpuMs: 7_200_000, finishedAt: '2026-11-15T23:00:00.000Z', p50Us: 18 }, // W46: outside 3 weeks
        { model: 'b', cpuMs: 900_000, finishedAt: '2026-11-30T00:00:00.000Z', p50Us: null }, // Monday of W49, no latency
      ];
      for (const r of runs) {
        const job = await engine.trainer.wait(
          engine.trainer.start({ dataset: 'churn', target: 'label', algorithm: 'linear', model: r.model }).id,
        );
        assert.equal(job.status, 'succeeded', job.error?.message);
        engine.db.prepare('UPDATE jobs SET finished_at = ? WHERE id = ?').run(r.finishedAt, job.id);
        engine.db
          .prepare(
            `UPDATE model_versions SET report_json = json_set(report_json, '$.cost.cpuMs', ?, '$.cost.latency', json(?))
              WHERE model_id = (SELECT id FROM models WHERE name = ?) AND version = ?`,
          )
          .run(
            r.cpuMs,
            r.p50Us === null ? 'null' : JSON.stringify({ p50Us: r.p50Us, p99Us: r.p50Us, samples: 200 }),
            r.model,
            job.result!.version,
          );
      }
      // A failed run records no cost: not counted.
      engine.db
        .prepare(
          `INSERT INTO jobs (id, kind, status, args_json, created_at, finished_at) VALUES (?, 'train', 'failed', '{}', ?, ?)`,
        )
        .run('00000000-0000-4000-8000-000000000001', '2026-11-18T00:00:00Z', '2026-11-18T00:00:01Z');
      const log = engine.db.prepare(
        `INSERT INTO prediction_log (id, model_id, version, at, latency_us, inputs_json, prediction_json)
         VALUES (?, (SELECT id FROM models WHERE name = ?), ?, ?, 100, '{}', '{}')`,
      );
      let n = 0;
      const rows = (model: string, version: number, at: string, count: number): void => {
        for (let i = 0; i < count; i++) log.run(`p${n++}`, model, version, at);
      };
      engine.db.transaction(() => {
        rows('a', 1, '2026-11-18T08:00:00.000Z', 1000); // W47: 1000 × 36 µs = 0.00001 h
        rows('a', 2, '2026-11-30T00:00:01.000Z', 500); // W49: 500 × 72 µs = 0.00001 h
        rows('b', 1, '2026-11-29T23:59:59.999Z', 2000); // W48: 2000 × 18 µs = 0.00001 h
        rows('b', 2, '2026-12-01T09:00:00.000Z', 300); // W49: no measured latency
        rows('a', 1, '2026-11-01T09:00:00.000Z', 100); // W44: outside
      })();
    } finally {
      engine.close();
    }
  });

  const near = (actual: number, expected: number): void =>
    assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} ≠ ${expected}`);

  it('ISO weeks: known dates', () => {
    assert.equal(isoWeekOf(now), '2026-W49');
    assert.equal(isoWeekOf(Date.parse('2026-11-29T23:59:59.999Z')), '2026-W48');
    assert.equal(isoWeekOf(Date.parse('2026-01-01T00:00:00Z')), '2026-W01'); // a Thursday
    assert.equal(isoWeekOf(Date.parse('2027-01-01T00:00:00Z')), '2026-W53'); // a Friday: 2026 has 53 weeks
    assert.equal(isoWeekOf(Date.parse('2024-12-30T00:00:00Z')), '2025-W01');
  });

  it('exact sums per model and week, per model, per week and in all, priced at the configured rate', () => {
    const engine = Engine.open(dataDir);
    try {
      const s = costSummary(engine.db, { weeks: 3 }, { rate: engine.registry.rate(), logSample: 1, nowMs: now });
      assert.deepEqual(s.weeks, [
        { week: '2026-W47', start: '2026-11-16' },
        { week: '2026-W48', start: '2026-11-23' },
        { week: '2026-W49', start: '2026-11-30' },
      ]);
      const cells = s.rows.map((r) => [r.week, r.model, r.runs, r.trainingCpuHours, r.predictions, r.unmeasuredPredictions]);
      assert.deepEqual(cells, [
        ['2026-W47', 'a', 1, 1, 1000, 0],
        ['2026-W48', 'a', 1, 0.5, 0, 0],
        ['2026-W48', 'b', 0, 0, 2000, 0],
        ['2026-W49', 'a', 0, 0, 500, 0],
        ['2026-W49', 'b', 1, 0.25, 300, 300],
      ]);
      for (const [i, serving] of [1e-5, 0, 1e-5, 1e-5, 0].entries()) near(s.rows[i]!.servingCpuHours, serving);
      assert.deepEqual(
        s.byModel.map((m) => [m.model, m.runs, m.trainingCpuHours, m.predictions]),
        [
          ['a', 2, 1.5, 1500],
          ['b', 1, 0.25, 2300],
        ],
      );
      near(s.byModel[0]!.servingCpuHours, 2e-5);
      near(s.byModel[1]!.servingCpuHours, 1e-5);
      assert.deepEqual(
        s.byWeek.map((w) => [w.week, w.trainingCpuHours, w.predictions]),
        [
          ['2026-W47', 1, 1000],
          ['2026-W48', 0.5, 2000],
          ['2026-W49', 0.25, 800],
        ],
      );
      assert.equal(s.total.trainingCpuHours, 1.75);
      near(s.total.servingCpuHours, 3e-5);
      assert.deepEqual(s.rate, { perCoreHour: 0.05, currency: 'EUR' });
      near(s.total.price!.training, 0.0875);
      near(s.total.price!.total, 0.0875 + 3e-5 * 0.05);
      // One model; a sampled log scales the counts (and their cost) by the sampling rate.
      const b = costSummary(engine.db, { weeks: 3, model: 'b' }, { rate: null, logSample: 0.5, nowMs: now });
      assert.deepEqual(
        b.byModel.map((m) => [m.model, m.predictions, m.unmeasuredPredictions]),
        [['b', 4600, 600]],
      );
      near(b.total.servingCpuHours, 2e-5);
      assert.equal(b.total.price, null);
      assert.equal(b.rate, null);
    } finally {
      engine.close();
    }
  });

  it('a viewer reads costs; hostile week counts and unknown models are refused with coded errors', async () => {
    const engine = Engine.open(dataDir);
    try {
      const handlers = createHandlers(engine);
      const call = (args: unknown, role: 'viewer' | 'service' = 'viewer') =>
        dispatch(
          handlers,
          'costs.summary',
          args,
          { transport: 'in-process', principal: { name: `${role}-1`, role } },
          engine.access,
        );
      const ok = await call({ weeks: 520 });
      assert.ok(ok.ok, JSON.stringify(ok));
      const summary = (ok as { result: CostSummary }).result;
      assert.equal(summary.weeks.length, 520);
      // Every fixture row lies within the last 520 weeks of any date this test could run on.
      assert.equal(summary.total.runs, 4);
      for (const weeks of [1e9, -1, 0, 2.5, '3']) {
        const refused = await call({ weeks });
        assert.ok(!refused.ok && refused.error.code === 'VALIDATION_FAILED', `${String(weeks)}: ${JSON.stringify(refused)}`);
      }
      const unknown = await call({ model: 'nobody' });
      assert.ok(!unknown.ok && unknown.error.code === 'NOT_FOUND');
      const odd = await call({ model: '../etc' });
      assert.ok(!odd.ok && odd.error.code === 'VALIDATION_FAILED');
    } finally {
      engine.close();
    }
  });

  it('hearth costs --json answers the summary; text names the weeks and the rate; a huge --weeks is refused', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [bin, 'costs', '--data-dir', dataDir, ...args], {
        encoding: 'utf8',
        env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' },
      });
    const json = run('--weeks', '520', '--model', 'a', '--json');
    assert.equal(json.status, 0, json.stderr);
    const s = JSON.parse(json.stdout) as CostSummary;
    assert.deepEqual(
      s.byModel.map((m) => [m.model, m.runs, m.trainingCpuHours, m.predictions]),
      [['a', 2, 1.5, 1600]],
    );
    const text = run('--weeks', '520');
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /2026-W47 a +train +1\.00 CPU-h \(1 runs\)/);
    assert.match(text.stdout, /EUR/);
    const huge = run('--weeks', '1000000000');
    assert.notEqual(huge.status, 0);
    assert.match(huge.stderr + huge.stdout, /VALIDATION_FAILED|weeks/);
  });
});
