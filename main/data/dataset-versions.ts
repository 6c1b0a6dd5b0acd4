import type { ColumnProfile, DatasetSummary, DatasetVersionInfo } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import { redactText } from '../security/redact.js';
import type { BlobStore } from '../store/blob-store.js';
import type { Db } from '../store/database.js';
import { arrowToFrame } from '../table/columnar.js';
import type { QuarantinedRow } from './csv.js';
import type { Frame, SchemaField } from '../table/frame.js';
import { profileFrameInWorkers } from './profile.js';
import { unionFrames } from './transforms.js';

/** A dataset_versions row as stored. */
export interface VersionRow {
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

/** One blob of a version's rows, in order (see VersionWriter.commitAppend). */
export interface Segment {
  blob: string;
  rows: number;
}

/** profile_json of a version whose profile is computed when first looked at (appended versions). */
export const pendingProfile = 'null';

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function assertName(kind: string, name: string): void {
  if (!namePattern.test(name)) {
    throw new HearthError(
      'VALIDATION_FAILED',
      `${kind} name "${name}" is not allowed: use letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
}

/**
 * The read side of datasets and their immutable versions: listing, version info, quarantine pages, profiles, and a
 * version's rows loaded from its segments (the last few kept decoded).
 */
export class DatasetVersions {
  /** Decoded versions by content hash, with the segments each was read from. */
  private readonly frameCache = new Map<string, { frame: Frame; segments: Segment[] }>();

  constructor(
    private readonly db: Db,
    private readonly blobs: BlobStore,
  ) {}

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

  /** How many rows a version holds (the latest when `version` is not given), read before its table is loaded. */
  rowCount(name: string, version?: number): number {
    return this.versionRow(name, version).row_count;
  }

  /** A version's row (the latest when `version` is not given); NOT_FOUND when the dataset or version is missing. */
  versionRow(name: string, version?: number): VersionRow & { dataset_id: number } {
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
    const source = JSON.parse(row.source_json) as DatasetVersionInfo['source'];
    return {
      dataset: name,
      version: row.version,
      rows: row.row_count,
      quarantined: row.quarantined_count,
      contentHash: row.content_hash,
      schema: JSON.parse(row.schema_json) as SchemaField[],
      // A SQL source's connection string is recorded without its password; versions recorded before that was so, or
      // with an sslpassword=… in the query string, are redacted here, since every role reads versions.
      source: { ...source, fileName: redactText(source.fileName) },
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
    // A pending profile (an appended version not looked at yet) reads as none here; detail() computes it.
    return { ...this.toInfo(name, row), id: row.id, profile: (JSON.parse(row.profile_json) as ColumnProfile[] | null) ?? [] };
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

  /**
   * Loads a version's rows as typed columns. The last few loaded are kept in memory; a version appended to one of
   * them reads only its own new segments.
   */
  loadFrame(name: string, version?: number): { frame: Frame; info: DatasetVersionInfo & { id: number } } {
    const row = this.versionRow(name, version);
    const info = { ...this.toInfo(name, row), id: row.id };
    let cached = this.frameCache.get(row.content_hash);
    if (cached === undefined) {
      const segments = this.segmentsOf(row);
      // The cached version sharing the longest run of leading segments (the version this one was appended to)
      // gives those rows; only the segments after them are read.
      let shared = 0;
      let base: Frame | undefined;
      for (const c of this.frameCache.values()) {
        let k = 0;
        while (k < c.segments.length && k < segments.length && c.segments[k]!.blob === segments[k]!.blob) k++;
        if (k > shared) {
          shared = k;
          base = c.frame;
        }
      }
      const sharedRows = segments.slice(0, shared).reduce((n, t) => n + t.rows, 0);
      const rest = segments.slice(shared).map((t) => arrowToFrame(this.blobs.get(t.blob)));
      const parts = base === undefined ? rest : [leadingRows(base, sharedRows), ...rest];
      cached = { frame: parts.length === 1 ? parts[0]! : unionFrames(parts), segments };
      if (this.frameCache.size >= 3) this.frameCache.delete(this.frameCache.keys().next().value!);
      this.frameCache.set(row.content_hash, cached);
    }
    return { frame: cached.frame, info };
  }

  /** A version with its column profiles; an appended version's profile is computed (and kept) on first look. */
  async detail(name: string, version?: number): Promise<DatasetVersionInfo & { id: number; profile: ColumnProfile[] }> {
    const row = this.versionRow(name, version);
    if (row.profile_json !== pendingProfile) return this.version(name, row.version);
    const profile = await profileFrameInWorkers(this.loadFrame(name, row.version).frame);
    // Derived from the immutable rows, so filling it in later does not change the version.
    this.db.prepare('UPDATE dataset_versions SET profile_json = ? WHERE id = ?').run(JSON.stringify(profile), row.id);
    return { ...this.toInfo(name, row), id: row.id, profile };
  }

  /** The blobs holding a version's rows, in order: its segments, or its one whole blob. */
  segmentsOf(row: { id: number; data_blob: string; row_count: number }): Segment[] {
    const rows = this.db
      .prepare('SELECT blob, rows FROM dataset_segments WHERE version_id = ? ORDER BY seq')
      .all(row.id) as Segment[];
    return rows.length === 0 ? [{ blob: row.data_blob, rows: row.row_count }] : rows;
  }

  /** The dataset's id, or null when there is no dataset of that name. */
  datasetId(name: string): number | null {
    return (this.db.prepare('SELECT id FROM datasets WHERE name = ?').get(name) as { id: number } | undefined)?.id ?? null;
  }

  exists(name: string): boolean {
    return this.datasetId(name) !== null;
  }
}

/** The first `rows` rows of a frame, as views (nothing copied). */
function leadingRows(frame: Frame, rows: number): Frame {
  if (rows === frame.rowCount) return frame;
  return {
    rowCount: rows,
    columns: frame.columns.map((c) =>
      c.kind === 'numeric' ? { ...c, values: c.values.subarray(0, rows) } : { ...c, codes: c.codes.subarray(0, rows) },
    ),
  };
}
