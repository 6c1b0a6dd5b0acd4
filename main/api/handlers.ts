import type { ApiMethod } from '../contracts/api.js';
import type { Handler } from '../contracts/call.js';
import { dataHandlers } from '../data/handlers.js';
import type { Engine } from '../engine/engine.js';
import { systemHandlers } from '../engine/handlers-system.js';
import { overviewHandler } from '../engine/overview.js';
import { monitoringHandlers } from '../monitoring/handlers.js';
import { registryHandlers } from '../registry/handlers.js';
import { securityHandlers } from '../security/handlers.js';
import { evaluateFile } from '../serving/batch.js';
import { baselineFromReport } from '../training/baseline.js';
import { servingHandlers } from '../serving/handlers.js';
import { storeHandlers } from '../store/handlers.js';
import { syncHandlers } from '../sync/handlers.js';
import { trainingHandlers } from '../training/handlers.js';

export type { CallContext } from '../contracts/call.js';

export type Handlers = { [K in ApiMethod]: Handler<K> };

/**
 * One handler per contract method, from each domain's handlers.ts (main/<domain>/handlers.ts); the compiler rejects a
 * missing or extra one. Each domain gets the few services it uses, never the engine.
 */
export function createHandlers(engine: Engine): Handlers {
  const uploads = {
    upload: (id: string) => engine.upload(id),
    discardUpload: (id: string) => engine.discardUpload(id),
  };
  const { db, datasets, registry, predictors, predictionLog, events, trainer } = engine;
  const servingDeps = { registry, predictors, predictionLog, datasets };
  const domains: Omit<Handlers, 'system.overview'> = {
    ...systemHandlers({
      version: engine.version,
      dataDir: engine.dataDir,
      accel: engine.accel,
      predictors,
      services: () => engine.services.status(engine.config, db),
    }),
    ...dataHandlers({ db, datasets, pipelines: engine.pipelines, events, uploads }),
    ...trainingHandlers({
      registry,
      trainer,
      datasets,
      predictors,
      runs: engine.runs,
      costs: { db, rate: () => registry.rate(), logSample: predictionLog.sampleRate },
      compressor: engine.compressor,
    }),
    ...registryHandlers({
      registry,
      datasets,
      events,
      uploads,
      evaluate: async (ref, path, spool) => {
        const { scored, ...result } = await evaluateFile(servingDeps, ref, path, spool);
        // The baseline answers with what the version knew at training: its recorded class shares or mean.
        const info = registry.version(result.model, result.version);
        return { ...result, baseline: baselineFromReport(info.report, info.task, scored) };
      },
    }),
    ...servingHandlers({
      registry,
      predictors,
      routes: engine.routes,
      predictionLog,
      servingMetrics: engine.servingMetrics,
      protectInputs: (model, version, rows) => engine.protectInputs(model, version, rows),
      assertServable: (model, version, rows) => engine.assertServable(model, version, rows),
    }),
    ...monitoringHandlers({ db, registry, datasets, predictors, predictionLog, alerts: engine.alerts }),
    ...syncHandlers({
      sync: engine.sync,
      standbyInfo: () => engine.standbyInfo(),
      promoteStandby: () => engine.promoteStandby(),
    }),
    ...securityHandlers({ access: engine.access }),
    ...storeHandlers({
      retention: engine.retention,
      get backupDir() {
        return engine.backupDir;
      },
      backup: (options) => engine.backup(options),
      collectGarbage: (options) => engine.collectGarbage(options),
      keyStatus: engine.storeKeyStatus,
    }),
  };
  // The overview reads through the other handlers, under each caller's own context.
  return { ...domains, 'system.overview': overviewHandler(domains) };
}
