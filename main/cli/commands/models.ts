import { parseRef } from '../../serving/batch.js';
import { compressCommand } from './compress.js';
import { formatMetrics } from '../output.js';
import { costLines } from '../cost-lines.js';
import { type Command, UsageError, required } from '../command.js';
import { checkOutFile, writeOutFile } from '../out-file.js';
import { argSchema, argsFromFlags, parseFlag, positionalFor, requiredFlagFor } from '../flags.js';

export const modelsCommand: Command = {
  name: 'models',
  summary:
    'list, promote (any alias), roll back, show the cost and the input schema, report, export, import, compress, canary and shadow models',
  usage: `  models list | promote NAME VERSION [--alias A] | rollback NAME [--alias A] | remove-alias NAME --alias A
                                      promote sets or moves an alias (production when --alias is not given);
                                      production can be moved, never removed
       | cost NAME[@V]                   what training it cost and what a million predictions cost on this box
                                      (CPU-hours; money at cost.perCoreHour when set)
       | schema NAME[@V]                 the inputs a prediction takes: kinds, the levels the model knows,
                                      the training data's ranges, and whether it can explain
       | report NAME[@V] [--out FILE] [--force] | export NAME[@V] [--out FILE.onnx] [--force]
                                      export writes the version's ONNX graph with its input names, types and class
                                      labels in the metadata; an existing file is kept unless --force
       | compress NAME[@V] [--max-size KB] [--max-latency-us N] [--max-loss X] [--metric M]
                                      smaller, faster variants (fewer trees, shallower refits, float32, int8, …)
                                      judged on the run's own validation and test rows: a frontier table
       | compress NAME[@V] --choose VARIANT
                                      registers that variant as a new version with its lineage; not promoted
       | canary NAME VERSION [--share F] | shadow NAME VERSION | route NAME [--clear]
       | import FILE.onnx --name NAME [--target T] [--task binary|multiclass|regression] [--classes A,B,…]
                [--features F1,F2,…] [--reference TRAINING.csv] [--alias A]
                                      serve a model made elsewhere; inputs are read from the graph, the reference
                                      data (ingested as NAME-reference) is what drift is measured against
                                      a canary answers a share of requests; a shadow predicts all, logged only`,
  run: async ({ rest, flags, out, open }) => {
    const { client } = open();
    const [sub, name, version] = rest;
    if (sub === 'list') {
      const list = await client.call('models.list', {});
      out.result(list, () =>
        list.length === 0
          ? 'No models.'
          : list
              .map(
                (m) =>
                  `${m.name}  ${m.task}  target=${m.target}  latest=v${m.latestVersion}  ${Object.entries(m.aliases)
                    .map(([a, v]) => `${a}=v${v}`)
                    .join(' ')}`,
              )
              .join('\n'),
      );
      return 0;
    }
    if (sub === 'promote' && name !== undefined && version !== undefined) {
      const move = await client.call('models.promote', {
        name,
        version: positionalFor(version, 'VERSION', 'models.promote', 'version'),
        ...argsFromFlags(flags, 'models.promote', { alias: 'alias' }),
      });
      out.result(
        move,
        () =>
          `${move.model}: ${move.alias} → v${move.version} (was ${move.previousVersion === null ? 'unset' : `v${move.previousVersion}`})`,
      );
      return 0;
    }
    if (sub === 'remove-alias' && name !== undefined) {
      const removed = await client.call('models.remove-alias', {
        name,
        alias: requiredFlagFor(flags, 'alias', 'models.remove-alias', 'alias'),
      });
      out.result(removed, () => `${removed.model}: removed ${removed.alias} (was v${removed.removedVersion})`);
      return 0;
    }
    if (sub === 'export' && name !== undefined) {
      const { name: model, version: v } = parseRef(name);
      const force = flags.force === true;
      if (flags.out !== undefined) checkOutFile(flags.out, force);
      const exported = await client.call('models.export', { name: model, ...(v === undefined ? {} : { version: v }) });
      const target = flags.out ?? exported.fileName;
      const bytes = Buffer.from(exported.base64, 'base64');
      // A model file is not silently replaced, and a link is never written through.
      writeOutFile(target, bytes, force);
      out.result(
        { out: target, model: exported.model, version: exported.version, bytes: bytes.length, metadata: exported.metadata },
        () => `Wrote ${target}: ${exported.model} v${exported.version} as ONNX (${bytes.length} bytes)`,
      );
      return 0;
    }
    if (sub === 'cost' && name !== undefined) {
      const { name: model, version: v } = parseRef(name);
      const info = await client.call('models.version', { name: model, ...(v === undefined ? {} : { version: v }) });
      out.result({ model: info.model, version: info.version, cost: info.cost }, () =>
        [`${info.model} v${info.version}`, ...costLines(info.cost)].join('\n'),
      );
      return 0;
    }
    if (sub === 'schema' && name !== undefined) {
      const { name: model, version: v } = parseRef(name);
      const schema = await client.call('models.schema', { name: model, ...(v === undefined ? {} : { version: v }) });
      out.result(schema, () =>
        [
          `${schema.model} v${schema.version} (${schema.algorithm}, ${schema.task}, predicts "${schema.target}")`,
          ...schema.inputs.map((i) => {
            const what =
              i.kind === 'category'
                ? i.levels === null
                  ? 'any text'
                  : `${i.levels.length} levels: ${i.levels.slice(0, 12).join(', ')}${i.levels.length > 12 ? ', …' : ''}`
                : i.kind === 'date'
                  ? i.dates === null
                    ? 'a date'
                    : `${i.dates.min} to ${i.dates.max}`
                  : i.min === null || i.max === null
                    ? ''
                    : `${i.min} to ${i.max}`;
            return `  ${i.name}  ${i.kind}  ${what}`;
          }),
          schema.explainRefusal === null ? `explain: ${schema.explain}` : `explain: no (${schema.explainRefusal})`,
        ].join('\n'),
      );
      return 0;
    }
    if (sub === 'report' && name !== undefined) {
      const { name: model, version: v } = parseRef(name);
      const force = flags.force === true;
      if (flags.out !== undefined) checkOutFile(flags.out, force);
      const report = await client.call('models.report', { name: model, ...(v === undefined ? {} : { version: v }) });
      const target = flags.out ?? report.fileName;
      writeOutFile(target, report.html, force);
      out.result(
        { out: target, bytes: Buffer.byteLength(report.html) },
        () => `Wrote ${target} (${Buffer.byteLength(report.html)} bytes)`,
      );
      return 0;
    }
    if (sub === 'import') {
      if (name === undefined || flags.name === undefined) throw new UsageError('models import FILE.onnx --name NAME');
      const info = await client.call('models.import', {
        name: requiredFlagFor(flags, 'name', 'models.import', 'name'),
        path: name,
        ...argsFromFlags(flags, 'models.import', {
          target: 'target',
          task: 'task',
          classes: 'classes',
          features: 'features',
          referencePath: 'reference',
          alias: 'alias',
        }),
      });
      out.result(
        info,
        () =>
          `Imported ${info.model} v${info.version} (${info.task}, predicts "${info.target}")\n` +
          `  inputs: ${info.inputSchema.map((i) => `${i.name}:${i.type}`).join(', ')}`,
      );
      return 0;
    }
    if (sub === 'compress' && name !== undefined) return compressCommand(client, out, name, flags);
    if (sub === 'rollback' && name !== undefined) {
      const move = await client.call('models.rollback', { name, ...argsFromFlags(flags, 'models.rollback', { alias: 'alias' }) });
      out.result(move, () => `${move.model}: ${move.alias} rolled back to v${move.version} (was v${move.previousVersion})`);
      return 0;
    }
    if (sub === 'canary' || sub === 'shadow' || sub === 'route') {
      if (name === undefined) throw new UsageError(`models ${sub} NAME …`);
      let route;
      if (sub === 'route') {
        route =
          flags.clear === true
            ? await client.call('models.set-route', { name, canary: null, shadow: null })
            : await client.call('models.route', { name });
      } else {
        if (version === undefined) throw new UsageError(`models ${sub} NAME VERSION`);
        const v = positionalFor(version, 'VERSION', 'models.promote', 'version');
        if (sub === 'canary') {
          const share = parseFlag(argSchema('models.set-route', 'canary', 'share'), flags.share ?? '0.1', 'share') as number;
          route = await client.call('models.set-route', { name, canary: { version: v, share } });
        } else route = await client.call('models.set-route', { name, shadow: v });
      }
      out.result(
        route,
        () =>
          `${route.model}: ${route.canary === null ? 'no canary' : `canary v${route.canary.version} answers ${(route.canary.share * 100).toFixed(0)}% of requests`}; ` +
          `${route.shadow === null ? 'no shadow' : `shadow v${route.shadow} predicts every request (logged, not returned)`}`,
      );
      return 0;
    }
    throw new UsageError(
      'models takes list, promote NAME VERSION [--alias A], compress NAME[@V], rollback NAME [--alias A], remove-alias NAME --alias A, report NAME[@VERSION], export NAME[@VERSION], canary NAME VERSION [--share F], shadow NAME VERSION, or route NAME [--clear]',
    );
  },
};

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'metrics of a model on a labelled file, kept as a snapshot',
  usage: `  evaluate --model NAME[@V] FILE      metrics of a model on a labelled file, kept as a snapshot (synced as a referrer)`,
  run: async ({ rest, flags, out, open }) => {
    if (rest.length !== 1) throw new UsageError('evaluate takes one FILE');
    const { client } = open();
    const { name, version } = parseRef(required(flags, 'model'));
    const snapshot = await client.call('models.evaluate', {
      name,
      ...(version === undefined ? {} : { version }),
      path: rest[0]!,
    });
    out.result(
      snapshot,
      () =>
        `${snapshot.model} v${snapshot.version} on ${snapshot.rows} rows (snapshot ${snapshot.id}):\n${formatMetrics(snapshot.metrics, snapshot.baseline ?? undefined)}`,
    );
    return 0;
  },
};
