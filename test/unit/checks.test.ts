import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readCsv } from '../../main/data/csv.js';
import { dataChecks } from '../../main/training/checks.js';
import { splitRows } from '../../main/training/split.js';
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
});
