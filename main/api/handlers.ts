import { diffFrames } from '../data/diff.js';
import { spoolStream, type SpoolCipher } from '../security/spool.js';
import { localAdmin, type Principal } from '../security/access.js';
import { redactText, redactWebhook } from '../security/redact.js';
import { basename, join } from 'node:path';
import { listBackups, verifyBackup } from '../store/backup.js';
import { kAnonymity } from '../privacy/pii.js';
import { importOnnx } from '../registry/import-onnx.js';
import type { AlertRule, ApiMethod, ApiParsedArgs, ApiResults, PullResult } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import type { Engine } from '../engine/engine.js';
import { activeExecutionProvider, loadOrt } from '../accel/onnx-runtime.js';
import { toPredictions } from '../models/predictor.js';
import { modelInputs } from '../models/model.js';
import { explainPredictions } from '../models/treeshap.js';
import { modelReportHtml, qualityReportHtml } from '../registry/report.js';
import { describeSource, readQuery } from '../data/sql-source.js';
import { parsePipeline, redactDefinition } from '../data/pipeline.js';
import { rawInputsFromRecords } from '../models/preprocess.js';
import { evaluateFile } from '../serving/batch.js';
import { driftReport } from '../monitoring/monitor.js';
import { driftHistory } from '../monitoring/drift-history.js';
import { monitorReport } from '../monitoring/performance.js';
import { retrain } from '../training/retrain.js';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { contentAppended, recordAppendedContent } from '../data/watch-folder.js';

