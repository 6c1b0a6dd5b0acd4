import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { createHandlers } from '../../main/api/handlers.js';
import type { DriftReport } from '../../main/contracts/api.js';
import { Engine } from '../../main/engine/engine.js';
import { modelInputs } from '../../main/models/model.js';
import { toPredictions } from '../../main/models/predictor.js';
import { rawInputsFromFrame } from '../../main/models/preprocess.js';
import { driftReport } from '../../main/monitoring/monitor.js';
import type { LoggedPrediction } from '../../main/serving/prediction-log.js';
import { forgetRowsBefore } from '../../main/store/log-segments.js';
import {
  appendLogRows,
  convertLegacy,
  decodeColumn,
  encodeColumn,
  readSegment,
  rowAt,
  segmentRows,
  type LogRow,
} from '../../main/table/log-columns.js';
import { openDatabase } from '../../main/store/database.js';
import { sql as m0005 } from '../../main/store/migrations/0005-prediction-log.js';
import * as before0019 from '../fixtures/drift-before.js';
import { syntheticCsv, writeFile } from '../helpers.js';

const ctx = { transport: 'in-process' } as const;

/** The rows of a synthetic CSV as a client sends them (label left out); `drift` moves x1 by 1 and drops blue. */
function requestRows(csv: string, drift: boolean): Record<string, string>[] {
  const [header, ...lines] = csv.trim().split('\n');
  const names = header!.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    const row: Record<string, string> = {};
    names.forEach((n, i) => (row[n] = cells[i]!));
    delete row.label;
    if (drift) {
      if (row.x1 !== '') row.x1 = String(Number(row.x1) + 1);
      if (row.colour === 'blue') row.colour = 'red';
    }
    return row;
  });
}

/**
 * The drift answer as Hearth gave it before the log was columnar: the logged rows as JSON values, turned into
 * columns the way monitoring/monitor.ts did, judged by the drift code of that commit (test/fixtures/drift-before.ts).
 */
async function driftBefore(engine: Engine, rows: LoggedPrediction[]): Promise<before0019.DatasetDrift & { prediction: unknown }> {
  const info = engine.registry.version('churn', 1);
  const predictor = await engine.predictors.get('churn', 1);
  const features = modelInputs(predictor.stored);
  const { frame } = engine.datasets.loadFrame(info.dataset.name, info.dataset.version);
  const raw = rawInputsFromFrame({ features }, frame);
  const columns: before0019.DriftColumn[] = [];
  let n = 0;
  let c = 0;
  for (const f of features) {
    if (f.kind === 'numeric')
      columns.push({
        name: f.name,
        kind: 'numeric',
        reference: raw.numeric[n++]!,
        current: Float64Array.from(rows, (r) => {
          const v = r.inputs[f.name];
          return typeof v === 'number' ? v : Number.NaN;
        }),
      });
    else
      columns.push({
        name: f.name,
        kind: 'categorical',
        reference: raw.categorical[c++]!.map((v) => (v === '' ? null : v)),
        current: rows.map((r) => {
          const v = r.inputs[f.name];
          return v === null || v === undefined ? null : String(v);
        }),
      });
  }
  const referencePredictions = toPredictions(await predictor.run(raw), predictor.threshold);
  const prediction = before0019.columnDrift({
    name: 'prediction',
    kind: 'categorical',
    reference: referencePredictions.map((p) => ('label' in p ? p.label : null)),
    current: rows.map((r) => ('label' in r.prediction ? r.prediction.label : null)),
  });
  return { ...before0019.datasetDrift(columns), prediction };
}

/** Every statistic of two drift answers equal to 1e-12, and every verdict, test and count the same. */
function assertSameDrift(
  actual: { columns: unknown[]; prediction: unknown },
  expected: { columns: unknown[]; prediction: unknown },
): void {
  const close = (a: unknown, e: unknown, path: string): void => {
    if (typeof e === 'number' && typeof a === 'number') {
      if (Number.isFinite(e)) assert.ok(Math.abs(a - e) <= 1e-12, `${path}: ${a} against ${e}`);
      else assert.equal(a, e, path);
    } else if (Array.isArray(e)) {
      assert.ok(Array.isArray(a) && a.length === e.length, `${path}: length`);
      e.forEach((v, i) => close((a as unknown[])[i], v, `${path}[${i}]`));
    } else if (e !== null && typeof e === 'object') {
      assert.deepEqual(Object.keys(a as object).sort(), Object.keys(e).sort(), path);
      for (const [k, v] of Object.entries(e)) close((a as Record<string, unknown>)[k], v, `${path}.${k}`);
    } else assert.equal(a, e, path);
  };
  close(actual.columns, expected.columns, 'columns');
  close(actual.prediction, expected.prediction, 'prediction');
}

