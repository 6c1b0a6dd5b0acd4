import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readCsv } from '../../main/data/csv.js';
import { cellValue } from '../../main/table/frame.js';
import { projectSmote, projectSmoteFolds, smote } from '../../main/training/smote.js';
import { imbalanceWinner } from '../../main/training/resample-guard.js';
import { seededRandom } from '../../main/stats/random.js';
import { tempDir, writeFile } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

describe('SMOTE', () => {
  it('projects its own cost from two timed samples: the rows it adds counted exactly, the time from those samples', async () => {
    // 3,000 rows, 300 rare: SMOTE adds 2,400 (the majority's 2,700 less 300). The projection times 256 and 512 of
    // them and counts every one; the folds' projection adds the rows to the plain cross-validation's cost.
    const random = seededRandom(8);
    const lines = ['a,b,label'];
    for (let i = 0; i < 3000; i++)
      lines.push(`${random().toFixed(4)},${random().toFixed(4)},${i % 10 === 0 ? 'rare' : 'common'}`);
    const { frame } = await readCsv(writeFile(tmp.dir, 'p.csv', `${lines.join('\n')}\n`));
    const label = frame.columns.find((c) => c.name === 'label')!;
    const classOf = Int32Array.from({ length: frame.rowCount }, (_, r) =>
      ['common', 'rare'].indexOf(String(cellValue(label, r))),
    );
    const train = Int32Array.from({ length: frame.rowCount }, (_, i) => i);
    const projected = projectSmote(frame, train, classOf, 2, 'label', 1);
    assert.equal(projected.added, 2400);
    assert.ok(projected.ms > 0 && Number.isFinite(projected.ms));
    // With no time for the resampling itself (plain cost only), the folds' projection is the plain cost × 1.8.
    const folds = [{ train }];
    const withPlain = projectSmoteFolds(frame, folds, classOf, 2, 'label', 1, 1000);
    assert.ok(withPlain >= 1000 * (1 + 2400 / 3000), `${withPlain}`);
  });

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

describe('SMOTE-NC', () => {
  const classOf = (frame: Awaited<ReturnType<typeof readCsv>>['frame']): Int32Array => {
    const label = frame.columns.find((c) => c.name === 'label')!;
    return Int32Array.from({ length: frame.rowCount }, (_, r) => (cellValue(label, r) === 'rare' ? 1 : 0));
  };

  it('gives each synthetic row its neighbours’ most frequent category and boolean, never an impossible value', async () => {
    // Two clusters of rare rows, far apart in x, so each row's five nearest neighbours are the rest of its cluster
    // (a category mismatch costs the median within-class std², about 5² here against 9.5² between the clusters).
    // Cluster one's categories are p,p,p,p,r,r and flags 1,1,1,1,0,0: whichever row is the base, the other five hold
    // at least three p's and three trues. Cluster two: q,q,q,q,s,s and flags 0,0,0,0,1,1.
    const lines = ['x,n,kind,flag,label'];
    const one = ['p', 'p', 'p', 'p', 'r', 'r'];
    const two = ['q', 'q', 'q', 'q', 's', 's'];
    for (let i = 0; i < 6; i++) lines.push(`${(i / 10).toFixed(1)},${i},${one[i]},${i < 4},rare`);
    for (let i = 0; i < 6; i++) lines.push(`${(10 + i / 10).toFixed(1)},${i + 7},${two[i]},${i >= 4},rare`);
    for (let i = 0; i < 60; i++) lines.push(`${(i / 6).toFixed(2)},${i},${i % 2 === 0 ? 'p' : 'q'},${i % 3 === 0},common`);
    const { frame } = await readCsv(writeFile(tmp.dir, 'nc.csv', `${lines.join('\n')}\n`));
    const train = Int32Array.from({ length: frame.rowCount }, (_, i) => i);
    const out = smote(frame, train, classOf(frame), 2, 'label', 3);
    assert.deepEqual(out.added, [0, 48]);
    const x = out.frame.columns.find((c) => c.name === 'x')!;
    const n = out.frame.columns.find((c) => c.name === 'n')!;
    const kind = out.frame.columns.find((c) => c.name === 'kind')!;
    const flag = out.frame.columns.find((c) => c.name === 'flag')!;
    assert.equal(kind.kind, 'string');
    const levels = kind.kind === 'string' ? kind.dictionary.length : 0;
    for (const r of out.synthetic) {
      const v = cellValue(x, r) as number;
      const near = v <= 0.5;
      assert.ok(near || (v >= 10 && v <= 10.5), `x ${v} between the clusters`);
      assert.equal(cellValue(kind, r), near ? 'p' : 'q');
      assert.equal(cellValue(flag, r), near, 'a boolean is voted, not interpolated');
      assert.ok(Number.isInteger(cellValue(n, r)), 'an integer column stays integral');
      if (kind.kind === 'string') assert.ok(kind.codes[r]! >= 0 && kind.codes[r]! < levels);
    }
  });

  it('refuses data with no numeric feature to interpolate', async () => {
    const lines = ['colour,label'];
    for (let i = 0; i < 40; i++) lines.push(`${['red', 'green', 'blue'][i % 3]},${i % 5 === 0 ? 'rare' : 'common'}`);
    const { frame } = await readCsv(writeFile(tmp.dir, 'cats.csv', `${lines.join('\n')}\n`));
    const train = Int32Array.from({ length: frame.rowCount }, (_, i) => i);
    assert.throws(() => smote(frame, train, classOf(frame), 2, 'label', 1), { code: 'VALIDATION_FAILED' });
  });
});

describe('choosing an imbalance treatment', () => {
  const row = (strategy: string, cv: number, threshold: 'default' | 'tuned' = 'default') => ({
    strategy,
    threshold,
    metric: 'roc_auc',
    cvMetric: cv,
  });

  it('keeps SMOTE only when it beats the plain candidate, and says why', () => {
    const won = imbalanceWinner([row('none', 0.8), row('class weights', 0.78), row('SMOTE', 0.82)], true, null);
    assert.equal(won.winner.strategy, 'SMOTE');
    assert.deepEqual(won.smote, {
      kept: true,
      reason: 'SMOTE beat the plain model on cross-validation (roc_auc 0.8200 with SMOTE, 0.8000 without)',
    });
    // A tie keeps the real rows.
    const tie = imbalanceWinner([row('SMOTE', 0.8), row('none', 0.8)], true, null);
    assert.equal(tie.winner.strategy, 'none');
    assert.equal(tie.smote.kept, false);
    assert.match(tie.smote.reason, /did not beat the plain model.*0\.8000 with SMOTE, 0\.8000 without/);
    const lost = imbalanceWinner([row('none', 0.8), row('SMOTE', 0.79), row('class weights', 0.81)], true, null);
    assert.equal(lost.winner.strategy, 'class weights');
    assert.match(lost.smote.reason, /did not beat the plain model/);
  });

  it('reads lower-is-better metrics and thresholds the same way, and reports a refusal', () => {
    const loss = (strategy: string, cv: number) => ({ ...row(strategy, cv), metric: 'log_loss' });
    assert.equal(imbalanceWinner([loss('none', 0.3), loss('SMOTE', 0.25)], false, null).winner.strategy, 'SMOTE');
    assert.equal(imbalanceWinner([loss('none', 0.3), loss('SMOTE', 0.35)], false, null).winner.strategy, 'none');
    // A tuned SMOTE is measured against the tuned plain candidate, not the untuned one.
    const tuned = imbalanceWinner([row('none', 0.5), row('none', 0.7, 'tuned'), row('SMOTE', 0.65, 'tuned')], true, null);
    assert.deepEqual([tuned.winner.strategy, tuned.winner.threshold], ['none', 'tuned']);
    const refused = imbalanceWinner([row('none', 0.8)], true, 'SMOTE needs at least one numeric feature');
    assert.deepEqual(refused.smote, { kept: false, reason: 'not tried: SMOTE needs at least one numeric feature' });
  });
});
