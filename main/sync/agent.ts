import { HearthError } from '../contracts/errors.js';
import { numberSetting } from '../settings/resolve.js';
import type { FollowInfo, PullResult, RemoteInfo, SyncStatus } from '../contracts/api.js';
import type { BlobStore } from '../store/blob-store.js';
import { nowIso, type Db } from '../store/database.js';
import type { ModelRegistry } from '../registry/registry.js';
import type { SecretBox } from '../security/secrets.js';
import { redactText, redactUrl } from '../security/redact.js';
import { OciClient, type RegistryTarget } from './oci-client.js';
import { checkRemote, loopbackOnly, parseArtifactUrl, parseRemoteUrl, type snapshotDocument } from './artifact.js';
import type { SyncContext } from './context.js';
import { push } from './push.js';
import { backupsRepository, shipBackup, type BackupMeta, type ShippedBackup } from './backup-ship.js';
import { checkFollows, follow, listFollows, pull, remoteSnapshots, unfollow } from './pull.js';

/**
 * Drains the outbox to every remote, in order, exactly once per remote: an event is marked sent only after the
 * registry accepted its manifest, and what is sent is built from stored data only (the version's own timestamps,
 * not the clock), so a re-send after a crash between the two puts the same bytes under the same digest.
 */
export class SyncAgent {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  /** The loop's work, run now rather than at the next tick (kick); null while the loop is stopped. */
  private tickNow: (() => void) | null = null;
  /** A kick that came while the loop was busy: the work runs once more when it is done. */
  private kicked = false;
  /** The follow check under way, if any: checks run one at a time (checkFollows). */
  private following: Promise<FollowInfo[]> = Promise.resolve([]);
  /** The check queued behind the running one, not yet started (checkFollows). */
  private waitingCheck: Promise<FollowInfo[]> | null = null;

  constructor(
    private readonly db: Db,
    private readonly blobs: BlobStore,
    private readonly registry: ModelRegistry,
    private readonly hearthVersion: string,
    private readonly secrets: SecretBox,
    /** Loads a registered version the way serving will (the engine warms its predictor cache with it). */
    private readonly warm: (model: string, version: number) => Promise<void> = async () => {},
  ) {
    this.ctx = {
      db: this.db,
      blobs: this.blobs,
      registry: this.registry,
      hearthVersion: this.hearthVersion,
      clientOptions: () => this.clientOptions,
      remote: (name) => this.remote(name),
      credentials: (remote) => this.credentials(remote),
      clientForUrl: (url, insecureHttp) => this.clientForUrl(url, insecureHttp),
      warm: (model, version) => this.warm(model, version),
    };
  }

  /** What push.ts and pull.ts work with. */
  private readonly ctx: SyncContext;

  addRemote(name: string, url: string, insecureHttp = false, credentials?: RegistryTarget['credentials']): RemoteInfo {
    checkRemote(name, url, insecureHttp);
    const exists = this.db.prepare('SELECT 1 FROM remotes WHERE name = ?').get(name);
    if (exists !== undefined) throw new HearthError('CONFLICT', `a remote named "${name}" exists`);
    this.db
      .prepare('INSERT INTO remotes (name, url, insecure_http, credentials, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(
        name,
        url,
        insecureHttp ? 1 : 0,
        credentials === undefined ? null : this.secrets.seal(JSON.stringify(credentials)),
        nowIso(),
      );
    return this.remote(name);
  }

  /** Adds a remote, or brings an existing one in line with the config file (its delivery record is kept). */
  upsertRemote(name: string, url: string, insecureHttp: boolean, credentials?: RegistryTarget['credentials']): RemoteInfo {
    const exists = this.db.prepare('SELECT 1 FROM remotes WHERE name = ?').get(name);
    if (exists === undefined) return this.addRemote(name, url, insecureHttp, credentials);
    checkRemote(name, url, insecureHttp);
    this.db
      .prepare('UPDATE remotes SET url = ?, insecure_http = ?, credentials = ? WHERE name = ?')
      .run(url, insecureHttp ? 1 : 0, credentials === undefined ? null : this.secrets.seal(JSON.stringify(credentials)), name);
    return this.remote(name);
  }

  removeRemote(name: string): void {
    const info = this.db.prepare('DELETE FROM remotes WHERE name = ?').run(name);
    if (info.changes === 0) throw new HearthError('NOT_FOUND', `no remote named "${name}"`);
  }

