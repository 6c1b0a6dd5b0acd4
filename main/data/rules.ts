import type { DataRule, RuleFailure } from '../contracts/api.js';
import { RE2JS } from 're2js';
import { HearthError } from '../contracts/errors.js';
import { columnDrift } from '../stats/drift.js';
import { cellValue, type Column, type Frame } from '../table/frame.js';
import { nextTurn } from '../accel/turns.js';

/**
 * Data-quality rules: suggested from a version known to be good, checked against any version, enforced when a
 * version is written (rows that break a quarantine rule are set aside, a broken reject rule refuses the version)
 * and when a row is served (a row that breaks a reject or quarantine row rule of the model's data gets a 422).
 */

export function ruleId(rule: DataRule): string {
  return 'column' in rule ? `${rule.column}:${rule.kind}` : rule.kind;
}

/** Rules that judge one row on its own: the ones that can quarantine a row or refuse a request. */
export function isRowRule(rule: DataRule): rule is Extract<DataRule, { kind: 'range' | 'allowed' | 'pattern' }> {
  return rule.kind === 'range' || rule.kind === 'allowed' || rule.kind === 'pattern';
}

/**
 * Patterns come from users, so they run on RE2 (re2js), whose matching time is linear in the value's length: a
 * catastrophic pattern such as `(a+)+$` cannot hold the event loop the way a backtracking RegExp does (V8 took 86 ms
 * on 24 letters and a "!", doubling with each letter added). RE2 has no backreferences or lookarounds; such a pattern
 * is refused when the rules are saved, as one that does not compile. Compiled once, in a bounded cache, since any
 * caller may name new patterns.
 */
interface CompiledPattern {
  re: RE2JS;
  /** The program's size in instructions: what judging one character costs, about (see matchBudget). */
  size: number;
  /** The longest value this pattern judges: see matchBudget. */
  maxLength: number;
}
const patterns = new Map<string, CompiledPattern>();
const maxCachedPatterns = 256;

/** Longest value any pattern judges: patterns describe codes and identifiers, not documents. */
export const maxPatternValueLength = 4096;

/**
 * Linear time is still time: RE2's slow path costs about the program's size per character, and a big program's
 * first matches also build its DFA states (`(a{1,10}){1,50}b`, 1,102 instructions, took 34 ms on 449 characters;
 * `((a{1,10}){1,10}){1,10}b`, 2,222 instructions, 336 ms on 4,096). So a pattern judges values up to this budget
 * divided by its size (the 64 is the per-character cost even a tiny program has), and a program past
 * maxInstructions is refused: compiling, then matching the longest value it judges, stays within ~10 ms (on a quiet
 * core; a pattern of ten steps still judges 1,700 characters).
 * test/integration/hostile-input.test.ts measures it against the 50 ms goal.
 */
const matchBudget = 1 << 17;
const maxInstructions = 500;

function compiled(pattern: string): CompiledPattern {
  let entry = patterns.get(pattern);
  if (entry === undefined) {
    const refuse = (why: string): HearthError =>
      new HearthError('VALIDATION_FAILED', `pattern ${JSON.stringify(pattern)} does not compile: ${why}`);
    let re: RE2JS;
    try {
      // translateRegExp accepts JavaScript spellings RE2 writes differently (named groups, an escaped "/").
      re = RE2JS.compile(`(?:${RE2JS.translateRegExp(pattern)})`);
    } catch (error) {
      throw refuse((error as Error).message);
    }
    const size = Number(re.re2().numberOfInstructions());
    if (!(size <= maxInstructions)) throw refuse(`it is too complex (${size} steps; at most ${maxInstructions})`);
    entry = { re, size, maxLength: Math.min(maxPatternValueLength, Math.floor(matchBudget / (size + 64))) };
    if (patterns.size >= maxCachedPatterns) patterns.clear();
    patterns.set(pattern, entry);
  }
  return entry;
}

/** The longest value `pattern` judges (a longer one breaks its rule unmatched); refuses a pattern that does not compile. */
export function patternValueLimit(pattern: string): number {
  return compiled(pattern).maxLength;
}

