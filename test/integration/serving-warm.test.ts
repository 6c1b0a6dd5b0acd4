import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { Engine } from '../../main/engine/engine.js';
import { syntheticCsv, tempDir, writeFile } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

describe('serving warm-up', () => {
  it('loads each version ahead of its first request; one whose graph is damaged is reported, and the rest still load', async () => {
    const engine = Engine.open(tmp.dir);
    try {
      // Three data sets, so three different graphs (the store keeps one blob per content).
      for (const [model, seed] of [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ] as const) {
        await engine.datasets.ingestCsv(model, writeFile(tmp.dir, `${model}.csv`, syntheticCsv('binary', 400, seed)));
        const job = engine.trainer.start({ dataset: model, target: 'label', algorithm: 'linear', model });
        assert.equal((await engine.trainer.wait(job.id)).status, 'succeeded');
      }
      // b's ONNX graph damaged on disk: its bytes no longer match their digest.
      const damaged = engine.registry.version('b', 1).onnxDigest;
      assert.equal(new Set(['a', 'b', 'c'].map((m) => engine.registry.version(m, 1).onnxDigest)).size, 3);
      writeFileSync(engine.blobs.pathOf(damaged), 'not an onnx graph');
      assert.equal(engine.predictors.has('a', 1), false);
      const { loaded, failed } = await engine.predictors.warm([
        { model: 'a', version: 1 },
        { model: 'b', version: 1 },
        { model: 'c', version: 1 },
      ]);
      assert.deepEqual(loaded, ['a@1', 'c@1'], JSON.stringify(failed));
      assert.deepEqual(
        failed.map((f) => f.key),
        ['b@1'],
      );
      assert.match(failed[0]!.message, /damaged/);
      assert.ok(engine.predictors.has('a', 1) && engine.predictors.has('c', 1));
      // A failed load is not kept: the request that asks for it later gets the load's own error.
      assert.equal(engine.predictors.has('b', 1), false);
      await assert.rejects(engine.predictors.get('b', 1), /damaged/);
      // The loaded ones answer at once, from the warm session, and in the same turn (ready): a failed or an unknown
      // version is not ready, and neither is one still loading.
      const predictor = await engine.predictors.get('a', 1);
      assert.equal(predictor.version, 1);
      assert.equal(engine.predictors.ready('a', 1), predictor);
      assert.equal(engine.predictors.ready('b', 1), undefined);
      assert.equal(engine.predictors.ready('a', 2), undefined);
      engine.predictors.reloadAll();
      assert.equal(engine.predictors.ready('a', 1), undefined);
      const reloading = engine.predictors.get('a', 1);
      assert.equal(engine.predictors.ready('a', 1), undefined, 'a version still loading is not ready');
      const reloaded = await reloading;
      assert.notEqual(reloaded, predictor);
      assert.equal(engine.predictors.ready('a', 1), reloaded);
      // Past close, a warm-up starts nothing.
      await engine.predictors.close();
      assert.deepEqual(await engine.predictors.warm([{ model: 'c', version: 1 }]), { loaded: [], failed: [] });
    } finally {
      engine.close();
    }
  });
});
