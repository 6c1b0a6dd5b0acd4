import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { availableParallelism } from 'node:os';
import { readCsv } from '../../main/data/csv.js';
import { dataChecks } from '../../main/models/data-checks.js';
import { splitRows } from '../../main/training/split.js';
import { labelledSplit, splitWarnings, splitWarningsAside } from '../../main/training/labels.js';
import { idleTrainingWorkers } from '../../main/training/worker-run.js';
import { asideChecksRows, checksPlacement, untilSettledOrCancelled } from '../../main/training/checks-schedule.js';
import { arrowToFrame, frameToArrow } from '../../main/table/columnar.js';
import { unionFrames } from '../../main/data/transforms.js';
import { isSharedFrame, type Frame } from '../../main/table/frame.js';
import { seededRandom } from '../../main/stats/random.js';
import { syntheticCsv, tempDir, writeFile } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

async function check(csv: string, name: string) {
  const { frame } = await readCsv(writeFile(tmp.dir, name, csv));
  const label = frame.columns.find((c) => c.name === 'label')!;
  const y = (r: number): number => (label.kind === 'string' ? (label.dictionary[label.codes[r]!] === 'good' ? 1 : 0) : 0);
  const split = splitRows(
    Int32Array.from({ length: frame.rowCount }, (_, i) => i),
    { seed: 1, validationFraction: 0, testFraction: 0.2 },
  );
  return dataChecks(frame, 'label', 'binary', split.train, split.test, y);
}

describe('data checks', () => {
  it('stay quiet on clean data', async () => {
    assert.deepEqual(await check(syntheticCsv('binary', 3000, 41), 'clean.csv'), []);
  });

  it('flag a column that gives the answer away, and test rows copied from training rows', async () => {
    const lines = syntheticCsv('binary', 3000, 42).trim().split('\n');
    const header = `${lines[0]},outcome_code`;
    const rows = lines.slice(1).map((l) => `${l},${l.endsWith('good') ? 'G' : 'B'}${l.length % 3}`);
    const withCopies = [...rows, ...rows.slice(0, 300)];
    const warnings = await check(`${header}\n${withCopies.join('\n')}\n`, 'leaky.csv');
    assert.deepEqual(
      warnings.filter((w) => w.kind === 'leakage').map((w) => w.column),
      ['outcome_code'],
    );
    const duplicates = warnings.find((w) => w.kind === 'duplicates');
    assert.ok(duplicates !== undefined);
    const count = Number(/^(\d+) of/.exec(duplicates.message)![1]);
    // 300 rows appear twice; a copy lands on the test side with its twin on the training side about 0.2 × 0.8 × 2
    // of the time, so about 96 test rows; never zero, never all 300.
    assert.ok(count > 40 && count < 160, `${count} duplicated test rows`);
  });

  it('count every test row that has a twin among the training rows, once, and none when nothing is held out', async () => {
    // Rows 0–3 distinct; row 4 copies row 0, row 5 copies row 1, row 6 copies row 4 (so row 0 too).
    const csv = 'x,c,label\n1,a,good\n2,b,bad\n3,a,good\n4,b,bad\n1,a,good\n2,b,bad\n1,a,good\n';
    const { frame } = await readCsv(writeFile(tmp.dir, 'twins.csv', csv));
    const y = (): number => 0;
    const duplicates = (train: number[], test: number[]): string | undefined =>
      dataChecks(frame, 'label', 'binary', Int32Array.from(train), Int32Array.from(test), y).find((w) => w.kind === 'duplicates')
        ?.message;
    // Test rows 4, 5 and 6: each has its twin (0, 1, 0) on the training side; row 0 twice over counts rows, not pairs.
    assert.match(duplicates([0, 1, 2, 3], [4, 5, 6]) ?? '', /^3 of 3 test rows/);
    // Twins on the test side alone are not a leak across the split.
    assert.equal(duplicates([1, 2, 3, 5], [0, 4, 6]), undefined);
    assert.match(duplicates([0, 2, 3], [1, 4]) ?? '', /^1 of 2 test rows/);
    assert.equal(duplicates([0, 1, 2, 3, 4, 5, 6], []), undefined);
  });
});

