import { z } from 'zod';
import { defineMethods, returns } from './method.js';
import { baseDir, name, version } from './fields.js';
import type { PipelinePreview, PipelineRunInfo, PipelineSummary } from './pipeline.js';

/* pipelines.*: pipeline files (their format is in pipeline.ts) previewed, run, cancelled and listed. */

/** One moment of a pipeline run, for progress bars. */
export interface PipelineProgressEvent {
  pipeline: string;
  phase: 'read' | 'step' | 'commit';
  step?: number;
  steps: number;
  label: string;
  rows: number;
}

export const pipelinesMethods = defineMethods({
  /**
   * What the next run of a pipeline would do, step by step, on the first `limit` new rows of each input; nothing
   * is written. Files and SQL sources are previewed from the CLI and in-process callers only.
   */
  'pipelines.preview': {
    doc: "What a pipeline's next run would do, step by step, on a sample; nothing is written.",
    permission: 'read',
    args: z
      .object({
        definition: z.string().min(1).max(1_000_000),
        limit: z.number().int().min(1).max(100_000).optional(),
        sampleRows: z.number().int().min(0).max(200).optional(),
        baseDir,
      })
      .strict(),
    result: returns<PipelinePreview>(),
  },
  'pipelines.run': {
    doc: 'Runs a pipeline file: new input rows through its steps, appended to its output as one version.',
    permission: 'write',
    args: z
      .object({
        definition: z.string().min(1).max(1_000_000),
        baseDir,
        /** Every input row, not only the new ones, written as a whole new output version (after the file changed). */
        rebuild: z.boolean().optional(),
      })
      .strict(),
    result: returns<PipelineRunInfo>(),
  },
  'pipelines.cancel': {
    doc: "Cancels the pipeline's run going on now (between steps; nothing of it is written).",
    permission: 'write',
    args: z.object({ name }).strict(),
    result: returns<{ cancelled: boolean }>(),
  },
  'pipelines.list': {
    doc: 'Every pipeline with its output and its last run.',
    permission: 'read',
    args: z.object({}).strict(),
    result: returns<PipelineSummary[]>(),
  },
  'pipelines.runs': {
    doc: "A pipeline's runs.",
    permission: 'read',
    args: z.object({ name, limit: z.number().int().min(1).max(1000).optional() }).strict(),
    result: returns<PipelineRunInfo[]>(),
  },
  'pipelines.definition': {
    doc: "A stored version of a pipeline's file (each run stores the text it ran; the latest when none is named).",
    permission: 'read',
    args: z.object({ name, version: version.optional() }).strict(),
    result: returns<{ name: string; version: number; definition: string; createdAt: string }>(),
  },
});
