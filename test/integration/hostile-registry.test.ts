import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '../../main/contracts/client.js';
import { exportModelToOnnx, onnxInputSchema, type TrainedModel } from '../../main/models/model.js';
import { knownLinear } from '../fixtures/known-linear.js';
import { syntheticCsv, writeFile } from '../helpers.js';
import { startHarness, type Harness } from './harness.js';

const codeOf = async (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'ok',
    (e: unknown) => (e instanceof ApiError ? e.code : String(e)),
  );

describe('hostile callers of export, aliases, explain and the overview', () => {
  let h: Harness;
  const tokens: Record<'viewer' | 'service' | 'analyst', string> = { viewer: '', service: '', analyst: '' };
  let register: (model: string, stored: TrainedModel) => unknown;

  before(async () => {
    h = await startHarness('http');
    await h.engine.datasets.ingestCsv('customers', writeFile(h.dataDir, '../customers.csv', syntheticCsv('binary', 100)));
    const datasetVersionId = (await h.engine.datasets.detail('customers', 1)).id;
    register = (model, stored) =>
      h.engine.registry.register({
        model,
        algorithm: 'linear',
        task: stored.task,
        target: stored.target,
        datasetVersionId,
        params: {},
        metrics: { roc_auc: 0.8 },
        report: {},
        inputSchema: onnxInputSchema(stored),
        onnx: exportModelToOnnx(stored, 'test'),
        modelJson: JSON.stringify(stored),
      });
    register('k', knownLinear(-0.2));
    register('k', knownLinear(0.4));
    for (const role of ['viewer', 'service', 'analyst'] as const)
      tokens[role] = (await h.client.call('tokens.create', { name: `${role}-h`, role })).token;
  });
  after(() => h?.close());

  const post = (path: string, token: string, body: unknown, accept?: string) =>
    fetch(`${h.server!.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        ...(accept === undefined ? {} : { accept }),
      },
      body: JSON.stringify(body),
    });

  it('no spelling of the route and no Accept header gives a viewer or a service token the graph', async () => {
    const paths = [
      '/api/models.export',
      '/api/models%2Eexport',
      '/api/./models.export',
      '/api/models.export?download=1',
      '/api/models.export/',
      '/API/models.export',
      '/api//models.export',
      '/api/Models.Export',
      '/v1/models/k/export',
    ];
    const accepts = [undefined, 'application/octet-stream', '*/*', 'application/json, application/octet-stream;q=0.9'];
    for (const role of ['viewer', 'service'] as const)
      for (const path of paths)
        for (const accept of accepts) {
          const response = await post(path, tokens[role], { name: 'k' }, accept);
          assert.ok(response.status === 403 || response.status === 404, `${role} ${path} ${accept}: ${response.status}`);
          assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
          const body = (await response.json()) as { code: string; base64?: string };
          assert.ok(body.base64 === undefined && ['FORBIDDEN', 'NOT_FOUND'].includes(body.code), `${role} ${path}`);
        }
    const denied = (await h.client.call('audit.list', { limit: 200 })).filter(
      (e) => e.action === 'models.export' && e.outcome === 'denied',
    );
    assert.deepEqual([...new Set(denied.map((e) => e.actor))].sort(), ['service-h', 'viewer-h']);
  });

  it('alias look-alikes of production are refused or kept apart; requests without a version still go to production', async () => {
    for (const alias of ['production ', ' production', 'ｐroduction', 'prоduction', 'production\u200b', '007'])
      assert.equal(await codeOf(h.client.call('models.promote', { name: 'k', version: 2, alias })), 'VALIDATION_FAILED', alias);
    // ASCII case variants are other aliases (OCI tags are case-sensitive): they never move production.
    await h.client.call('models.promote', { name: 'k', version: 2, alias: 'Production' });
    assert.equal((await h.client.call('models.predict', { name: 'k', rows: [{ x1: 1 }] })).version, 1);
    await h.client.call('models.remove-alias', { name: 'k', alias: 'Production' });
    assert.equal(await codeOf(h.client.call('models.remove-alias', { name: 'k', alias: 'production' })), 'CONFLICT');
    for (const role of ['viewer', 'service'] as const)
      assert.equal((await post('/api/models.promote', tokens[role], { name: 'k', version: 2 })).status, 403, role);
  });

  it('two promotes at once: both audited, production is the one that landed last, as served and as listed', async () => {
    register('k', knownLinear(1));
    await h.client.call('models.promote', { name: 'k', version: 3 });
    const before = (await h.client.call('audit.list', { limit: 500 })).filter((e) => e.action === 'models.promote').length;
    const [a, b] = await Promise.all([
      post('/api/models.promote', tokens.analyst, { name: 'k', version: 2 }),
      post('/api/models.promote', tokens.analyst, { name: 'k', version: 1 }),
    ]);
    type Move = { version: number; previousVersion: number };
    const moves = [(await a.json()) as Move, (await b.json()) as Move];
    // Applied one after the other: the first moved production from v3, the second from the first's version.
    const first = moves.find((m) => m.previousVersion === 3)!;
    const last = moves.find((m) => m !== first)!;
    assert.equal(last.previousVersion, first.version);
    const listed = (await h.client.call('models.list', {})).find((m) => m.name === 'k')!.aliases.production;
    assert.equal(listed, last.version);
    assert.equal((await h.client.call('models.predict', { name: 'k', rows: [{ x1: 1 }] })).version, listed);
    const audit = (await h.client.call('audit.list', { limit: 500 })).filter((e) => e.action === 'models.promote');
    assert.equal(audit.length - before, 2);
  });

  it('linear SHAP sums to the hand-computed margin for missing, unseen and huge inputs; Infinity is refused', async () => {
    // margin = −0.2 + 0.8·(x1 − 1)/2 + (blue 0.5 | green −0.3 | red 1.1 | unseen 0); missing x1 → median 0, colour → red.
    const cases: [Record<string, string | number | null>, number][] = [
      [{}, -0.2 - 0.4 + 1.1],
      [{ x1: '', colour: '' }, -0.2 - 0.4 + 1.1],
      [{ x1: null, colour: 'purple' }, -0.2 - 0.4],
      [{ x1: 1e308, colour: 'green' }, -0.2 + 0.8 * ((1e308 - 1) / 2) - 0.3],
      [{ x1: '-1e308', colour: 'blue' }, -0.2 + 0.8 * ((-1e308 - 1) / 2) + 0.5],
    ];
    for (const [row, margin] of cases) {
      const p = (await h.client.call('models.predict', { name: 'k', version: 1, rows: [row], explain: true })).predictions[0]!;
      const e = p.explanation!;
      const sum = e.expectedValue + Object.values(e.contributions).reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(sum - margin) <= 1e-12 * Math.max(1, Math.abs(margin)), `${JSON.stringify(row)}: ${sum} vs ${margin}`);
      assert.ok('probabilities' in p && p.probabilities.good !== null, JSON.stringify(row));
    }
    for (const x1 of ['Infinity', '-Infinity', 'NaN', '1e999'])
      assert.equal(
        await codeOf(h.client.call('models.predict', { name: 'k', rows: [{ x1 }], explain: true })),
        'VALIDATION_FAILED',
        x1,
      );
  });

  it('the overview refuses a service token, answers a viewer, and stays fast with 200 production models', async () => {
    assert.equal((await post('/api/system.overview', tokens.service, {})).status, 403);
    assert.equal((await post('/api/system.overview', tokens.viewer, {})).status, 200);
    for (let i = 0; i < 200; i++) register(`bulk-${i}`, knownLinear(i / 100));
    const started = Date.now();
    const overview = await h.client.call('system.overview', {});
    const ms = Date.now() - started;
    assert.equal(overview.production.length, 201);
    // About 0.5 s here on a shared 2-core box; ten times that is a blow-up, not noise.
    assert.ok(ms < 5000, `${ms} ms`);
  });
});
