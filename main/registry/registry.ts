import type {
  AliasMove,
  CostEstimate,
  CostMeasures,
  MetricSnapshot,
  ModelOrigin,
  ModelSummary,
  ModelVersionInfo,
} from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';

import type { BlobStore } from '../store/blob-store.js';
import { CommitCache, nowIso, type Db } from '../store/database.js';
import type { Task } from '../models/preprocess.js';
import { explainRefusalOfAlgorithm } from '../models/explain.js';
import { costEstimate, type CostRate } from '../stats/cost.js';
import { withCurrentKeys } from './legacy-keys.js';
import { cachedStatement } from '../table/statements.js';

export const productionAlias = 'production';

export interface NewModelVersion {
  model: string;
  algorithm: string;
  task: Task;
  target: string;
  /** The local dataset version it was trained on; absent for a pulled version, whose lineage is in `origin`. */
  datasetVersionId?: number;
  origin?: { source: ModelOrigin; dataset: ModelVersionInfo['dataset']; createdAt: string };
  /** A pulled version keeps the remote's number when it is free here. */
  preferredVersion?: number;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  report: Record<string, unknown>;
  inputSchema: { name: string; type: 'double' | 'string' }[];
  onnx: Uint8Array;
  modelJson: string;
}

interface VersionRow {
  version: number;
  algorithm: string;
  dataset_version_id: number | null;
  origin_json: string | null;
  params_json: string;
  metrics_json: string;
  report_json: string;
  input_schema_json: string;
  onnx_blob: string;
  model_blob: string;
  created_at: string;
  task: string;
  target: string;
  dataset_name: string | null;
  dataset_version: number | null;
  content_hash: string | null;
}

/** Model versions, their artifacts and the aliases that say which version serves. */
export class ModelRegistry {
  constructor(
    private readonly db: Db,
    private readonly blobs: BlobStore,
    /** The host's price of a core-hour (settings cost.*), read when a version is read; null: CPU-hours only. */
    private readonly costRate: () => CostRate | null = () => null,
  ) {
    this.defaultVersions = new CommitCache(db);
  }

  /** The host's price of a core-hour (settings cost.*), null when none is set. */
  rate(): CostRate | null {
    return this.costRate();
  }

