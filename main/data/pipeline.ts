import { createHash } from 'node:crypto';
import { basename, isAbsolute, resolve } from 'node:path';
import type { PipelineProgressEvent } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import type {
  PipelineInput,
  PipelinePreview,
  PipelineRunInfo,
  PipelineSpec,
  PipelineStepPreview,
  PipelineSummary,
} from '../contracts/pipeline.js';
import { redactText } from '../security/redact.js';
import { nowIso, type Db } from '../store/database.js';
import type { QuarantinedRow } from './csv.js';
import type { DatasetStore } from './datasets.js';
import { assertName } from './dataset-versions.js';
import { cellValue, schemaOf, selectRows, type Frame } from '../table/frame.js';
import { parsePipeline, stepLabel } from './pipeline-spec.js';
import { PipelineHistory } from './pipeline-history.js';
import { executeSteps, stopIfCancelled } from './pipeline-steps.js';
import { readTable } from './read-table.js';
import { recordsToFrame } from './records.js';
import { describeSource, readQuery } from './sql-source.js';
import { newRowsSince } from './transforms.js';

export { parsePipeline, redactDefinition, stepLabel } from './pipeline-spec.js';

/**
 * Declarative pipelines: sources, a list of steps, an output dataset. A run reads only the rows its row sources
 * gained since the versions the previous run consumed, pushes them through the steps and appends the result to
 * the output as one new version. The consumed versions are recorded in the transaction that commits that version,
 * so a run either happened entirely or not at all: a re-run, or a re-run after the process was killed anywhere,
 * writes each input row's result exactly once.
 */

/** 'read' while inputs load, 'step' per step, 'commit' while the output version is written. */
export type PipelineProgress = PipelineProgressEvent;

export interface RunOptions {
  /** Where relative file paths in sources resolve (the pipeline file's folder). */
  baseDir?: string;
  /** Whether file and SQL sources may be read: the CLI and in-process callers only. */
  allowLocalSources?: boolean;
  onProgress?: (progress: PipelineProgress) => void;
  signal?: AbortSignal;
  /** Read every row of the row sources (not only the new ones) and write the output anew as one whole version. */
  rebuild?: boolean;
}

interface ResolvedInput extends PipelineInput {
  frame: Frame;
  datasetId: number;
  /** For a rows source: the version the previous run consumed (null: none), checked again at commit. */
  consumed?: number | null;
}

/** What a pipeline run needs of the dataset store: its sources' versions in, its output's version out. */
export type PipelineDatasets = Pick<
  DatasetStore,
  | 'datasetId'
  | 'version'
  | 'loadFrame'
  | 'protectFrame'
  | 'protectWith'
  | 'protectProblem'
  | 'refreshFromFile'
  | 'refreshFromRecords'
  | 'appendFrame'
  | 'replaceFrame'
>;

export class PipelineRunner {
  private readonly history: PipelineHistory;

  constructor(
    private readonly db: Db,
    private readonly datasets: PipelineDatasets,
  ) {
    this.history = new PipelineHistory(db);
  }

  /** The pipelines with their latest run (pipeline-history.ts). */
  list(): PipelineSummary[] {
    return this.history.list();
  }

  /** A pipeline's runs, newest first. */
  runs(name: string, limit = 100): PipelineRunInfo[] {
    return this.history.runs(name, limit);
  }

  /** A stored version of a pipeline's file (the one the latest run ran when none is named). */
  definition(name: string, version?: number): { name: string; version: number; definition: string; createdAt: string } {
    return this.history.definition(name, version);
  }

  private consumedVersion(pipelineId: number | undefined, datasetId: number): number | null {
    if (pipelineId === undefined) return null;
    const row = this.db
      .prepare('SELECT version FROM pipeline_consumed WHERE pipeline_id = ? AND dataset_id = ?')
      .get(pipelineId, datasetId) as { version: number } | undefined;
    return row?.version ?? null;
  }

