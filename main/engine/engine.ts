import { useNativeFloat64Sort } from '../stats/stats.js';
import { nativeSortDoubles } from '../accel/gbdt-addon.js';
import { newSpoolCipher, spoolEncrypter, type SpoolCipher } from '../crypto/spool.js';
import { storeKey, storeKeyId, type KeySource } from '../crypto/store-key.js';
import { Retention } from '../store/retention.js';
import { AccessControl } from '../security/access.js';
import { backupFileName, createBackup, type BackupInfo } from '../store/backup.js';
import { SecretBox } from '../security/secrets.js';
import { redactText } from '../security/redact.js';
import { SyncAgent } from '../sync/agent.js';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createWriteStream, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ApiEventName, ApiEvents, GcReport, ShippedBackupInfo, StandbyInfo } from '../contracts/api.js';
import type { StandbyControl } from '../sync/standby.js';
import { promoteStandby, readStandbyState } from '../store/standby-state.js';
import { HearthError } from '../contracts/errors.js';
import { DatasetStore } from '../data/datasets.js';
import { PipelineRunner } from '../data/pipeline.js';
import { ModelRegistry } from '../registry/registry.js';
import { PredictorCache } from '../serving/predictor-cache.js';
import { AccelRegistry } from '../accel/registry.js';
import '../accel/private-env.js';
import { BlobStore } from '../store/blob-store.js';
import { openDatabase, type Db } from '../store/database.js';
import { makePrivateDir, openPrivateDataDir, privateFileMode } from '../crypto/private-fs.js';
import { Runs } from '../training/runs.js';
import { Trainer } from '../training/trainer.js';
import { Compressor } from '../training/compress.js';
import { PredictionLog } from '../serving/prediction-log.js';
import { ServingMetrics } from '../serving/serving-metrics.js';
import { AlertEngine } from '../monitoring/alerts.js';
import { Routes } from '../serving/routing.js';
import { ServiceBoard } from './service-board.js';
import type { StoreKeyStatus } from '../contracts/store.js';
import { applyConfigFile, configPath, type HearthConfig } from './config.js';
import { effectiveConfig, numberSetting, readConfigFile, setting, storeKeySource, useConfigFile } from '../settings/resolve.js';
import { hearthVersion } from './version.js';

/** Typed engine events; every host forwards them to its clients. */
export class EngineEvents {
  private readonly emitter = new EventEmitter();

  emit<K extends ApiEventName>(name: K, data: ApiEvents[K]): void {
    this.emitter.emit('event', { name, data });
  }

  subscribe(listener: (event: { name: ApiEventName; data: unknown }) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}

export const maxUploadBytes = 4 * 1024 * 1024 * 1024;
/** Upload space per owner (principal) for uploads not yet ingested, unless the config says otherwise: 4 GiB. */
export const defaultUploadQuotaMiB = 4096;
/** How long an upload no method has read is kept; the sweep runs every 5 minutes, so it is gone within the hour. */
export const defaultUploadMaxAgeMinutes = 45;
const foreignUploadMaxAgeMs = 24 * 3600 * 1000;

interface UploadEntry {
  owner: string;
  bytes: number;
  /** When it arrived (ms). */
  at: number;
  /** A method is reading it; it goes when that method discards it. */
  claimed: boolean;
}

/**
 * The engine: the store, data, training, registry and serving behind every host. Plain Node: it never imports
 * electron or the DOM, so the desktop, the server and the CLI run the very same code.
 */
export class Engine {
  readonly version = hearthVersion;
  readonly events = new EngineEvents();
  readonly db: Db;
  readonly blobs: BlobStore;
  readonly datasets: DatasetStore;
  readonly pipelines: PipelineRunner;
  readonly registry: ModelRegistry;
  readonly trainer: Trainer;
  readonly compressor: Compressor;
  readonly predictors: PredictorCache;
  /** Compute back ends of both runtimes: probed, pinned, chosen. */
  readonly accel: AccelRegistry;
  /** API tokens, console sessions and the audit log. */
  readonly access: AccessControl;
  /** Retention rules and garbage collection of versions, log rows and blobs. */
  readonly retention: Retention;
  readonly runs: Runs;
  readonly sync: SyncAgent;
  readonly predictionLog: PredictionLog;
  readonly servingMetrics = new ServingMetrics();
  readonly alerts: AlertEngine;
  readonly routes: Routes;
  /** The background services this process runs (streams, watched folders), as system.services reports them. */
  readonly services = new ServiceBoard();
  /**
   * The config file's contents with the HEARTH_* JSON variables over its lists and objects (settings/resolve.ts
   * effectiveConfig), when either is there: the server starts streams, watched folders, schedules and backups from it.
   */
  readonly config: HearthConfig | null = null;
  private readonly uploadsDir: string;