const asAnswer = (r: DriftReport) => ({ ...r.features, prediction: r.prediction });

describe('the prediction log in columns', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-log-columns-'));
  const dataDir = join(dir, 'data');
  let engine: Engine;
  // Window A: 10,000 rows like the training data; window B: 10,000 with x1 moved and blue gone.
  const windows: { since: string; until: string }[] = [];
  const reports: DriftReport[] = [];
  let served: LoggedPrediction[] = [];

  before(async () => {
    engine = Engine.open(dataDir);
    await engine.datasets.ingestCsv('churn', writeFile(dir, 'churn.csv', syntheticCsv('binary', 3000, 7)));
    const job = engine.trainer.start({ dataset: 'churn', target: 'label', algorithm: 'linear', model: 'churn', seed: 1 });
    assert.equal((await engine.trainer.wait(job.id)).status, 'succeeded');
    const api = createHandlers(engine);
    for (const [seed, drift] of [
      [21, false],
      [22, true],
    ] as const) {
      const rows = requestRows(syntheticCsv('binary', 10_000, seed), drift);
      const since = new Date().toISOString();
      // Served as clients would send them, 500 rows a request, through the log writer's thread.
      for (let i = 0; i < rows.length; i += 500)
        await api['models.predict']({ name: 'churn', rows: rows.slice(i, i + 500) }, ctx);
      await engine.predictionLog.flushed();
      await new Promise((resolve) => setTimeout(resolve, 5));
      windows.push({ since, until: new Date().toISOString() });
    }
    served = await engine.predictionLog.rows('churn');
  });
  after(() => {
    engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores served rows as typed columns in segments, and gives them back as they were logged', async () => {
    assert.equal(served.length, 20_000);
    const json = engine.db.prepare('SELECT COUNT(*) AS n FROM prediction_log WHERE inputs_json IS NOT NULL').get() as {
      n: number;
    };
    assert.equal(json.n, 0);
    const segments = engine.db.prepare('SELECT rows, live FROM prediction_log_segments ORDER BY id').all() as {
      rows: number;
      live: number;
    }[];
    assert.deepEqual(
      segments.map((s) => s.rows),
      [segmentRows, segmentRows, 20_000 - 2 * segmentRows],
    );
    // Full segments are sealed into one chunk per column; the open one has a chunk per batch.
    const chunks = engine.db
      .prepare(
        "SELECT segment_id, COUNT(*) AS n FROM prediction_log_columns WHERE part = 'input' AND name = 'x1' GROUP BY segment_id ORDER BY segment_id",
      )
      .all() as { n: number }[];
    assert.deepEqual(
      chunks.slice(0, 2).map((c) => c.n),
      [1, 1],
    );
    assert.ok(chunks[2]!.n > 1);
    const kinds = engine.db
      .prepare("SELECT DISTINCT name, kind FROM prediction_log_columns WHERE part = 'input' ORDER BY name")
      .all();
    assert.deepEqual(kinds, [
      { name: 'colour', kind: 'category' },
      { name: 'flag', kind: 'number' },
      { name: 'x1', kind: 'number' },
      { name: 'x2', kind: 'number' },
    ]);
    // Keys in the order serving logged them: the model's inputs, in its order.
    const features = modelInputs((await engine.predictors.get('churn', 1)).stored).map((f) => f.name);
    assert.deepEqual(Object.keys(served[0]!.inputs), features);
    assert.deepEqual(Object.keys(served[0]!.prediction), ['label', 'probability']);
    assert.ok(served.some((r) => r.inputs.x1 === null) && served.some((r) => typeof r.inputs.x1 === 'number'));
  });

  it('answers drift as the JSON log did, to 1e-12, on a drifted and a non-drifted window', async () => {
    for (const w of windows) reports.push(await driftReport(engine, 'churn', w));
    for (const [i, w] of windows.entries()) {
      const rows = served.filter((r) => r.at >= w.since && r.at < w.until);
      assert.equal(rows.length, 10_000);
      assert.equal(reports[i]!.window.rows, 10_000);
      assertSameDrift(asAnswer(reports[i]!), await driftBefore(engine, rows));
    }
    assert.equal(reports[0]!.features.drifted, 0);
    assert.deepEqual(
      reports[1]!.features.columns.filter((c) => c.drifted).map((c) => c.column),
      ['x1', 'colour'],
    );
  });

  it('keeps the log of a store from before the migration, reads its JSON rows, and converts them to the same answer', async () => {
    engine.close();
    // The store as the previous version left it: prediction_log with JSON cells, no segments, schema 18.
    const raw = new Database(join(dataDir, 'hearth.db'));
    raw.pragma('foreign_keys = OFF');
    raw.exec(`DROP TABLE prediction_log; DROP TABLE prediction_log_columns; DROP TABLE prediction_log_segments;
      ${m0005}
      ALTER TABLE prediction_log ADD COLUMN shadow_of TEXT;
      CREATE INDEX prediction_log_by_shadow_of ON prediction_log(shadow_of) WHERE shadow_of IS NOT NULL;
      DELETE FROM schema_migrations WHERE id = 19;`);
    const insert = raw.prepare(
      'INSERT INTO prediction_log (id, model_id, version, at, latency_us, inputs_json, prediction_json, label) VALUES (?, 1, ?, ?, ?, ?, ?, ?)',
    );
    raw.transaction(() => {
      for (const r of served)
        insert.run(r.id, r.version, r.at, r.latencyUs, JSON.stringify(r.inputs), JSON.stringify(r.prediction), r.label);
    })();
    raw.close();

    engine = Engine.open(dataDir);
    assert.deepEqual(await engine.predictionLog.rows('churn'), served);
    for (const [i, w] of windows.entries())
      assertSameDrift(asAnswer(await driftReport(engine, 'churn', w)), asAnswer(reports[i]!));

    // The log writer moves them in the background once it starts (here for a failed request's count, which
    // touches no logged row), one segment per transaction.
    const legacy = () =>
      (engine.db.prepare('SELECT COUNT(*) AS n FROM prediction_log WHERE inputs_json IS NOT NULL').get() as { n: number }).n;
    engine.predictionLog.recordError('churn', 'VALIDATION_FAILED');
    await engine.predictionLog.flushed();
    for (let waited = 0; legacy() > 0 && waited < 30_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    const moved = engine.db.prepare('SELECT SUM(rows) AS n FROM prediction_log_segments').get() as { n: number };
    assert.equal(moved.n, 20_000);
    // Converting again finds nothing left.
    assert.equal(engine.db.transaction(() => convertLegacy(engine.db))(), 0);
    assert.equal(
      (engine.db.prepare('SELECT COUNT(*) AS n FROM prediction_log WHERE inputs_json IS NOT NULL').get() as { n: number }).n,
      0,
    );
    assert.deepEqual(await engine.predictionLog.rows('churn'), served);
    for (const [i, w] of windows.entries())
      assertSameDrift(asAnswer(await driftReport(engine, 'churn', w)), asAnswer(reports[i]!));
  });

  it('loses nothing committed when a batch fails: the batch and its segment change are one transaction', () => {
    const snapshot = () =>
      engine.db
        .prepare(
          `SELECT (SELECT COUNT(*) FROM prediction_log) AS rows, (SELECT group_concat(id || ':' || rows || ':' || live) FROM prediction_log_segments) AS segments,
                  (SELECT COUNT(*) || ':' || SUM(length(data)) FROM prediction_log_columns) AS chunks`,
        )
        .get();
    const before = snapshot();
    const row = (id: string): LogRow => ({
      id,
      model: 'churn',
      version: 1,
      at: new Date().toISOString(),
      latencyUs: 10,
      inputs: { x1: 1, x2: 2, colour: 'red', flag: 'true' },
      prediction: { label: 'good', probability: 0.5 },
      shadowOf: null,
    });
    // The last row repeats an id already logged: the insert fails after the segment was written.
    const batch = [row(randomUUID()), row(randomUUID()), row(served[0]!.id)];
    assert.throws(() => engine.db.transaction(() => appendLogRows(engine.db, batch)).immediate());
    assert.deepEqual(snapshot(), before);
  });

  it('retention forgets old rows from their segments too, and drift over what is left is unchanged', async () => {
    const removed = engine.db.transaction(() => forgetRowsBefore(engine.db, 'churn', windows[1]!.since))();
    assert.equal(removed, 10_000);
    assert.equal((await engine.predictionLog.rows('churn')).length, 10_000);
    const live = engine.db.prepare('SELECT SUM(live) AS n FROM prediction_log_segments').get() as { n: number };
    assert.equal(live.n, 10_000);
    // Blue was served only in window A: no dictionary holds it any more.
    const blue = engine.db.prepare(`SELECT COUNT(*) AS n FROM prediction_log_columns WHERE dict LIKE '%"blue"%'`).get() as {
      n: number;
    };
    assert.equal(blue.n, 0);
    assertSameDrift(asAnswer(await driftReport(engine, 'churn', windows[1])), asAnswer(reports[1]!));
    assertSameDrift(asAnswer(await driftReport(engine, 'churn', {})), asAnswer(reports[1]!));
    await assert.rejects(driftReport(engine, 'churn', windows[0]), /served no logged rows/);
  });

  it('logs rows that cross to the writer as columns as served, a non-finite input and a blank category as missing', async () => {
    const features = [
      { name: 'x1', kind: 'numeric' as const, sourceType: 'number' as const },
      { name: 'colour', kind: 'categorical' as const },
    ];
    const raw = { rows: 2, numeric: [Float64Array.from([Infinity, 0.25])], categorical: [['red', '']] };
    const predictions = [
      { label: '1', probabilities: { '0': 0.25, '1': 0.75 } },
      { label: '0', probabilities: { '0': 0.5, '1': 0.5 } },
    ];
    const since = new Date().toISOString();
    const ids = engine.predictionLog.record('churn', 1, features, raw, predictions, 12.4);
    const logged = (await engine.predictionLog.rows('churn', { since })).filter((r) => ids.includes(r.id));
    assert.deepEqual(
      logged.map((r) => [r.id, r.inputs.x1, r.inputs.colour, r.prediction, r.latencyUs]),
      [
        [ids[0], null, 'red', { label: '1', probability: 0.75 }, 12],
        [ids[1], 0.25, null, { label: '0', probability: 0.5 }, 12],
      ],
    );
    // A version answering values, as a shadow of the rows above: its own batch, each row pointing at the one it shadows.
    const shadowIds = engine.predictionLog.record('churn', 9, features, raw, [{ value: 1.5 }, { value: Number.NaN }], 7.6, ids);
    const shadowed = (await engine.predictionLog.rows('churn', { version: 9, since })).filter((r) => shadowIds.includes(r.id));
    assert.deepEqual(
      shadowed.map((r) => [r.id, r.version, r.inputs, r.prediction, r.latencyUs]),
      [
        [shadowIds[0], 9, { x1: null, colour: 'red' }, { value: 1.5 }, 8],
        [shadowIds[1], 9, { x1: 0.25, colour: null }, { value: null }, 8],
      ],
    );
    const links = engine.db
      .prepare(`SELECT shadow_of FROM prediction_log WHERE id IN (?, ?) ORDER BY rowid`)
      .pluck()
      .all(shadowIds[0], shadowIds[1]);
    assert.deepEqual(links, ids);
  });
  it('keeps a batch whole when a request cannot be logged, and logs on past a batch the store refuses', async () => {
    const features = [
      { name: 'x1', kind: 'numeric' as const, sourceType: 'number' as const },
      // Two features of one name (no stored model has them): the later one's value is logged, as a row object kept it.
      { name: 'x1', kind: 'numeric' as const, sourceType: 'number' as const },
      { name: 'colour', kind: 'categorical' as const },
    ];
    const raw = (x: number) => ({ rows: 1, numeric: [Float64Array.of(-1), Float64Array.of(x)], categorical: [['red']] });
    const answer = (label: string) => [{ label, probabilities: { [label]: 0.75 } }];
    const since = new Date().toISOString();
    const first = engine.predictionLog.record('churn', 11, features, raw(1), answer('a'), 1);
    // Fewer predictions than rows: refused before anything is appended to the batch the other requests share.
    assert.throws(() => engine.predictionLog.record('churn', 11, features, { ...raw(2), rows: 2 }, answer('b'), 1), /2 rows/);
    const last = engine.predictionLog.record('churn', 11, features, raw(-0), answer('c'), 1);
    // A version the store refuses (a trigger standing in for a full disk or a damaged table) is dropped and reported;
    // the other batch of the same flush, and everything after it, is logged.
    engine.db.exec(
      "CREATE TRIGGER refuse_v12 BEFORE INSERT ON prediction_log WHEN NEW.version = 12 BEGIN SELECT RAISE(ABORT, 'refused'); END",
    );
    try {
      engine.predictionLog.record('churn', 12, features, raw(5), answer('x'), 1);
      const after = engine.predictionLog.record('churn', 11, features, raw(3), answer('d'), 1);
      engine.predictionLog.flush();
      const later = engine.predictionLog.record('churn', 11, features, raw(4), answer('e'), 1);
      const logged = await engine.predictionLog.rows('churn', { version: 11, since });
      assert.deepEqual(
        logged.map((r) => [r.id, r.inputs, r.prediction]),
        [
          [first[0], { x1: 1, colour: 'red' }, { label: 'a', probability: 0.75 }],
          [last[0], { x1: 0, colour: 'red' }, { label: 'c', probability: 0.75 }],
          [after[0], { x1: 3, colour: 'red' }, { label: 'd', probability: 0.75 }],
          [later[0], { x1: 4, colour: 'red' }, { label: 'e', probability: 0.75 }],
        ],
      );
      assert.ok(Object.is(logged[1]!.inputs.x1, 0), '-0 is logged as 0, as JSON wrote it');
      assert.deepEqual(await engine.predictionLog.rows('churn', { version: 12, since }), []);
    } finally {
      engine.db.exec('DROP TRIGGER refuse_v12');
    }
  });
});

