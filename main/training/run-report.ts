import type { NewModelVersion } from '../registry/registry.js';
import type { EvaluationData } from './evaluation.js';
import { onnxInputSchema, type TrainedModel } from '../models/model.js';
import type { TrainArgs } from './train-args.js';

/** What a finished run registers: the model, its ONNX graph, its metrics and the run's report. */
export interface RunRecord {
  args: TrainArgs;
  datasetVersionId: number;
  algorithm: string;
  task: EvaluationData['task'];
  params: Record<string, unknown>;
  model: TrainedModel;
  onnx: Uint8Array;
  /** The reported metrics, and the evaluation's curves and confusion matrix (first in the report). */
  evaluation: { metrics: Record<string, number>; report: Record<string, unknown> };
  /** The run's report, in order, up to the measures that close it. */
  report: Record<string, unknown>;
  predictLatencyUs: number | null;
  codeVersion: string;
}

/** The registry entry for a run: named after the model asked for, or the dataset and target. */
export function registration(run: RunRecord): NewModelVersion {
  const { args, model, onnx } = run;
  return {
    model: args.model ?? `${args.dataset}-${slug(args.target)}`,
    algorithm: run.algorithm,
    task: run.task,
    target: args.target,
    datasetVersionId: run.datasetVersionId,
    params: run.params,
    metrics: run.evaluation.metrics,
    report: {
      ...run.evaluation.report,
      ...run.report,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      modelBytes: onnx.length,
      predictLatencyUs: run.predictLatencyUs,
      codeVersion: run.codeVersion,
    },
    inputSchema: onnxInputSchema(model),
    onnx,
    modelJson: JSON.stringify(model),
  };
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'target'
  );
}
