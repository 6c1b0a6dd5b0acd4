import { basename } from 'node:path';
import type { ColumnProfile, DatasetSummary, DatasetVersionInfo, IngestResult } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';

import type { BlobStore } from '../store/blob-store.js';
import { nowIso, type Db } from '../store/database.js';
import { arrowToFrame, frameToArrow } from './columnar.js';
import { readCsv, type CsvReadOptions, type QuarantinedRow } from './csv.js';
import { schemaOf, type Frame, type SchemaField } from './frame.js';
import { profileFrameInWorkers } from './profile.js';

interface VersionRow {
  id: number;
  version: number;
  schema_json: string;
  row_count: number;
  quarantined_count: number;
  content_hash: string;
  data_blob: string;
  profile_json: string;
  source_json: string;
  created_at: string;
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function assertName(kind: string, name: string): void {
  if (!namePattern.test(name)) {
    throw new HearthError(
      'VALIDATION_FAILED',
      `${kind} name "${name}" is not allowed: use letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
}

/** Datasets and their immutable versions: an Arrow blob per version plus schema, profile and quarantine rows. */
export class DatasetStore {
  private readonly frameCache = new Map<string, Frame>();

  constructor(
    private readonly db: Db,
    private readonly blobs: BlobStore,
  ) {}

  /**
   * Reads a file and records it as the next version of `name`. Everything is parsed before anything is written;
   * the version, its quarantine and its blob reference are committed in one transaction, so a rejected file or a
   * crash leaves the store as it was.
   */
  async ingestCsv(name: string, path: string, options: CsvReadOptions & { fileName?: string } = {}): Promise<IngestResult> {
    assertName('dataset', name);
    const result = await readCsv(path, options);
    // Profiling runs in worker threads while this thread encodes and writes the version's blob.
    const profiling = profileFrameInWorkers(result.frame);
    const schema = schemaOf(result.frame);
    let blob: ReturnType<BlobStore['put']>;
    try {
      blob = this.blobs.put(frameToArrow(result.frame));
    } catch (error) {
      await profiling.catch(() => undefined);
      throw error;
    }
    try {
      const profile = await profiling;
      const version = this.db.transaction(() => {
        const now = nowIso();
        this.db
          .prepare('INSERT INTO blobs (digest, size, media_type, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
          .run(blob.digest, blob.size, 'application/vnd.apache.arrow.file', now);
        this.db.prepare('INSERT INTO datasets (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING').run(name, now);
        const dataset = this.db.prepare('SELECT id FROM datasets WHERE name = ?').get(name) as { id: number };
        const last = this.db
          .prepare('SELECT COALESCE(MAX(version), 0) AS v FROM dataset_versions WHERE dataset_id = ?')
          .get(dataset.id) as { v: number };
        const version = last.v + 1;
        const source = {
          fileName: options.fileName ?? basename(path),
          bytes: result.bytes,
          delimiter: result.dialect.delimiter,
          lineEnding: result.dialect.lineEnding,
        };
        const info = this.db
          .prepare(
            `INSERT INTO dataset_versions (dataset_id, version, schema_json, row_count, quarantined_count, content_hash,
               data_blob, profile_json, source_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            dataset.id,
            version,
            JSON.stringify(schema),
            result.frame.rowCount,
            result.quarantined.length,
            blob.digest,
            blob.digest,
            JSON.stringify(profile),
            JSON.stringify(source),
            now,
          );
        const insert = this.db.prepare('INSERT INTO quarantine (version_id, line, reason, raw) VALUES (?, ?, ?, ?)');
        for (const q of result.quarantined) insert.run(info.lastInsertRowid, q.line, q.reason, q.raw);
        return version;
      })();
      return {
        dataset: name,
        version,
        rows: result.frame.rowCount,
        quarantined: result.quarantined.length,
        columns: schema,
        contentHash: blob.digest,
      };
    } catch (error) {
      if (blob.created) this.blobs.discard(blob.digest);
      throw error;
    }
  }

  list(): DatasetSummary[] {
    const rows = this.db
      .prepare(
        `SELECT d.name, d.created_at, v.version, v.row_count, v.schema_json, v.created_at AS updated_at,
                (SELECT COUNT(*) FROM dataset_versions x WHERE x.dataset_id = d.id) AS versions
           FROM datasets d JOIN dataset_versions v ON v.dataset_id = d.id
          WHERE v.version = (SELECT MAX(version) FROM dataset_versions y WHERE y.dataset_id = d.id)
          ORDER BY d.name`,
      )
      .all() as {
      name: string;
      created_at: string;
      version: number;
      row_count: number;
      schema_json: string;
      updated_at: string;
      versions: number;
    }[];
    return rows.map((r) => ({
      name: r.name,
      latestVersion: r.version,
      rows: r.row_count,
      columns: (JSON.parse(r.schema_json) as SchemaField[]).length,
      versions: r.versions,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  private versionRow(name: string, version?: number): VersionRow & { dataset_id: number } {
    const dataset = this.db.prepare('SELECT id FROM datasets WHERE name = ?').get(name) as { id: number } | undefined;
    if (dataset === undefined) throw new HearthError('NOT_FOUND', `no dataset named "${name}"`);
    const row = (
      version === undefined
        ? this.db.prepare('SELECT * FROM dataset_versions WHERE dataset_id = ? ORDER BY version DESC LIMIT 1').get(dataset.id)
        : this.db.prepare('SELECT * FROM dataset_versions WHERE dataset_id = ? AND version = ?').get(dataset.id, version)
    ) as (VersionRow & { dataset_id: number }) | undefined;
    if (row === undefined) throw new HearthError('NOT_FOUND', `dataset "${name}" has no version ${version ?? ''}`.trim());
    return row;
  }

  private toInfo(name: string, row: VersionRow): DatasetVersionInfo {
    return {
      dataset: name,
      version: row.version,
      rows: row.row_count,
      quarantined: row.quarantined_count,
      contentHash: row.content_hash,
      schema: JSON.parse(row.schema_json) as SchemaField[],
      source: JSON.parse(row.source_json) as DatasetVersionInfo['source'],
      createdAt: row.created_at,
    };
  }

  versions(name: string): DatasetVersionInfo[] {
    const dataset = this.db.prepare('SELECT id FROM datasets WHERE name = ?').get(name) as { id: number } | undefined;
    if (dataset === undefined) throw new HearthError('NOT_FOUND', `no dataset named "${name}"`);
    const rows = this.db
      .prepare('SELECT * FROM dataset_versions WHERE dataset_id = ? ORDER BY version DESC')
      .all(dataset.id) as VersionRow[];
    return rows.map((r) => this.toInfo(name, r));
  }

  version(name: string, version?: number): DatasetVersionInfo & { id: number; profile: ColumnProfile[] } {
    const row = this.versionRow(name, version);
    return { ...this.toInfo(name, row), id: row.id, profile: JSON.parse(row.profile_json) as ColumnProfile[] };
  }

  versionById(id: number): DatasetVersionInfo {
    const row = this.db
      .prepare('SELECT v.*, d.name FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE v.id = ?')
      .get(id) as (VersionRow & { name: string }) | undefined;
    if (row === undefined) throw new HearthError('NOT_FOUND', `no dataset version with id ${id}`);
    return this.toInfo(row.name, row);
  }

  quarantine(
    name: string,
    version: number | undefined,
    offset: number,
    limit: number,
  ): { total: number; rows: QuarantinedRow[] } {
    const row = this.versionRow(name, version);
    const rows = this.db
      .prepare('SELECT line, reason, raw FROM quarantine WHERE version_id = ? ORDER BY line LIMIT ? OFFSET ?')
      .all(row.id, limit, offset) as QuarantinedRow[];
    return { total: row.quarantined_count, rows };
  }

  /** Loads a version's rows as typed columns; the last two loaded are kept in memory. */
  loadFrame(name: string, version?: number): { frame: Frame; info: DatasetVersionInfo & { id: number } } {
    const row = this.versionRow(name, version);
    const info = { ...this.toInfo(name, row), id: row.id };
    let frame = this.frameCache.get(row.data_blob);
    if (frame === undefined) {
      frame = arrowToFrame(this.blobs.get(row.data_blob));
      if (this.frameCache.size >= 2) this.frameCache.delete(this.frameCache.keys().next().value!);
      this.frameCache.set(row.data_blob, frame);
    }
    return { frame, info };
  }
}