describe('log column encoding', () => {
  it('keeps numbers as Float64 and anything else as dictionary codes with counts, missing as missing', () => {
    const numbers = encodeColumn([1.5, null, -0.25, Number.POSITIVE_INFINITY, undefined, 3]);
    assert.equal(numbers.kind, 'number');
    const n = decodeColumn(numbers);
    assert.deepEqual(n.kind === 'number' && Array.from(n.data), [1.5, Number.NaN, -0.25, Number.NaN, Number.NaN, 3]);
    const mixed = encodeColumn(['a', 2, null, 'a', true, 2, 'a']);
    assert.equal(mixed.kind, 'category');
    const m = decodeColumn(mixed);
    assert.ok(m.kind === 'category');
    assert.deepEqual(m.dict, ['a', 2, true]);
    assert.deepEqual(Array.from(m.codes), [0, 1, -1, 0, 2, 1, 0]);
    assert.deepEqual(m.counts, [3, 2, 1]);
    // A value is what its JSON reads back as: a boxed number is the number, a date its text; -0 is 0.
    const day = new Date('2026-01-02T00:00:00.000Z');
    const boxed = decodeColumn(encodeColumn([1, new Number(1), day, '2026-01-02T00:00:00.000Z', -0, 0, { a: 1 }, { a: 1 }]));
    assert.ok(boxed.kind === 'category');
    assert.deepEqual(boxed.dict, [1, '2026-01-02T00:00:00.000Z', 0, { a: 1 }]);
    assert.deepEqual(boxed.counts, [2, 2, 2, 2]);
    const zero = decodeColumn(encodeColumn([-0, 1]));
    assert.ok(zero.kind === 'number' && Object.is(zero.data[0], 0));
  });
});