/** Why a value breaks a row rule, or null when it does not (a missing value breaks none: `missing` judges those). */
export function rowProblem(rule: DataRule, value: string | number | boolean | null): string | null {
  if (value === null || value === '') return null;
  if (rule.kind === 'range') {
    const v = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number(value);
    if (Number.isNaN(v)) return null;
    if (rule.min !== null && v < rule.min) return `${String(value)} is below ${rule.min}`;
    if (rule.max !== null && v > rule.max) return `${String(value)} is above ${rule.max}`;
    return null;
  }
  if (rule.kind === 'allowed') {
    return allowedSet(rule.values).has(String(value))
      ? null
      : `${JSON.stringify(String(value))} is not one of the allowed values`;
  }
  if (rule.kind === 'pattern') {
    const text = String(value);
    const { re, maxLength } = compiled(rule.pattern);
    if (text.length > maxLength) return `a value of ${text.length} characters is longer than this pattern judges (${maxLength})`;
    return re.testExact(text) ? null : `${JSON.stringify(text)} does not match ${rule.pattern}`;
  }
  return null;
}

/**
 * A check runs in steps: it stops (yields) at checkpoints after about `sliceWork` units of work, where a caller on
 * the event loop may let other work run (checkRulesCooperatively). A unit is about one RE2 step on one character:
 * a pattern costs (program size + 64) per character it judges (see matchBudget), any row rule at least `rowWork` per
 * value. One slice is at most one value at a pattern's longest (matchBudget: ~10 ms at the very worst, a cold DFA;
 * ~0.01 ms as typically measured, 1e10 units/s), so the loop is never held much past the driver's 10 ms.
 */
const sliceWork = matchBudget;
const rowWork = 64;
/** A numeric value judged by a pattern is its decimal spelling: at most this many characters. */
const numberChars = 24;
/**
 * What a table rule costs per row and column it reads, in the same units: measured, a duplicate-keys rule takes
 * ~0.4 µs a cell where RE2 runs ~1e11 units/s, but missing and type rules far less; 4,096 lets a dozen table rules
 * over a 1M-row version fit maxCheckWork while 10,000 duplicate-keys rules over 11 columns of 10,000 rows do not.
 */
const tableCellWork = 4096;
/** How long a bounded check (an API caller's) may run, sharing the loop, before it is stopped. */
const maxCheckMs = 30_000;
/** Bounded checks running at once: more wait for none, they are refused (a reader cannot queue CPU without end). */
const maxConcurrentChecks = 2;
let runningChecks = 0;
/** How long checkRulesCooperatively keeps the event loop before yielding to it. */
const yieldAfterMs = 10;

/** Work done since the last checkpoint. */
interface Meter {
  work: number;
}
type Steps<T> = Generator<void, T, void>;

/** Allowed values as a set, once per rule: a lookup per value, not a scan of up to 10,000 values. */
const allowedSets = new WeakMap<readonly string[], Set<string>>();
function allowedSet(values: readonly string[]): Set<string> {
  let set = allowedSets.get(values);
  if (set === undefined) allowedSets.set(values, (set = new Set(values)));
  return set;
}

/** What judging one value of `length` characters by `rule` costs, in work units. */
function valueWork(rule: DataRule, length: number): number {
  if (rule.kind !== 'pattern') return rowWork;
  const { size, maxLength } = compiled(rule.pattern);
  return length > maxLength ? rowWork : rowWork + (size + 64) * length;
}

/**
 * The rows of `column` (from `from` on) that break a row rule, the first reason, and each row's reason. A string
 * column's values are judged once per distinct value (its dictionary code): a value's reason depends on it alone.
 */
