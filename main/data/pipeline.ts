import { createHash } from 'node:crypto';
import { basename, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml, YAMLParseError } from 'yaml';
import type { ZodType } from 'zod';
import type { PipelineProgressEvent } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import {
  pipelineFile,
  pipelineStepKinds,
  pipelineSteps,
  type PipelineInput,
  type PipelinePreview,
  type PipelineRunInfo,
  type PipelineSpec,
  type PipelineStep,
  type PipelineStepPreview,
  type PipelineSummary,
} from '../contracts/pipeline.js';
import type { ColumnPolicy } from '../privacy/pii.js';
import { nowIso, type Db } from '../store/database.js';
import type { QuarantinedRow } from './csv.js';
import type { DatasetStore } from './datasets.js';
import { assertName } from './dataset-versions.js';
import { readTable } from './read-table.js';
import { recordsToFrame } from './records.js';
import { cellValue, schemaOf, selectRows, type Frame } from './frame.js';
import { maxNesting, nestedDeeperThan } from './nesting.js';
import { describeSource, readQuery } from './sql-source.js';
import { isSecretKey, redactText, redactUrl } from '../security/redact.js';
import {
  castColumns,
  dedupRows,
  deriveColumn,
  dropColumns,
  filterRows,
  joinFrames,
  newRowsSince,
  renameColumns,
  rowKeyer,
  sampleRows,
  selectColumns,
  unionFrames,
  type RowProblem,
} from './transforms.js';

/**
 * Declarative pipelines: sources, a list of steps, an output dataset. A run reads only the rows its row sources
 * gained since the versions the previous run consumed, pushes them through the steps and appends the result to
 * the output as one new version. The consumed versions are recorded in the transaction that commits that version,
 * so a run either happened entirely or not at all: a re-run, or a re-run after the process was killed anywhere,
 * writes each input row's result exactly once.
 */

/** A cancelled run stops between steps with a coded error; nothing it computed is written. */
function stopIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new HearthError('CANCELLED', 'the pipeline run was cancelled; nothing was written');
}

function invalid(message: string, details: Record<string, unknown> = {}): HearthError {
  return new HearthError('VALIDATION_FAILED', message, { reason: 'pipeline', ...details });
}

/**
 * Every string of a parsed YAML document in its redacted form: a string that is a URL as a whole keeps no userinfo
 * secret wherever its password ends (a space or a quote inside a password ends a URL in free text), other strings
 * are redacted as free text, and the value under a secret-named key (`password:`) is hidden whole.
 */
function redactStrings(value: unknown, underSecretKey = false): unknown {
  if (typeof value === 'string') {
    if (underSecretKey) return '***';
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim()) ? redactText(redactUrl(value.trim())) : redactText(value);
  }
  if (Array.isArray(value)) return value.map((v) => redactStrings(v, underSecretKey));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [redactText(k), redactStrings(v, underSecretKey || isSecretKey(k))]),
    );
  return underSecretKey && value !== null && value !== undefined ? '***' : value;
}

/**
 * A pipeline file's text as someone other than an admin may read it: re-serialised from its parse with every string
 * redacted (a SQL source's `from` keeps its host and database, not its password or query-string options). An
 * in-place scan of the text kept comments and layout, but cannot know where a quoted or folded YAML string ends, and
 * leaked passwords holding a space or a quote: what a viewer gets must hold no secret whatever the file's spelling.
 * A stored file that no longer parses is shown as the free-text scan leaves it.
 */
export function redactDefinition(text: string): string {
  let original: unknown;
  try {
    original = parseYaml(text, { maxAliasCount: 100 });
  } catch {
    return redactText(text);
  }
  return stringifyYaml(redactStrings(original));
}

