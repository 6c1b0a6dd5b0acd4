import { createHash } from 'node:crypto';
import type { DatasetVersionInfo, IngestResult, RulesCheck } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import type { ColumnPolicy } from '../privacy/pii.js';
import type { BlobStore } from '../store/blob-store.js';
import { nowIso, type Db } from '../store/database.js';
import { arrowToFrame, frameToArrow } from '../table/columnar.js';
import type { QuarantinedRow } from './csv.js';
import type { DatasetPolicies } from './dataset-pii.js';
import type { DatasetRules } from './dataset-rules.js';
import { pendingProfile, type DatasetVersions, type Segment, type VersionRow } from './dataset-versions.js';
import { schemaOf, selectRows, type Frame } from '../table/frame.js';
import { profileFrameInWorkers } from './profile.js';
import { unionFrames } from './transforms.js';

/**
 * Segments merge by tiers (see commitAppend): a segment's tier is floor(log16(rows)), and 16 segments of one tier at
 * the end merge into one of the next. Each row is rewritten about log16(version rows / batch rows) times in all, and
 * a version has at most 15 segments per tier.
 */
const mergeFanIn = 16;
const tierOf = (rows: number) => Math.floor(Math.log(Math.max(1, rows)) / Math.log(mergeFanIn));

/** Rows of recently written segments kept decoded for the next merge (see rememberSegment). */
const recentSegmentRows = 1_000_000;

/** Runs inside the transaction that commits a version (a record that must not outlive or miss it). */
export type InTransaction = (datasetId: number, version: number) => void;

/**
 * The write side of dataset versions: a whole frame as one blob (commitVersion) or a batch as one more segment of
 * the latest version (commitAppend), the dataset's rules enforced first, everything committed in one transaction.
 */
export class VersionWriter {
  /**
   * Segments this process wrote lately, decoded, by digest (at most recentSegmentRows rows in all): the next merge
   * of their tier reads them from here instead of decoding their blobs again.
   */
  private readonly recentSegments = new Map<string, Frame>();
  private recentRows = 0;

  constructor(
    private readonly db: Db,
    private readonly blobs: BlobStore,
    private readonly versions: DatasetVersions,
    private readonly rules: DatasetRules,
    private readonly pii: DatasetPolicies,
  ) {}

  /**
   * Stores a frame as the next version: blob, schema, profile, quarantine and rules check in one transaction. The
   * dataset's rules are enforced first (see DatasetRules.enforce).
   */
  async commitVersion(
    name: string,
    frame: Frame,
    quarantined: readonly QuarantinedRow[],
    source: DatasetVersionInfo['source'],
    /** Policies to record for the dataset with this version (raw values never reached `frame`). */
    policies: Record<string, ColumnPolicy> = {},
    enforce: {
      firstRow?: number;
      previous?: Frame;
      lineOf?: (row: number) => number;
      /** Runs inside the transaction that commits the version (a record that must not outlive or miss it). */
      inTransaction?: InTransaction;
    } = {},
  ): Promise<IngestResult & { ruleQuarantined: number }> {
    const enforced = await this.rules.enforce(name, frame, quarantined, enforce);
    frame = enforced.frame;
    // Profiling runs in worker threads while this thread encodes and writes the version's blob.
    const profiling = profileFrameInWorkers(frame);
    let blob: ReturnType<BlobStore['put']>;
    try {
      blob = this.blobs.put(frameToArrow(frame));
    } catch (error) {
      await profiling.catch(() => undefined);
      throw error;
    }
    try {
      const profile = await profiling;
      return this.insertVersion(name, {
        frame,
        quarantined: enforced.quarantined,
        check: enforced.check,
        ruleQuarantined: enforced.ruleQuarantined,
        contentHash: blob.digest,
        blobs: [blob],
        segments: [],
        profileJson: JSON.stringify(profile),
        source,
        policies,
        ...(enforce.inTransaction === undefined ? {} : { inTransaction: enforce.inTransaction }),
      });
    } catch (error) {
      if (blob.created) this.blobs.discard(blob.digest);
      throw error;
    }
  }