describe('duplicate rows across the split, at scale', () => {
  it('counts the test rows with a training twin exactly as a brute-force comparison of whole rows does', async () => {
    // 30,000 rows drawn from a small pool of values (numbers, −0 and 0, missing cells, levels), so thousands of rows
    // repeat on both sides; the count is every test row whose whole row is also a training row.
    const random = seededRandom(5);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const lines = ['x,z,k,c,label'];
    for (let i = 0; i < 30_000; i++)
      lines.push(
        [
          pick(['1', '2', '2.5', '']),
          pick(['0', '-0', '7']),
          String(Math.floor(random() * 1000)),
          pick(['a', 'b', '', 'c']),
          pick(['good', 'bad']),
        ].join(','),
      );
    const { frame } = await readCsv(writeFile(tmp.dir, 'twins-at-scale.csv', `${lines.join('\n')}\n`));
    const rows = Int32Array.from({ length: frame.rowCount }, (_, i) => i);
    const train = rows.subarray(0, 24_000);
    const test = rows.subarray(24_000);
    // A row's identity as the checks see it: its numbers' bits (−0 is not 0) and its levels' codes.
    const key = (r: number): string =>
      frame.columns
        .map((c) => (c.kind === 'numeric' ? (Object.is(c.values[r], -0) ? '-0' : String(c.values[r])) : String(c.codes[r])))
        .join('|');
    const inTrain = new Set(Array.from(train, key));
    const expected = Array.from(test, key).filter((k) => inTrain.has(k)).length;
    assert.ok(expected > 1000 && expected < test.length, `${expected} twins`);
    const warning = dataChecks(frame, 'label', 'binary', train, test, () => 0).find((w) => w.kind === 'duplicates');
    assert.match(warning?.message ?? '', new RegExp(`^${expected} of ${test.length} test rows`));
  });
});

describe('the data checks in a training worker', () => {
  it('read a store-loaded frame on shared memory and warn exactly as on this thread; any other frame is checked here', async () => {
    const lines = syntheticCsv('binary', 4000, 43).trim().split('\n');
    const header = `${lines[0]},outcome_code`;
    const rows = lines.slice(1).map((l) => `${l},${l.endsWith('good') ? 'G' : 'B'}${l.length % 3}`);
    const csv = `${header}\n${[...rows, ...rows.slice(0, 400)].join('\n')}\n`;
    const { frame: parsed } = await readCsv(writeFile(tmp.dir, 'aside.csv', csv));
    // The same rows in ordinary memory, as a caller may build a frame.
    const frame: Frame = {
      rowCount: parsed.rowCount,
      columns: parsed.columns.map((c) =>
        c.kind === 'numeric' ? { ...c, values: Float64Array.from(c.values) } : { ...c, codes: Int32Array.from(c.codes) },
      ),
    };
    // As the store hands a version to a run (arrowToFrame), and an appended one (unionFrames): shared columns.
    const stored = arrowToFrame(frameToArrow(frame));
    assert.equal(isSharedFrame(frame), false);
    assert.equal(isSharedFrame(stored), true);
    assert.equal(isSharedFrame(unionFrames([frame, frame])), true);
    const args = { dataset: 'd', target: 'label', algorithm: 'gbdt' as const, testFraction: 0.2, seed: 4 };
    const prepared = labelledSplit(stored, args);
    const here = splitWarnings(stored, args, prepared);
    assert.deepEqual(
      here.map((w) => w.code),
      ['LEAKAGE', 'DUPLICATES'],
    );
    const before = idleTrainingWorkers();
    const aside = await splitWarningsAside(stored, args, prepared);
    assert.deepEqual(aside, here);
    // It ran in a training worker, which waits parked for the next fit.
    assert.ok(idleTrainingWorkers() >= Math.min(1, before + 1));
    // A frame not on shared memory would be copied column by column to a worker: it is checked on this thread.
    assert.deepEqual(await splitWarningsAside(frame, args, labelledSplit(frame, args)), here);
    // A worker that cannot check (here: a request it cannot be sent) leaves the checks to this thread.
    const unsendable = { ...stored, columns: stored.columns, extra: () => undefined } as Frame;
    assert.deepEqual(await splitWarningsAside(unsendable, args, prepared), here);
    // Waiting for them ends when the run is cancelled, and gives what they gave otherwise.
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const never = new Promise<never>(() => undefined);
    const waiting = untilSettledOrCancelled(never, cancel);
    Atomics.store(cancel, 0, 1);
    await assert.rejects(waiting, (e: unknown) => (e as { code?: string }).code === 'CANCELLED');
    assert.equal(await untilSettledOrCancelled(Promise.resolve(7), new Int32Array(new SharedArrayBuffer(4))), 7);
    await assert.rejects(
      untilSettledOrCancelled(Promise.reject(new Error('no')), new Int32Array(new SharedArrayBuffer(4))),
      /no/,
    );
  });
});

describe('where the data checks run', () => {
  it('aside only where a tree fit bins enough rows to hide them, first where nothing would, beside with a core free', () => {
    // As many fit threads as cores, so no core is free beside a tree fit on any machine that runs this.
    const threads = availableParallelism();
    const gbdt = { dataset: 'd', target: 'label', algorithm: 'gbdt' as const, threads };
    assert.equal(checksPlacement(gbdt, asideChecksRows), 'aside');
    assert.equal(checksPlacement({ ...gbdt, algorithm: 'forest' }, 5_000_000), 'aside');
    // A smaller table's binning ends before the checks would: they run on the trainer's thread first.
    assert.equal(checksPlacement(gbdt, asideChecksRows - 1), 'first');
    assert.equal(checksPlacement(gbdt, 569), 'first');
    // Searches, folds and SMOTE's guard fit before any binning of the run's own, whatever the table's size.
    assert.equal(checksPlacement({ ...gbdt, algorithm: 'auto' }, 5_000_000), 'first');
    assert.equal(checksPlacement({ ...gbdt, folds: 5 }, 5_000_000), 'first');
    assert.equal(checksPlacement({ ...gbdt, resample: 'smote' }, 5_000_000), 'first');
    // One-thread learners leave a core free, as do tree fits given fewer threads than the machine has cores.
    assert.equal(checksPlacement({ ...gbdt, algorithm: 'linear' }, 5_000_000), 'beside');
    if (threads > 1) assert.equal(checksPlacement({ ...gbdt, threads: threads - 1 }, 5_000_000), 'beside');
  });
});