/** Parses a pipeline file (YAML, or JSON, which YAML reads too) and checks every step against its schema. */
export function parsePipeline(text: string): PipelineSpec {
  let raw: unknown;
  try {
    // At most 100 aliases (yaml's own default, named here since it is the guard): a "billion laughs" file of nested
    // aliases would otherwise expand to gigabytes.
    raw = parseYaml(text, { prettyErrors: true, uniqueKeys: true, maxAliasCount: 100 });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const line = error.linePos?.[0].line;
      throw invalid(
        `the pipeline file is not valid YAML or JSON${line === undefined ? '' : ` (line ${line})`}: ${error.message.split('\n')[0]}`,
      );
    }
    // yaml throws a ReferenceError past maxAliasCount; its composer recurses, so a file nested 10^5 deep overflows.
    if (error instanceof ReferenceError) throw invalid(`the pipeline file is refused: ${error.message}`);
    if (error instanceof RangeError) throw invalid(`the pipeline file nests too deeply (at most ${maxNesting} levels)`);
    throw error;
  }
  if (nestedDeeperThan(raw)) throw invalid(`the pipeline file nests too deeply (at most ${maxNesting} levels)`);
  const file = pipelineFile.safeParse(raw);
  if (!file.success) {
    const issue = file.error.issues[0]!;
    throw invalid(`pipeline file: ${issue.path.join('.') || '(top level)'}: ${issue.message}`, { path: issue.path.join('.') });
  }
  const steps = file.data.steps.map((entry, i): PipelineStep => {
    const keys = Object.keys(entry);
    const where = `steps[${i + 1}]`;
    if (keys.length !== 1)
      throw invalid(`pipeline file: ${where}: a step is one key naming its kind (${pipelineStepKinds.join(', ')})`);
    const kind = keys[0]!;
    if (!(pipelineStepKinds as string[]).includes(kind))
      throw invalid(`pipeline file: ${where}: no step "${kind}" (steps: ${pipelineStepKinds.join(', ')})`);
    const schema = pipelineSteps[kind as keyof typeof pipelineSteps] as ZodType;
    const parsed = schema.safeParse(entry[kind]);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw invalid(
        `pipeline file: ${where}.${kind}${issue.path.length > 0 ? `.${issue.path.join('.')}` : ''}: ${issue.message}`,
      );
    }
    return { kind, spec: parsed.data } as PipelineStep;
  });
  if (steps[0]!.kind !== 'from') throw invalid('pipeline file: the first step is "from: SOURCE"');
  if (steps.slice(1).some((s) => s.kind === 'from'))
    throw invalid('pipeline file: only the first step is a "from" (use union to add rows)');
  const used = steps.flatMap((s) =>
    s.kind === 'from' ? [s.spec] : s.kind === 'join' ? [s.spec.with] : s.kind === 'union' ? [s.spec].flat() : [],
  );
  for (const name of used)
    if (file.data.sources[name] === undefined) throw invalid(`pipeline file: no source named "${name}" under sources`);
  const output =
    typeof file.data.output === 'string' ? { dataset: file.data.output, force: false } : { force: false, ...file.data.output };
  for (const name of used) {
    const source = file.data.sources[name]!;
    const dataset = typeof source === 'string' ? source.split('@')[0]! : 'dataset' in source ? source.dataset : source.into;
    if (dataset === output.dataset) throw invalid(`pipeline file: source "${name}" reads the output dataset "${dataset}"`);
  }
  return {
    name: file.data.name,
    ...(file.data.description === undefined ? {} : { description: file.data.description }),
    sources: file.data.sources,
    steps,
    output: { dataset: output.dataset, force: output.force === true },
  };
}

/** A step as one line, for progress, previews and errors. */
export function stepLabel(step: PipelineStep): string {
  switch (step.kind) {
    case 'from':
      return `from ${step.spec}`;
    case 'rename':
      return `rename ${Object.entries(step.spec)
        .map(([a, b]) => `${a} → ${b}`)
        .join(', ')}`;
    case 'cast':
      return `cast ${Object.entries(step.spec)
        .map(([c, t]) => `${c} as ${t}`)
        .join(', ')}`;
    case 'derive':
      return `derive ${Object.entries(step.spec)
        .map(([c, e]) => `${c} = ${e}`)
        .join('; ')}`;
    case 'filter':
      return `filter ${step.spec}`;
    case 'select':
      return `select ${step.spec.join(', ')}`;
    case 'drop':
      return `drop ${step.spec.join(', ')}`;
    case 'join':
      return `join ${step.spec.with} on ${[step.spec.on].flat().join(', ')} (${step.spec.how})`;
    case 'union':
      return `union ${[step.spec].flat().join(', ')}`;
    case 'dedup':
      return `dedup${step.spec !== true && step.spec.keys !== undefined ? ` on ${step.spec.keys.join(', ')}` : ' (whole rows)'}`;
    case 'sample':
      return `sample ${step.spec.fraction} (seed ${step.spec.seed})`;
    case 'pii':
      return `pii ${Object.entries(step.spec)
        .map(([c, p]) => `${c}: ${typeof p === 'string' ? p : p.policy}`)
        .join(', ')}`;
  }
}

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

interface StepOutcome {
  frame: Frame;
  problems: RowProblem[];
  setAsideBy: number[];
}

