import { HearthError } from '../contracts/errors.js';
import {
  applyPolicies,
  applyToColumnValue,
  protectQuarantined,
  type ColumnPolicy,
  type PiiPolicy,
  type PiiType,
} from '../privacy/pii.js';
import { CommitCache, type Db } from '../store/database.js';
import type { QuarantinedRow } from './csv.js';
import type { Frame } from '../table/frame.js';
import { cachedStatement } from '../table/statements.js';

/**
 * A dataset's PII policies (per column) and their application, with this store's pseudonym key, to whatever would
 * otherwise carry raw values: rows from outside, frames, rows set aside.
 */
export class DatasetPolicies {
  private readonly cache: CommitCache<Record<string, ColumnPolicy>>;

  constructor(
    private readonly db: Db,
    /** The key of keyed pseudonyms (hash policies): from the store's secret, so tokens are stable on this box. */
    private readonly piiKey: () => Buffer = () => {
      throw new HearthError('INTERNAL', 'this store has no pseudonym key');
    },
  ) {
    this.cache = new CommitCache(db);
  }

  /** The PII policies of a dataset's columns (none: an empty record). */
  policies(name: string): Record<string, ColumnPolicy> {
    return this.cache.get(name, () => {
      const rows = cachedStatement(
        this.db,
        `SELECT p.column_name, p.policy, p.pii_type FROM pii_policies p JOIN datasets d ON d.id = p.dataset_id
          WHERE d.name = ? ORDER BY p.column_name`,
      ).all(name) as { column_name: string; policy: PiiPolicy; pii_type: PiiType | null }[];
      return Object.fromEntries(rows.map((r) => [r.column_name, { policy: r.policy, type: r.pii_type }]));
    });
  }

  /**
   * Applies a dataset's policies to rows from outside (a prediction request, a stream), value by value, so a model
   * trained on pseudonymised or generalised columns is given what it learnt from, and only that reaches the log.
   */
  protectRecords<T extends Record<string, unknown>>(name: string, records: readonly T[]): T[] {
    const policies = Object.entries(this.policies(name)).filter(([, p]) => p.policy !== 'keep');
    if (policies.length === 0) return records as T[];
    const key = this.piiKey();
    return records.map((record) => {
      const out: Record<string, unknown> = { ...record };
      for (const [column, policy] of policies) {
        const v = out[column];
        if (v === null || v === undefined || v === '') continue;
        if (policy.policy === 'drop') delete out[column];
        else out[column] = applyToColumnValue(column, policy, key, typeof v === 'string' ? v : JSON.stringify(v));
      }
      return out as T;
    });
  }

  /** The dataset's policies for the columns `frame` has (a later file may lack a column an earlier one had). */
  protectionFor(name: string, frame: Frame): Record<string, ColumnPolicy> {
    const present = new Set(frame.columns.map((c) => c.name));
    return Object.fromEntries(Object.entries(this.policies(name)).filter(([column]) => present.has(column)));
  }

  /** A frame under the policies given (a pipeline's pii step), with this store's pseudonym key. */
  protectWith(frame: Frame, policies: Record<string, ColumnPolicy>): Frame {
    return Object.keys(policies).length === 0 ? frame : applyPolicies(frame, policies, this.piiKey());
  }

  /** A row set aside (a pipeline's cast problem) under the policies given, with this store's pseudonym key. */
  protectProblem<T extends { reason: string; raw: string }>(problem: T, policies: Record<string, ColumnPolicy>): T {
    return protectQuarantined(problem, policies, this.piiKey());
  }

  /** A frame from outside (a file to score) under the dataset's policies, as the model's training data was. */
  protectFrame(name: string, frame: Frame): Frame {
    const policies = this.protectionFor(name, frame);
    return Object.keys(policies).length === 0 ? frame : applyPolicies(frame, policies, this.piiKey());
  }

  /**
   * Rows set aside for a version about to be written, under the dataset's policies: those recorded and those the
   * version sets (`adding`).
   */
  protectQuarantine(
    name: string,
    quarantined: readonly QuarantinedRow[],
    adding: Record<string, ColumnPolicy>,
  ): readonly QuarantinedRow[] {
    const policies = { ...this.policies(name), ...adding };
    return Object.values(policies).some((p) => p.policy !== 'keep')
      ? quarantined.map((q) => protectQuarantined(q, policies, this.piiKey()))
      : quarantined;
  }

  /** Records policies for a dataset's columns (adding to or replacing those set); run inside the version's transaction. */
  record(datasetId: number, policies: Record<string, ColumnPolicy>, now: string): void {
    const setPolicy = this.db.prepare(
      `INSERT INTO pii_policies (dataset_id, column_name, policy, pii_type, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (dataset_id, column_name) DO UPDATE SET policy = excluded.policy, pii_type = excluded.pii_type,
         updated_at = excluded.updated_at`,
    );
    for (const [column, p] of Object.entries(policies)) setPolicy.run(datasetId, column, p.policy, p.type, now);
    this.cache.clear();
  }
}
