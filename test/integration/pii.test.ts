import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHandlers, type Handlers } from '../../main/api/handlers.js';
import { pseudonym } from '../../main/privacy/pii.js';
import { SecretBox } from '../../main/security/secrets.js';
import { writeFile } from '../helpers.js';
import { startHarness, type Harness } from './harness.js';

const ctx = { transport: 'in-process' } as const;

/** Every byte under the data folder (database, WAL, blobs): where a raw value must not be. */
function storeBytes(dir: string): Buffer {
  const parts: Buffer[] = [];
  for (const entry of readdirSync(dir, { recursive: true })) {
    const path = join(dir, String(entry));
    if (statSync(path).isFile()) parts.push(readFileSync(path));
  }
  return Buffer.concat(parts);
}

function customers(rows: number): string {
  const lines = ['email,full_name,zip,age,plan,label'];
  const given = ['Ann', 'John', 'Maria', 'Olivia', 'James', 'Sophie'];
  const family = ['Smith', 'Garcia', 'Rossi', 'Nguyen', 'Patel', 'Dubois'];
  for (let i = 0; i < rows; i++) {
    const g = given[i % 6]!;
    const f = family[(i * 7) % 6]!;
    const age = 20 + ((i * 13) % 50);
    const plan = ['gold', 'silver', 'bronze'][i % 3]!;
    lines.push(
      `${g.toLowerCase()}.${f.toLowerCase()}${i}@example.com,${g} ${f},${['94105', '10001', '60601'][i % 3]},${age},${plan},${age > 45 ? 'churned' : 'stayed'}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('PII policies applied before storage, at serving and in the prediction log', () => {
  let h: Harness;
  let api: Handlers;
  before(async () => {
    h = await startHarness('in-process');
    api = createHandlers(h.engine);
  });
  after(() => h?.close());

  it('suggests a policy per personal column and stores nothing while scanning', async () => {
    const file = writeFile(h.dataDir, '../customers.csv', customers(600));
    const scan = await api['datasets.pii-scan']({ path: file }, ctx);
    assert.deepEqual(
      scan.detections.map((d) => [d.column, d.type, d.suggested]),
      [
        ['email', 'email', 'hash'],
        ['full_name', 'person-name', 'hash'],
        ['zip', 'postcode', 'generalise'],
      ],
    );
    assert.equal(h.engine.datasets.list().length, 0);
  });

  it('keeps raw values off the disk, and predicts and logs on what the model learnt from', async () => {
    const file = writeFile(h.dataDir, '../customers.csv', customers(600));
    await api['datasets.ingest'](
      {
        name: 'customers',
        path: file,
        pii: {
          email: { policy: 'hash', type: 'email' },
          full_name: { policy: 'drop', type: 'person-name' },
          zip: { policy: 'generalise', type: 'postcode' },
          age: { policy: 'generalise', type: null },
        },
      },
      ctx,
    );
    const version = h.engine.datasets.version('customers');
    assert.deepEqual(
      version.schema.map((c) => `${c.name}:${c.type}`),
      ['email:categorical', 'zip:categorical', 'age:categorical', 'plan:categorical', 'label:categorical'],
    );
    const key = new SecretBox(h.dataDir).derive('pii-pseudonyms');
    const { frame } = h.engine.datasets.loadFrame('customers');
    const email = frame.columns.find((c) => c.name === 'email')!;
    assert.ok(email.kind === 'string');
    assert.equal(email.dictionary[0], pseudonym(key, 'ann.smith0@example.com'));
    const zip = frame.columns.find((c) => c.name === 'zip')!;
    assert.ok(zip.kind === 'string');
    assert.deepEqual([...zip.dictionary].sort(), ['100**', '606**', '941**']);

    const job = h.engine.trainer.start({ dataset: 'customers', target: 'label', algorithm: 'gbdt', model: 'churn', seed: 1 });
    assert.equal((await h.engine.trainer.wait(job.id)).status, 'succeeded');
    // The request carries raw values; the model sees bands, as in training, and answers as it would on them.
    const raw = await api['models.predict'](
      {
        name: 'churn',
        rows: [{ email: 'new.person@example.com', full_name: 'New Person', zip: '94110', age: 61, plan: 'gold' }],
      },
      ctx,
    );
    const banded = await api['models.predict'](
      { name: 'churn', rows: [{ email: pseudonym(key, 'new.person@example.com'), zip: '941**', age: '60-69', plan: 'gold' }] },
      ctx,
    );
    assert.deepEqual(raw.predictions[0], { ...banded.predictions[0], id: raw.predictions[0]!.id });
    assert.equal('label' in raw.predictions[0] && raw.predictions[0].label, 'churned');

    const logged = await h.engine.predictionLog.rows('churn');
    assert.deepEqual(logged[0]!.inputs.zip, '941**');
    assert.deepEqual(logged[0]!.inputs.age, '60-69');
    await h.engine.predictionLog.flushed();
    const bytes = storeBytes(h.dataDir);
    // (Five-digit codes are not searched for: hex digests and binary blobs hold such runs by chance.)
    for (const secret of ['ann.smith0@example.com', 'new.person@example.com', 'Maria Garcia', 'New Person'])
      assert.equal(bytes.includes(secret), false, `"${secret}" reached the disk`);
  });

  it("applies the dataset's policies to later versions and appended rows too", async () => {
    const result = await api['datasets.append'](
      {
        name: 'customers',
        rows: [{ email: 'late@example.com', full_name: 'Late Comer', zip: '10002', age: 33, plan: 'gold', label: 'stayed' }],
      },
      ctx,
    );
    assert.deepEqual(result.ignoredFields, []);
    const { frame } = h.engine.datasets.loadFrame('customers');
    const zip = frame.columns.find((c) => c.name === 'zip')!;
    assert.ok(zip.kind === 'string');
    assert.equal(zip.dictionary[zip.codes[frame.rowCount - 1]!], '100**');
    assert.deepEqual(Object.keys(await api['datasets.pii-policies']({ name: 'customers' }, ctx)).sort(), [
      'age',
      'email',
      'full_name',
      'zip',
    ]);
    assert.equal(storeBytes(h.dataDir).includes('late@example.com'), false);
  });

  it('measures k-anonymity over quasi-identifiers', async () => {
    // zip and plan follow the row number together (three groups of 200); the appended row is a fourth, alone.
    const report = await api['datasets.k-anonymity']({ name: 'customers', columns: ['zip', 'plan'], k: 5 }, ctx);
    assert.deepEqual(
      { k: report.k, groups: report.groups, groupsBelowK: report.groupsBelowK, rowsBelowK: report.rowsBelowK },
      { k: 1, groups: 4, groupsBelowK: 1, rowsBelowK: 1 },
    );
    assert.deepEqual(report.smallest[0], { values: ['100**', 'gold'], rows: 1 });
    // Pseudonymised e-mails still single out every row: a direct identifier is no quasi-identifier to publish.
    assert.equal((await api['datasets.k-anonymity']({ name: 'customers', columns: ['email'], k: 2 }, ctx)).groups, 601);
  });
});
