import { parse as parseYaml, stringify as stringifyYaml, YAMLParseError } from 'yaml';
import type { ZodType } from 'zod';
import { HearthError } from '../contracts/errors.js';
import { pipelineFile, pipelineStepKinds, pipelineSteps, type PipelineSpec, type PipelineStep } from '../contracts/pipeline.js';
import { isSecretKey, redactText, redactUrl } from '../security/redact.js';
import { maxNesting, nestedDeeperThan } from './nesting.js';

/** A pipeline file's problem, as a coded error naming the pipeline. */
export function invalid(message: string, details: Record<string, unknown> = {}): HearthError {
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