  /**
   * Brings each source to a dataset version: files and queries are read (a new version of their `into` dataset
   * when their rows changed); row sources yield their rows new since the consumed version, lookups all rows.
   */
  private async resolveInputs(spec: PipelineSpec, options: RunOptions, refresh: boolean): Promise<Map<string, ResolvedInput>> {
    const pipelineId = this.history.pipelineId(spec.name);
    const roles = new Map<string, 'rows' | 'lookup'>();
    for (const step of spec.steps) {
      if (step.kind === 'from') roles.set(step.spec, 'rows');
      if (step.kind === 'union') for (const s of [step.spec].flat()) roles.set(s, 'rows');
      if (step.kind === 'join' && !roles.has(step.spec.with)) roles.set(step.spec.with, 'lookup');
    }
    const inputs = new Map<string, ResolvedInput>();
    for (const [source, role] of roles) {
      stopIfCancelled(options.signal);
      const def = spec.sources[source]!;
      let dataset: string;
      let version: number | undefined;
      let unstored: { frame: Frame; version: number } | null = null;
      if (typeof def === 'string') {
        const [name, at] = def.split('@');
        dataset = name!;
        version = at === undefined ? undefined : Number(at);
      } else if ('dataset' in def) {
        dataset = def.dataset;
        version = def.version;
      } else {
        if (options.allowLocalSources !== true)
          throw new HearthError(
            'FORBIDDEN',
            `source "${source}": files and SQL queries are read from the CLI only (hearth pipeline run FILE); here, name datasets`,
          );
        dataset = def.into;
        assertName('dataset', dataset);
        options.onProgress?.({ pipeline: spec.name, phase: 'read', steps: spec.steps.length, label: `read ${source}`, rows: 0 });
        const path = 'file' in def ? (isAbsolute(def.file) ? def.file : resolve(options.baseDir ?? process.cwd(), def.file)) : '';
        const readOptions =
          'file' in def
            ? {
                ...(def.format === undefined ? {} : { format: def.format }),
                ...(def.delimiter === undefined ? {} : { delimiter: def.delimiter }),
              }
            : {};
        if (!refresh) {
          // A preview reads the file or query as the run would, but stores nothing.
          const frame =
            'file' in def
              ? (await readTable(path, basename(path), readOptions)).frame
              : recordsToFrame(await readQuery({ from: def.from, query: def.query })).frame;
          const latest = this.datasets.datasetId(dataset) === null ? 0 : this.datasets.version(dataset).version;
          unstored = { frame: this.datasets.protectFrame(dataset, frame), version: latest + 1 };
        } else if ('file' in def) version = await this.datasets.refreshFromFile(dataset, path, readOptions);
        else {
          const records = await readQuery({ from: def.from, query: def.query });
          version = await this.datasets.refreshFromRecords(
            dataset,
            records,
            `${describeSource(def.from)} ${def.query.slice(0, 200)}`,
          );
        }
      }
      // A preview's file or query rows are compared with what was consumed as they are; a run reads the stored version.
      let current: Frame;
      let currentVersion: number;
      if (unstored !== null) ({ frame: current, version: currentVersion } = unstored);
      else {
        const loaded = this.datasets.loadFrame(dataset, version);
        current = loaded.frame;
        currentVersion = loaded.info.version;
      }
      const datasetId = this.datasets.datasetId(dataset);
      // A lookup is read whole; so is a preview's file or query for a dataset not stored yet (nothing consumed).
      if (datasetId === null || role === 'lookup') {
        const rows = current.rowCount;
        inputs.set(source, { source, dataset, version: currentVersion, role, rows, frame: current, datasetId: datasetId ?? -1 });
        continue;
      }
      const consumed = this.consumedVersion(pipelineId, datasetId);
      let since: Frame | null = null;
      if (consumed !== null && consumed !== currentVersion && options.rebuild !== true) {
        try {
          since = this.datasets.loadFrame(dataset, consumed).frame;
        } catch (error) {
          // A consumed version that was deleted since (retention) cannot say what is new: refuse rather than re-append.
          throw new HearthError('CONFLICT', `source "${source}": ${dataset} v${consumed}, which the last run consumed, is gone`, {
            cause: error instanceof Error ? error.message : String(error),
          });
        }
      }
      const fresh =
        options.rebuild === true
          ? newRowsSince(current, null)
          : consumed === currentVersion
            ? { rows: new Int32Array(0), removed: 0 }
            : newRowsSince(current, since);

      inputs.set(source, {
        source,
        dataset,
        version: currentVersion,
        role,
        rows: fresh.rows.length,
        ...(fresh.removed > 0 ? { removed: fresh.removed } : {}),
        frame: fresh.rows.length === current.rowCount ? current : selectRows(current, fresh.rows),
        datasetId,
        consumed,
      });
    }
    return inputs;
  }