function* rowFailures(
  rule: DataRule,
  column: Column,
  from: number,
  meter: Meter,
): Steps<{ rows: number[]; first: string | null; reasonOf: (row: number) => string | null }> {
  const rows: number[] = [];
  let first: string | null = null;
  if (column.kind === 'string') {
    const memo: (string | null | undefined)[] = new Array<string | null | undefined>(column.dictionary.length);
    for (let r = from; r < column.codes.length; r++) {
      const code = column.codes[r]!;
      if (code < 0) continue;
      let problem = memo[code];
      if (problem === undefined) {
        const value = column.dictionary[code]!;
        problem = memo[code] = rowProblem(rule, value);
        meter.work += valueWork(rule, value.length);
        if (meter.work >= sliceWork) {
          meter.work = 0;
          yield;
        }
      }
      if (problem !== null) {
        rows.push(r);
        first ??= problem;
      }
    }
    return { rows, first, reasonOf: (r) => memo[column.codes[r]!] ?? null };
  }
  // Datetime ranges are kept in milliseconds, as the column holds them.
  const work = valueWork(rule, numberChars);
  for (let r = from; r < column.values.length; r++) {
    const problem = rowProblem(rule, Number.isNaN(column.values[r]!) ? null : column.values[r]!);
    if (problem !== null) {
      rows.push(r);
      first ??= problem;
    }
    meter.work += work;
    if (meter.work >= sliceWork) {
      meter.work = 0;
      yield;
    }
  }
  // A quarantined row's reason is judged on the value as a row shows it (a datetime's ISO spelling, a boolean).
  return { rows, first, reasonOf: (r) => rowProblem(rule, cellValue(column, r)) };
}

export interface CheckContext {
  /** The version before this one, for row-count change. */
  previous: Frame | null;
  /** Reference versions for distribution rules, by version number. */
  reference: (version: number) => Frame;
  /** Row rules judge only the rows from here on (appends: the new rows). */
  firstRow?: number;
}

export interface RuleOutcome {
  failures: RuleFailure[];
  /** Rows set aside by quarantine rules, each with the rule and reason. */
  quarantine: Map<number, string>;
}

/**
 * The most work (units as for sliceWork) one check may ask for, estimated up front by checkWork. 2^36 ≈ 6.9e10
 * units: at the ~1e10 units/s RE2 typically runs, ~7 s of event-loop time shared out in 10 ms slices; a dozen pattern
 * rules of 50 steps over a 1M-row column of 1M distinct 20-character identifiers estimate 2.7e10, so fit, while 100
 * patterns of 450 steps over 20,000 distinct 234-character values (2.4e11) do not. Beyond it a check is refused.
 */
export const maxCheckWork = 2 ** 36;

/** Sorted lengths of the values a string column holds in rows `from` on, once each, with their prefix sums. */
function distinctLengths(column: Column, from: number): { lengths: Int32Array; sums: Float64Array } | null {
  if (column.kind !== 'string') return null;
  const seen = new Uint8Array(column.dictionary.length);
  const lengths: number[] = [];
  for (let r = from; r < column.codes.length; r++) {
    const code = column.codes[r]!;
    if (code < 0 || seen[code] === 1) continue;
    seen[code] = 1;
    lengths.push(column.dictionary[code]!.length);
  }
  const sorted = Int32Array.from(lengths).sort();
  const sums = new Float64Array(sorted.length + 1);
  for (let i = 0; i < sorted.length; i++) sums[i + 1] = sums[i]! + sorted[i]!;
  return { lengths: sorted, sums };
}

/**
 * The work checking `frame` against the row rules of `rules` costs at most (units as for sliceWork): for each
 * pattern, its size times the characters of each distinct value it judges, and `rowWork` for every value judged. A
 * pattern that does not compile counts nothing here; the check refuses it as before.
 */
export function checkWork(frame: Frame, rules: readonly DataRule[], firstRow = 0): number {
  const steps = workSteps(frame, rules, firstRow);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/** checkWork in steps: a checkpoint after each pattern compiled (a big one takes milliseconds). */
function* workSteps(frame: Frame, rules: readonly DataRule[], firstRow: number): Steps<number> {
  const byName = new Map(frame.columns.map((c) => [c.name, c]));
  const lengthsOf = new Map<string, ReturnType<typeof distinctLengths>>();
  let total = 0;
  for (const rule of rules) {
    if (!isRowRule(rule)) {
      // Table rules read whole columns: a key per row and column (duplicate-keys, unique), a sort (distribution).
      const columns = rule.kind === 'duplicate-keys' ? rule.columns.length : rule.kind === 'row-count' ? 0 : 1;
      total += frame.rowCount * columns * tableCellWork;
      continue;
    }
    const column = byName.get(rule.column);
    if (column === undefined) continue;
    if (!lengthsOf.has(column.name)) lengthsOf.set(column.name, distinctLengths(column, firstRow));
    const distinct = lengthsOf.get(column.name)!;
    const judged = distinct === null ? Math.max(0, frame.rowCount - firstRow) : distinct.lengths.length;
    total += judged * rowWork;
    if (rule.kind !== 'pattern') continue;
    let program: CompiledPattern;
    try {
      program = compiled(rule.pattern);
    } catch {
      continue;
    } finally {
      yield;
    }
    let chars: number;
    if (distinct === null) chars = judged * Math.min(numberChars, program.maxLength);
    else {
      // Values longer than the pattern judges are not matched: only those up to maxLength count.
      let lo = 0;
      let hi = distinct.lengths.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (distinct.lengths[mid]! <= program.maxLength) lo = mid + 1;
        else hi = mid;
      }
      chars = distinct.sums[lo]!;
    }
    total += (program.size + 64) * chars;
  }
  return total;
}

