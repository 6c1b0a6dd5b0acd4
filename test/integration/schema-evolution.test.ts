import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeFile } from '../helpers.js';
import { startHarness, waitForJob, type Harness } from './harness.js';

/** A small table: `id` integer, `price` integer or number, `kind` categorical, plus whatever `extra` adds. */
function csv(
  rows: number,
  options: { priceDecimals?: boolean; kinds?: string[]; extra?: string; drop?: string; text?: string } = {},
): string {
  const kinds = options.kinds ?? ['a', 'b', 'c'];
  const columns = ['id', 'price', 'kind', ...(options.extra === undefined ? [] : [options.extra])].filter(
    (c) => c !== options.drop,
  );
  const lines = [columns.join(',')];
  for (let i = 0; i < rows; i++) {
    const values: Record<string, string> = {
      id: String(i + 1),
      price:
        options.text === 'price'
          ? `p${10 + (i % 7)}`
          : options.priceDecimals === true
            ? (10 + (i % 7) + 0.25).toFixed(2)
            : String(10 + (i % 7)),
      kind: kinds[i % kinds.length]!,
      ...(options.extra === undefined ? {} : { [options.extra]: String(i % 2 === 0) }),
    };
    lines.push(columns.map((c) => values[c]!).join(','));
  }
  return `${lines.join('\n')}\n`;
}

describe('schema evolution: each change, with its expected outcome', () => {
  let h: Harness;
  const ingest = (file: string, content: string, force = false) =>
    h.client.call('datasets.ingest', { name: 'orders', path: writeFile(h.dataDir, file, content), ...(force ? { force } : {}) });
  before(async () => {
    h = await startHarness('in-process');
    await ingest('v1.csv', csv(300));
  });
  after(() => h?.close());

  it('an added column and new categorical levels make a new version that reports them', async () => {
    const result = await ingest('v2.csv', csv(300, { extra: 'gift', kinds: ['a', 'b', 'c', 'd', 'e'] }));
    assert.equal(result.version, 2);
    assert.deepEqual(result.schemaChanges, {
      added: [{ column: 'gift', type: 'boolean' }],
      dropped: [],
      retyped: [],
      newLevels: [{ column: 'kind', levels: ['d', 'e'], count: 2 }],
    });
  });

  it('whole numbers in a number column keep it a number (inference is not a change); decimals widen an integer column', async () => {
    const widened = await ingest('v3.csv', csv(300, { priceDecimals: true }));
    assert.deepEqual(widened.schemaChanges?.retyped, [{ column: 'price', from: 'integer', to: 'number', widening: true }]);
    assert.deepEqual(widened.schemaChanges?.dropped, [{ column: 'gift', type: 'boolean' }]);
    const whole = await ingest('v4.csv', csv(300));
    assert.deepEqual(whole.schemaChanges?.retyped, []);
    assert.equal(whole.columns.find((c) => c.name === 'price')?.type, 'number');
  });

  it('a narrowing change (a number column that now holds text) is refused and leaves the store as it was; --force accepts it', async () => {
    const before = await h.client.call('datasets.versions', { name: 'orders' });
    await assert.rejects(
      ingest('v5.csv', csv(300, { text: 'price' })),
      (e: Error & { code?: string }) =>
        e.code === 'VALIDATION_FAILED' && /narrow the schema \("price" number → categorical\).*--force/.test(e.message),
    );
    assert.deepEqual(await h.client.call('datasets.versions', { name: 'orders' }), before);
    const forced = await ingest('v5.csv', csv(300, { text: 'price' }), true);
    assert.deepEqual(forced.schemaChanges?.retyped, [{ column: 'price', from: 'number', to: 'categorical', widening: false }]);
  });

  it('a model trained on an old version scores newer rows while its inputs are there, and names the one that is not', async () => {
    const job = await h.client.call('training.start', {
      dataset: 'orders',
      datasetVersion: 1,
      target: 'kind',
      algorithm: 'linear',
      model: 'kinds',
    });
    assert.equal((await waitForJob(h.client, job.id)).status, 'succeeded');
    // v3's rows: price widened to number, an input still there.
    const scored = await h.client.call('models.predict', { name: 'kinds', rows: [{ id: 5, price: 12.25 }] });
    assert.equal(scored.predictions.length, 1);
    const evaluated = await h.client.call('models.evaluate', {
      name: 'kinds',
      path: writeFile(h.dataDir, 'newer.csv', csv(60, { priceDecimals: true, extra: 'gift' })),
    });
    assert.equal(evaluated.rows, 60);
    await assert.rejects(
      h.client.call('models.evaluate', { name: 'kinds', path: writeFile(h.dataDir, 'dropped.csv', csv(60, { drop: 'price' })) }),
      (e: Error & { code?: string }) =>
        e.code === 'VALIDATION_FAILED' && /no column "price", which the model needs/.test(e.message),
    );
  });
  it('a many-levelled string column stays categorical when a small file of it repeats too little to look it', async () => {
    const codes = (rows: number, repeat: number) =>
      `code,n\n${Array.from({ length: rows }, (_, i) => `AP${String(Math.floor(i / repeat) % 1_100).padStart(4, '0')},${i}`).join('\n')}\n`;
    const call = (file: string, content: string) =>
      h.client.call('datasets.ingest', { name: 'airports', path: writeFile(h.dataDir, file, content) });
    // 1,100 codes three times each: categorical. Then 600 rows, most codes once: alone, that file reads as text.
    const first = await call('codes1.csv', codes(3_300, 3));
    assert.equal(first.columns.find((c) => c.name === 'code')?.type, 'categorical');
    const next = await call('codes2.csv', codes(600, 1));
    assert.equal(next.version, 2);
    assert.equal(next.columns.find((c) => c.name === 'code')?.type, 'categorical');
    assert.deepEqual(next.schemaChanges?.retyped, []);
  });
});
