import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { syntheticCsv, writeFile } from '../helpers.js';
import { startHarness, testToken, type Harness } from './harness.js';

describe('moving an alias under load', () => {
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
    // Promote and roll back every 50 ms for two seconds, as an operator (or a followed remote alias) might.
    for (let i = 0; i < 40; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (i % 2 === 0) h.engine.registry.promote('churn', 2);
      else h.engine.registry.rollback('churn');
    }
    running = false;
    await Promise.all(clients);
    assert.deepEqual(failures, []);
    assert.ok(requests > 200, `${requests} requests`);
    assert.ok((served.get(1) ?? 0) > 0 && (served.get(2) ?? 0) > 0, `both versions served: ${JSON.stringify([...served])}`);
  });
});