/** The sha256 of a file, streamed: what a metrics snapshot names as the data it measured. */
/** The SHA-256 of a file's content (an upload's plaintext, read through its spool cipher). */
async function fileDigest(path: string, spool?: SpoolCipher): Promise<string> {
  const hash = createHash('sha256');
  const stream = spool === undefined ? createReadStream(path) : spoolStream(path, spool, 0, 1 << 20);
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Over HTTP or IPC a pipeline reads datasets only: a server reads no file or database a request names. The CLI
 * (in-process) may, with paths relative to the pipeline file's folder.
 */
function localSources(context: CallContext, baseDir: string | undefined): { allowLocalSources: boolean; baseDir?: string } {
  if (context.transport !== 'in-process') {
    if (baseDir !== undefined) throw new HearthError('FORBIDDEN', 'baseDir is accepted from the CLI only');
    return { allowLocalSources: false };
  }
  return { allowLocalSources: true, ...(baseDir === undefined ? {} : { baseDir }) };
}

/**
 * Whether the caller is an admin: the one role shown secrets (a pipeline file's connection strings, a webhook's full
 * URL), since it is the role that writes them. The local user (CLI, desktop) is the box's admin.
 */
function isAdmin(context: CallContext): boolean {
  return (context.principal ?? localAdmin).role === 'admin';
}

/** An alert rule as its caller may see it: a webhook's path and query are its key, shown to admins only. */
function visibleRule(rule: AlertRule, context: CallContext): AlertRule {
  return isAdmin(context) || rule.webhook === null ? rule : { ...rule, webhook: redactWebhook(rule.webhook) };
}

/** Who is calling: decides what a caller may name (local paths only for in-process callers). */
export type CallContext =
  | {
      /** Over HTTP the caller is always named: a request with no identity never reaches dispatch. */
      transport: 'http';
      principal: Principal;
      /** The caller's address, for the audit log. */
      remote?: string;
    }
  | {
      transport: 'ipc' | 'in-process';
      /** Who is calling; absent for the local user (the CLI, the desktop app), who is the box's admin. */
      principal?: Principal;
      remote?: string;
    };

export type Handlers = {
  [K in ApiMethod]: (args: ApiParsedArgs<K>, context: CallContext) => Promise<ApiResults[K]>;
};

/** One handler per contract method; the compiler rejects a missing or extra one. */
export function createHandlers(engine: Engine): Handlers {
  const handlers: Handlers = {
    'system.info': async () => {
      const ort = await loadOrt();
      return {
        version: engine.version,
        dataDir: engine.dataDir,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        onnxRuntime: { version: ort.env.versions.common ?? 'unknown', executionProvider: activeExecutionProvider() },
      };
    },
    'system.backends': async ({ refresh }) => engine.accel.report(refresh === true),
    'system.pin-backend': async ({ runtime, name }) => {
      engine.accel.pin(runtime, name);
      // Loaded models move to the new choice with their next request.
      if (runtime === 'onnxruntime') engine.predictors.reloadAll();
      return engine.accel.report();
    },
    'datasets.list': async () => engine.datasets.list(),
    'datasets.ingest-query': async ({ name, from, query, append, force }, context) => {
      if (context.transport !== 'in-process')
        throw new HearthError(
          'FORBIDDEN',
          'a SQL source can be read from the CLI only: the server does not connect where a request says',
        );
      const records = await readQuery({ from, query });
      const source = `${describeSource(from)} ${query.replace(/\s+/g, ' ').slice(0, 200)}`;
      const result =
        append === true
          ? await engine.datasets.appendRecords(name, records, source)
          : await engine.datasets.ingestRecords(name, records, source, { force: force === true });
      engine.events.emit('datasets.did-ingest', result);
      return result;
    },
    'pipelines.preview': async ({ definition, limit, sampleRows, baseDir }, context) =>
      engine.pipelines.preview(parsePipeline(definition), {
        ...localSources(context, baseDir),
        ...(limit === undefined ? {} : { limit }),
        ...(sampleRows === undefined ? {} : { sampleRows }),
      }),
    'pipelines.run': async ({ definition, baseDir, rebuild }, context) => {
      const run = await engine.pipelines.run(definition, {
        ...localSources(context, baseDir),
        ...(rebuild === true ? { rebuild: true } : {}),
        onProgress: (progress) => engine.events.emit('pipelines.progress', progress),
      });
      engine.events.emit('pipelines.did-run', run);
      return run;
    },
    'pipelines.cancel': async ({ name }) => ({ cancelled: engine.pipelines.cancel(name) }),
    'pipelines.list': async () => engine.pipelines.list(),
    'pipelines.runs': async ({ name, limit }) => engine.pipelines.runs(name, limit),
    'pipelines.definition': async ({ name, version }, context) => {
      const stored = engine.pipelines.definition(name, version);
      // Admins get the file as it ran (to run it again); everyone else, its connection strings without secrets.
      return isAdmin(context) ? stored : { ...stored, definition: redactDefinition(stored.definition) };
    },
    'rules.suggest': async ({ name, version }) => engine.datasets.suggestRules(name, version),
    'rules.get': async ({ name }) => {
      engine.datasets.version(name);
      return engine.datasets.rules(name);
    },
    'rules.set': async ({ name, rules }) => engine.datasets.setRules(name, rules),
    'rules.check': async ({ name, version, rules }) => engine.datasets.checkRules(name, version, rules),
    'rules.report': async ({ name, version }) => {
      const { id: _id, ...detail } = await engine.datasets.detail(name, version);
      const check = await engine.datasets.checkRules(name, detail.version);
      return {
        fileName: `${name}-v${detail.version}-quality.html`,
        html: qualityReportHtml(detail, check, engine.datasets.rules(name)),
      };
    },
    'datasets.versions': async ({ name }) => engine.datasets.versions(name),
    'datasets.version': async ({ name, version }) => {
      const { id: _id, ...detail } = await engine.datasets.detail(name, version);
      return detail;
    },
    'datasets.quarantine': async ({ name, version, offset, limit }) => engine.datasets.quarantine(name, version, offset, limit),
    'datasets.append': async ({ name, rows, source }, context) => {
      const result = await engine.datasets.appendRecords(name, rows, source ?? `${context.transport} rows`);
      engine.events.emit('datasets.did-ingest', result);
      return result;
    },
    'datasets.ingest': async (args, context) =>
      withInputFile(args, context, 'ingested', async (path, spool) => {
        if (args.append === true) {
          if (args.pii !== undefined)
            throw new HearthError(
              'VALIDATION_FAILED',
              'an append follows the policies the dataset has; set policies with a new version',
            );
          // Once per content: checked here, and made certain by the content's key in the append's own transaction.
          const once = args.once === true ? await appendedContent(path, spool) : undefined;
          const appended = await engine.datasets.appendFile(args.name, path, {
            ...(args.fileName === undefined ? {} : { fileName: args.fileName }),
            ...(args.format === undefined ? {} : { format: args.format }),
            ...(args.delimiter === undefined ? {} : { delimiter: args.delimiter }),
            ...(spool === undefined ? {} : { spool }),
            ...(once === undefined ? {} : { inTransaction: once(args.name, args.fileName ?? path) }),
          });
          engine.events.emit('datasets.did-ingest', appended);
          return appended;
        }
        let lastReport = 0;
        const result = await engine.datasets.ingestCsv(args.name, path, {
          // Throttled: a progress event per 100 ms is plenty for a bar and cheap for the event stream.
          onProgress: (bytesRead, totalBytes) => {
            const now = Date.now();
            if (now - lastReport < 100 && bytesRead < totalBytes) return;
            lastReport = now;
            engine.events.emit('datasets.ingest-progress', { dataset: args.name, bytesRead, totalBytes });
          },
          ...(args.fileName === undefined ? {} : { fileName: args.fileName }),
          ...(args.delimiter === undefined ? {} : { delimiter: args.delimiter }),
          ...(args.pii === undefined ? {} : { pii: args.pii }),
          ...(args.format === undefined ? {} : { format: args.format }),
          ...(args.force === true ? { force: true } : {}),
          ...(spool === undefined ? {} : { spool }),
        });
        engine.events.emit('datasets.did-ingest', result);
        return result;
      }),
    'datasets.pii-scan': async (args, context) => {
      // The console scans an upload, then ingests the same upload with the policies chosen: it keeps it for that.
      const named = {
        ...(args.fileName === undefined ? {} : { fileName: args.fileName }),
        ...(args.format === undefined ? {} : { format: args.format }),
      };
      if (args.keepUpload === true && args.uploadId !== undefined) {
        const { path, spool } = engine.upload(args.uploadId);
        return engine.datasets.scanCsv(path, { ...named, spool });
      }
      return withInputFile(args, context, 'scanned', (path, spool) =>
        engine.datasets.scanCsv(path, spool === undefined ? named : { ...named, spool }),
      );
    },
    'datasets.pii-policies': async ({ name }) => {
      engine.datasets.version(name);
      return engine.datasets.policies(name);
    },
    'datasets.k-anonymity': async ({ name, version, columns, k }) => {
      const { frame, info } = engine.datasets.loadFrame(name, version);
      return { dataset: name, version: info.version, columns, required: k, ...kAnonymity(frame, columns, k) };
    },
    'backups.create': async ({ passphrase }) => {
      const info = await engine.backup(passphrase === undefined ? {} : { passphrase });
      return { ...info, file: basename(info.file) };
    },
    'backups.list': async () => listBackups(engine.backupDir).map((b) => ({ ...b, file: basename(b.file) })),
    'backups.verify': async ({ file, passphrase }) => {
      const result = await verifyBackup(join(engine.backupDir, file), passphrase);
      return {
        file,
        files: result.files,
        bytes: result.bytes,
        createdAt: result.manifest.createdAt,
        hearthVersion: result.manifest.hearthVersion,
        encrypted: result.manifest.encrypted,
        includesSecretKey: result.manifest.includesSecretKey,
      };
    },
    'tokens.create': async ({ name, role, expiresInDays }) => engine.access.createToken(name, role, expiresInDays),
    'tokens.list': async () => engine.access.listTokens(),
    'tokens.revoke': async ({ name }) => engine.access.revokeToken(name),
    'audit.list': async ({ limit, before }) => engine.access.auditLog({ limit, before }),
    'retention.set': async (rule) => engine.retention.set(rule),
    'retention.list': async () => engine.retention.rules(),
    'datasets.diff': async ({ name, from, to }) =>
      diffFrames(name, [from, to], engine.datasets.loadFrame(name, from).frame, engine.datasets.loadFrame(name, to).frame),
    'store.gc': async ({ dryRun }) => engine.collectGarbage(dryRun === undefined ? {} : { dryRun }),
    'training.start': async (args) => engine.trainer.start(args),
    'training.get': async ({ jobId }) => engine.trainer.get(jobId),
    'training.list': async () => engine.trainer.list(),
    'training.cancel': async ({ jobId }) => engine.trainer.cancel(jobId),
    'runs.list': async () => engine.runs.list(),
    'runs.show': async ({ id }) => engine.runs.show(id),
    'runs.compare': async ({ ids }) => engine.runs.compare(ids),
    'models.list': async () => engine.registry.list(),
    'models.versions': async ({ name }) => engine.registry.versions(name),
    'models.version': async ({ name, version }) => engine.registry.version(name, engine.registry.resolve(name, version)),
    'models.report': async ({ name, version }) => {
      const info = engine.registry.version(name, engine.registry.resolve(name, version));
      let data = null;
      if (info.origin === null) {
        const { id: _id, ...detail } = await engine.datasets.detail(info.dataset.name, info.dataset.version);
        data = detail;
      }
      return { fileName: `${name}-v${info.version}-report.html`, html: modelReportHtml(info, data) };
    },
    'models.promote': async ({ name, version }) => {
      const move = engine.registry.promote(name, version);
      engine.events.emit('models.did-move-alias', move);
      return move;
    },
    'models.rollback': async ({ name }) => {
      const move = engine.registry.rollback(name);
      engine.events.emit('models.did-move-alias', move);
      return move;
    },
    'remotes.add': async ({ name, url, insecureHttp, username, password, token, tokenService }) =>
      engine.sync.addRemote(
        name,
        url,
        insecureHttp ?? false,
        token !== undefined
          ? { token }
          : username !== undefined && password !== undefined
            ? { username, password, ...(tokenService === undefined ? {} : { tokenService }) }
            : undefined,
      ),
    'remotes.list': async () => engine.sync.listRemotes(),
    'remotes.remove': async ({ name }) => {
      engine.sync.removeRemote(name);
      return { removed: name };
    },
    'sync.status': async () => engine.sync.status(),
    'sync.push': async ({ remote }) => engine.sync.push(remote),
    'sync.follow': async () => engine.sync.checkFollows(),
    'remotes.follow': async ({ remote, model, alias }) => engine.sync.follow(remote, model, alias),
    'remotes.unfollow': async ({ remote, model, alias }) => {
      engine.sync.unfollow(remote, model, alias);
      return { removed: `${remote}/${model}:${alias}` };
    },
    'models.pull': async ({ url, alias, insecureHttp }, context) => {
      const aliased = alias === undefined ? {} : { alias };
      if (isAdmin(context)) return engine.sync.pull(url, { ...aliased, ...(insecureHttp === undefined ? {} : { insecureHttp }) });
      return pullAsNonAdmin(url, aliased, context);
    },
    'models.evaluate': async (args, context) =>
      withInputFile(args, context, 'evaluated', async (path, spool) => {
        const version = engine.registry.resolve(args.name, args.version);
        const result = await evaluateFile(engine, `${args.name}@${version}`, path, spool);
        return engine.registry.recordMetrics(args.name, version, {
          source: 'evaluate',
          dataHash: await fileDigest(path, spool),
          rows: result.rows,
          metrics: result.metrics,
        });
      }),
    'models.import': async (args, context) =>
      withInputFile(args, context, 'imported', async (path, spool) => {
        const { name, target, task, classes, features, alias } = args;
        const reference =
          args.referenceUploadId !== undefined
            ? { uploadId: args.referenceUploadId }
            : args.referencePath !== undefined
              ? { path: args.referencePath }
              : null;
        const run = (referencePath?: string, referenceSpool?: SpoolCipher) =>
          importOnnx(engine, path, {
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
        return reference === null ? run() : withInputFile(reference, context, 'read', run);
      }),
    'models.feedback': async ({ name, labels }) => {
      engine.registry.resolve(name);
      return engine.predictionLog.feedback(name, labels);
    },
    'models.drift': async ({ name, ...options }) => driftReport(engine, name, options),
    'models.route': async ({ name }) => {
      engine.registry.resolve(name);
      return engine.routes.get(name);
    },
    'models.set-route': async ({ name, canary, shadow }) =>
      engine.routes.set(name, { ...(canary === undefined ? {} : { canary }), ...(shadow === undefined ? {} : { shadow }) }),
    'models.drift-history': async ({ name, limit }) => driftHistory(engine, name, limit),
    'models.retrain': async ({ name, promote }) => retrain(engine, name, promote === undefined ? {} : { promote }),
    'alerts.rules': async (_args, context) => engine.alerts.rules().map((rule) => visibleRule(rule, context)),
    'alerts.add-rule': async (rule, context) => {
      // A webhook makes the server POST wherever it points, and alerts.list reports how that went (delivered, a
      // status, a refused connection): a way to probe the box's network, so only an admin names one.
      if (rule.webhook !== undefined && !isAdmin(context))
        throw new HearthError('FORBIDDEN', 'only an admin may give an alert rule a webhook; add the rule without one');
      return visibleRule(engine.alerts.addRule(rule), context);
    },
    'alerts.remove-rule': async ({ name }) => {
      engine.alerts.removeRule(name);
      return { removed: name };
    },
    'alerts.list': async ({ firing }) => engine.alerts.list(firing === true),
    'alerts.check': async () => engine.alerts.check(),
    'models.monitor': async ({ name, ...options }) => monitorReport(engine, name, options),
    'models.snapshots': async ({ name, version }) => engine.registry.snapshots(name, engine.registry.resolve(name, version)),
    'models.predict': async (args, context) => {
      // Who asked, counted per model: predictions are not audited (see ServingMetrics.callers).
      const caller = context.principal ?? localAdmin;
      engine.servingMetrics.calledBy(args.name, caller.name, caller.role);
      try {
        return await predict(args);
      } catch (error) {
        const code = error instanceof HearthError ? error.code : 'INTERNAL';
        engine.servingMetrics.failed(args.name, code);
        engine.predictionLog.recordError(args.name, code);
        throw error;
      }
    },
  };
  return handlers;

  /**
   * A pull by someone other than an admin. Otherwise `models.pull` would make the server connect to any host:port
   * an analyst names and tell them what answered there: a port scanner on the box's network. So a non-admin pulls
   * only from under a configured remote (an admin chose those hosts; remotes.add is admin-only), over the scheme
   * the remote was configured with, and a URL anywhere else is refused before anything is contacted. Admins may
   * still pull from any URL: they can add it as a remote anyway. Whatever goes wrong on the way (refused, timed
   * out, an answer that is not a registry's, no such tag) reads the same to a non-admin; the server log says which.
   */
  async function pullAsNonAdmin(url: string, options: { alias?: string }, context: CallContext): Promise<PullResult> {
    // Checks the URL's form (a form error depends on the text alone, never on what listens there).
    if (engine.sync.remoteOf(url) === undefined)
      throw new HearthError(
        'FORBIDDEN',
        'only an admin may pull from a registry that is not a configured remote: pull oci://HOST/REPOSITORY/MODEL:TAG under a remote (remotes.list)',
      );
    try {
      return await engine.sync.pull(url, options);
    } catch (error) {
      // A version that arrived whole (every digest checked) but does not load says nothing about the network.
      if (error instanceof HearthError && error.code === 'MODEL_LOAD_FAILED') throw error;
      process.stderr.write(
        `${JSON.stringify({
          level: 'warn',
          event: 'models.pull',
          actor: context.principal?.name ?? null,
          url: redactText(url),
          code: error instanceof HearthError ? error.code : 'INTERNAL',
          message: redactText(error instanceof Error ? error.message : String(error)),
        })}\n`,
      );
      throw new HearthError(
        'UNAVAILABLE',
        'the remote did not serve that model (unreachable, no such tag, or not a Hearth model); an admin can read why in the server log',
      );
    }
  }

  /**
   * The file a method reads: an upload (HTTP PUT /api/uploads, the desktop bridge), discarded afterwards, or a local
   * path, which only the CLI and in-process callers may name.
   */
  async function withInputFile<T>(
    args: { uploadId?: string | undefined; path?: string | undefined },
    context: CallContext,
    verb: string,
    use: (path: string, spool: SpoolCipher | undefined) => Promise<T>,
  ): Promise<T> {
    let path: string;
    let spool: SpoolCipher | undefined;
    if (args.path !== undefined) {
      if (context.transport !== 'in-process')
        throw new HearthError('FORBIDDEN', `local paths can be ${verb} from the CLI only; upload the file instead`);
      path = args.path;
    } else ({ path, spool } = engine.upload(args.uploadId!));
    try {
      return await use(path, spool);
    } finally {
      if (args.uploadId !== undefined) engine.discardUpload(args.uploadId);
    }
  }

  /**
   * For an append made at most once per content: refuses content this dataset already took, and returns the hook
   * that records it in the append's transaction (the table's key on dataset and hash refuses a racing twin there).
   */
  async function appendedContent(path: string, spool: SpoolCipher | undefined) {
    const sha256 = (await fileDigest(path, spool)).slice('sha256:'.length);
    return (dataset: string, source: string) => {
      if (contentAppended(engine.db, dataset, sha256))
        throw new HearthError('CONFLICT', `${source}: this content was already appended to ${dataset}`);
      return (datasetId: number, version: number) => recordAppendedContent(engine.db, datasetId, sha256, source, version);
    };
  }

  /**
   * The shadow version predicts the same rows after the answer has gone; its predictions are logged under its own
   * version, each pointing at the row it shadows (so late labels reach it too), and never returned. A shadow that
   * fails is counted, never felt by the caller.
   */
  async function shadow(
    name: string,
    version: number,
    rows: ApiParsedArgs<'models.predict'>['rows'],
    ids: string[],
  ): Promise<void> {
    const started = performance.now();
    try {
      const predictor = await engine.predictors.get(name, version);
      const features = modelInputs(predictor.stored);
      const raw = rawInputsFromRecords({ features }, engine.protectInputs(name, version, rows));
      const predictions = toPredictions(await predictor.run(raw), predictor.threshold);
      engine.predictionLog.record(name, version, features, raw, predictions, (performance.now() - started) * 1000, ids);
    } catch (error) {
      engine.servingMetrics.failed(name, `SHADOW_${error instanceof HearthError ? error.code : 'INTERNAL'}`);
    }
  }

  async function predict({
    name,
    version,
    rows,
    explain,
  }: ApiParsedArgs<'models.predict'>): Promise<ApiResults['models.predict']> {
    const started = performance.now();
    if (explain === true && rows.length > 1000)
      throw new HearthError('VALIDATION_FAILED', 'explain at most 1,000 rows per request');
    // A request that names no version goes to production, or to the canary for its share of requests.
    const route = version === undefined ? engine.routes.get(name) : null;
    const resolved =
      route !== null && route.canary !== null && Math.random() < route.canary.share
        ? route.canary.version
        : engine.registry.resolve(name, version);
    const predictor = await engine.predictors.get(name, resolved);
    const features = modelInputs(predictor.stored);
    // The rules of the data the model learnt from hold for what it is asked about: a row that breaks one is a 422.
    engine.assertServable(name, resolved, rows);
    const raw = rawInputsFromRecords({ features }, engine.protectInputs(name, resolved, rows));
    const predictions = toPredictions(await predictor.run(raw), predictor.threshold);
    const ids = engine.predictionLog.record(name, resolved, features, raw, predictions, (performance.now() - started) * 1000);
    predictions.forEach((p, i) => (p.id = ids[i]));
    if (route !== null && route.shadow !== null && route.shadow !== resolved) void shadow(name, route.shadow, rows, ids);
    if (explain === true) {
      const stored = predictor.stored;
      if (stored.format !== 'hearth.trees/1') {
        throw new HearthError(
          'VALIDATION_FAILED',
          `explanations are computed for tree models; ${name} v${resolved} is a linear model`,
        );
      }
      const explanations = explainPredictions(stored, raw, predictions);
      predictions.forEach((p, i) => (p.explanation = explanations[i]));
    }
    engine.servingMetrics.served(name, resolved, rows.length, (performance.now() - started) / 1000);
    return { model: name, version: resolved, executionProvider: predictor.executionProvider, predictions };
  }
}