export class PipelineRunner {
  constructor(
    private readonly db: Db,
    private readonly datasets: DatasetStore,
  ) {}

  private pipelineId(name: string): number | undefined {
    return (this.db.prepare('SELECT id FROM pipelines WHERE name = ?').get(name) as { id: number } | undefined)?.id;
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
    const pipelineId = this.pipelineId(spec.name);
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

  /** Runs the steps over the inputs' frames; `onStep` sees each step's result. */
  private execute(
    spec: PipelineSpec,
    inputs: Map<string, ResolvedInput>,
    options: RunOptions,
    onStep?: (index: number, step: PipelineStep, outcome: StepOutcome) => void,
  ): StepOutcome {
    let frame: Frame = { rowCount: 0, columns: [] };
    const problems: RowProblem[] = [];
    const setAsideBy: number[] = [];
    const existingOutput = (keys: readonly string[]): Set<string> => {
      // A rebuild replaces the output: what it held does not count.
      if (options.rebuild === true) return new Set();
      let output: Frame;
      try {
        output = this.datasets.loadFrame(spec.output.dataset).frame;
      } catch {
        return new Set();
      }
      if (!keys.every((k) => output.columns.some((c) => c.name === k))) return new Set();
      const keyOf = rowKeyer(output, keys);
      return new Set(Array.from({ length: output.rowCount }, (_, r) => keyOf(r)));
    };
    spec.steps.forEach((step, index) => {
      stopIfCancelled(options.signal);
      options.onProgress?.({
        pipeline: spec.name,
        phase: 'step',
        step: index + 1,
        steps: spec.steps.length,
        label: stepLabel(step),
        rows: frame.rowCount,
      });
      let setAside = 0;
      try {
        switch (step.kind) {
          case 'from':
            frame = inputs.get(step.spec)!.frame;
            break;
          case 'rename':
            frame = renameColumns(frame, step.spec);
            break;
          case 'cast': {
            const cast = castColumns(frame, step.spec);
            frame = cast.frame;
            problems.push(...cast.problems);
            setAside = cast.problems.length;
            break;
          }
          case 'derive':
            for (const [name, expression] of Object.entries(step.spec)) frame = deriveColumn(frame, name, expression);
            break;
          case 'filter':
            frame = filterRows(frame, step.spec);
            break;
          case 'select':
            frame = selectColumns(frame, step.spec);
            break;
          case 'drop':
            frame = dropColumns(frame, step.spec);
            break;
          case 'join': {
            const on = [step.spec.on].flat();
            const right = inputs.get(step.spec.with)!.frame;
            frame = joinFrames(frame, right, on, step.spec.how, step.spec.suffix ?? `_${step.spec.with}`);
            break;
          }
          case 'union':
            frame = unionFrames([frame, ...[step.spec].flat().map((s) => inputs.get(s)!.frame)]);
            break;
          case 'dedup': {
            const keys = step.spec === true ? undefined : step.spec.keys;
            frame = dedupRows(frame, keys, existingOutput(keys ?? frame.columns.map((c) => c.name)));
            break;
          }
          case 'sample':
            frame = sampleRows(frame, step.spec.fraction, step.spec.seed);
            break;
          case 'pii': {
            const policies: Record<string, ColumnPolicy> = Object.fromEntries(
              Object.entries(step.spec).map(([c, p]) => [c, typeof p === 'string' ? { policy: p, type: null } : p]),
            );
            for (const c of Object.keys(policies))
              if (!frame.columns.some((x) => x.name === c)) throw invalid(`pii: no column "${c}"`, { column: c });
            frame = this.datasets.protectWith(frame, policies);
            // Rows set aside by earlier steps (a cast quoting the value it refused) hold the same columns raw.
            problems.splice(0, problems.length, ...problems.map((p) => this.datasets.protectProblem(p, policies)));
            break;
          }
        }
      } catch (error) {
        if (error instanceof HearthError) {
          const details = typeof error.details === 'object' && error.details !== null ? error.details : {};
          throw new HearthError(error.code, `step ${index + 1} (${stepLabel(step)}): ${error.message}`, {
            ...details,
            step: index + 1,
          });
        }
        throw error;
      }
      setAsideBy.push(setAside);
      onStep?.(index, step, { frame, problems, setAsideBy });
    });
    return { frame, problems, setAsideBy };
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
    this.execute(spec, inputs, options, (index, step, outcome) => {
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
      const id = this.pipelineId(spec.name)!;
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
        return this.runInfo(id);
      }
      const outcome = this.execute(spec, inputs, options);
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
        return this.runInfo(id);
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
      return this.runInfo(runId);
    } catch (error) {
      // A run's error is read by every role (pipelines.runs): it is stored without any secret a message quoted.
      const message = redactText(error instanceof Error ? error.message : String(error));
      const cancelled = error instanceof HearthError && error.code === 'CANCELLED';
      record(cancelled ? 'cancelled' : 'failed', { outputVersion: null, rowsOut: 0, quarantined: 0, error: message });
      throw error;
    }
  }

  private runInfo(id: number): PipelineRunInfo {
    const row = this.db
      .prepare('SELECT r.*, p.name FROM pipeline_runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE r.id = ?')
      .get(id) as RunRow | undefined;
    if (row === undefined) throw new HearthError('NOT_FOUND', `no pipeline run ${id}`);
    return toRunInfo(row);
  }

  list(): PipelineSummary[] {
    const rows = this.db
      .prepare(
        `SELECT p.id, p.name, p.output_dataset, (SELECT COUNT(*) FROM pipeline_versions v WHERE v.pipeline_id = p.id) AS versions,
                (SELECT MAX(id) FROM pipeline_runs r WHERE r.pipeline_id = p.id) AS last_run
           FROM pipelines p ORDER BY p.name`,
      )
      .all() as { id: number; name: string; output_dataset: string; versions: number; last_run: number | null }[];
    return rows.map((r) => ({
      name: r.name,
      versions: r.versions,
      output: r.output_dataset,
      lastRun: r.last_run === null ? null : this.runInfo(r.last_run),
    }));
  }

  runs(name: string, limit = 100): PipelineRunInfo[] {
    const id = this.pipelineId(name);
    if (id === undefined) throw new HearthError('NOT_FOUND', `no pipeline named "${name}"`);
    const rows = this.db
      .prepare(
        'SELECT r.*, p.name FROM pipeline_runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE r.pipeline_id = ? ORDER BY r.id DESC LIMIT ?',
      )
      .all(id, limit) as RunRow[];
    return rows.map(toRunInfo);
  }

  /** A stored version of a pipeline's file (the one the latest run ran when none is named). */
  definition(name: string, version?: number): { name: string; version: number; definition: string; createdAt: string } {
    const id = this.pipelineId(name);
    if (id === undefined) throw new HearthError('NOT_FOUND', `no pipeline named "${name}"`);
    // By default the version the latest run ran (a file edited back to an earlier text runs that earlier version).
    const latest = this.db
      .prepare(
        `SELECT COALESCE((SELECT pipeline_version FROM pipeline_runs WHERE pipeline_id = ? ORDER BY id DESC LIMIT 1),
                         (SELECT MAX(version) FROM pipeline_versions WHERE pipeline_id = ?)) AS v`,
      )
      .get(id, id) as { v: number };
    const row = this.db
      .prepare('SELECT * FROM pipeline_versions WHERE pipeline_id = ? AND version = ?')
      .get(id, version ?? latest.v) as { version: number; definition: string; created_at: string } | undefined;
    if (row === undefined) throw new HearthError('NOT_FOUND', `pipeline "${name}" has no version ${version ?? ''}`.trim());
    return { name, version: row.version, definition: row.definition, createdAt: row.created_at };
  }
}

interface RunRow {
  id: number;
  name: string;
  pipeline_version: number;
  status: PipelineRunInfo['status'];
  started_at: string;
  finished_at: string;
  inputs_json: string;
  output_dataset: string;
  output_version: number | null;
  rows_in: number;
  rows_out: number;
  quarantined: number;
  error: string | null;
  mode: PipelineRunInfo['mode'];
}

function toRunInfo(row: RunRow): PipelineRunInfo {
  return {
    id: row.id,
    pipeline: row.name,
    pipelineVersion: row.pipeline_version,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    inputs: JSON.parse(row.inputs_json) as PipelineInput[],
    output: { dataset: row.output_dataset, version: row.output_version },
    rowsIn: row.rows_in,
    rowsOut: row.rows_out,
    quarantined: row.quarantined,
    // Redacted on read too: runs recorded before errors were redacted at write.
    error: row.error === null ? null : redactText(row.error),
    mode: row.mode,
  };
}

function publicInput({ frame: _frame, datasetId: _id, consumed: _consumed, ...input }: ResolvedInput): PipelineInput {
  return input;
}

function rowsIn(inputs: Map<string, ResolvedInput>): number {
  let n = 0;
  for (const input of inputs.values()) if (input.role === 'rows') n += input.rows;
  return n;
}
