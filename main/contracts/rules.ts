import { z } from 'zod';
import { defineMethods, returns } from './method.js';
import { name, version } from './fields.js';

/* rules.*: a dataset's data-quality rules, suggested, stored, checked and reported. */

/**
 * A data-quality rule (issue 8): per column (type, share missing, range, allowed values, pattern, uniqueness) or
 * per table (row-count change against the previous version, duplicate keys, distribution change against a
 * reference version). Severity: reject refuses the whole version (and a served row), quarantine sets the rows that
 * break it aside (row rules only), warn reports.
 */
export const dataRule = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('type'),
      column: z.string().min(1),
      type: z.enum(['integer', 'number', 'boolean', 'datetime', 'categorical', 'text']),
    })
    .strict(),
  z.object({ kind: z.literal('missing'), column: z.string().min(1), max: z.number().min(0).max(1) }).strict(),
  z
    .object({ kind: z.literal('range'), column: z.string().min(1), min: z.number().nullable(), max: z.number().nullable() })
    .strict(),
  z.object({ kind: z.literal('allowed'), column: z.string().min(1), values: z.array(z.string()).min(1).max(10_000) }).strict(),
  z.object({ kind: z.literal('pattern'), column: z.string().min(1), pattern: z.string().min(1).max(200) }).strict(),
  z.object({ kind: z.literal('unique'), column: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('row-count'), maxChange: z.number().min(0) }).strict(),
  z.object({ kind: z.literal('duplicate-keys'), columns: z.array(z.string().min(1)).min(1).max(32) }).strict(),
  z.object({ kind: z.literal('distribution'), column: z.string().min(1), reference: z.number().int().positive() }).strict(),
]);
export const ruleSeverities = ['reject', 'quarantine', 'warn'] as const;
const ruleEntry = z.intersection(dataRule, z.object({ severity: z.enum(ruleSeverities) }));
/**
 * At most this many pattern rules in one rules.check or one dataset's rules: each distinct pattern is compiled and
 * run over every distinct value on its own, so a list of them is the costliest thing a reader may ask a check for
 * (main/data/rules.ts also bounds a check's estimated work, maxCheckWork). A dataset's suggested rules hold one
 * pattern per text column at most.
 */
export const maxPatternRules = 100;
const ruleList = z
  .array(ruleEntry)
  .max(10_000)
  .refine((rules) => rules.filter((r) => r.kind === 'pattern').length <= maxPatternRules, {
    message: `at most ${maxPatternRules} pattern rules`,
  });

export type DataRule = z.infer<typeof dataRule> & { severity: (typeof ruleSeverities)[number] };

/** One rule that did not hold: its id (`column:kind`, or the kind for a table rule), and how many rows broke it. */
export interface RuleFailure {
  rule: string;
  column: string | null;
  severity: DataRule['severity'];
  rows: number;
  detail: string;
}

export interface RulesCheck {
  dataset: string;
  version: number;
  rules: number;
  passed: boolean;
  failed: RuleFailure[];
}

export const rulesMethods = defineMethods({
  'rules.suggest': {
    doc: "Rules suggested from a version's data (nothing is stored).",
    permission: 'read',
    args: z.object({ name, version: version.optional() }).strict(),
    result: returns<DataRule[]>(),
  },
  'rules.get': {
    doc: "The dataset's rules, enforced at ingest and at serving.",
    permission: 'read',
    args: z.object({ name }).strict(),
    result: returns<DataRule[]>(),
  },
  'rules.set': {
    doc: "Replaces the dataset's rules.",
    permission: 'write',
    args: z.object({ name, rules: ruleList }).strict(),
    result: returns<DataRule[]>(),
  },
  'rules.check': {
    doc: "A version checked against the dataset's rules (or the rules given).",
    permission: 'read',
    args: z.object({ name, version: version.optional(), rules: ruleList.optional() }).strict(),
    result: returns<RulesCheck>(),
  },
  'rules.report': {
    doc: "A version's data-quality report as one self-contained HTML file.",
    permission: 'read',
    args: z.object({ name, version: version.optional() }).strict(),
    result: returns<{ fileName: string; html: string }>(),
  },
});
