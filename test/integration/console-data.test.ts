import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '../../main/contracts/client.js';
import { numberBounds, numberField } from '../../main/contracts/validate.js';
import { differingParams } from '../../main/training/runs.js';
import { writeFile } from '../helpers.js';
import { startHarness, waitForJob, type Harness } from './harness.js';

/*
 * What the console's forms and lists read from the API: models.schema (the predict form), runs.tag (the runs list),
 * runs.compare's differing parameters, and training.start refusing a field that is not a number.
 */

/** 240 rows whose ranges and levels are known by construction. */
function customersCsv(): string {
  const plans = ['basic', 'pro', 'team'];
  const lines = ['age,plan,signup,active,income,churned'];
  for (let i = 0; i < 240; i++) {
    const age = 18 + (i % 63); // 18 … 80
    const plan = plans[i % 3]!;
    const signup = new Date(Date.UTC(2024, 0, 1 + (i % 60))).toISOString().slice(0, 10); // 2024-01-01 … 2024-02-29
    const income = 1000 + i * 33.5; // 1000 … 9006.5, halves: a number column
    const churned = (age < 35 && plan === 'basic') || i % 11 === 0 ? 'yes' : 'no';
    lines.push(`${age},${plan},${signup},${i % 2 === 0},${income},${churned}`);
  }
  return `${lines.join('\n')}\n`;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

describe('models.schema, runs.tag and the forms’ checks', () => {
  let h: Harness;
  let gbdtRun: string;
  let linearRun: string;
  before(async () => {
    h = await startHarness('http');
    await h.engine.datasets.ingestCsv('customers', writeFile(h.dataDir, '../customers.csv', customersCsv()));
    const gbdt = await h.client.call('training.start', {
      dataset: 'customers',
      target: 'churned',
      algorithm: 'gbdt',
      trees: 10,
      model: 'churn',
    });
    assert.equal((await waitForJob(h.client, gbdt.id)).status, 'succeeded');
    const linear = await h.client.call('training.start', {
      dataset: 'customers',
      target: 'churned',
      algorithm: 'linear',
      model: 'churn',
    });
    assert.equal((await waitForJob(h.client, linear.id)).status, 'succeeded');
    gbdtRun = gbdt.id;
    linearRun = linear.id;
  });
  after(() => h?.close());

  it('gives a tree model’s inputs: kinds, the levels it knows, the training ranges, and TreeSHAP', async () => {
    const schema = await h.client.call('models.schema', { name: 'churn', version: 1 });
    assert.equal(schema.algorithm, 'gbdt');
    const byName = Object.fromEntries(schema.inputs.map((i) => [i.name, i]));
    assert.deepEqual(Object.keys(byName).sort(), ['active', 'age', 'income', 'plan', 'signup']);
    assert.deepEqual([byName.age!.kind, byName.age!.min, byName.age!.max, byName.age!.levels], ['integer', 18, 80, null]);
    assert.deepEqual([byName.income!.kind, byName.income!.min, byName.income!.max], ['number', 1000, 9006.5]);
    assert.deepEqual(
      [byName.plan!.kind, byName.plan!.type, byName.plan!.levels],
      ['category', 'string', ['basic', 'pro', 'team']],
    );
    assert.equal(byName.signup!.kind, 'date');
    assert.deepEqual(byName.signup!.dates, { min: '2024-01-01', max: '2024-02-29' });
    assert.equal(byName.signup!.min, Date.UTC(2024, 0, 1));
    assert.equal(byName.active!.kind, 'boolean');
    assert.deepEqual([schema.explain, schema.explainRefusal], ['treeshap', null]);
    assert.deepEqual(schema.rangesFrom, { dataset: 'customers', version: 1 });
  });

  it('gives a linear model’s inputs (no date: linear models leave datetime columns out) and linear SHAP', async () => {
    const schema = await h.client.call('models.schema', { name: 'churn', version: 2 });
    assert.equal(schema.algorithm, 'linear');
    assert.deepEqual(schema.inputs.map((i) => i.name).sort(), ['active', 'age', 'income', 'plan']);
    assert.deepEqual(schema.inputs.find((i) => i.name === 'plan')?.levels, ['basic', 'pro', 'team']);
    assert.equal(schema.explain, 'linear-shap');
    await expectCode(h.client.call('models.schema', { name: 'churn', version: 9 }), 'NOT_FOUND');
    await expectCode(h.client.call('models.schema', { name: 'nothing' }), 'NOT_FOUND');
  });

  it('refuses "abc" for trees, naming the field, and trains nothing', async () => {
    const before = (await h.client.call('training.list', {})).length;
    const error = await expectCode(
      h.client.call('training.start', {
        dataset: 'customers',
        target: 'churned',
        algorithm: 'gbdt',
        trees: 'abc' as unknown as number,
      }),
      'VALIDATION_FAILED',
    );
    const issues = (error.details as { issues: { path: string[]; message: string }[] }).issues;
    assert.deepEqual(
      issues.map((i) => i.path),
      [['trees']],
    );
    await expectCode(
      h.client.call('training.start', { dataset: 'customers', target: 'churned', algorithm: 'gbdt', trees: 0 }),
      'VALIDATION_FAILED',
    );
    assert.equal((await h.client.call('training.list', {})).length, before);
    assert.deepEqual(
      (await h.client.call('models.list', {})).map((m) => m.versions),
      [2],
    );
  });

  it('reads a form field as the schema does: text, bounds, whole numbers (the console’s check)', () => {
    const bounds = numberBounds('training.start');
    assert.deepEqual(bounds.trees, {
      integer: true,
      minimum: 1,
      maximum: 10_000,
      exclusiveMinimum: false,
      exclusiveMaximum: false,
    });
    assert.deepEqual(bounds.learningRate, {
      integer: false,
      minimum: 0,
      maximum: 1,
      exclusiveMinimum: true,
      exclusiveMaximum: false,
    });
    assert.deepEqual(numberField(bounds.trees, 'abc'), {
      ok: false,
      message: '“abc” is not a number: expected a whole number from 1 to 10000',
    });
    assert.deepEqual(numberField(bounds.trees, '0x10'), {
      ok: false,
      message: '“0x10” is not a number: expected a whole number from 1 to 10000',
    });
    assert.deepEqual(numberField(bounds.trees, '2.5'), {
      ok: false,
      message: '2.5 is out of range: expected a whole number from 1 to 10000',
    });
    assert.deepEqual(numberField(bounds.trees, '10001').ok, false);
    assert.deepEqual(numberField(bounds.trees, ' 300 '), { ok: true, value: 300 });
    assert.deepEqual(numberField(bounds.trees, ''), { ok: true, value: undefined });
    assert.deepEqual(numberField(bounds.learningRate, '0').ok, false);
    assert.deepEqual(numberField(bounds.learningRate, '1'), { ok: true, value: 1 });
  });

  it('tags a run, keeps tags sorted and once each, and takes one off', async () => {
    assert.deepEqual((await h.client.call('runs.tag', { id: gbdtRun, tag: 'candidate' })).tags, ['candidate']);
    await h.client.call('runs.tag', { id: gbdtRun, tag: 'baseline' });
    assert.deepEqual((await h.client.call('runs.tag', { id: gbdtRun, tag: 'baseline' })).tags, ['baseline', 'candidate']);
    const listed = (await h.client.call('runs.list', {})).find((r) => r.id === gbdtRun);
    assert.deepEqual(listed?.tags, ['baseline', 'candidate']);
    assert.deepEqual((await h.client.call('runs.show', { id: gbdtRun })).run.tags, ['baseline', 'candidate']);
    assert.deepEqual((await h.client.call('runs.tag', { id: gbdtRun, tag: 'candidate', remove: true })).tags, ['baseline']);
    assert.deepEqual((await h.client.call('runs.list', {})).find((r) => r.id === linearRun)?.tags, []);
  });

  it('refuses a huge or odd tag, a 21st tag, an unknown run, and a viewer, leaving the tags as they were', async () => {
    const tagsOf = async () => (await h.client.call('runs.show', { id: gbdtRun })).run.tags;
    const was = await tagsOf();
    for (const tag of ['x'.repeat(100_000), 'a b', '-lead', '', 'tab\there', 'nul\u0000', '<script>', 'x'.repeat(41)])
      await expectCode(h.client.call('runs.tag', { id: gbdtRun, tag }), 'VALIDATION_FAILED');
    await expectCode(h.client.call('runs.tag', { id: 'not-a-uuid', tag: 'ok' }), 'VALIDATION_FAILED');
    await expectCode(h.client.call('runs.tag', { id: '00000000-0000-4000-8000-000000000000', tag: 'ok' }), 'NOT_FOUND');
    assert.deepEqual(await tagsOf(), was);

    for (let i = 0; i < 19; i++) await h.client.call('runs.tag', { id: linearRun, tag: `t${String(i).padStart(2, '0')}` });
    await h.client.call('runs.tag', { id: linearRun, tag: 'last' });
    const full = await expectCode(h.client.call('runs.tag', { id: linearRun, tag: 'one-more' }), 'CONFLICT');
    assert.deepEqual(full.details, { path: ['tag'] });
    // A tag it has already is no new tag: accepted.
    assert.equal((await h.client.call('runs.tag', { id: linearRun, tag: 'last' })).tags.length, 20);

    const { token } = await h.client.call('tokens.create', { name: 'viewer-tags', role: 'viewer' });
    const response = await fetch(`${h.server!.url}/api/runs.tag`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ id: gbdtRun, tag: 'viewer-was-here' }),
    });
    assert.equal(response.status, 403);
    assert.equal(((await response.json()) as { code: string }).code, 'FORBIDDEN');
    assert.deepEqual(await tagsOf(), was);
  });

  it('names the parameters two runs do not share', async () => {
    const comparison = await h.client.call('runs.compare', { ids: [gbdtRun, linearRun] });
    // l2 is in both with other values (gbdt's leaf L2 1, linear's 0.0001); trees only in the tree run.
    assert.ok(comparison.differingParams.includes('l2'), comparison.differingParams.join());
    assert.ok(comparison.differingParams.includes('trees'));
    assert.deepEqual(comparison.differingParams, [...comparison.differingParams].sort());
    for (const p of comparison.differingParams) {
      const values = [gbdtRun, linearRun].map((id) => JSON.stringify(comparison.params[id]?.[p]));
      assert.notEqual(values[0], values[1], p);
    }
  });

  it('computes differing parameters by value, a missing one counting as different', () => {
    assert.deepEqual(
      differingParams([
        { a: 1, b: [64, 32], c: 'x', d: null },
        { a: 1, b: [64, 32], c: 'y', e: 0 },
        { a: 1, b: [64, 16], c: 'x', d: null },
      ]),
      ['b', 'c', 'd', 'e'],
    );
    assert.deepEqual(differingParams([{ a: 1 }, { a: 1 }]), []);
  });
});