  /** The store's encryption key, when it is encrypted (never logged, never returned by the API). */
  readonly storeKey: Buffer | null;
  /** Where the store key came from (never the key): store.key-status. */
  readonly storeKeyStatus: StoreKeyStatus;

  private constructor(
    readonly dataDir: string,
    keySource: KeySource | undefined,
  ) {
    // Everything below is private to this user: a 0700 folder, and a umask of 077 for whatever a library creates.
    openPrivateDataDir(dataDir);
    // The config file is read first: the store key file, the log sample and the serving threads may come from it.
    const path = configPath(dataDir);
    // The file's lists and objects (watched folders, schedules, backups…) with their HEARTH_* JSON variables over them.
    this.config = effectiveConfig(readConfigFile(path));
    useConfigFile(this.config, path);
    // Evaluation's score orders and drift's quantiles sort with the GBDT addon where it is built (the same order).
    useNativeFloat64Sort(nativeSortDoubles);
    keySource ??= storeKeySource(this.config);
    this.storeKey = storeKey(dataDir, keySource, existsSync(join(dataDir, 'hearth.db')));
    this.storeKeyStatus = keyStatus(this.storeKey !== null, keySource);
    try {
      this.db = openDatabase(join(dataDir, 'hearth.db'), undefined, this.storeKey);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_NOTADB')
        throw new HearthError(
          'UNAUTHORIZED',
          `${join(dataDir, 'hearth.db')} cannot be read: it is encrypted, or not a Hearth store`,
        );
      throw error;
    }
    this.blobs = new BlobStore(join(dataDir, 'blobs'), this.storeKey);
    this.uploadsDir = join(dataDir, 'uploads');
    makePrivateDir(this.uploadsDir);
    this.clearStaleUploads();
    const secrets = new SecretBox(dataDir);
    this.datasets = new DatasetStore(this.db, this.blobs, () => secrets.derive('pii-pseudonyms'));
    this.pipelines = new PipelineRunner(this.db, this.datasets);
    // The rate is read once, like every setting: a changed rate shows after a restart, on old versions too.
    const perCoreHour = numberSetting('cost.perCoreHour', this.config);
    const currency = setting('cost.currency', this.config);
    const costRate = perCoreHour === undefined ? null : { perCoreHour, currency: typeof currency === 'string' ? currency : '' };
    this.registry = new ModelRegistry(this.db, this.blobs, () => costRate);
    this.accel = new AccelRegistry(this.db);
    this.predictors = new PredictorCache(this.registry, () => this.accel.ortProvider());
    this.access = new AccessControl(this.db);
    this.retention = new Retention(this.db, this.blobs, join(dataDir, 'blobs', 'sha256'), {
      datasetKeepVersions: numberSetting('retention.datasetKeepVersions', this.config) ?? null,
      logDays: numberSetting('retention.logDays', this.config) ?? null,
    });
    this.predictionLog = new PredictionLog(
      join(dataDir, 'hearth.db'),
      this.db,
      this.storeKey,
      numberSetting('serving.logSample', this.config) ?? 1,
    );
    this.routes = new Routes(this.db, this.registry);
    // A followed model is loaded into the serving cache before its alias moves: no request waits on the swap.
    this.sync = new SyncAgent(this.db, this.blobs, this.registry, hearthVersion, secrets, async (model, version) => {
      await this.predictors.get(model, version);
    });
    this.trainer = new Trainer(
      this.db,
      this.datasets,
      this.registry,
      {
        progress: (p) => this.events.emit('training.progress', p),
        trial: (t) => this.events.emit('training.trial', t),
        finished: (job) => this.events.emit('training.did-finish', job),
      },
      this.version,
      () => this.accel.gbdtUnusable(),
    );
    this.runs = new Runs(this.trainer, this.registry, this.db);
    this.compressor = new Compressor({
      registry: this.registry,
      trainer: this.trainer,
      datasets: this.datasets,
      version: this.version,
    });
    // The alert engine gets what its rules read and write, never the engine itself.
    this.alerts = new AlertEngine({
      db: this.db,
      registry: this.registry,
      datasets: this.datasets,
      predictionLog: this.predictionLog,
      predictors: this.predictors,
      trainer: this.trainer,
      events: this.events,
    });
    try {
      if (this.config !== null) applyConfigFile(this.config, path, this.sync);
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  private readonly trainingData = new Map<string, string>();

  /**
   * Request rows under the PII policies of the data the model version learnt from: hashed, masked or generalised as
   * its training columns were, so it predicts on what it learnt from, and the log holds no raw value.
   */
  protectInputs<T extends Record<string, unknown>>(model: string, version: number, rows: readonly T[]): T[] {
    return this.datasets.protectRecords(this.trainingDataOf(model, version), rows);
  }

  /** Refuses (422) a served row that breaks a refusing row rule of the model's training data. */
  assertServable(model: string, version: number, rows: readonly Record<string, unknown>[]): void {
    this.datasets.assertServable(this.trainingDataOf(model, version), rows);
  }

  private trainingDataOf(model: string, version: number): string {
    const key = `${model}@${version}`;
    let dataset = this.trainingData.get(key);
    if (dataset === undefined) {
      // A version's lineage never changes: one lookup per version.
      dataset = this.registry.version(model, version).dataset.name;
      this.trainingData.set(key, dataset);
    }
    return dataset;
  }

  /** Where backups go unless told otherwise: the config's folder, else backups/ in the data folder. */
  get backupDir(): string {
    return this.config?.backups?.dir ?? join(this.dataDir, 'backups');
  }

  /** Retention and blob collection; rows the log writer still holds are written first, so the cut-off sees them. */
  async collectGarbage(options: { dryRun?: boolean } = {}): Promise<GcReport> {
    await this.predictionLog.flushed();
    return this.retention.collect(options);
  }

  /**
   * A backup of the whole store, taken while it keeps working; the prediction log's pending rows are written first.
   * With `remote`, it is also shipped to that remote's registry (sync/backup-ship.ts), which a plaintext backup is
   * refused before it is taken.
   */
  async backup(
    options: { to?: string; passphrase?: string; remote?: string } = {},
  ): Promise<BackupInfo & { shipped: ShippedBackupInfo | null }> {
    if (options.remote !== undefined) {
      // Named before any work: an unknown remote or a plaintext backup is refused without a file being written.
      if (!this.sync.listRemotes().some((r) => r.name === options.remote))
        throw new HearthError('NOT_FOUND', `no remote named "${options.remote}"`);
      if (this.storeKey === null && options.passphrase === undefined)
        throw new HearthError(
          'VALIDATION_FAILED',
          'a backup shipped to a registry must be encrypted: encrypt the store (store.keyFile) or give the backup a passphrase',
        );
    }
    await this.predictionLog.flushed();
    const info = await createBackup(this.db, this.dataDir, options.to ?? join(this.backupDir, backupFileName()), {
      hearthVersion: this.version,
      storeEncrypted: this.storeKey !== null,
      ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    });
    if (options.remote === undefined) return { ...info, shipped: null };
    const at = new Date().toISOString();
    try {
      const shipped = await this.sync.shipBackup(options.remote, info.file, {
        createdAt: info.createdAt,
        schema: (this.db.prepare('SELECT COUNT(*) FROM schema_migrations').pluck().get() as number) ?? 0,
        keyId: storeKeyId(this.dataDir),
        passphrase: options.passphrase !== undefined,
        hearthVersion: this.version,
      });
      this.lastShipment = { ...shipped, at, backupCreatedAt: info.createdAt, error: null };
      return { ...info, shipped: this.lastShipment };
    } catch (error) {
      this.lastShipment = {
        remote: options.remote,
        repository: null,
        tag: null,
        digest: null,
        bytes: info.bytes,
        ms: null,
        at,
        backupCreatedAt: info.createdAt,
        // Shown to viewers by sync.standby as data, past dispatch's redaction of error messages.
        error: redactText(error instanceof Error ? error.message : String(error)),
      };
      throw error;
    }
  }

  /** The last backup this process shipped to a registry, or tried to (what sync.standby reports). */
  lastShipment: ShippedBackupInfo | null = null;

  /**
   * The standby this process runs (`hearth standby`), set by that host: what it follows and how to promote it.
   * Null on a box that is not one.
   */
  standby: StandbyControl | null = null;

  /** sync.standby: the running standby's view, else the data folder's record; and this box's shipping. */
  standbyInfo(): StandbyInfo {
    const plan = this.config?.backups;
    const shipping = { remote: plan?.remote ?? null, everyHours: plan?.everyHours ?? null, last: this.lastShipment };
    if (this.standby !== null) return { ...this.standby.info(), shipping };
    const state = readStandbyState(this.dataDir);
    return {
      role: state?.role ?? 'none',
      from: state?.from ?? null,
      digest: state?.digest ?? null,
      backupCreatedAt: state?.backupCreatedAt ?? null,
      restoredAt: state?.restoredAt ?? null,
      promotedAt: state?.promotedAt ?? null,
      lagSeconds: restoreLagSeconds(state?.backupCreatedAt ?? null, state?.restoredAt ?? null),
      lastCheckAt: null,
      lastError: null,
      shipping,
    };
  }

  /** sync.promote-standby: the running standby promotes itself; a stopped one's data folder is marked writer. */
  async promoteStandby(): Promise<StandbyInfo> {
    if (this.standby !== null) await this.standby.promote();
    else promoteStandby(this.dataDir);
    return this.standbyInfo();
  }

  /** Opens the store in `dataDir`; an encrypted one needs its key (by default from the environment). */
  static open(dataDir: string, keySource?: KeySource): Engine {
    return new Engine(dataDir, keySource);
  }

  /**
   * Streams an upload to a private file and returns its id; ingest then reads it by id. `owner` is the principal
   * whose upload space it counts against: all of one owner's unused uploads together stay within the quota
   * (config `uploads.quotaMiB`), so one token cannot fill the disk with spools it never ingests. With the body's
   * declared length, an upload that cannot fit is refused before a byte is read, so the caller gets the answer;
   * one that overruns while it streams is cut off (its connection with it).
   */
  async saveUpload(body: Readable, maxBytes = maxUploadBytes, owner = 'local', declaredBytes?: number): Promise<string> {
    const id = randomUUID();
    const path = join(this.uploadsDir, id);
    const quota = this.uploadQuotaBytes;
    if (declaredBytes !== undefined) this.assertUploadSpace(owner, declaredBytes, maxBytes);
    const entry: UploadEntry = { owner, bytes: 0, at: Date.now(), claimed: false };
    // Counted while it streams, so two uploads at once cannot both pass the quota.
    this.uploadEntries.set(id, entry);
    body.on('data', (chunk: Buffer) => {
      entry.bytes += chunk.length;
      if (entry.bytes > maxBytes) body.destroy(new HearthError('PAYLOAD_TOO_LARGE', `uploads are limited to ${maxBytes} bytes`));
      else if (this.uploadBytesOf(owner) > quota)
        body.destroy(
          new HearthError(
            'PAYLOAD_TOO_LARGE',
            `the upload space of ${owner} is full (${quota} bytes of uploads not yet ingested): ingest or wait for unused ones to expire`,
          ),
        );
    });
    // Spooled encrypted under a key kept in memory only: raw values never sit readable on the disk.
    const spool = newSpoolCipher();
    try {
      await pipeline(body, spoolEncrypter(spool), createWriteStream(path, { flags: 'wx', mode: privateFileMode }));
    } catch (error) {
      this.uploadEntries.delete(id);
      rmSync(path, { force: true });
      throw error instanceof HearthError ? error : new HearthError('INVALID_INPUT', `upload failed: ${String(error)}`);
    }
    this.spools.set(id, spool);
    return id;
  }

  private readonly spools = new Map<string, SpoolCipher>();
  private readonly uploadEntries = new Map<string, UploadEntry>();

  /** Bytes of `owner`'s uploads on disk or arriving. */
  uploadBytesOf(owner: string): number {
    let total = 0;
    for (const e of this.uploadEntries.values()) if (e.owner === owner) total += e.bytes;
    return total;
  }

  /** Refuses (PAYLOAD_TOO_LARGE) an upload of `bytes` that would take `owner` past the quota or one upload's limit. */
  assertUploadSpace(owner: string, bytes: number, maxBytes = maxUploadBytes): void {
    if (bytes > maxBytes) throw new HearthError('PAYLOAD_TOO_LARGE', `uploads are limited to ${maxBytes} bytes`);
    const quota = this.uploadQuotaBytes;
    const used = this.uploadBytesOf(owner);
    if (used + bytes > quota)
      throw new HearthError(
        'PAYLOAD_TOO_LARGE',
        `the upload space of ${owner} is full (${used} of ${quota} bytes held by uploads not yet ingested): ingest or wait for unused ones to expire`,
      );
  }

  private get uploadQuotaBytes(): number {
    return (numberSetting('uploads.quotaMiB', this.config) ?? defaultUploadQuotaMiB) * 1024 * 1024;
  }

  /** An upload's spooled file and the cipher to read it through (readCsv's `spool` option, or `readUpload`). */
  upload(id: string): { path: string; spool: SpoolCipher } {
    const path = join(this.uploadsDir, id);
    const spool = this.spools.get(id);
    if (!/^[a-f0-9-]{36}$/.test(id) || !existsSync(path) || spool === undefined)
      throw new HearthError('NOT_FOUND', `no upload ${id}`);
    // In use from here until discarded: the sweep leaves it alone however long the ingest takes.
    const entry = this.uploadEntries.get(id);
    if (entry !== undefined) entry.claimed = true;
    return { path, spool };
  }

  discardUpload(id: string): void {
    this.spools.delete(id);
    this.uploadEntries.delete(id);
    rmSync(join(this.uploadsDir, id), { force: true });
  }

  /**
   * Removes this process's uploads no method has read for `maxAgeMs` (config `uploads.maxAgeMinutes`, 45 by
   * default), and files in uploads/ another process left over a day ago (their key lived in that process's memory,
   * so no one can read them; a younger one may belong to a CLI or server still running on this folder). Returns how
   * many went.
   */
  sweepUploads(maxAgeMs = (numberSetting('uploads.maxAgeMinutes', this.config) ?? defaultUploadMaxAgeMinutes) * 60_000): number {
    const now = Date.now();
    let removed = 0;
    for (const [id, entry] of this.uploadEntries)
      if (!entry.claimed && entry.at < now - maxAgeMs && this.spools.has(id)) {
        this.discardUpload(id);
        removed++;
      }
    for (const f of readdirSync(this.uploadsDir)) {
      if (this.uploadEntries.has(f)) continue;
      const p = join(this.uploadsDir, f);
      const mtime = statSync(p, { throwIfNoEntry: false })?.mtimeMs;
      if (mtime === undefined || mtime >= now - foreignUploadMaxAgeMs) continue;
      rmSync(p, { force: true, recursive: true });
      removed++;
    }
    return removed;
  }

  /**
   * Sweeps unused uploads every few minutes until the returned function is called; the timer is unref'd, so it never
   * keeps a process alive. The server starts it.
   */
  startUploadSweep(everyMs = 5 * 60_000): () => void {
    const timer = setInterval(() => {
      try {
        this.sweepUploads();
      } catch (error) {
        console.error('[hearth] sweeping unused uploads failed:', error);
      }
    }, everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private clearStaleUploads(): void {
    this.sweepUploads();
  }

  close(): void {
    // Terminating the serving threads needs no wait: they hold nothing that must reach the disk.
    void this.predictors.close();
    this.predictionLog.close();
    // The write-ahead log folded into the database and emptied: a stopped appliance's store is one file to copy.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}

/** Where an open store's key came from, by the same precedence as storeKey(): a key, a key file, a passphrase. */
function keyStatus(encrypted: boolean, source: KeySource): StoreKeyStatus {
  if (!encrypted) return { encrypted, source: null, keyFile: null };
  if (source.key !== undefined && source.key !== '') return { encrypted, source: 'key', keyFile: null };
  if (source.key === undefined && source.keyFile !== undefined) return { encrypted, source: 'keyFile', keyFile: source.keyFile };
  return { encrypted, source: 'passphrase', keyFile: null };
}

/** Seconds from a backup's creation on the writer to its restore on the standby. */
export function restoreLagSeconds(createdAt: string | null, restoredAt: string | null): number | null {
  if (createdAt === null || restoredAt === null) return null;
  const lag = (Date.parse(restoredAt) - Date.parse(createdAt)) / 1000;
  return Number.isFinite(lag) ? Math.round(lag * 1000) / 1000 : null;
}