describe('log segments, odd batches', () => {
  it('splits a batch larger than a segment, and keeps odd values, late keys and mixed types as JSON kept them', () => {
    const db = openDatabase(':memory:');
    db.prepare("INSERT INTO models (name, task, target, created_at) VALUES ('m', 'regression', 'y', '2026-01-01')").run();
    const rows: LogRow[] = Array.from({ length: 20_000 }, (_, i) => ({
      id: `r${i}`,
      model: 'm',
      version: 1,
      at: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`,
      latencyUs: i,
      // x turns to text at row 19,999; z first appears at row 10,000; w is infinite (JSON wrote null).
      inputs:
        i < 10_000
          ? { x: i === 19_999 ? 'odd' : i / 7, w: Infinity }
          : { x: i === 19_999 ? 'odd' : i / 7, w: -Infinity, z: 'late' },
      prediction: { value: i % 2 === 0 ? i : Number.NaN },
      shadowOf: null,
    }));
    // Rows of a model the store does not know are dropped, as before.
    rows.push({ ...rows[0]!, id: 'ghost', model: 'nobody' });
    assert.equal(db.transaction(() => appendLogRows(db, rows))(), 20_000);
    const segments = db.prepare('SELECT rows FROM prediction_log_segments ORDER BY id').pluck().all();
    assert.deepEqual(segments, [segmentRows, segmentRows, 20_000 - 2 * segmentRows]);
    const back = db.prepare('SELECT segment_id, pos FROM prediction_log ORDER BY rowid').all() as {
      segment_id: number;
      pos: number;
    }[];
    const decoded = new Map<number, ReturnType<typeof readSegment>>();
    back.forEach((r, i) => {
      if (!decoded.has(r.segment_id)) decoded.set(r.segment_id, readSegment(db, r.segment_id));
      const got = rowAt(decoded.get(r.segment_id)!, r.pos);
      const logged = JSON.parse(JSON.stringify({ inputs: rows[i]!.inputs, prediction: rows[i]!.prediction })) as unknown;
      // What the JSON log gave back, but for a key a row lacked that its segment has: null, not absent.
      const expected = logged as { inputs: Record<string, unknown> };
      for (const k of Object.keys(got.inputs)) expected.inputs[k] ??= null;
      assert.deepEqual(got, expected, `row ${i}`);
    });
    db.close();
  });
});
