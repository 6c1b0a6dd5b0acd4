import type { DataRule, RulesCheck } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import { CommitCache, nowIso, type Db } from '../store/database.js';
import type { QuarantinedRow } from './csv.js';
import type { DatasetPolicies } from './dataset-pii.js';
import type { DatasetVersions } from './dataset-versions.js';
import { cellValue, selectRows, type Frame } from '../table/frame.js';
import { checkRulesCooperatively, isRowRule, maxCheckWork, rowProblem, suggestRules } from './rules.js';
import { cachedStatement } from '../table/statements.js';

/** A dataset's rules: stored per dataset, checked on demand, on served rows, and enforced on every version written. */
export class DatasetRules {
  /** Rules are read on every served request: cached until any connection commits. */
  private readonly cache: CommitCache<DataRule[]>;

  constructor(
    private readonly db: Db,
    private readonly versions: DatasetVersions,
    private readonly pii: DatasetPolicies,
  ) {
    this.cache = new CommitCache(db);
  }

  /** The dataset's rules ([] when none are set). */
  rules(name: string): DataRule[] {
    return this.cache.get(name, () => {
      const row = cachedStatement(
        this.db,
        'SELECT r.rules_json FROM dataset_rules r JOIN datasets d ON d.id = r.dataset_id WHERE d.name = ?',
      ).get(name) as { rules_json: string } | undefined;
      return row === undefined ? [] : (JSON.parse(row.rules_json) as DataRule[]);
    });
  }

  /**
   * A served row against the dataset's row rules that refuse or quarantine (warn rules do not stop a request):
   * the first rule a row breaks, as a 422 naming the rule, the row and the column.
   */
  assertServable(name: string, rows: readonly Record<string, unknown>[]): void {
    const rules = this.rules(name)
      .filter(isRowRule)
      .filter((r) => r.severity !== 'warn');
    if (rules.length === 0) return;
    // Judged on the row as the store would hold it: the rules were checked on protected values at ingest, and a
    // refusal quoting the raw value of a hashed or dropped column would carry it into the answer and the log.
    this.pii.protectRecords(name, rows).forEach((row, i) => {
      for (const rule of rules) {
        const value = row[rule.column];
        const problem =
          value === undefined || typeof value === 'object' ? null : rowProblem(rule, value as string | number | boolean);
        if (problem !== null)
          throw new HearthError('INVALID_INPUT', `row ${i}: rule ${rule.column}:${rule.kind}: ${problem}`, {
            reason: 'rule',
            row: i,
            rule: `${rule.column}:${rule.kind}`,
            column: rule.column,
          });
      }
    });
  }

  /** Replaces the dataset's rules; each pattern must compile and each column must exist in the latest version. */
  setRules(name: string, rules: DataRule[]): DataRule[] {
    const info = this.versions.version(name);
    // Rules belong to the dataset, not to a version: keyed by the dataset's id (info.id is the latest version's row).
    const datasetId = this.versions.datasetId(name)!;
    const columns = new Set(info.schema.map((c) => c.name));
    for (const rule of rules) {
      const named = 'column' in rule ? [rule.column] : rule.kind === 'duplicate-keys' ? rule.columns : [];
      const unknown = named.find((c) => !columns.has(c));
      if (unknown !== undefined)
        throw new HearthError('VALIDATION_FAILED', `rule ${rule.kind}: ${name} has no column "${unknown}"`, { column: unknown });
      // Compiles the pattern now, so a broken one is refused here rather than at the next ingest.
      if (rule.kind === 'pattern') rowProblem(rule, 'x');
      if (rule.kind === 'distribution') this.versions.version(name, rule.reference);
      if (rule.severity === 'quarantine' && !isRowRule(rule))
        throw new HearthError('VALIDATION_FAILED', `rule ${rule.kind}: only row rules (range, allowed, pattern) can quarantine`);
    }
    this.db
      .prepare(
        `INSERT INTO dataset_rules (dataset_id, rules_json, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (dataset_id) DO UPDATE SET rules_json = excluded.rules_json, updated_at = excluded.updated_at`,
      )
      .run(datasetId, JSON.stringify(rules), nowIso());
    this.cache.clear();
    return rules;
  }