  private remote(name: string): RemoteInfo {
    const row = this.db.prepare('SELECT name, url, insecure_http, credentials FROM remotes WHERE name = ?').get(name) as
      { name: string; url: string; insecure_http: number; credentials: string | null } | undefined;
    if (row === undefined) throw new HearthError('NOT_FOUND', `no remote named "${name}"`);
    const counts = this.db
      .prepare(
        `SELECT (SELECT COUNT(*) FROM outbox) - (SELECT COUNT(*) FROM deliveries WHERE remote = ? AND status = 'sent') AS pending,
                (SELECT COUNT(*) FROM deliveries WHERE remote = ? AND status = 'sent') AS sent,
                (SELECT COUNT(*) FROM deliveries WHERE remote = ? AND status = 'failed') AS failed,
                (SELECT last_error FROM deliveries WHERE remote = ? AND status = 'failed' ORDER BY updated_at DESC LIMIT 1) AS last_error`,
      )
      .get(name, name, name, name) as { pending: number; sent: number; failed: number; last_error: string | null };
    return {
      name: row.name,
      // Every role reads remotes (remotes.list, sync.status): nothing secret in the URL or an error may show.
      url: redactUrl(row.url),
      insecureHttp: row.insecure_http === 1,
      authenticated: row.credentials !== null,
      pending: counts.pending,
      sent: counts.sent,
      failed: counts.failed,
      lastError: counts.last_error === null ? null : redactText(counts.last_error),
    };
  }

  listRemotes(): RemoteInfo[] {
    const names = this.db.prepare('SELECT name FROM remotes ORDER BY name').all() as { name: string }[];
    return names.map((r) => this.remote(r.name));
  }

  status(): SyncStatus {
    const remotes = this.listRemotes();
    return {
      pending: remotes.reduce((s, r) => s + r.pending, 0),
      sent: remotes.reduce((s, r) => s + r.sent, 0),
      failed: remotes.reduce((s, r) => s + r.failed, 0),
      lastError: remotes.find((r) => r.lastError !== null)?.lastError ?? null,
      remotes,
      follows: this.listFollows(),
    };
  }

  private credentials(remote: string): RegistryTarget['credentials'] {
    const sealed = this.db.prepare('SELECT credentials FROM remotes WHERE name = ?').get(remote) as
      { credentials: string | null } | undefined;
    if (sealed?.credentials === null || sealed === undefined) return undefined;
    return JSON.parse(this.secrets.open(sealed.credentials)) as RegistryTarget['credentials'];
  }

  /**
   * Runs in the background (the server and the desktop start it): every `intervalMs`, each remote with pending
   * events whose backoff has passed is drained. After a failure a remote waits `baseDelayMs · 2^(failures − 1)`,
   * at most `maxDelayMs`, with ±20% jitter so a fleet does not retry in step; the wait survives restarts
   * (deliveries.next_attempt_at).
   */
  start(options: { intervalMs?: number; baseDelayMs?: number; maxDelayMs?: number; followEveryMs?: number } = {}): void {
    if (this.timer !== null) return;
    const interval = options.intervalMs ?? 10_000;
    const followEvery = options.followEveryMs ?? 60_000;
    let lastFollow = 0;
    const tick = (kick = false): void => {
      if (this.running !== null) {
        // A periodic tick that finds the loop busy is skipped, as it always was; a kick is remembered.
        if (kick) this.kicked = true;
        return;
      }
      this.kicked = false;
      this.running = (async () => {
        await this.pushDue(options.baseDelayMs ?? 5_000, options.maxDelayMs ?? 30 * 60_000).catch(() => undefined);
        if (Date.now() - lastFollow >= followEvery) {
          lastFollow = Date.now();
          await this.checkFollows().catch(() => undefined);
        }
      })().finally(() => {
        this.running = null;
        if (this.kicked && this.timer !== null) tick();
      });
    };
    this.timer = setInterval(() => tick(), interval);
    this.timer.unref();
    this.tickNow = () => tick(true);
    tick();
  }

  /**
   * Drains the outbox now instead of at the next tick (up to `intervalMs` away): the engine calls it when an alias
   * moves here, so a promotion reaches the registry, and the replicas following it, at once. A kick while a drain is
   * under way runs one more drain after it (the new event may have missed the one in progress). No-op when stopped.
   */
  kick(): void {
    this.tickNow?.();
  }

  /** Stops the background loop and waits for a push in progress. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.tickNow = null;
    await this.running;
  }

  private async pushDue(baseDelayMs: number, maxDelayMs: number): Promise<void> {
    for (const remote of this.listRemotes()) {
      if (remote.pending === 0) continue;
      const due = this.db
        .prepare(`SELECT MAX(next_attempt_at) AS next FROM deliveries WHERE remote = ? AND status = 'failed'`)
        .get(remote.name) as { next: string | null };
      if (due.next !== null && due.next > nowIso()) continue;
      const [result] = await this.push(remote.name);
      if (result?.error !== null && result?.error !== undefined) {
        const failures = this.db
          .prepare(`SELECT MAX(attempts) AS n FROM deliveries WHERE remote = ? AND status = 'failed'`)
          .get(remote.name) as { n: number };
        const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, failures.n - 1)) * (0.8 + 0.4 * Math.random());
        this.db
          .prepare(`UPDATE deliveries SET next_attempt_at = ? WHERE remote = ? AND status = 'failed'`)
          .run(new Date(Date.now() + delay).toISOString(), remote.name);
      }
    }
  }

  /** Sends every pending event to each remote (or one), oldest first; stops a remote at its first failure. */
  async push(only?: string): Promise<{ remote: string; sent: number; error: string | null }[]> {
    return push(this.ctx, only === undefined ? this.listRemotes() : [this.remote(only)]);
  }

