import type { BaselineComparison, modelsMethods } from '../contracts/models.js';
import type { EventSink, HandlersOf } from '../contracts/call.js';
import { fileDigest, withInputFile, type Uploads } from '../data/input-file.js';
import type { SpoolCipher } from '../crypto/spool.js';
import { importOnnx, type ImportDeps } from './import-onnx.js';
import { modelReportHtml } from './report.js';
import { exportVersion } from './export.js';
import { modelSchema } from './model-schema.js';

/** What the models methods use; scoring a labelled file is serving's, handed in as `evaluate`. */
export interface RegistryHandlerDeps extends ImportDeps {
  readonly events: EventSink;
  readonly uploads: Uploads;
  /** Scores a labelled file with model version `ref` (NAME@VERSION) and computes its task's metrics. */
  evaluate(
    ref: string,
    path: string,
    spool?: SpoolCipher,
  ): Promise<{
    model: string;
    version: number;
    rows: number;
    metrics: Record<string, number>;
    /** Knowing nothing on the same rows, from the prior the version recorded at training; null without one. */
    baseline: BaselineComparison | null;
  }>;
}

/** The modelsMethods methods' handlers. */
export function registryHandlers(deps: RegistryHandlerDeps): HandlersOf<typeof modelsMethods> {
  return {
    'models.list': async () => deps.registry.list(),
    'models.versions': async ({ name }) => deps.registry.versions(name),
    'models.version': async ({ name, version }) => deps.registry.version(name, deps.registry.resolve(name, version)),
    'models.schema': async ({ name, version }) => modelSchema(deps, name, deps.registry.resolve(name, version)),
    'models.report': async ({ name, version }) => {
      const info = deps.registry.version(name, deps.registry.resolve(name, version));
      let data = null;
      if (info.origin === null) {
        const { id: _id, ...detail } = await deps.datasets.detail(info.dataset.name, info.dataset.version);
        data = detail;
      }
      return { fileName: `${name}-v${info.version}-report.html`, html: modelReportHtml(info, data) };
    },
    'models.promote': async ({ name, version, alias }) => {
      const move = deps.registry.promote(name, version, alias);
      deps.events.emit('models.did-move-alias', move);
      return move;
    },
    'models.rollback': async ({ name, alias }) => {
      const move = deps.registry.rollback(name, alias);
      deps.events.emit('models.did-move-alias', move);
      return move;
    },
    'models.remove-alias': async ({ name, alias }) => deps.registry.removeAlias(name, alias),
    'models.export': async ({ name, version }) => exportVersion(deps.registry, name, deps.registry.resolve(name, version)),
    'models.evaluate': async (args, context) =>
      withInputFile(deps.uploads, args, context, 'evaluated', async (path, spool) => {
        const version = deps.registry.resolve(args.name, args.version);
        const result = await deps.evaluate(`${args.name}@${version}`, path, spool);
        const snapshot = deps.registry.recordMetrics(args.name, version, {
          source: 'evaluate',
          dataHash: await fileDigest(path, spool),
          rows: result.rows,
          metrics: result.metrics,
        });
        return { ...snapshot, baseline: result.baseline };
      }),
    'models.import': async (args, context) =>
      withInputFile(deps.uploads, args, context, 'imported', async (path, spool) => {
        const { name, target, task, classes, features, alias } = args;
        const reference =
          args.referenceUploadId !== undefined
            ? { uploadId: args.referenceUploadId }
            : args.referencePath !== undefined
              ? { path: args.referencePath }
              : null;
        const run = (referencePath?: string, referenceSpool?: SpoolCipher) =>
          importOnnx(deps, path, {
            ...(spool === undefined ? {} : { spool }),
            ...(referenceSpool === undefined ? {} : { referenceSpool }),
            name,
            ...(target === undefined ? {} : { target }),
            ...(task === undefined ? {} : { task }),
            ...(classes === undefined ? {} : { classes }),
            ...(features === undefined ? {} : { features }),
            ...(alias === undefined ? {} : { alias }),
            ...(referencePath === undefined ? {} : { referencePath }),
          });
        return reference === null ? run() : withInputFile(deps.uploads, reference, context, 'read', run);
      }),
    'models.snapshots': async ({ name, version }) => deps.registry.snapshots(name, deps.registry.resolve(name, version)),
  };
}