  /**
   * Registers a version; the first version of a model also becomes `production`. One transaction. A version
   * trained here writes its sync outbox events in it; a pulled one (`origin`) writes none: it came from a
   * registry and is not sent back.
   */
  register(input: NewModelVersion): ModelVersionInfo {
    const onnx = this.blobs.put(input.onnx);
    const modelBlob = this.blobs.put(Buffer.from(input.modelJson));
    try {
      const version = this.db.transaction(() => {
        const now = nowIso();
        const insertBlob = this.db.prepare(
          'INSERT INTO blobs (digest, size, media_type, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
        );
        insertBlob.run(onnx.digest, onnx.size, 'application/vnd.onnx', now);
        insertBlob.run(modelBlob.digest, modelBlob.size, 'application/vnd.hearth.model+json', now);
        let model = this.db.prepare('SELECT id, task, target FROM models WHERE name = ?').get(input.model) as
          { id: number; task: string; target: string } | undefined;
        if (model === undefined) {
          const info = this.db
            .prepare('INSERT INTO models (name, task, target, created_at) VALUES (?, ?, ?, ?)')
            .run(input.model, input.task, input.target, now);
          model = { id: Number(info.lastInsertRowid), task: input.task, target: input.target };
        } else if (model.task !== input.task || model.target !== input.target) {
          throw new HearthError(
            'CONFLICT',
            `model "${input.model}" predicts "${model.target}" (${model.task}); a version for "${input.target}" (${input.task}) needs another model name`,
          );
        }
        this.defaultVersions.clear();
        const last = this.db
          .prepare('SELECT COALESCE(MAX(version), 0) AS v FROM model_versions WHERE model_id = ?')
          .get(model.id) as { v: number };
        const preferredFree =
          input.preferredVersion !== undefined &&
          this.db
            .prepare('SELECT 1 FROM model_versions WHERE model_id = ? AND version = ?')
            .get(model.id, input.preferredVersion) === undefined;
        const version = preferredFree ? input.preferredVersion! : last.v + 1;
        this.db
          .prepare(
            `INSERT INTO model_versions (model_id, version, algorithm, dataset_version_id, params_json, metrics_json,
               report_json, input_schema_json, onnx_blob, model_blob, created_at, origin_json)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            model.id,
            version,
            input.algorithm,
            input.datasetVersionId ?? null,
            JSON.stringify(input.params),
            JSON.stringify(input.metrics),
            JSON.stringify(input.report),
            JSON.stringify(input.inputSchema),
            onnx.digest,
            modelBlob.digest,
            input.origin?.createdAt ?? now,
            input.origin === undefined ? null : JSON.stringify({ ...input.origin.source, dataset: input.origin.dataset }),
          );
        // The sync outbox hears of the version in this same transaction: no version without its event.
        if (input.origin === undefined)
          this.db
            .prepare('INSERT INTO outbox (kind, model, version, created_at) VALUES (?, ?, ?, ?)')
            .run('model-version', input.model, version, now);
        const hasProduction = this.db
          .prepare('SELECT 1 FROM model_aliases WHERE model_id = ? AND alias = ?')
          .get(model.id, productionAlias);
        if (hasProduction === undefined) this.moveAlias(model.id, productionAlias, version, 'set');
        return version;
      })();
      return this.version(input.model, version);
    } catch (error) {
      if (onnx.created) this.blobs.discard(onnx.digest);
      if (modelBlob.created) this.blobs.discard(modelBlob.digest);
      throw error;
    }
  }

  private modelId(name: string): number {
    const row = cachedStatement(this.db, 'SELECT id FROM models WHERE name = ?').get(name) as { id: number } | undefined;
    if (row === undefined) throw new HearthError('NOT_FOUND', `no model named "${name}"`);
    return row.id;
  }

  private moveAlias(modelId: number, alias: string, version: number, action: 'set' | 'promote' | 'rollback'): number | null {
    this.defaultVersions.clear();
    const current = this.db.prepare('SELECT version FROM model_aliases WHERE model_id = ? AND alias = ?').get(modelId, alias) as
      { version: number } | undefined;
    const now = nowIso();
    this.db
      .prepare(
        `INSERT INTO model_aliases (model_id, alias, version, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (model_id, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
      )
      .run(modelId, alias, version, now);
    this.db
      .prepare('INSERT INTO alias_history (model_id, alias, action, version, previous_version, at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(modelId, alias, action, version, current?.version ?? null, now);
    const name = (this.db.prepare('SELECT name FROM models WHERE id = ?').get(modelId) as { name: string }).name;
    // Pointing an alias at a pulled version is a local decision about another registry's model: not published.
    const pulled = this.db
      .prepare('SELECT 1 FROM model_versions WHERE model_id = ? AND version = ? AND origin_json IS NOT NULL')
      .get(modelId, version);
    if (pulled === undefined)
      this.db
        .prepare('INSERT INTO outbox (kind, model, version, alias, created_at) VALUES (?, ?, ?, ?, ?)')
        .run('alias', name, version, alias, now);
    return current?.version ?? null;
  }

  /**
   * Points `alias` at a pulled `version` because a followed remote alias moved, or a pull asked for it. Not
   * published, as no move onto a pulled version is: it mirrors the registry, it is not news for it.
   */
  follow(name: string, alias: string, version: number): AliasMove {
    return this.db.transaction(() => {
      const id = this.modelId(name);
      const previous = this.moveAlias(id, alias, version, 'set');
      return { model: name, alias, version, previousVersion: previous };
    })();
  }

  /** The version whose origin is this manifest digest, if one was pulled before. */
  versionByOriginDigest(name: string, digest: string): number | null {
    const row = this.db
      .prepare(
        `SELECT v.version FROM model_versions v JOIN models m ON m.id = v.model_id
          WHERE m.name = ? AND json_extract(v.origin_json, '$.digest') = ?`,
      )
      .get(name, digest) as { version: number } | undefined;
    return row?.version ?? null;
  }

  /** Records a version's metrics measured on labelled data, with its sync outbox event, in one transaction. */
  recordMetrics(
    name: string,
    version: number,
    snapshot: { source: string; dataHash: string; rows: number; metrics: Record<string, number> },
  ): MetricSnapshot {
    return this.db.transaction(() => {
      const id = this.modelId(name);
      this.version(name, version);
      const now = nowIso();
      const info = this.db
        .prepare(
          `INSERT INTO metric_snapshots (model_id, version, source, data_hash, rows, metrics_json, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, version, snapshot.source, snapshot.dataHash, snapshot.rows, JSON.stringify(snapshot.metrics), now);
      const snapshotId = Number(info.lastInsertRowid);
      this.db
        .prepare('INSERT INTO outbox (kind, model, version, snapshot_id, created_at) VALUES (?, ?, ?, ?, ?)')
        .run('metrics', name, version, snapshotId, now);
      return this.snapshot(snapshotId);
    })();
  }

  snapshot(id: number): MetricSnapshot {
    const row = this.db
      .prepare(`SELECT s.*, m.name FROM metric_snapshots s JOIN models m ON m.id = s.model_id WHERE s.id = ?`)
      .get(id) as
      | {
          id: number;
          name: string;
          version: number;
          source: string;
          data_hash: string;
          rows: number;
          metrics_json: string;
          created_at: string;
        }
      | undefined;
    if (row === undefined) throw new HearthError('NOT_FOUND', `no metrics snapshot ${id}`);
    return {
      id: row.id,
      model: row.name,
      version: row.version,
      source: row.source,
      dataHash: row.data_hash,
      rows: row.rows,
      metrics: JSON.parse(row.metrics_json) as Record<string, number>,
      createdAt: row.created_at,
    };
  }

  /** A version's metrics snapshots, newest first. */
  snapshots(name: string, version: number): MetricSnapshot[] {
    const rows = this.db
      .prepare('SELECT id FROM metric_snapshots WHERE model_id = ? AND version = ? ORDER BY id DESC')
      .all(this.modelId(name), version) as { id: number }[];
    return rows.map((r) => this.snapshot(r.id));
  }

  /** Points `alias` (default production) at `version`, atomically. */
  promote(name: string, version: number, alias = productionAlias): AliasMove {
    return this.db.transaction(() => {
      const id = this.modelId(name);
      const exists = this.db.prepare('SELECT 1 FROM model_versions WHERE model_id = ? AND version = ?').get(id, version);
      if (exists === undefined) throw new HearthError('NOT_FOUND', `model "${name}" has no version ${version}`);
      const previous = this.moveAlias(id, alias, version, 'promote');
      return { model: name, alias, version, previousVersion: previous };
    })();
  }

  /**
   * Removes `alias`. Production is refused: requests without a version, follows and pushes rely on it, so it can
   * be moved but never removed. The alias's promotions are marked undone, so a later rollback of an alias set anew
   * does not walk back into the one removed. Not published to sync remotes: the outbox carries moves only, so a
   * remote keeps its tag until it is moved there.
   */
  removeAlias(name: string, alias: string): { model: string; alias: string; removedVersion: number } {
    if (alias === productionAlias)
      throw new HearthError('CONFLICT', `"${productionAlias}" can be moved (models promote) but not removed`);
    return this.db.transaction(() => {
      const id = this.modelId(name);
      const current = this.db.prepare('SELECT version FROM model_aliases WHERE model_id = ? AND alias = ?').get(id, alias) as
        { version: number } | undefined;
      if (current === undefined) throw new HearthError('NOT_FOUND', `model "${name}" has no alias "${alias}"`);
      this.defaultVersions.clear();
      this.db.prepare('DELETE FROM model_aliases WHERE model_id = ? AND alias = ?').run(id, alias);
      this.db.prepare('UPDATE alias_history SET rolled_back = 1 WHERE model_id = ? AND alias = ?').run(id, alias);
      return { model: name, alias, removedVersion: current.version };
    })();
  }

  /** Undoes the latest promotion of `alias` not yet undone; repeated rollbacks walk further back. */
  rollback(name: string, alias = productionAlias): AliasMove {
    return this.db.transaction(() => {
      const id = this.modelId(name);
      const last = this.db
        .prepare(
          `SELECT id, version, previous_version FROM alias_history
            WHERE model_id = ? AND alias = ? AND action = 'promote' AND rolled_back = 0 AND previous_version IS NOT NULL
            ORDER BY id DESC LIMIT 1`,
        )
        .get(id, alias) as { id: number; version: number; previous_version: number } | undefined;
      if (last === undefined) throw new HearthError('CONFLICT', `"${name}" has no earlier ${alias} version to roll back to`);
      this.db.prepare('UPDATE alias_history SET rolled_back = 1 WHERE id = ?').run(last.id);
      const previous = this.moveAlias(id, alias, last.previous_version, 'rollback');
      return { model: name, alias, version: last.previous_version, previousVersion: previous };
    })();
  }

  list(): ModelSummary[] {
    const models = this.db
      .prepare(
        `SELECT m.id, m.name, m.task, m.target, m.created_at, MAX(v.version) AS latest, COUNT(v.id) AS versions
           FROM models m JOIN model_versions v ON v.model_id = m.id GROUP BY m.id ORDER BY m.name`,
      )
      .all() as { id: number; name: string; task: Task; target: string; created_at: string; latest: number; versions: number }[];
    const aliases = this.db.prepare('SELECT alias, version FROM model_aliases WHERE model_id = ?');
    return models.map((m) => ({
      name: m.name,
      task: m.task,
      target: m.target,
      latestVersion: m.latest,
      versions: m.versions,
      aliases: Object.fromEntries((aliases.all(m.id) as { alias: string; version: number }[]).map((a) => [a.alias, a.version])),
      createdAt: m.created_at,
    }));
  }

  /** Resolves a version number, an alias, or (when neither is given) production, else the latest version. */
  resolve(name: string, selector?: number | string): number {
    // Every prediction resolves its model: the default (production) answer is cached until an alias moves or a
    // version is registered, which keeps SQLite off the serving hot path.
    if (selector === undefined) return this.defaultVersions.get(name, () => this.resolveUncached(name));
    return this.resolveUncached(name, selector);
  }

  private readonly defaultVersions: CommitCache<number>;

  private resolveUncached(name: string, selector?: number | string): number {
    const id = this.modelId(name);
    if (typeof selector === 'number') return selector;
    const alias = selector ?? productionAlias;
    const row = cachedStatement(this.db, 'SELECT version FROM model_aliases WHERE model_id = ? AND alias = ?').get(id, alias) as
      { version: number } | undefined;
    if (row !== undefined) return row.version;
    if (selector !== undefined) throw new HearthError('NOT_FOUND', `model "${name}" has no alias "${alias}"`);
    const latest = cachedStatement(this.db, 'SELECT MAX(version) AS v FROM model_versions WHERE model_id = ?').get(id) as {
      v: number | null;
    };
    if (latest.v === null) throw new HearthError('NOT_FOUND', `model "${name}" has no versions`);
    return latest.v;
  }

  versions(name: string): ModelVersionInfo[] {
    const id = this.modelId(name);
    const rows = this.db.prepare('SELECT version FROM model_versions WHERE model_id = ? ORDER BY version DESC').all(id) as {
      version: number;
    }[];
    return rows.map((r) => this.version(name, r.version));
  }

  version(name: string, version: number): ModelVersionInfo {
    const id = this.modelId(name);
    const row = this.db
      .prepare(
        `SELECT v.*, m.task, m.target, d.name AS dataset_name, dv.version AS dataset_version, dv.content_hash
           FROM model_versions v JOIN models m ON m.id = v.model_id
           LEFT JOIN dataset_versions dv ON dv.id = v.dataset_version_id LEFT JOIN datasets d ON d.id = dv.dataset_id
          WHERE v.model_id = ? AND v.version = ?`,
      )
      .get(id, version) as VersionRow | undefined;
    if (row === undefined) throw new HearthError('NOT_FOUND', `model "${name}" has no version ${version}`);
    const origin =
      row.origin_json === null ? null : (JSON.parse(row.origin_json) as ModelOrigin & { dataset: ModelVersionInfo['dataset'] });
    const aliases = this.db
      .prepare('SELECT alias FROM model_aliases WHERE model_id = ? AND version = ? ORDER BY alias')
      .all(id, version) as {
      alias: string;
    }[];
    const report = withCurrentKeys(JSON.parse(row.report_json) as Record<string, unknown>);
    return {
      model: name,
      version: row.version,
      algorithm: row.algorithm,
      task: row.task as Task,
      target: row.target,
      dataset: origin?.dataset ?? { name: row.dataset_name!, version: row.dataset_version!, contentHash: row.content_hash! },
      params: JSON.parse(row.params_json) as Record<string, unknown>,
      metrics: JSON.parse(row.metrics_json) as Record<string, number>,
      report,
      inputSchema: JSON.parse(row.input_schema_json) as ModelVersionInfo['inputSchema'],
      onnxDigest: row.onnx_blob,
      modelDigest: row.model_blob,
      aliases: aliases.map((a) => a.alias),
      createdAt: row.created_at,
      explainRefusal: explainRefusalOfAlgorithm(row.algorithm, row.task as Task),
      origin: origin === null ? null : originSource(origin),
      cost: costOf(report, this.costRate()),
    };
  }

  onnxBytes(name: string, version: number): Buffer {
    return this.blobs.get(this.version(name, version).onnxDigest);
  }

  modelJson(name: string, version: number): string {
    return this.blobs.get(this.version(name, version).modelDigest).toString('utf8');
  }
}

/** A version's cost from the measures its report recorded (versions registered before it was measured have none). */
function costOf(report: Record<string, unknown>, rate: CostRate | null): CostEstimate | null {
  const measures = report.cost as CostMeasures | undefined;
  if (measures === undefined || measures === null || typeof measures.cpuMs !== 'number') return null;
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  return costEstimate(measures, { peakRssMb: num(report.peakRssMb), modelBytes: num(report.modelBytes) }, rate);
}

function originSource(origin: ModelOrigin): ModelOrigin {
  return {
    url: origin.url,
    reference: origin.reference,
    digest: origin.digest,
    remoteVersion: origin.remoteVersion,
    pulledAt: origin.pulledAt,
  };
}