  /**
   * Rows appended to the latest version, stored as one more segment: only the new rows are encoded and written, and
   * the version lists its segments (the previous version's and this one), so an append costs what the batch costs,
   * not what the dataset holds. Small trailing segments merge by tiers (mergeFanIn), which bounds how many blobs
   * loading a version reads. The profile is computed when the version is first looked at.
   */
  async commitAppend(
    name: string,
    latest: VersionRow & { dataset_id: number },
    batch: Frame,
    quarantined: readonly QuarantinedRow[],
    source: DatasetVersionInfo['source'],
    lineOf: (row: number) => number,
    inTransaction?: InTransaction,
  ): Promise<IngestResult & { ruleQuarantined: number }> {
    let check: Omit<RulesCheck, 'version'> | null = null;
    let ruleQuarantined = 0;
    if (this.rules.rules(name).length > 0) {
      // The rules see the version as it would be stored; the rows they set aside are all new ones. They share the
      // event loop while they run, so another write may commit meanwhile: the check is then made again on the
      // version it left (the rows are appended to the latest version, never beside it).
      for (let attempt = 1; ; attempt++) {
        const previous = this.versions.loadFrame(name).frame;
        const enforced = await this.rules.enforce(name, unionFrames([previous, batch]), quarantined, {
          firstRow: previous.rowCount,
          previous,
          lineOf: (r) => lineOf(r - previous.rowCount),
        });
        const now = this.versions.versionRow(name);
        if (now.id === latest.id) {
          batch = selectRows(
            enforced.frame,
            Int32Array.from({ length: enforced.frame.rowCount - previous.rowCount }, (_, i) => previous.rowCount + i),
          );
          ({ quarantined, check, ruleQuarantined } = enforced);
          break;
        }
        if (now.schema_json !== latest.schema_json || attempt >= 5)
          throw new HearthError('CONFLICT', `${name} changed while this append's rules were checked; send it again`);
        latest = now;
      }
    }
    const batchBytes = frameToArrow(batch);
    // A chain: the previous version's hash and the new rows' digest name this version's content.
    const batchDigest = `sha256:${createHash('sha256').update(batchBytes).digest('hex')}`;
    const contentHash = `sha256:${createHash('sha256').update(`${latest.content_hash}\n${batchDigest}`).digest('hex')}`;
    // The new rows are the last segment; then, while the last 16 segments share a tier, they merge into one.
    const segments: (Segment & { frame?: Frame; bytes?: Uint8Array })[] = [
      ...this.versions.segmentsOf(latest),
      { blob: batchDigest, rows: batch.rowCount, frame: batch, bytes: batchBytes },
    ];
    for (;;) {
      const tail = segments.slice(-mergeFanIn);
      if (tail.length < mergeFanIn || !tail.every((t) => tierOf(t.rows) === tierOf(tail[0]!.rows))) break;
      const merged = unionFrames(
        tail.map((t) => t.frame ?? this.recentSegments.get(t.blob) ?? arrowToFrame(this.blobs.get(t.blob))),
      );
      const bytes = frameToArrow(merged);
      segments.splice(-mergeFanIn, mergeFanIn, {
        blob: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
        rows: merged.rowCount,
        frame: merged,
        bytes,
      });
    }
    const written = segments.filter((t) => t.bytes !== undefined).map((t) => this.blobs.put(t.bytes!));
    for (const t of segments) if (t.frame !== undefined) this.rememberSegment(t.blob, t.frame);
    try {
      return this.insertVersion(name, {
        frame: { rowCount: latest.row_count + batch.rowCount, columns: batch.columns },
        quarantined,
        check,
        ruleQuarantined,
        contentHash,
        blobs: written,
        segments: segments.length === 1 ? [] : segments.map(({ blob, rows }) => ({ blob, rows })),
        profileJson: pendingProfile,
        source,
        policies: {},
        ...(inTransaction === undefined ? {} : { inTransaction }),
      });
    } catch (error) {
      for (const blob of written) if (blob.created) this.blobs.discard(blob.digest);
      throw error;
    }
  }

