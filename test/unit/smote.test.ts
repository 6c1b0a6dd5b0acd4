import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readCsv } from '../../main/data/csv.js';
import { cellValue } from '../../main/table/frame.js';
import { smote } from '../../main/training/smote.js';
import { seededRandom } from '../../main/stats/random.js';
import { tempDir, writeFile } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

describe('SMOTE', () => {
  it('brings the minority class up to the majority with rows between real neighbours', async () => {
    const random = seededRandom(4);
    const lines = ['a,b,kind,label'];
    for (let i = 0; i < 600; i++) {
      const rare = i % 6 === 0; // 100 rare rows, 500 common ones
      const a = rare ? 10 + random() : random();
      lines.push(
        `${a.toFixed(4)},${rare ? 5 + random() : random()},${rare ? 'r' : i % 2 === 0 ? 'x' : 'y'},${rare ? 'rare' : 'common'}`,
      );
    }
    const { frame } = await readCsv(writeFile(tmp.dir, 's.csv', `${lines.join('\n')}\n`));
    const label = frame.columns.find((c) => c.name === 'label')!;
    const classes = ['common', 'rare'];
    const classOf = Int32Array.from({ length: frame.rowCount }, (_, r) => classes.indexOf(String(cellValue(label, r))));
    const train = Int32Array.from({ length: frame.rowCount }, (_, i) => i);
    const out = smote(frame, train, classOf, 2, 'label', 1);
    assert.deepEqual(out.added, [0, 400]);
    assert.equal(out.frame.rowCount, 1000);
    const a = out.frame.columns.find((c) => c.name === 'a')!;
    const kind = out.frame.columns.find((c) => c.name === 'kind')!;
    for (const r of out.synthetic) {
      assert.equal(out.classOf[r], 1);
      const v = cellValue(a, r) as number;
      assert.ok(v >= 10 && v <= 11, `synthetic a ${v} outside the rare class's range`);
      assert.equal(cellValue(kind, r), 'r');
    }
    // The real rows are untouched.
    for (let r = 0; r < frame.rowCount; r++) assert.equal(cellValue(a, r), cellValue(frame.columns[0]!, r));
  });
});