  /**
   * What the next run would do, step by step, on the first `limit` new rows of each row source (lookups whole):
   * nothing is written, and file and SQL sources are read from the versions already stored.
   */
  async preview(
    spec: PipelineSpec,
    options: RunOptions & { limit?: number; sampleRows?: number } = {},
  ): Promise<PipelinePreview> {
    const limit = options.limit ?? 1000;
    const shown = options.sampleRows ?? 20;
    const inputs = await this.resolveInputs(spec, options, false);
    let truncated = false;
    for (const input of inputs.values())
      if (input.role === 'rows' && input.frame.rowCount > limit) {
        truncated = true;
        input.frame = selectRows(
          input.frame,
          Int32Array.from({ length: limit }, (_, r) => r),
        );
      }
    const steps: PipelineStepPreview[] = [];
    executeSteps(spec, inputs, options, this.datasets, (index, step, outcome) => {
      steps.push({
        index: index + 1,
        label: stepLabel(step),
        rows: outcome.frame.rowCount,
        columns: schemaOf(outcome.frame),
        sample: Array.from({ length: Math.min(shown, outcome.frame.rowCount) }, (_, r) =>
          Object.fromEntries(outcome.frame.columns.map((c) => [c.name, cellValue(c, r)])),
        ),
        setAside: outcome.setAsideBy[index] ?? 0,
      });
    });
    return { pipeline: spec.name, inputs: [...inputs.values()].map(publicInput), steps, truncated };
  }

