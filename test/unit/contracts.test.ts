import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { accessMethods } from '../../main/contracts/access.js';
import { overviewMethods } from '../../main/contracts/overview.js';
import { compressMethods } from '../../main/contracts/compress.js';
import { datasetsMethods } from '../../main/contracts/datasets.js';
import {
  apiMethods,
  apiSchemas,
  methodChangesState,
  methodPermission,
  type MethodDefinition,
} from '../../main/contracts/index.js';
import { modelsMethods } from '../../main/contracts/models.js';
import { monitoringMethods } from '../../main/contracts/monitoring.js';
import { pipelinesMethods } from '../../main/contracts/pipelines.js';
import { rulesMethods } from '../../main/contracts/rules.js';
import { runsMethods } from '../../main/contracts/runs.js';
import { costsMethods } from '../../main/contracts/costs.js';
import { servingMethods } from '../../main/contracts/serving.js';
import { storeMethods } from '../../main/contracts/store.js';
import { syncMethods } from '../../main/contracts/sync.js';
import { systemMethods } from '../../main/contracts/system.js';
import { trainingMethods } from '../../main/contracts/training.js';

/** Each contract file and the method prefixes it holds (models.* is shared by the domains that act on models). */
const files: [string, Record<string, MethodDefinition>, string[]][] = [
  ['system', systemMethods, ['system']],
  ['datasets', datasetsMethods, ['datasets']],
  ['rules', rulesMethods, ['rules']],
  ['pipelines', pipelinesMethods, ['pipelines']],
  ['training', trainingMethods, ['training', 'models']],
  ['compress', compressMethods, ['models']],
  ['runs', runsMethods, ['runs']],
  ['costs', costsMethods, ['costs']],
  ['models', modelsMethods, ['models']],
  ['serving', servingMethods, ['models']],
  ['monitoring', monitoringMethods, ['models', 'alerts']],
  ['sync', syncMethods, ['remotes', 'sync', 'models']],
  ['access', accessMethods, ['tokens', 'audit']],
  ['store', storeMethods, ['backups', 'retention', 'store']],
  ['overview', overviewMethods, ['system']],
];

describe('contracts', () => {
  it('assembles every domain file, each method once', () => {
    const all = files.flatMap(([, methods]) => Object.keys(methods));
    assert.equal(new Set(all).size, all.length);
    assert.deepEqual([...all].sort(), Object.keys(apiMethods).sort());
    assert.deepEqual(Object.keys(apiSchemas), Object.keys(apiMethods));
    assert.deepEqual(Object.keys(methodPermission), Object.keys(apiMethods));
  });

  it('says which methods change nothing: all a replica answers (serve --replica), written out so a new one is a choice', () => {
    const answered = Object.entries(methodChangesState)
      .filter(([, changes]) => !changes)
      .map(([method]) => method)
      .sort();
    assert.deepEqual(answered, [
      ...['alerts.list', 'alerts.rules', 'audit.list', 'backups.list', 'backups.verify', 'costs.summary', 'datasets.diff'],
      ...['datasets.export'],
      ...['datasets.k-anonymity', 'datasets.list', 'datasets.pii-policies', 'datasets.quarantine', 'datasets.version'],
      ...[
        'datasets.versions',
        'models.compress-get',
        'models.drift',
        'models.drift-history',
        'models.list',
        'models.monitor',
        'models.predict',
      ],
      ...['models.report', 'models.route', 'models.schema', 'models.snapshots', 'models.version', 'models.versions'],
      ...['pipelines.definition', 'pipelines.list', 'pipelines.preview', 'pipelines.runs', 'remotes.list', 'retention.list'],
      ...['rules.check', 'rules.get', 'rules.report', 'rules.suggest', 'runs.compare', 'runs.list', 'runs.show'],
      ...[
        'store.key-status',
        'sync.standby',
        'sync.status',
        'system.backends',
        'system.info',
        'system.overview',
        'system.services',
        'tokens.list',
        'training.get',
        'training.list',
      ],
    ]);
    // Only an admin method may say it changes nothing against its permission: whatever ingests or writes changes state.
    for (const [method, definition] of Object.entries(apiMethods) as [string, MethodDefinition][])
      if (definition.changesState !== undefined) assert.equal(definition.permission, 'admin', method);
  });

  it('keeps each method in the file its prefix names', () => {
    for (const [file, methods, prefixes] of files)
      for (const method of Object.keys(methods))
        assert.ok(prefixes.includes(method.split('.')[0]!), `${method} is in contracts/${file}.ts`);
  });

  it('gives every method a one-line doc, a zod schema and a permission', () => {
    for (const [method, m] of Object.entries(apiMethods) as [string, MethodDefinition][]) {
      assert.match(m.doc, /^[A-Z`].*\.$/, method);
      assert.ok(!m.doc.includes('\n'), method);
      assert.ok(m.args instanceof z.ZodType, method);
      assert.ok(['info', 'read', 'ingest', 'predict', 'write', 'admin'].includes(m.permission), method);
      assert.equal(apiSchemas[method as keyof typeof apiSchemas], m.args);
    }
  });
});
