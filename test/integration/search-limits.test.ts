import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { Engine } from '../../main/engine/engine.js';
import type { LeaderboardEntry } from '../../main/training/train-args.js';
import type { LimitsReport } from '../../main/training/search-limits.js';
import { syntheticCsv, tempDir, writeFile } from '../helpers.js';

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));

/** Size and latency limits inside the search: known sizes of a 200-tree GBDT and a linear model bound the limit. */
describe('search limits (maxSize, maxLatencyUs)', () => {
  const tmp = tempDir();
  after(tmp.cleanup);
  const dataDir = join(tmp.dir, 'data');
  const csv = writeFile(tmp.dir, 'churn.csv', syntheticCsv('binary', 2000, 5));
  let gbdtBytes = 0;
  let linearBytes = 0;

  it('a size between a linear model and a 200-tree GBDT: the GBDT is marked over limit, a small model wins', async () => {
    const engine = Engine.open(dataDir);
    try {
      await engine.datasets.ingestCsv('churn', csv);
      const fitOne = async (args: Parameters<typeof engine.trainer.start>[0]): Promise<number> => {
        const done = await engine.trainer.wait(engine.trainer.start(args).id);
        assert.equal(done.status, 'succeeded', done.error?.message);
        return engine.registry.onnxBytes(done.result!.model, done.result!.version).length;
      };
      gbdtBytes = await fitOne({
        dataset: 'churn',
        target: 'label',
        algorithm: 'gbdt',
        trees: 200,
        earlyStoppingRounds: 0,
        model: 'g',
      });
      linearBytes = await fitOne({ dataset: 'churn', target: 'label', algorithm: 'linear', model: 'l' });
      // The limit: ten times the linear model, still far under the boosted one.
      const maxSize = Math.ceil((10 * linearBytes) / 1024);
      assert.ok(maxSize * 1024 < gbdtBytes / 4, `${linearBytes} B linear, ${gbdtBytes} B gbdt`);
      const done = await engine.trainer.wait(
        engine.trainer.start({ dataset: 'churn', target: 'label', algorithm: 'auto', timeBudget: 12, maxSize, model: 'limited' })
          .id,
      );
      assert.equal(done.status, 'succeeded', done.error?.message);
      const info = engine.registry.version('limited', done.result!.version);
      const board = info.report.leaderboard as LeaderboardEntry[];
      const limits = (info.report.search as { limits: LimitsReport }).limits;
      assert.equal(limits.maxSizeKb, maxSize);
      assert.equal(limits.maxLatencyUs, null);
      // The first candidate (gbdt with its defaults) is always measured, and a boosted model is far over.
      const firstGbdt = board.find((e) => e.trial === 1)!;
      assert.equal(firstGbdt.algorithm, 'gbdt');
      assert.deepEqual(firstGbdt.overLimit, ['size']);
      assert.ok(firstGbdt.modelBytes! > maxSize * 1024 && firstGbdt.latencyUs! > 0);
      // Every entry over the limit is on the board, marked; the registered model is within it.
      const bytes = engine.registry.onnxBytes('limited', info.version).length;
      assert.ok(bytes <= maxSize * 1024, `${bytes} B registered, limit ${maxSize} KB (${info.algorithm})`);
      assert.ok(info.algorithm !== 'gbdt' && info.algorithm !== 'forest', info.algorithm);
      assert.ok(limits.finalChecks.length >= 1 && limits.finalChecks.at(-1)!.kept);
      assert.deepEqual(limits.registered!.overLimit, []);
      assert.equal(limits.registered!.modelBytes, bytes);
      // Measured entries carry both figures; the chosen learner's entry is within the limits.
      for (const e of board.filter((x) => x.overLimit !== undefined)) {
        assert.ok(e.modelBytes! > 0 && e.latencyUs! > 0);
        assert.equal(e.overLimit!.includes('size'), e.modelBytes! > maxSize * 1024);
      }
      assert.ok(board.some((e) => e.algorithm === info.algorithm && e.overLimit?.length === 0));
    } finally {
      engine.close();
    }
  });

  it('an impossible limit: BUDGET_UNMET naming the smallest and fastest, nothing registered (CLI)', () => {
    const r = spawnSync(
      process.execPath,
      [
        bin,
        'train',
        '--data-dir',
        dataDir,
        '--dataset',
        'churn',
        '--target',
        'label',
        '--algorithm',
        'auto',
        '--time-budget',
        '4',
        '--max-size',
        '0.1',
        '--max-latency-us',
        '0.5',
        '--model',
        'never',
        '--json',
      ],
      { encoding: 'utf8', env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' } },
    );
    assert.notEqual(r.status, 0, r.stdout);
    const error = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      error: { code: string; message: string; details: { smallest: { modelBytes: number } } };
    };
    assert.equal(error.error.code, 'BUDGET_UNMET', r.stderr);
    assert.match(error.error.message, /smallest was \w+ at [\d.]+ KB, the fastest \w+ at [\d.]+ µs/);
    assert.ok(error.error.details.smallest.modelBytes > 100);
    const list = spawnSync(process.execPath, [bin, 'models', 'list', '--data-dir', dataDir, '--json'], { encoding: 'utf8' });
    const names = (JSON.parse(list.stdout) as { name: string }[]).map((m) => m.name);
    assert.ok(!names.includes('never'), names.join(','));
  });

  it('hostile limits are refused before anything runs: negative, zero, huge, not a number', () => {
    for (const limit of [['--max-size=-1'], ['--max-size', '0'], ['--max-latency-us', '1e12'], ['--max-latency-us', 'fast']]) {
      const r = spawnSync(
        process.execPath,
        [
          bin,
          'train',
          '--data-dir',
          dataDir,
          '--dataset',
          'churn',
          '--target',
          'label',
          '--algorithm',
          'auto',
          ...limit,
          '--json',
        ],
        { encoding: 'utf8', env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' } },
      );
      // Refused as usage (exit 2) by the flag's own schema, before the store is opened.
      assert.equal(r.status, 2, `${limit.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout + r.stderr, /max-size|max-latency-us/, limit.join(' '));
    }
  });

  it('limits with one learner are refused at once, naming the field', async () => {
    const engine = Engine.open(dataDir);
    try {
      assert.throws(
        () => engine.trainer.start({ dataset: 'churn', target: 'label', algorithm: 'gbdt', maxSize: 10 }),
        (e: { code?: string; details?: { path?: string[] } }) =>
          e.code === 'VALIDATION_FAILED' && e.details?.path?.[0] === 'maxSize',
      );
    } finally {
      engine.close();
    }
  });
});