  /** Records the file's text as the pipeline's next version unless it is the current one; returns the version. */
  private registerDefinition(spec: PipelineSpec, text: string): { id: number; version: number } {
    return this.db.transaction(() => {
      const now = nowIso();
      this.db
        .prepare(
          'INSERT INTO pipelines (name, output_dataset, created_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET output_dataset = excluded.output_dataset',
        )
        .run(spec.name, spec.output.dataset, now);
      const id = this.history.pipelineId(spec.name)!;
      const sha256 = createHash('sha256').update(text).digest('hex');
      const known = this.db
        .prepare('SELECT version FROM pipeline_versions WHERE pipeline_id = ? AND sha256 = ?')
        .get(id, sha256) as { version: number } | undefined;
      if (known !== undefined) return { id, version: known.version };
      const { v } = this.db
        .prepare('SELECT COALESCE(MAX(version), 0) AS v FROM pipeline_versions WHERE pipeline_id = ?')
        .get(id) as { v: number };
      this.db
        .prepare('INSERT INTO pipeline_versions (pipeline_id, version, definition, sha256, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(id, v + 1, text, sha256, now);
      return { id, version: v + 1 };
    })();
  }

  /**
   * One run: new input rows through the steps, appended to the output as one version, with the consumed input
   * versions and the run's lineage in the same transaction. A failed run is recorded as failed and changes nothing.
   */
  async run(text: string, options: RunOptions & { beforeCommit?: () => void | Promise<void> } = {}): Promise<PipelineRunInfo> {
    const spec = parsePipeline(text);
    // Runs of one pipeline in this process take turns (a scheduled tick beside a run from the console).
    const previous = this.running.get(spec.name) ?? Promise.resolve();
    const controller = new AbortController();
    options.signal?.addEventListener('abort', () => controller.abort(), { once: true });
    const current = previous
      .catch(() => undefined)
      .then(() => {
        this.cancels.set(spec.name, controller);
        return this.runOnce(spec, text, { ...options, signal: controller.signal });
      });
    this.running.set(spec.name, current);
    try {
      return await current;
    } finally {
      if (this.running.get(spec.name) === current) this.running.delete(spec.name);
      if (this.cancels.get(spec.name) === controller) this.cancels.delete(spec.name);
    }
  }

  private readonly running = new Map<string, Promise<unknown>>();
  private readonly cancels = new Map<string, AbortController>();

  /** Cancels the run of a pipeline going on in this process; false when none is. */
  cancel(name: string): boolean {
    const controller = this.cancels.get(name);
    if (controller === undefined) return false;
    controller.abort();
    return true;
  }

  private async runOnce(
    spec: PipelineSpec,
    text: string,
    options: RunOptions & { beforeCommit?: () => void | Promise<void> },
  ): Promise<PipelineRunInfo> {
    const { id: pipelineId, version: pipelineVersion } = this.registerDefinition(spec, text);
    const startedAt = nowIso();
    let inputs: Map<string, ResolvedInput> = new Map();
    const record = (
      status: PipelineRunInfo['status'],
      fields: { outputVersion: number | null; rowsOut: number; quarantined: number; error: string | null },
    ): number =>
      Number(
        this.db
          .prepare(
            `INSERT INTO pipeline_runs (pipeline_id, pipeline_version, status, started_at, finished_at, inputs_json,
               output_dataset, output_version, rows_in, rows_out, quarantined, error, mode)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            pipelineId,
            pipelineVersion,
            status,
            startedAt,
            nowIso(),
            JSON.stringify([...inputs.values()].map(publicInput)),
            spec.output.dataset,
            fields.outputVersion,
            rowsIn(inputs),
            fields.rowsOut,
            fields.quarantined,
            fields.error,
            options.rebuild === true ? 'rebuild' : 'incremental',
          ).lastInsertRowid,
      );
    const consume = () => {
      // Another process (the server beside a CLI run) may have run this pipeline meanwhile: what this run read as
      // new would then be appended twice. Checked inside the committing transaction, so one of the two wins.
      for (const input of inputs.values())
        if (input.role === 'rows' && this.consumedVersion(pipelineId, input.datasetId) !== (input.consumed ?? null))
          throw new HearthError(
            'CONFLICT',
            `another run of pipeline "${spec.name}" committed while this one ran; nothing was written: run it again`,
            { reason: 'concurrent-run' },
          );
      const upsert = this.db.prepare(
        `INSERT INTO pipeline_consumed (pipeline_id, dataset_id, version) VALUES (?, ?, ?)
         ON CONFLICT (pipeline_id, dataset_id) DO UPDATE SET version = excluded.version`,
      );
      for (const input of inputs.values()) if (input.role === 'rows') upsert.run(pipelineId, input.datasetId, input.version);
    };
    try {
      inputs = await this.resolveInputs(spec, options, true);
      if (rowsIn(inputs) === 0) {
        const id = record('up-to-date', { outputVersion: null, rowsOut: 0, quarantined: 0, error: null });
        return this.history.runInfo(id);
      }
      const outcome = executeSteps(spec, inputs, options, this.datasets);
      stopIfCancelled(options.signal);
      options.onProgress?.({
        pipeline: spec.name,
        phase: 'commit',
        steps: spec.steps.length,
        label: `append to ${spec.output.dataset}`,
        rows: outcome.frame.rowCount,
      });
      await options.beforeCommit?.();
      stopIfCancelled(options.signal);
      const quarantined: QuarantinedRow[] = outcome.problems.map((p) => ({ line: p.row + 1, reason: p.reason, raw: p.raw }));
      if (outcome.frame.rowCount === 0 && options.rebuild === true)
        throw new HearthError('INVALID_INPUT', 'the rebuild produced no rows: the output is left as it is', { reason: 'empty' });
      if (outcome.frame.rowCount === 0) {
        // Every new row was filtered out or set aside: nothing to append, but these inputs are consumed all the same.
        const id = this.db.transaction(() => {
          consume();
          return record('succeeded', { outputVersion: null, rowsOut: 0, quarantined: quarantined.length, error: null });
        })();
        return this.history.runInfo(id);
      }
      let runId = 0;
      const source = {
        fileName: `pipeline ${spec.name}`,
        bytes: 0,
        delimiter: '',
        lineEnding: '',
        pipeline: { name: spec.name, version: pipelineVersion },
        inputs: [...inputs.values()].map((i) => ({ dataset: i.dataset, version: i.version, role: i.role })),
      };
      const commit = {
        force: spec.output.force,
        inTransaction: (_datasetId: number, version: number) => {
          consume();
          runId = record('succeeded', { outputVersion: version, rowsOut: 0, quarantined: 0, error: null });
        },
      };
      const rowsOut =
        options.rebuild === true
          ? (await this.datasets.replaceFrame(spec.output.dataset, outcome.frame, quarantined, source, commit)).rows
          : (await this.datasets.appendFrame(spec.output.dataset, outcome.frame, quarantined, source, commit)).appended;
      this.db
        .prepare('UPDATE pipeline_runs SET rows_out = ?, quarantined = ? WHERE id = ?')
        .run(rowsOut, quarantined.length, runId);
      return this.history.runInfo(runId);
    } catch (error) {
      // A run's error is read by every role (pipelines.runs): it is stored without any secret a message quoted.
      const message = redactText(error instanceof Error ? error.message : String(error));
      const cancelled = error instanceof HearthError && error.code === 'CANCELLED';
      record(cancelled ? 'cancelled' : 'failed', { outputVersion: null, rowsOut: 0, quarantined: 0, error: message });
      throw error;
    }
  }
}

function publicInput({ frame: _frame, datasetId: _id, consumed: _consumed, ...input }: ResolvedInput): PipelineInput {
  return input;
}

function rowsIn(inputs: Map<string, ResolvedInput>): number {
  let n = 0;
  for (const input of inputs.values()) if (input.role === 'rows') n += input.rows;
  return n;
}