describe('splitRows', () => {
  it('deals each class to the sides in proportion, each side ascending, every row once, in any input order', () => {
    // 1,000 rows (the odd numbers below 2,000) of three classes (600, 200, 200), given in descending order.
    const rows = Int32Array.from({ length: 1000 }, (_, i) => 2 * (999 - i) + 1);
    const strata = Int32Array.from({ length: 2000 }, (_, r) => (r % 10 < 6 ? 0 : r % 10 < 8 ? 1 : 2));
    const split = splitRows(rows, { seed: 7, validationFraction: 0.1, testFraction: 0.2, strata });
    const perClass = (side: Int32Array) => [0, 1, 2].map((c) => side.filter((r) => strata[r] === c).length);
    assert.deepEqual(perClass(split.test), [120, 40, 40]);
    assert.deepEqual(perClass(split.validation), [60, 20, 20]);
    assert.deepEqual(perClass(split.train), [420, 140, 140]);
    for (const side of [split.train, split.validation, split.test])
      assert.ok(
        side.every((r, i) => i === 0 || side[i - 1]! < r),
        'ascending',
      );
    const all = [...split.train, ...split.validation, ...split.test].sort((a, b) => a - b);
    assert.deepEqual(
      all,
      [...rows].sort((a, b) => a - b),
    );
    // Seeded: the same call gives the same sides; another seed other ones.
    assert.deepEqual(splitRows(rows, { seed: 7, validationFraction: 0.1, testFraction: 0.2, strata }), split);
    assert.notDeepEqual(splitRows(rows, { seed: 8, validationFraction: 0.1, testFraction: 0.2, strata }).test, split.test);
    // Nothing held out: every row trains, ascending, whatever the seed or strata.
    const none = { train: Int32Array.from(rows).sort(), validation: new Int32Array(0), test: new Int32Array(0) };
    assert.deepEqual(splitRows(rows, { seed: 7, validationFraction: 0, testFraction: 0, strata }), none);
    assert.deepEqual(splitRows(rows, { seed: 9, validationFraction: 0, testFraction: 0 }), none);
    // Strata millions apart split as their ranks do (the same groups in the same order).
    const wide = Int32Array.from(strata, (c) => [-3_000_000, 0, 5_000_000][c]!);
    assert.deepEqual(splitRows(rows, { seed: 7, validationFraction: 0.1, testFraction: 0.2, strata: wide }), split);
  });
});

describe('labelledSplit', () => {
  it('reads classes from numbers, booleans and text alike, numbers in numeric order, missing labels left out', () => {
    const frame: Frame = {
      rowCount: 8,
      columns: [
        { kind: 'numeric', name: 'n', type: 'number', values: Float64Array.from([10, 2, -0, Number.NaN, 0, 2, 10, 2]) },
        { kind: 'numeric', name: 'b', type: 'boolean', values: Float64Array.from([1, 0, 0, 1, Number.NaN, 1, 0, 1]) },
        {
          kind: 'string',
          name: 't',
          type: 'categorical',
          codes: Int32Array.from([2, 0, -1, 2, 0, 1, 1, 0]),
          dictionary: ['x', 'y', 'z', 'unused'],
        },
      ],
    };
    const split = (target: string, task?: 'multiclass') =>
      labelledSplit(frame, {
        dataset: 'd',
        target,
        algorithm: 'gbdt',
        validationFraction: 0,
        testFraction: 0,
        ...(task ? { task } : {}),
      });
    // A number target is a regression unless asked for classes.
    assert.equal(split('n').task, 'regression');
    const numbers = split('n', 'multiclass');
    // 0 and −0 are one class, "0"; "10" after "2".
    assert.deepEqual(numbers.classes, ['0', '2', '10']);
    assert.deepEqual([...numbers.classOf!], [2, 1, 0, -1, 0, 1, 2, 1]);
    assert.deepEqual(numbers.labelled, [0, 1, 2, 4, 5, 6, 7]);
    const booleans = split('b');
    assert.equal(booleans.task, 'binary');
    assert.deepEqual(booleans.classes, ['false', 'true']);
    assert.deepEqual([...booleans.classOf!], [1, 0, 0, 1, -1, 1, 0, 1]);
    const text = split('t');
    assert.deepEqual(text.classes, ['x', 'y', 'z']);
    assert.deepEqual([...text.classOf!], [2, 0, -1, 2, 0, 1, 1, 0]);
  });
});
