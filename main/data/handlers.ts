import { redactText } from '../security/redact.js';
import type { datasetsMethods } from '../contracts/datasets.js';
import type { pipelinesMethods } from '../contracts/pipelines.js';
import type { rulesMethods } from '../contracts/rules.js';
import { isAdmin, type CallContext, type EventSink, type HandlersOf } from '../contracts/call.js';
import { HearthError } from '../contracts/errors.js';
import { kAnonymity } from '../privacy/pii.js';
import { qualityReportHtml } from './quality-report.js';
import type { SpoolCipher } from '../crypto/spool.js';
import type { Db } from '../store/database.js';
import type { DatasetStore } from './datasets.js';
import { diffFrames } from './diff.js';
import { fileDigest, withInputFile, type Uploads } from './input-file.js';
import { parsePipeline, redactDefinition, type PipelineRunner } from './pipeline.js';
import { describeSource, readQuery } from './sql-source.js';
import { contentAppended, recordAppendedContent } from './watch-folder.js';
import { frameCsv } from './csv.js';

/** The most CSV text one datasets.export returns (characters). */
const exportLimit = 64 * 1024 * 1024;

/** What the datasets, rules and pipelines methods use. */
export interface DataHandlerDeps {
  readonly db: Db;
  readonly datasets: DatasetStore;
  readonly pipelines: PipelineRunner;
  readonly events: EventSink;
  readonly uploads: Uploads;
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

/** The datasetsMethods, rulesMethods, pipelinesMethods methods' handlers. */
export function dataHandlers(
  deps: DataHandlerDeps,
): HandlersOf<typeof datasetsMethods & typeof rulesMethods & typeof pipelinesMethods> {
  return {
    'datasets.list': async () => deps.datasets.list(),
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
          ? await deps.datasets.appendRecords(name, records, source)
          : await deps.datasets.ingestRecords(name, records, source, { force: force === true });
      deps.events.emit('datasets.did-ingest', result);
      return result;
    },
    'pipelines.preview': async ({ definition, limit, sampleRows, baseDir }, context) =>
      deps.pipelines.preview(parsePipeline(definition), {
        ...localSources(context, baseDir),
        ...(limit === undefined ? {} : { limit }),
        ...(sampleRows === undefined ? {} : { sampleRows }),
      }),
    'pipelines.run': async ({ definition, baseDir, rebuild }, context) => {
      const run = await deps.pipelines.run(definition, {
        ...localSources(context, baseDir),
        ...(rebuild === true ? { rebuild: true } : {}),
        // Events reach every subscriber, viewers included: a step's label quotes the file (a derive's literal may
        // hold a connection string), so it is redacted as pipelines.definition is for them.
        onProgress: (progress) => deps.events.emit('pipelines.progress', { ...progress, label: redactText(progress.label) }),
      });
      deps.events.emit('pipelines.did-run', run);
      return run;
    },
    'pipelines.cancel': async ({ name }) => ({ cancelled: deps.pipelines.cancel(name) }),
    'pipelines.list': async () => deps.pipelines.list(),
    'pipelines.runs': async ({ name, limit }) => deps.pipelines.runs(name, limit),
    'pipelines.definition': async ({ name, version }, context) => {
      const stored = deps.pipelines.definition(name, version);
      // Admins get the file as it ran (to run it again); everyone else, its connection strings without secrets.
      return isAdmin(context) ? stored : { ...stored, definition: redactDefinition(stored.definition) };
    },
    'rules.suggest': async ({ name, version }) => deps.datasets.suggestRules(name, version),
    'rules.get': async ({ name }) => {
      deps.datasets.version(name);
      return deps.datasets.rules(name);
    },
    'rules.set': async ({ name, rules }) => deps.datasets.setRules(name, rules),
    'rules.check': async ({ name, version, rules }) => deps.datasets.checkRules(name, version, rules),
    'rules.report': async ({ name, version }) => {
      const { id: _id, ...detail } = await deps.datasets.detail(name, version);
      const check = await deps.datasets.checkRules(name, detail.version);
      return {
        fileName: `${name}-v${detail.version}-quality.html`,
        html: qualityReportHtml(detail, check, deps.datasets.rules(name)),
      };
    },
    'datasets.versions': async ({ name }) => deps.datasets.versions(name),
    'datasets.version': async ({ name, version }) => {
      const { id: _id, ...detail } = await deps.datasets.detail(name, version);
      return detail;
    },
    'datasets.export': async ({ name, version }) => {
      const { frame, info } = deps.datasets.loadFrame(name, version);
      return { dataset: name, version: info.version, rows: frame.rowCount, csv: frameCsv(frame, exportLimit) };
    },
    'datasets.quarantine': async ({ name, version, offset, limit }) => deps.datasets.quarantine(name, version, offset, limit),
    'datasets.append': async ({ name, rows, source }, context) => {
      const result = await deps.datasets.appendRecords(name, rows, source ?? `${context.transport} rows`);
      deps.events.emit('datasets.did-ingest', result);
      return result;
    },
    'datasets.ingest': async (args, context) =>
      withInputFile(deps.uploads, args, context, 'ingested', async (path, spool) => {
        if (args.append === true) {
          if (args.pii !== undefined)
            throw new HearthError(
              'VALIDATION_FAILED',
              'an append follows the policies the dataset has; set policies with a new version',
            );
          // Once per content: checked here, and made certain by the content's key in the append's own transaction.
          const once = args.once === true ? await appendedContent(path, spool) : undefined;
          const appended = await deps.datasets.appendFile(args.name, path, {
            ...(args.fileName === undefined ? {} : { fileName: args.fileName }),
            ...(args.format === undefined ? {} : { format: args.format }),
            ...(args.delimiter === undefined ? {} : { delimiter: args.delimiter }),
            ...(spool === undefined ? {} : { spool }),
            ...(once === undefined ? {} : { inTransaction: once(args.name, args.fileName ?? path) }),
          });
          deps.events.emit('datasets.did-ingest', appended);
          return appended;
        }
        let lastReport = 0;
        const result = await deps.datasets.ingestCsv(args.name, path, {
          // Throttled: a progress event per 100 ms is plenty for a bar and cheap for the event stream.
          onProgress: (bytesRead, totalBytes) => {
            const now = Date.now();
            if (now - lastReport < 100 && bytesRead < totalBytes) return;
            lastReport = now;
            deps.events.emit('datasets.ingest-progress', { dataset: args.name, bytesRead, totalBytes });
          },
          ...(args.fileName === undefined ? {} : { fileName: args.fileName }),
          ...(args.delimiter === undefined ? {} : { delimiter: args.delimiter }),
          ...(args.pii === undefined ? {} : { pii: args.pii }),
          ...(args.format === undefined ? {} : { format: args.format }),
          ...(args.force === true ? { force: true } : {}),
          ...(spool === undefined ? {} : { spool }),
        });
        // An unchanged file made no version: nothing was ingested to announce.
        if (result.unchanged !== true) deps.events.emit('datasets.did-ingest', result);
        return result;
      }),
    'datasets.pii-scan': async (args, context) => {
      // The console scans an upload, then ingests the same upload with the policies chosen: it keeps it for that.
      const named = {
        ...(args.fileName === undefined ? {} : { fileName: args.fileName }),
        ...(args.format === undefined ? {} : { format: args.format }),
      };
      if (args.keepUpload === true && args.uploadId !== undefined) {
        const { path, spool } = deps.uploads.upload(args.uploadId);
        return deps.datasets.scanCsv(path, { ...named, spool });
      }
      return withInputFile(deps.uploads, args, context, 'scanned', (path, spool) =>
        deps.datasets.scanCsv(path, spool === undefined ? named : { ...named, spool }),
      );
    },
    'datasets.pii-policies': async ({ name }) => {
      deps.datasets.version(name);
      return deps.datasets.policies(name);
    },
    'datasets.k-anonymity': async ({ name, version, columns, k }) => {
      const { frame, info } = deps.datasets.loadFrame(name, version);
      return { dataset: name, version: info.version, columns, required: k, ...kAnonymity(frame, columns, k) };
    },
    'datasets.diff': async ({ name, from, to }) =>
      diffFrames(name, [from, to], deps.datasets.loadFrame(name, from).frame, deps.datasets.loadFrame(name, to).frame),
  };

  /**
   * For an append made at most once per content: refuses content this dataset already took, and returns the hook
   * that records it in the append's transaction (the table's key on dataset and hash refuses a racing twin there).
   */
  async function appendedContent(path: string, spool: SpoolCipher | undefined) {
    const sha256 = (await fileDigest(path, spool)).slice('sha256:'.length);
    return (dataset: string, source: string) => {
      if (contentAppended(deps.db, dataset, sha256))
        throw new HearthError('CONFLICT', `${source}: this content was already appended to ${dataset}`);
      return (datasetId: number, version: number) => recordAppendedContent(deps.db, datasetId, sha256, source, version);
    };
  }
}