  suggestRules(name: string, version?: number): DataRule[] {
    const { frame, info } = this.versions.loadFrame(name, version);
    return suggestRules(frame, info.version);
  }

  /**
   * A version against the dataset's rules, or against `rules` when given (any reader may name them): refused up front
   * when its estimated work is over maxCheckWork, else run sharing the event loop.
   */
  async checkRules(name: string, version?: number, rules?: DataRule[]): Promise<RulesCheck> {
    const { frame, info } = this.versions.loadFrame(name, version);
    const applied = rules ?? this.rules(name);
    const previous = info.version > 1 ? this.versions.loadFrame(name, info.version - 1).frame : null;
    const { failures } = await checkRulesCooperatively(
      frame,
      applied,
      { previous, reference: (v) => this.versions.loadFrame(name, v).frame },
      maxCheckWork,
    );
    return { dataset: name, version: info.version, rules: applied.length, passed: failures.length === 0, failed: failures };
  }

  /**
   * The dataset's rules on a frame about to be stored: a broken reject rule refuses the version (nothing is written),
   * rows that break a quarantine rule are set aside with the rule named, the rest is the version's check. The rules
   * share the event loop while they run (checkRulesCooperatively); their outcome is the same.
   */
  async enforce(
    name: string,
    frame: Frame,
    quarantined: readonly QuarantinedRow[],
    enforce: { firstRow?: number; previous?: Frame; lineOf?: (row: number) => number },
  ): Promise<{
    frame: Frame;
    quarantined: readonly QuarantinedRow[];
    check: Omit<RulesCheck, 'version'> | null;
    ruleQuarantined: number;
  }> {
    const rules = this.rules(name);
    if (rules.length === 0) return { frame, quarantined, check: null, ruleQuarantined: 0 };
    let ruleQuarantined = 0;
    const previous = enforce.previous ?? (this.versions.exists(name) ? this.versions.loadFrame(name).frame : null);
    const context = {
      previous,
      reference: (v: number) => this.versions.loadFrame(name, v).frame,
      ...(enforce.firstRow === undefined ? {} : { firstRow: enforce.firstRow }),
    };
    // Row rules first: the table rules then judge the version as it would be stored, without the rows set aside.
    const outcome = await checkRulesCooperatively(frame, rules.filter(isRowRule), context);
    const refusing = outcome.failures.some((f) => f.severity === 'reject');
    if (outcome.quarantine.size > 0 && !refusing) {
      const lineOf = enforce.lineOf ?? ((r: number) => r + 1);
      const setAside = [...outcome.quarantine.entries()].map(([r, reason]) => ({
        line: lineOf(r),
        reason,
        raw: JSON.stringify(Object.fromEntries(frame.columns.map((c) => [c.name, cellValue(c, r)]))).slice(0, 1000),
      }));
      const keep = Int32Array.from({ length: frame.rowCount }, (_, r) => r).filter((r) => !outcome.quarantine.has(r));
      if (keep.length === 0)
        throw new HearthError('INVALID_INPUT', `every row broke a quarantine rule (first: ${setAside[0]!.reason})`, {
          reason: 'all-quarantined',
        });
      frame = selectRows(frame, keep);
      quarantined = [...quarantined, ...setAside];
      ruleQuarantined = setAside.length;
    }
    outcome.failures.push(
      ...(
        await checkRulesCooperatively(
          frame,
          rules.filter((r) => !isRowRule(r)),
          context,
        )
      ).failures,
    );
    const rejected = outcome.failures.filter((f) => f.severity === 'reject');
    if (rejected.length > 0) {
      throw new HearthError(
        'VALIDATION_FAILED',
        `refused by the dataset's rules: ${rejected.map((f) => `${f.rule} (${f.detail})`).join('; ')}`,
        { reason: 'rules', failed: rejected },
      );
    }
    const check = { dataset: name, rules: rules.length, passed: outcome.failures.length === 0, failed: outcome.failures };
    return { frame, quarantined, check, ruleQuarantined };
  }
}
