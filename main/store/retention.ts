import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { GcReport, RetentionRule } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import type { BlobStore } from './blob-store.js';
import { nowIso, type Db } from './database.js';
import { forgetRowsBefore } from './log-segments.js';

/** A blob file younger than this that no row names may belong to an ingest still writing: left alone. */
const orphanGraceMs = 60 * 60_000;

/**
 * Retention and garbage collection. A dataset keeps its newest N versions, and any older one a model version was
 * trained on (lineage outlives retention); a model keeps N days of prediction log. Then every blob that no dataset
 * or model version names is deleted: its row in one transaction with the rest, its file after the commit (a crash
 * in between leaves a file no row names, which the next collection removes once it is an hour old).
 */
export class Retention {
  constructor(
    private readonly db: Db,
    private readonly blobs: BlobStore,
    private readonly blobRoot: string,
    /**
     * The box-wide defaults (settings retention.datasetKeepVersions and retention.logDays): what every dataset or
     * model without a rule of its own keeps. A named rule always wins; null keeps everything.
     */
    private readonly defaults: { datasetKeepVersions: number | null; logDays: number | null } = {
      datasetKeepVersions: null,
      logDays: null,
    },
  ) {}

  /** The named rules, then a default rule for every dataset and model that has none (when a default is set). */
  private effectiveRules(): RetentionRule[] {
    const named = this.rules();
    const has = new Set(named.map((r) => `${r.kind}/${r.name}`));
    const unnamed = (table: 'datasets' | 'models', kind: 'dataset' | 'model'): string[] =>
      (this.db.prepare(`SELECT name FROM ${table} ORDER BY name`).pluck().all() as string[]).filter(
        (name) => !has.has(`${kind}/${name}`),
      );
    const { datasetKeepVersions, logDays } = this.defaults;
    return [
      ...named,
      ...(datasetKeepVersions === null
        ? []
        : unnamed('datasets', 'dataset').map((name) => ({
            kind: 'dataset' as const,
            name,
            keepVersions: datasetKeepVersions,
            logDays: null,
          }))),
      ...(logDays === null
        ? []
        : unnamed('models', 'model').map((name) => ({ kind: 'model' as const, name, keepVersions: null, logDays }))),
    ];
  }

  set(rule: RetentionRule): RetentionRule {
    if (rule.kind === 'dataset' && rule.keepVersions === null)
      throw new HearthError('VALIDATION_FAILED', 'a dataset rule keeps N versions');
    if (rule.kind === 'model' && rule.logDays === null)
      throw new HearthError('VALIDATION_FAILED', 'a model rule keeps N days of log');
    const table = rule.kind === 'dataset' ? 'datasets' : 'models';
    if (this.db.prepare(`SELECT 1 FROM ${table} WHERE name = ?`).get(rule.name) === undefined)
      throw new HearthError('NOT_FOUND', `no ${rule.kind} named "${rule.name}"`);
    this.db
      .prepare(
        `INSERT INTO retention (kind, name, keep_versions, log_days, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (kind, name) DO UPDATE SET keep_versions = excluded.keep_versions, log_days = excluded.log_days,
           updated_at = excluded.updated_at`,
      )
      .run(rule.kind, rule.name, rule.keepVersions, rule.logDays, nowIso());
    return rule;
  }

  rules(): RetentionRule[] {
    return (
      this.db.prepare('SELECT kind, name, keep_versions, log_days FROM retention ORDER BY kind, name').all() as {
        kind: 'dataset' | 'model';
        name: string;
        keep_versions: number | null;
        log_days: number | null;
      }[]
    ).map((r) => ({ kind: r.kind, name: r.name, keepVersions: r.keep_versions, logDays: r.log_days }));
  }

  collect(options: { dryRun?: boolean; now?: number } = {}): GcReport {
    const now = options.now ?? Date.now();
    const report: GcReport = {
      dryRun: options.dryRun === true,
      datasetVersionsRemoved: [],
      predictionLogRowsRemoved: 0,
      blobsRemoved: 0,
      bytesFreed: 0,
      orphanFilesRemoved: 0,
    };
    let doomed: { digest: string; size: number }[] = [];
    const run = this.db.transaction(() => {
      for (const rule of this.effectiveRules()) {
        if (rule.kind === 'dataset') {
          const old = this.db
            .prepare(
              `SELECT dv.id, dv.version FROM dataset_versions dv JOIN datasets d ON d.id = dv.dataset_id
                WHERE d.name = ? AND dv.version <= (SELECT MAX(version) FROM dataset_versions WHERE dataset_id = d.id) - ?
                  AND NOT EXISTS (SELECT 1 FROM model_versions mv WHERE mv.dataset_version_id = dv.id)
                ORDER BY dv.version`,
            )
            .all(rule.name, rule.keepVersions) as { id: number; version: number }[];
          for (const v of old) {
            this.db.prepare('DELETE FROM quarantine WHERE version_id = ?').run(v.id);
            this.db.prepare('DELETE FROM dataset_versions WHERE id = ?').run(v.id);
            report.datasetVersionsRemoved.push({ dataset: rule.name, version: v.version });
          }
        } else {
          const cutoff = new Date(now - rule.logDays! * 86_400_000).toISOString();
          report.predictionLogRowsRemoved += forgetRowsBefore(this.db, rule.name, cutoff);
        }
      }
      doomed = this.db
        .prepare(
          `SELECT digest, size FROM blobs WHERE digest NOT IN (
             SELECT data_blob FROM dataset_versions UNION SELECT blob FROM dataset_segments UNION SELECT onnx_blob FROM model_versions UNION SELECT model_blob FROM model_versions)`,
        )
        .all() as { digest: string; size: number }[];
      const remove = this.db.prepare('DELETE FROM blobs WHERE digest = ?');
      for (const b of doomed) remove.run(b.digest);
      report.blobsRemoved = doomed.length;
      report.bytesFreed = doomed.reduce((n, b) => n + b.size, 0);
      // A dry run reports what would go and changes nothing.
      if (report.dryRun) throw new DryRun();
    });
    try {
      run();
    } catch (error) {
      if (!(error instanceof DryRun)) throw error;
    }
    if (report.dryRun) return report;
    for (const b of doomed) this.blobs.discard(b.digest);
    // Files no row names (a crash between a commit and a file's removal, or before a blob's row was written).
    const known = new Set((this.db.prepare('SELECT digest FROM blobs').pluck().all() as string[]).map((d) => d.slice(7)));
    const files = existsSync(this.blobRoot) ? readdirSync(this.blobRoot, { recursive: true }).map(String) : [];
    for (const entry of files) {
      const hex = /([0-9a-f]{64})$/.exec(entry)?.[1];
      if (hex === undefined || known.has(hex)) continue;
      const path = join(this.blobRoot, entry);
      if (now - statSync(path).mtimeMs < orphanGraceMs) continue;
      report.bytesFreed += statSync(path).size;
      rmSync(path, { force: true });
      report.orphanFilesRemoved++;
    }
    return report;
  }
}

class DryRun extends Error {}