/** Checks `frame` against `rules`; row rules of quarantine severity list their rows for setting aside. */
export function checkRules(frame: Frame, rules: readonly DataRule[], context: CheckContext): RuleOutcome {
  const steps = checkSteps(frame, rules, context);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/**
 * checkRules, sharing the event loop: every ~10 ms of work it lets the loop run (timers, sockets, /healthz) before
 * going on. The outcome is checkRules's.
 */
export async function checkRulesCooperatively(
  frame: Frame,
  rules: readonly DataRule[],
  context: CheckContext,
  /** Refuse the check (PAYLOAD_TOO_LARGE) when checkWork estimates more than this, before doing it. */
  maxWork = Infinity,
): Promise<RuleOutcome> {
  const steps = (function* (): Steps<RuleOutcome> {
    if (maxWork !== Infinity) {
      const work = yield* workSteps(frame, rules, context.firstRow ?? 0);
      if (work > maxWork)
        throw new HearthError(
          'PAYLOAD_TOO_LARGE',
          `this check is too much work (about ${work.toExponential(1)} steps, at most ${maxWork.toExponential(1)}): use fewer or simpler pattern rules`,
          { work, maxWork },
        );
    }
    return yield* checkSteps(frame, rules, context);
  })();
  const bounded = maxWork !== Infinity;
  if (bounded && runningChecks >= maxConcurrentChecks)
    throw new HearthError('RATE_LIMITED', `${runningChecks} rule checks are running: try again when one has ended`);
  if (bounded) runningChecks++;
  try {
    const started = performance.now();
    let since = started;
    for (;;) {
      const step = steps.next();
      if (step.done === true) return step.value;
      if (performance.now() - since >= yieldAfterMs) {
        // An estimate is an estimate: a bounded check that runs past its time is stopped (nothing is written by one).
        if (bounded && performance.now() - started > maxCheckMs)
          throw new HearthError(
            'PAYLOAD_TOO_LARGE',
            `this check ran past ${maxCheckMs / 1000} s and was stopped: use fewer or simpler rules, or a smaller version`,
          );
        // After the answers that arrived meanwhile (accel/turns.ts), not ahead of them.
        await nextTurn();
        since = performance.now();
      }
    }
  } finally {
    if (bounded) runningChecks--;
  }
}

function* checkSteps(frame: Frame, rules: readonly DataRule[], context: CheckContext): Steps<RuleOutcome> {
  const failures: RuleFailure[] = [];
  const quarantine = new Map<number, string>();
  const byName = new Map(frame.columns.map((c) => [c.name, c]));
  const meter: Meter = { work: 0 };
  const fail = (rule: DataRule, rows: number, detail: string) =>
    failures.push({ rule: ruleId(rule), column: 'column' in rule ? rule.column : null, severity: rule.severity, rows, detail });
  /** A checkpoint every sliceWork units of a table rule's loop over rows. */
  function* rowDone(work: number): Steps<void> {
    meter.work += work;
    if (meter.work >= sliceWork) {
      meter.work = 0;
      yield;
    }
  }
  for (const rule of rules) {
    // A checkpoint between rules: compiling a pattern, loading a reference version, a distribution test.
    yield;
    const column = 'column' in rule ? byName.get(rule.column) : undefined;
    if ('column' in rule && column === undefined) {
      fail(rule, frame.rowCount, `the column "${rule.column}" is missing`);
      continue;
    }
    switch (rule.kind) {
      case 'type':
        if (column!.type !== rule.type) fail(rule, frame.rowCount, `"${rule.column}" is ${column!.type}, not ${rule.type}`);
        break;
      case 'missing': {
        let missing = 0;
        for (let r = 0; r < frame.rowCount; r++) {
          if (cellValue(column!, r) === null) missing++;
          yield* rowDone(rowWork);
        }
        const share = frame.rowCount === 0 ? 0 : missing / frame.rowCount;
        if (share > rule.max)
          fail(rule, missing, `${(100 * share).toFixed(1)}% missing, more than ${(100 * rule.max).toFixed(1)}%`);
        break;
      }
      case 'range':
      case 'allowed':
      case 'pattern': {
        const { rows, first, reasonOf } = yield* rowFailures(rule, column!, context.firstRow ?? 0, meter);
        if (rows.length === 0) break;
        fail(rule, rows.length, `${rows.length} rows, e.g. ${first}`);
        if (rule.severity === 'quarantine') {
          for (const r of rows) {
            if (!quarantine.has(r)) quarantine.set(r, `rule ${ruleId(rule)}: ${reasonOf(r)}`);
            yield* rowDone(rowWork);
          }
        }
        break;
      }
      case 'unique': {
        const seen = new Set<string>();
        let duplicates = 0;
        for (let r = 0; r < frame.rowCount; r++) {
          yield* rowDone(rowWork);
          const v = cellValue(column!, r);
          if (v === null) continue;
          const key = String(v);
          if (seen.has(key)) duplicates++;
          else seen.add(key);
        }
        if (duplicates > 0) fail(rule, duplicates, `${duplicates} rows repeat a value of "${rule.column}"`);
        break;
      }
      case 'duplicate-keys': {
        const keyColumns = rule.columns.map((c) => byName.get(c));
        const absent = rule.columns.filter((_, i) => keyColumns[i] === undefined);
        if (absent.length > 0) {
          fail(rule, frame.rowCount, `key columns missing: ${absent.join(', ')}`);
          break;
        }
        const seen = new Set<string>();
        let duplicates = 0;
        for (let r = 0; r < frame.rowCount; r++) {
          const key = JSON.stringify(keyColumns.map((c) => cellValue(c!, r)));
          if (seen.has(key)) duplicates++;
          else seen.add(key);
          yield* rowDone(rowWork * keyColumns.length);
        }
        if (duplicates > 0) fail(rule, duplicates, `${duplicates} rows repeat a key (${rule.columns.join(', ')})`);
        break;
      }
      case 'row-count': {
        if (context.previous === null || context.previous.rowCount === 0) break;
        const change = Math.abs(frame.rowCount - context.previous.rowCount) / context.previous.rowCount;
        if (change > rule.maxChange)
          fail(
            rule,
            Math.abs(frame.rowCount - context.previous.rowCount),
            `${context.previous.rowCount} → ${frame.rowCount} rows (${(100 * change).toFixed(1)}%, more than ${(100 * rule.maxChange).toFixed(1)}%)`,
          );
        break;
      }
      case 'distribution': {
        const reference = context.reference(rule.reference).columns.find((c) => c.name === rule.column);
        if (reference === undefined) {
          fail(rule, 0, `the reference version ${rule.reference} has no "${rule.column}"`);
          break;
        }
        const current = column!;
        const drift = columnDrift(
          reference.kind === 'numeric' && current.kind === 'numeric'
            ? { name: rule.column, kind: 'numeric', reference: reference.values, current: current.values }
            : { name: rule.column, kind: 'categorical', reference: strings(reference), current: strings(current) },
        );
        if (drift.drifted)
          fail(
            rule,
            drift.currentRows,
            `drifted from version ${rule.reference} (${drift.test} ${drift.statistic.toPrecision(3)}${drift.pValue === null ? '' : `, p = ${drift.pValue.toPrecision(3)}`})`,
          );
        break;
      }
    }
  }
  return { failures, quarantine };
}

function strings(column: Column): (string | null)[] {
  const n = column.kind === 'numeric' ? column.values.length : column.codes.length;
  return Array.from({ length: n }, (_, r) => {
    const v = cellValue(column, r);
    return v === null ? null : String(v);
  });
}

/** Shapes a text column's values may all share; the first that every value matches becomes a pattern rule. */
const shapes: { pattern: string; test: RegExp }[] = [
  { pattern: '[0-9]+', test: /^[0-9]+$/ },
  { pattern: '[A-Z]{2,3}-?[0-9]+', test: /^[A-Z]{2,3}-?[0-9]+$/ },
  { pattern: '[^@\\s]+@[^@\\s]+\\.[^@\\s]+', test: /^[^@\s]+@[^@\s]+\.[^@\s]+$/ },
  { pattern: '[A-Za-z0-9_-]+', test: /^[A-Za-z0-9_-]+$/ },
];

/**
 * Rules a good version suggests, to edit before saving: each column's type (reject); its share missing (warn, with
 * room above what was seen); numeric ranges (quarantine, widened by half the span each side, never below 0 for a column never negative); the levels of a
 * categorical column with at most 50 (warn: a new level is a change to review, not an error); a shape every text
 * value shares (quarantine); uniqueness where no value repeats in 20+ rows (warn); the row count changing by more
 * than half (warn); and each column's distribution against this version (warn).
 */
export function suggestRules(frame: Frame, version: number): DataRule[] {
  const rules: DataRule[] = [];
  for (const column of frame.columns) {
    rules.push({ kind: 'type', column: column.name, type: column.type, severity: 'reject' });
    let missing = 0;
    for (let r = 0; r < frame.rowCount; r++) if (cellValue(column, r) === null) missing++;
    const share = frame.rowCount === 0 ? 0 : missing / frame.rowCount;
    rules.push({
      kind: 'missing',
      column: column.name,
      max: Number(Math.min(1, share + Math.max(0.05, share)).toFixed(4)),
      severity: 'warn',
    });
    if (column.kind === 'numeric' && column.type !== 'boolean') {
      let min = Infinity;
      let max = -Infinity;
      for (const v of column.values) {
        if (Number.isNaN(v)) continue;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (min <= max) {
        // Wide enough that a clean sample's tails never trip it (a Gaussian column's 2,000-row span is ~7σ; this
        // allows ~±7σ), narrow enough to catch the impossible: a sign never seen, a unit or digit slip.
        const pad = column.type === 'datetime' ? 0 : (max - min) * 0.5;
        // Rounded outward (never inward: the version's own extremes must pass); datetimes stay exact milliseconds.
        const digits = (v: number) => 10 ** (Math.floor(Math.log10(Math.abs(v) || 1)) - 5);
        const down = (v: number) =>
          column.type === 'datetime' ? v : column.type === 'integer' ? Math.floor(v) : Math.floor(v / digits(v)) * digits(v);
        const up = (v: number) =>
          column.type === 'datetime' ? v : column.type === 'integer' ? Math.ceil(v) : Math.ceil(v / digits(v)) * digits(v);
        const low = min >= 0 ? Math.max(0, min - pad) : min - pad;
        rules.push({
          kind: 'range',
          column: column.name,
          min: Number(down(low).toPrecision(12)),
          max: Number(up(max + pad).toPrecision(12)),
          severity: 'quarantine',
        });
      }
    }
    const present = frame.rowCount - missing;
    if (column.kind === 'string') {
      const used = new Set<number>();
      for (const code of column.codes) if (code >= 0) used.add(code);
      if (column.type === 'categorical' && used.size <= 50)
        rules.push({
          kind: 'allowed',
          column: column.name,
          values: [...used].map((c) => column.dictionary[c]!).sort(),
          severity: 'warn',
        });
      if (column.type === 'text' && used.size > 0) {
        const values = [...used].map((c) => column.dictionary[c]!);
        const shape = shapes.find((s) => values.every((v) => s.test.test(v)));
        if (shape !== undefined)
          rules.push({ kind: 'pattern', column: column.name, pattern: shape.pattern, severity: 'quarantine' });
      }
      if (column.type === 'text' && present >= 20 && used.size === present)
        rules.push({ kind: 'unique', column: column.name, severity: 'warn' });
    } else if (
      column.type === 'integer' &&
      present >= 20 &&
      new Set(column.values.filter((v) => !Number.isNaN(v))).size === present
    ) {
      rules.push({ kind: 'unique', column: column.name, severity: 'warn' });
    }
    if (present > 0) rules.push({ kind: 'distribution', column: column.name, reference: version, severity: 'warn' });
  }
  rules.push({ kind: 'row-count', maxChange: 0.5, severity: 'warn' });
  return rules;
}