  /** Writes a version's row, its segments, quarantine and policies in one transaction. */
  private insertVersion(
    name: string,
    v: {
      frame: Frame;
      quarantined: readonly QuarantinedRow[];
      check: Omit<RulesCheck, 'version'> | null;
      ruleQuarantined: number;
      contentHash: string;
      blobs: { digest: string; size: number }[];
      /** The version's segments in order; empty when its one blob (the last of `blobs`) holds it whole. */
      segments: Segment[];
      profileJson: string;
      source: DatasetVersionInfo['source'];
      policies: Record<string, ColumnPolicy>;
      inTransaction?: InTransaction;
    },
  ): IngestResult & { ruleQuarantined: number } {
    const schema = schemaOf(v.frame);
    // The one place quarantined records are written: every path (a file's malformed lines, a cast, a rule, a
    // pipeline's problems) passes the dataset's policies here, those recorded and those this version sets.
    const quarantined = this.pii.protectQuarantine(name, v.quarantined, v.policies);
    const dataBlob = v.segments.at(-1)?.blob ?? v.blobs[v.blobs.length - 1]!.digest;
    const version = this.db.transaction(() => {
      const now = nowIso();
      const putBlob = this.db.prepare(
        'INSERT INTO blobs (digest, size, media_type, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      );
      for (const b of v.blobs) putBlob.run(b.digest, b.size, 'application/vnd.apache.arrow.file', now);
      this.db.prepare('INSERT INTO datasets (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING').run(name, now);
      const dataset = this.db.prepare('SELECT id FROM datasets WHERE name = ?').get(name) as { id: number };
      const last = this.db
        .prepare('SELECT COALESCE(MAX(version), 0) AS v FROM dataset_versions WHERE dataset_id = ?')
        .get(dataset.id) as { v: number };
      const version = last.v + 1;
      const info = this.db
        .prepare(
          `INSERT INTO dataset_versions (dataset_id, version, schema_json, row_count, quarantined_count, content_hash,
             data_blob, profile_json, source_json, created_at, rules_check_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          dataset.id,
          version,
          JSON.stringify(schema),
          v.frame.rowCount,
          v.quarantined.length,
          v.contentHash,
          dataBlob,
          v.profileJson,
          JSON.stringify(v.source),
          now,
          v.check === null ? null : JSON.stringify(v.check),
        );
      const segment = this.db.prepare('INSERT INTO dataset_segments (version_id, seq, blob, rows) VALUES (?, ?, ?, ?)');
      v.segments.forEach((t, seq) => segment.run(info.lastInsertRowid, seq, t.blob, t.rows));
      const insert = this.db.prepare('INSERT INTO quarantine (version_id, line, reason, raw) VALUES (?, ?, ?, ?)');
      for (const q of quarantined) insert.run(info.lastInsertRowid, q.line, q.reason, q.raw);
      this.pii.record(dataset.id, v.policies, now);
      v.inTransaction?.(dataset.id, version);
      return version;
    })();
    return {
      dataset: name,
      version,
      rows: v.frame.rowCount,
      quarantined: v.quarantined.length,
      columns: schema,
      contentHash: v.contentHash,
      ruleQuarantined: v.ruleQuarantined,
      ...(v.check === null ? {} : { rulesFailed: v.check.failed }),
    };
  }

  private rememberSegment(digest: string, frame: Frame): void {
    if (frame.rowCount > recentSegmentRows / 4 || this.recentSegments.has(digest)) return;
    this.recentSegments.set(digest, frame);
    this.recentRows += frame.rowCount;
    for (const [key, old] of this.recentSegments) {
      if (this.recentRows <= recentSegmentRows) break;
      this.recentSegments.delete(key);
      this.recentRows -= old.rowCount;
    }
  }
}
