import type { ServicesStatus, systemMethods } from '../contracts/system.js';
import type { HandlersOf } from '../contracts/call.js';
import type { AccelRegistry } from '../accel/registry.js';
import { activeExecutionProvider } from '../accel/onnx-runtime.js';
import { loadOrt } from '../accel/ort-load.js';
import { installationVersions } from './versions.js';
import type { PredictorCache } from '../serving/predictor-cache.js';

/** What the system methods use. */
export interface SystemHandlerDeps {
  readonly version: string;
  readonly dataDir: string;
  readonly accel: AccelRegistry;
  readonly predictors: PredictorCache;
  /** The config's streams, watched folders and schedules, as this process runs them. */
  services(): ServicesStatus;
}

/** The systemMethods methods' handlers. */
export function systemHandlers(deps: SystemHandlerDeps): HandlersOf<typeof systemMethods> {
  return {
    'system.info': async () => {
      const ort = await loadOrt();
      return {
        version: deps.version,
        dataDir: deps.dataDir,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        onnxRuntime: { version: ort.env.versions.common ?? 'unknown', executionProvider: activeExecutionProvider() },
        components: installationVersions(),
        // A replica's handlers say replica (api/replica.ts); the engine alone does not know how it is served.
        mode: 'normal' as const,
      };
    },
    'system.backends': async ({ refresh }) => deps.accel.report(refresh === true),
    'system.services': async () => deps.services(),
    'system.pin-backend': async ({ runtime, name }) => {
      deps.accel.pin(runtime, name);
      // Loaded models move to the new choice with their next request.
      if (runtime === 'onnxruntime') deps.predictors.reloadAll();
      return deps.accel.report();
    },
  };
}