  /** Pushes a backup file to a remote's `backups` repository as an OCI artifact, `latest` moved to it. */
  async shipBackup(remoteName: string, file: string, meta: BackupMeta): Promise<ShippedBackup & { remote: string }> {
    const remote = this.remote(remoteName);
    const { baseUrl, repository } = parseRemoteUrl(remote.url, remote.insecureHttp);
    if (remote.insecureHttp) loopbackOnly(baseUrl);
    const credentials = this.credentials(remote.name);
    const client = new OciClient(
      { baseUrl, repository: backupsRepository(repository), ...(credentials === undefined ? {} : { credentials }) },
      this.clientOptions,
    );
    return { remote: remote.name, ...(await shipBackup(client, file, meta)) };
  }

  /**
   * Upload chunk size and per-request deadline; the settings sync.chunkBytes and sync.timeoutMs
   * (`HEARTH_SYNC_CHUNK_BYTES`, `HEARTH_SYNC_TIMEOUT_MS`) tune them for a slow or metered uplink (small chunks lose
   * less to a dropped link).
   */
  clientOptions: { chunkSize?: number; timeoutMs?: number } = {
    ...optionalNumber('chunkSize', numberSetting('sync.chunkBytes')),
    ...optionalNumber('timeoutMs', numberSetting('sync.timeoutMs')),
  };

  /** The metrics snapshots a registry holds for a model version's manifest (any box's). */
  async remoteSnapshots(url: string, insecureHttp = false): Promise<ReturnType<typeof snapshotDocument>[]> {
    return remoteSnapshots(this.ctx, url, insecureHttp);
  }

  /**
   * The configured remote an artifact URL lies under (same host and port, and under its repository prefix; the
   * longest prefix wins), or undefined. Reads nothing but the remotes table: deciding contacts no one.
   */
  remoteOf(url: string): RemoteInfo | undefined {
    const { host, repository } = parseArtifactUrl(url);
    let match: RemoteInfo | undefined;
    for (const remote of this.listRemotes()) {
      const parsed = parseRemoteUrl(remote.url, remote.insecureHttp);
      if (parsed.host.toLowerCase() !== host.toLowerCase()) continue;
      const prefix = parsed.repository;
      if (repository !== prefix && !repository.startsWith(`${prefix}/`)) continue;
      if (match === undefined || match.url.length < remote.url.length) match = remote;
    }
    return match;
  }

  /**
   * A client for an artifact URL, signed in with the credentials of the configured remote it lives under (the
   * longest matching repository prefix on the same host), else anonymous.
   */
  private clientForUrl(
    url: string,
    insecureHttp: boolean,
  ): { client: OciClient; reference: string; repository: string; host: string } {
    const { host, repository, reference } = parseArtifactUrl(url);
    const match = this.remoteOf(url);
    const plain = insecureHttp || (match?.insecureHttp ?? false);
    const baseUrl = `${plain ? 'http' : 'https'}://${host}`;
    if (plain) loopbackOnly(baseUrl);
    const credentials = match === undefined ? undefined : this.credentials(match.name);
    return {
      client: new OciClient({ baseUrl, repository, ...(credentials === undefined ? {} : { credentials }) }, this.clientOptions),
      reference,
      repository,
      host,
    };
  }

  /**
   * Pulls a model version: the manifest (by tag, or by digest and checked against it), its config and every layer
   * (each checked against its digest and size as it streams in), then proves the model loads in ONNX Runtime
   * before registering it with its lineage. A manifest pulled before is not registered twice.
   */
  async pull(url: string, options: { alias?: string; insecureHttp?: boolean } = {}): Promise<PullResult> {
    return pull(this.ctx, url, options);
  }

  follow(remote: string, model: string, alias: string): FollowInfo {
    return follow(this.ctx, remote, model, alias);
  }

  unfollow(remote: string, model: string, alias: string): void {
    unfollow(this.db, remote, model, alias);
  }

  listFollows(): FollowInfo[] {
    return listFollows(this.db);
  }

  /**
   * Checks each followed alias: when its digest moved, pulls that version, loads it as serving will (so the swap
   * costs no request a cold start), and only then moves the local alias; serving picks the move up on its next
   * request. A version that does not load leaves the alias where it was: the previous version serves on.
   */
  async checkFollows(): Promise<FollowInfo[]> {
    // One at a time: the background loop and a caller's sync.follow running together would each pull a moved
    // alias's version and register it twice, and could move the alias back to the older one they finished last.
    // Callers while a check waits its turn share it: it starts after each of them asked, so it sees what each would,
    // and a flood of sync.follow (a hook retrying, a script) costs one check, not one registry round per call.
    if (this.waitingCheck !== null) return this.waitingCheck;
    const next = this.following
      .catch(() => undefined)
      .then(() => {
        this.waitingCheck = null;
        return checkFollows(this.ctx);
      });
    this.waitingCheck = next;
    this.following = next;
    return next;
  }
}

const optionalNumber = <K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, number>>;
