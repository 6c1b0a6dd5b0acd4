import { HearthError } from '../contracts/errors.js';
import type { PipelineProgressEvent } from '../contracts/api.js';
import type { PipelineSpec, PipelineStep } from '../contracts/pipeline.js';
import type { ColumnPolicy } from '../privacy/pii.js';
import type { DatasetStore } from './datasets.js';
import type { Frame } from '../table/frame.js';
import { invalid, stepLabel } from './pipeline-spec.js';
import {
  castColumns,
  dedupRows,
  deriveColumn,
  dropColumns,
  filterRows,
  joinFrames,
  renameColumns,
  rowKeyer,
  sampleRows,
  selectColumns,
  unionFrames,
  type RowProblem,
} from './transforms.js';

/** A cancelled run stops between steps with a coded error; nothing it computed is written. */
export function stopIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new HearthError('CANCELLED', 'the pipeline run was cancelled; nothing was written');
}

/** What running the steps needs of a run's options. */
export interface StepOptions {
  /** A rebuild replaces the output: a dedup does not count what it held. */
  rebuild?: boolean;
  onProgress?: (progress: PipelineProgressEvent) => void;
  signal?: AbortSignal;
}

/** The frame after a step, the rows set aside so far, and how many each step set aside. */
export interface StepOutcome {
  frame: Frame;
  problems: RowProblem[];
  setAsideBy: number[];
}

/**
 * Runs the steps over the inputs' frames; `onStep` sees each step's result. `datasets` gives the output's rows (a
 * dedup against what it holds) and applies a pii step's policies with the store's pseudonym key.
 */
export function executeSteps(
  spec: PipelineSpec,
  inputs: ReadonlyMap<string, { frame: Frame }>,
  options: StepOptions,
  datasets: Pick<DatasetStore, 'loadFrame' | 'protectWith' | 'protectProblem'>,
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
      output = datasets.loadFrame(spec.output.dataset).frame;
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
          frame = datasets.protectWith(frame, policies);
          // Rows set aside by earlier steps (a cast quoting the value it refused) hold the same columns raw.
          problems.splice(0, problems.length, ...problems.map((p) => datasets.protectProblem(p, policies)));
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
