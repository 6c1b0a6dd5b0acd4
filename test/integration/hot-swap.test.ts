import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHandlers } from '../../main/api/handlers.js';
import { syntheticCsv, writeFile } from '../helpers.js';
import { startHarness, testToken, type Harness } from './harness.js';

const ctx = { transport: 'in-process' } as const;

describe('moving an alias under load, canaries and shadows', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('http');
    await h.engine.datasets.ingestCsv('churn', writeFile(h.dataDir, 'churn.csv', syntheticCsv('binary', 800)));
    for (const algorithm of ['linear', 'gbdt'] as const) {
      const job = h.engine.trainer.start({ dataset: 'churn', target: 'label', algorithm, model: 'churn', seed: 1 });
      assert.equal((await h.engine.trainer.wait(job.id)).status, 'succeeded');
    }
  });
  after(() => h?.close());

  it('swaps the served version back and forth with no request failed or dropped', async () => {
    const url = `${h.server!.url}/v1/models/churn/predict`;
    const body = JSON.stringify({ rows: [{ x1: 0.4, x2: 2.2, colour: 'red', flag: true }] });
    const served = new Map<number, number>();
    const failures: string[] = [];
    let requests = 0;
    let running = true;
    const client = async (): Promise<void> => {
      while (running) {
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers: { authorization: `Bearer ${testToken}`, 'content-type': 'application/json' },
            body,
          });
          const result = (await response.json()) as { version?: number };
          requests++;
          if (response.status !== 200 || result.version === undefined)
            failures.push(`${response.status} ${JSON.stringify(result)}`);
          else served.set(result.version, (served.get(result.version) ?? 0) + 1);
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const clients = Array.from({ length: 8 }, () => client());
    // Promote and roll back every 50 ms for two seconds, as an operator (or a followed remote alias) might; on a box
    // so loaded that two seconds answer fewer than 200 requests, on until they have (at most 20 s), so the swaps are
    // always measured under load.
    for (let i = 0; i < 40 || (requests <= 200 && i < 400); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (i % 2 === 0) h.engine.registry.promote('churn', 2);
      else h.engine.registry.rollback('churn');
    }
    running = false;
    await Promise.all(clients);
    // A loaded box may stop the loop just after a promotion: the next test starts from version 1 served.
    if (h.engine.registry.resolve('churn') !== 1) h.engine.registry.rollback('churn');
    assert.equal(h.engine.registry.resolve('churn'), 1);
    assert.deepEqual(failures, []);
    assert.ok(requests > 200, `${requests} requests`);
    assert.ok((served.get(1) ?? 0) > 0 && (served.get(2) ?? 0) > 0, `both versions served: ${JSON.stringify([...served])}`);
  });

  it('a canary answers its share of requests; a shadow predicts them all, logged and labelled, never returned', async () => {
    const api = createHandlers(h.engine);
    assert.equal(h.engine.registry.resolve('churn'), 1);
    const row = { x1: 0.4, x2: 2.2, colour: 'red', flag: true };
    await api['models.set-route']({ name: 'churn', canary: { version: 2, share: 0.3 } }, ctx);
    let canary = 0;
    for (let i = 0; i < 1000; i++) if ((await api['models.predict']({ name: 'churn', rows: [row] }, ctx)).version === 2) canary++;
    // Binomial(1000, 0.3): 300 ± 14.5; 5 standard deviations either side.
    assert.ok(canary > 227 && canary < 373, `${canary} of 1000 answered by the canary`);
    // A request naming its version is not rerouted.
    assert.equal((await api['models.predict']({ name: 'churn', version: 1, rows: [row] }, ctx)).version, 1);

    const route = await api['models.set-route']({ name: 'churn', canary: null, shadow: 2 }, ctx);
    assert.deepEqual(route, { model: 'churn', canary: null, shadow: 2 });
    const since = new Date().toISOString();
    const answers = [];
    for (let i = 0; i < 20; i++)
      answers.push(await api['models.predict']({ name: 'churn', rows: [row, { ...row, x1: -1 }] }, ctx));
    assert.ok(
      answers.every((a) => a.version === 1),
      'production answers',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const shadowRows = await h.engine.predictionLog.rows('churn', { version: 2, since });
    assert.equal(shadowRows.length, 40, 'the shadow predicted every row');
    const firstId = answers[0]!.predictions[0]!.id!;
    await api['models.feedback']({ name: 'churn', labels: [{ id: firstId, label: 'good' }] }, ctx);
    const labelled = (await h.engine.predictionLog.rows('churn', { version: 2, since })).filter((r) => r.label !== null);
    assert.equal(labelled.length, 1, 'the label reached the shadow row too');
    await assert.rejects(
      api['models.set-route']({ name: 'churn', canary: { version: 1, share: 0.5 } }, ctx),
      /production already/,
    );
  });
});
