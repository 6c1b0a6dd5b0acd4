import type { z } from 'zod';
import { accessMethods } from './access.js';
import { costsMethods } from './costs.js';
import { compressMethods } from './compress.js';
import { datasetsMethods } from './datasets.js';
import type { MethodDefinition, Permission, ResultOf } from './method.js';
import { modelsMethods } from './models.js';
import { overviewMethods } from './overview.js';
import { monitoringMethods } from './monitoring.js';
import { pipelinesMethods } from './pipelines.js';
import { rulesMethods } from './rules.js';
import { runsMethods } from './runs.js';
import { servingMethods } from './serving.js';
import { storeMethods } from './store.js';
import { syncMethods } from './sync.js';
import { systemMethods } from './system.js';
import { trainingMethods } from './training.js';

/*
 * The API contract, assembled from one file per domain. A method's prefix names its domain's file, except the
 * models.* methods that belong to other domains: predict and routes (serving.ts), drift, monitor and feedback
 * (monitoring.ts), pull (sync.ts) and retrain (training.ts). Each method is defined once there: its doc, args schema,
 * permission and result type (method.ts); everything below is derived. Types and schemas only, no logic beyond
 * the assembly: the renderer imports this with `import type` only (and, through validate.ts, the schemas to check a
 * form before it sends).
 */

const domains = [
  systemMethods,
  overviewMethods,
  datasetsMethods,
  rulesMethods,
  pipelinesMethods,
  trainingMethods,
  compressMethods,
  runsMethods,
  costsMethods,
  modelsMethods,
  servingMethods,
  monitoringMethods,
  syncMethods,
  accessMethods,
  storeMethods,
] as const;

/** Every method's definition, by name. */
export const apiMethods = {
  ...systemMethods,
  ...overviewMethods,
  ...datasetsMethods,
  ...rulesMethods,
  ...pipelinesMethods,
  ...trainingMethods,
  ...compressMethods,
  ...runsMethods,
  ...costsMethods,
  ...modelsMethods,
  ...servingMethods,
  ...monitoringMethods,
  ...syncMethods,
  ...accessMethods,
  ...storeMethods,
};

// A spread would let a method defined in two domains silently keep the last definition: refuse it at load.
if (Object.keys(apiMethods).length !== domains.reduce((n, d) => n + Object.keys(d).length, 0))
  throw new Error('an API method is defined in more than one contract file');

type Methods = typeof apiMethods;
export type ApiMethod = keyof Methods;

function eachMethod<V>(pick: (m: MethodDefinition) => V): Record<ApiMethod, V> {
  return Object.fromEntries(Object.entries(apiMethods).map(([k, m]) => [k, pick(m)])) as Record<ApiMethod, V>;
}

/** One zod schema per method: dispatch() validates every call's arguments with it. */
export const apiSchemas = eachMethod((m) => m.args) as { readonly [K in ApiMethod]: Methods[K]['args'] };
/** Each method's hand-written pre-check, where it has one (see MethodDefinition.accepts). */
export const apiFastChecks: Partial<Record<ApiMethod, (args: unknown) => unknown>> = Object.fromEntries(
  Object.entries(apiMethods as Record<string, MethodDefinition>).flatMap(([k, m]) =>
    m.accepts === undefined ? [] : [[k, m.accepts]],
  ),
);
/** What a caller must be granted to call each method (main/security/access.ts says which roles grant what). */
export const methodPermission: Record<ApiMethod, Permission> = eachMethod((m) => m.permission);
/** Whether each method may change the box's state: what a replica (`serve --replica`) refuses. */
export const methodChangesState: Record<ApiMethod, boolean> = eachMethod(
  (m) => m.changesState ?? !(m.permission === 'info' || m.permission === 'read' || m.permission === 'predict'),
);

export type ApiArgs<K extends ApiMethod> = z.input<(typeof apiSchemas)[K]>;
export type ApiParsedArgs<K extends ApiMethod> = z.output<(typeof apiSchemas)[K]>;
/** Result type of every method. */
export type ApiResults = { [K in ApiMethod]: ResultOf<Methods[K]> };
/** The whole API as functions: what every typed client exposes. */
export type Api = { [K in ApiMethod]: (args: ApiArgs<K>) => Promise<ApiResults[K]> };

export type { MethodDefinition, Permission, Returns } from './method.js';
export { defineMethods, returns } from './method.js';
export type { ApiEvent, ApiEventName, ApiEvents } from './events.js';
export type { ColumnType, Task } from './fields.js';
export type { ColumnPolicy, PiiDetection } from './pii.js';
export type { PipelineInput, PipelinePreview, PipelineRunInfo, PipelineStepPreview, PipelineSummary } from './pipeline.js';
export * from './access.js';
export * from './compress.js';
export * from './datasets.js';
export * from './models.js';
export * from './monitoring.js';
export * from './overview.js';
export * from './pipelines.js';
export * from './rules.js';
export * from './runs.js';
export * from './costs.js';
export * from './serving.js';
export * from './store.js';
export * from './sync.js';
export * from './system.js';
export * from './training.js';
