import { HearthError } from '../contracts/errors.js';
import type { FollowInfo, MetricSnapshot, ModelVersionInfo, PullResult, RemoteInfo, SyncStatus } from '../contracts/api.js';
import type { BlobStore } from '../store/blob-store.js';
import { nowIso, type Db } from '../store/database.js';
import type { ModelRegistry } from '../registry/registry.js';
import type { SecretBox } from '../security/secrets.js';
import { redactText, redactUrl } from '../security/redact.js';
import { createSession } from '../accel/onnx-runtime.js';
import { parseStoredModel } from '../models/model.js';
import type { Task } from '../models/preprocess.js';
import {
  OciClient,
  emptyConfig,
  manifestMediaType,
  sha256Digest,
  type Descriptor,
  type ImageManifest,
  type RegistryTarget,
} from './oci-client.js';

/**
 * Hearth's artifact type for a model version (an OCI image-spec 1.1 artifact manifest). The config blob is the
 * version's metadata (`configMediaType`); the layers are the ONNX graph, the model card (Markdown) and the
 * evaluation report (JSON), each titled with `org.opencontainers.image.title`.
 */
export const modelArtifactType = 'application/vnd.hearth.model.v1+json';
export const configMediaType = 'application/vnd.hearth.model.config.v1+json';
export const onnxMediaType = 'application/vnd.onnx.model';
export const cardMediaType = 'text/markdown';
export const reportMediaType = 'application/vnd.hearth.evaluation.v1+json';
/** The model as Hearth itself stores it (trees, weights, preprocessing): what serving and TreeSHAP read. */
export const nativeMediaType = 'application/vnd.hearth.model.native.v1+json';
/** A metrics snapshot: an artifact whose `subject` is the version's manifest, with one layer, metrics.json. */
export const metricsArtifactType = 'application/vnd.hearth.metrics.v1+json';
export const metricsMediaType = 'application/vnd.hearth.metrics.snapshot.v1+json';

const titleAnnotation = 'org.opencontainers.image.title';

interface OutboxEvent {
  id: number;
  kind: 'model-version' | 'alias' | 'metrics';
  model: string;
  version: number;
  alias: string | null;
  snapshot_id: number | null;
}

/** The version's metadata: the config blob of its manifest, and what a pull registers from. */
interface ModelConfig {
  model: string;
  version: number;
  task: Task;
  target: string;
  algorithm: string;
  inputSchema: ModelVersionInfo['inputSchema'];
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  dataset: ModelVersionInfo['dataset'];
  lineage: { trainedOn: ModelVersionInfo['dataset']; pulledFrom: ModelVersionInfo['origin'] };
  createdAt: string;
  hearthVersion: string;
}

/** oci://HOST[:PORT]/REPOSITORY:TAG or oci://HOST[:PORT]/REPOSITORY@sha256:HEX */
export function parseArtifactUrl(url: string): { host: string; repository: string; reference: string } {
  const m = /^oci:\/\/([^/]+)\/([^:@]+)(?::([A-Za-z0-9_][A-Za-z0-9._-]{0,127})|@(sha256:[a-f0-9]{64}))$/.exec(url);
  if (m === null)
    throw new HearthError(
      'VALIDATION_FAILED',
      `pull oci://HOST[:PORT]/REPOSITORY:TAG or oci://HOST[:PORT]/REPOSITORY@sha256:DIGEST, not "${url}"`,
    );
  // Userinfo would be kept as the version's origin, shown to every role and pushed on in its lineage.
  if (m[1]!.includes('@'))
    throw new HearthError(
      'VALIDATION_FAILED',
      'an artifact URL carries no user name or password; add the registry as a remote instead',
    );
  return { host: m[1]!, repository: m[2]!, reference: m[3] ?? m[4]! };
}

/** `oci://HOST[:PORT]/REPOSITORY` → the registry's host, base URL and the repository prefix. */
export function parseRemoteUrl(url: string, insecureHttp: boolean): { host: string; baseUrl: string; repository: string } {
  const m = /^oci:\/\/([^/]+)\/(.+)$/.exec(url);
  if (m === null) throw new HearthError('VALIDATION_FAILED', `a remote is oci://HOST[:PORT]/REPOSITORY, not "${url}"`);
  const repository = m[2]!.replace(/\/+$/, '');
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repository))
    throw new HearthError(
      'VALIDATION_FAILED',
      `"${repository}" is not a valid OCI repository name (lower case, digits, . _ - /)`,
    );
  return { host: m[1]!, baseUrl: `${insecureHttp ? 'http' : 'https'}://${m[1]}`, repository };
}

/** Plain HTTP would send models and credentials in clear: it is for loopback registries (tests, a local mirror). */
function loopbackOnly(baseUrl: string): void {
  if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(baseUrl))
    throw new HearthError('VALIDATION_FAILED', 'plain HTTP is allowed for loopback registries only; use TLS elsewhere');
}

function checkRemote(name: string, url: string, insecureHttp: boolean): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name))
    throw new HearthError('VALIDATION_FAILED', `"${name}" is not a remote name`);
  const { host, baseUrl } = parseRemoteUrl(url, insecureHttp);
  // Userinfo in the URL would be stored and listed in clear; credentials go in their own fields, sealed.
  if (host.includes('@'))
    throw new HearthError(
      'VALIDATION_FAILED',
      "a remote URL carries no user name or password; give them as the remote's credentials instead",
    );
  if (insecureHttp) loopbackOnly(baseUrl);
}

/** A model name as an OCI repository path component. */
export function repositoryComponent(model: string): string {
  return (
    model
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[._-]+|[._-]+$/g, '') || 'model'
  );
}

/**
 * Drains the outbox to every remote, in order, exactly once per remote: an event is marked sent only after the
 * registry accepted its manifest, and what is sent is built from stored data only (the version's own timestamps,
 * not the clock), so a re-send after a crash between the two puts the same bytes under the same digest.
 */
export class SyncAgent {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly db: Db,
    private readonly blobs: BlobStore,
    private readonly registry: ModelRegistry,
    private readonly hearthVersion: string,
    private readonly secrets: SecretBox,
    /** Loads a registered version the way serving will (the engine warms its predictor cache with it). */
    private readonly warm: (model: string, version: number) => Promise<void> = async () => {},
  ) {}

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
      last_error: remotes.find((r) => r.lastError !== null)?.lastError ?? null,
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
    const tick = (): void => {
      if (this.running !== null) return;
      this.running = (async () => {
        await this.pushDue(options.baseDelayMs ?? 5_000, options.maxDelayMs ?? 30 * 60_000).catch(() => undefined);
        if (Date.now() - lastFollow >= followEvery) {
          lastFollow = Date.now();
          await this.checkFollows().catch(() => undefined);
        }
      })().finally(() => (this.running = null));
    };
    this.timer = setInterval(tick, interval);
    this.timer.unref();
    tick();
  }

  /** Stops the background loop and waits for a push in progress. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
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
    const remotes = only === undefined ? this.listRemotes() : [this.remote(only)];
    const results: { remote: string; sent: number; error: string | null }[] = [];
    for (const remote of remotes) {
      const pending = this.db
        .prepare(
          `SELECT id, kind, model, version, alias, snapshot_id FROM outbox
            WHERE id NOT IN (SELECT outbox_id FROM deliveries WHERE remote = ? AND status = 'sent') ORDER BY id`,
        )
        .all(remote.name) as OutboxEvent[];
      const { baseUrl, repository } = parseRemoteUrl(remote.url, remote.insecureHttp);
      const credentials = this.credentials(remote.name);
      let sent = 0;
      let error: string | null = null;
      const clients = new Map<string, OciClient>();
      // One client per repository, so it signs in once and keeps its authorization for the next events.
      const clientFor = (path: string): OciClient => {
        const client = clients.get(path) ?? new OciClient({ baseUrl, repository: path, credentials }, this.clientOptions);
        clients.set(path, client);
        return client;
      };
      for (const event of pending) {
        try {
          const digest = await this.deliver(remote.name, baseUrl, repository, clientFor, event);
          this.record(remote.name, event.id, 'sent', digest, null);
          sent++;
        } catch (e) {
          error = redactText(e instanceof Error ? e.message : String(e));
          this.record(remote.name, event.id, 'failed', null, error);
          break;
        }
      }
      results.push({ remote: remote.name, sent, error });
    }
    return results;
  }

  private record(remote: string, outboxId: number, status: 'sent' | 'failed', digest: string | null, error: string | null): void {
    this.db
      .prepare(
        `INSERT INTO deliveries (remote, outbox_id, status, attempts, digest, last_error, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?)
         ON CONFLICT (remote, outbox_id) DO UPDATE SET status = excluded.status, attempts = attempts + 1,
           digest = excluded.digest, last_error = excluded.last_error, updated_at = excluded.updated_at`,
      )
      .run(remote, outboxId, status, digest, error, nowIso());
  }

  /**
   * Upload chunk size and per-request deadline; `HEARTH_SYNC_CHUNK_BYTES` and `HEARTH_SYNC_TIMEOUT_MS` tune them for a
   * slow or metered uplink (small chunks lose less to a dropped link).
   */
  clientOptions: { chunkSize?: number; timeoutMs?: number } = {
    ...(process.env.HEARTH_SYNC_CHUNK_BYTES === undefined ? {} : { chunkSize: Number(process.env.HEARTH_SYNC_CHUNK_BYTES) }),
    ...(process.env.HEARTH_SYNC_TIMEOUT_MS === undefined ? {} : { timeoutMs: Number(process.env.HEARTH_SYNC_TIMEOUT_MS) }),
  };

  /**
   * Sends one event; returns the digest the registry now holds for it, or null when it has nothing to do with
   * this remote (a snapshot of a version pulled from another registry).
   */
  private async deliver(
    remote: string,
    baseUrl: string,
    repository: string,
    clientFor: (path: string) => OciClient,
    event: OutboxEvent,
  ): Promise<string | null> {
    const client = clientFor(`${repository}/${repositoryComponent(event.model)}`);
    if (event.kind === 'metrics') return this.deliverSnapshot(remote, baseUrl, client, clientFor, event);
    if (event.kind === 'model-version') {
      const manifest = await this.uploadVersion(remote, client, this.registry.version(event.model, event.version));
      // A version tag is written once. Another box that pushed its own model of the same name to the same
      // repository would otherwise have its v<N> silently replaced: refuse, and say so.
      const existing = await client.getManifest(`v${event.version}`);
      if (existing !== null && existing.digest !== sha256Digest(Buffer.from(JSON.stringify(manifest))))
        throw new HearthError(
          'CONFLICT',
          `${client.repository}:v${event.version} holds another model (${existing.digest.slice(0, 19)}…); is a second box pushing "${event.model}" to this repository? Give one of them another remote repository`,
        );
      return client.putManifest(`v${event.version}`, manifest);
    }
    // An alias is a tag on the version's manifest: the same bytes under another name (the version goes first).
    const existing = await client.getManifest(`v${event.version}`);
    if (existing === null)
      throw new HearthError('CONFLICT', `the remote has no v${event.version} of "${event.model}" for ${event.alias}`);
    return client.putManifest(event.alias!, existing.manifest);
  }

  /**
   * Uploads one blob, resuming an upload a killed process left behind: each accepted chunk's session URL and
   * offset is saved, and the next attempt asks the registry where that session stands and goes on from there.
   */
  private async upload(remote: string, client: OciClient, data: Uint8Array): Promise<Descriptor> {
    const digest = sha256Digest(data);
    const key = [remote, client.repository, digest] as const;
    const saved = this.db
      .prepare('SELECT url FROM upload_sessions WHERE remote = ? AND repository = ? AND digest = ?')
      .get(...key) as { url: string } | undefined;
    const save = this.db.prepare(
      `INSERT INTO upload_sessions (remote, repository, digest, url, offset, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (remote, repository, digest) DO UPDATE SET url = excluded.url, offset = excluded.offset, updated_at = excluded.updated_at`,
    );
    const result = await client.uploadBlob(data, saved?.url ?? null, ({ uploadUrl, offset }) => {
      if (offset < data.length) save.run(...key, uploadUrl, offset, nowIso());
    });
    this.db.prepare('DELETE FROM upload_sessions WHERE remote = ? AND repository = ? AND digest = ?').run(...key);
    return result;
  }

  /** Uploads a version's config and layers (skipping blobs the registry has) and returns its manifest. */
  private async uploadVersion(remote: string, client: OciClient, info: ModelVersionInfo): Promise<ImageManifest> {
    const config: ModelConfig = {
      model: info.model,
      version: info.version,
      task: info.task,
      target: info.target,
      algorithm: info.algorithm,
      inputSchema: info.inputSchema,
      params: info.params,
      metrics: info.metrics,
      dataset: info.dataset,
      lineage: { trainedOn: info.dataset, pulledFrom: info.origin },
      createdAt: info.createdAt,
      hearthVersion: typeof info.report.codeVersion === 'string' ? info.report.codeVersion : this.hearthVersion,
    };
    const layer = async (data: Uint8Array, mediaType: string, title: string): Promise<Descriptor> => {
      const d = await this.upload(remote, client, data);
      return { mediaType, digest: d.digest, size: d.size, annotations: { [titleAnnotation]: title } };
    };
    const configBlob = await this.upload(remote, client, Buffer.from(JSON.stringify(config)));
    return {
      schemaVersion: 2,
      mediaType: manifestMediaType,
      artifactType: modelArtifactType,
      config: { mediaType: configMediaType, digest: configBlob.digest, size: configBlob.size },
      layers: [
        await layer(this.blobs.get(info.onnxDigest), onnxMediaType, 'model.onnx'),
        await layer(Buffer.from(modelCard(info)), cardMediaType, 'MODEL_CARD.md'),
        await layer(Buffer.from(JSON.stringify(info.report)), reportMediaType, 'evaluation.json'),
        await layer(this.blobs.get(info.modelDigest), nativeMediaType, 'model.hearth.json'),
      ],
      annotations: {
        'org.opencontainers.image.created': info.createdAt,
        'org.opencontainers.image.version': `v${info.version}`,
        'org.opencontainers.image.title': info.model,
      },
    };
  }

  /**
   * A metrics snapshot as an OCI artifact whose `subject` is the version's manifest (the referrers tag scheme
   * where the registry has no referrers API). A snapshot of a pulled version goes back to the registry and
   * repository the version came from, whose manifest it names; other remotes have nothing to do with it.
   */
  private async deliverSnapshot(
    remote: string,
    baseUrl: string,
    localClient: OciClient,
    clientFor: (path: string) => OciClient,
    event: OutboxEvent,
  ): Promise<string | null> {
    const snapshot = this.registry.snapshot(event.snapshot_id!);
    const info = this.registry.version(event.model, event.version);
    let client = localClient;
    let subjectReference = `v${event.version}`;
    if (info.origin !== null) {
      const origin = parseArtifactUrl(`${info.origin.url}@${info.origin.digest}`);
      if (new URL(baseUrl).host !== origin.host) return null;
      client = clientFor(origin.repository);
      subjectReference = info.origin.digest;
    }
    const subject = await client.getManifest(subjectReference);
    if (subject === null)
      throw new HearthError('CONFLICT', `the remote has no ${subjectReference} of "${event.model}" for its metrics snapshot`);
    await this.upload(remote, client, emptyConfig.data);
    const body = await this.upload(remote, client, Buffer.from(JSON.stringify(snapshotDocument(snapshot))));
    return client.putReferrer({
      schemaVersion: 2,
      mediaType: manifestMediaType,
      artifactType: metricsArtifactType,
      config: { mediaType: emptyConfig.mediaType, digest: emptyConfig.digest, size: emptyConfig.size },
      layers: [
        { mediaType: metricsMediaType, digest: body.digest, size: body.size, annotations: { [titleAnnotation]: 'metrics.json' } },
      ],
      subject: { mediaType: manifestMediaType, digest: subject.digest, size: subject.size },
      annotations: {
        'org.opencontainers.image.created': snapshot.createdAt,
        'dev.hearth.metrics.source': snapshot.source,
        'dev.hearth.metrics.data-hash': snapshot.dataHash,
      },
    });
  }

  /** The metrics snapshots a registry holds for a model version's manifest (any box's). */
  async remoteSnapshots(url: string, insecureHttp = false): Promise<ReturnType<typeof snapshotDocument>[]> {
    const { client, reference } = this.clientForUrl(url, insecureHttp);
    const subject = await client.getManifest(reference);
    if (subject === null) throw new HearthError('NOT_FOUND', `the registry has no ${reference}`);
    const out: ReturnType<typeof snapshotDocument>[] = [];
    for (const d of await client.referrers(subject.digest, metricsArtifactType)) {
      const manifest = await client.getManifest(d.digest);
      const layer = manifest?.manifest.layers.find((l) => l.mediaType === metricsMediaType);
      if (layer === undefined) continue;
      out.push(
        JSON.parse((await client.getBlob(layer.digest, layer.size)).toString('utf8')) as ReturnType<typeof snapshotDocument>,
      );
    }
    return out;
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
    const { client, reference, repository, host } = this.clientForUrl(url, options.insecureHttp ?? false);
    const got = await client.getManifest(reference);
    if (got === null) throw new HearthError('NOT_FOUND', `the registry has no ${repository}:${reference}`);
    const { manifest, digest } = got;
    if (manifest.artifactType !== modelArtifactType && manifest.config.mediaType !== configMediaType)
      throw new HearthError(
        'VALIDATION_FAILED',
        `${repository}:${reference} is not a Hearth model (artifact type ${manifest.artifactType ?? manifest.config.mediaType})`,
      );
    const config = JSON.parse(
      (await client.getBlob(manifest.config.digest, manifest.config.size)).toString('utf8'),
    ) as ModelConfig;
    const layer = async (mediaType: string): Promise<Buffer> => {
      const d = manifest.layers.find((l) => l.mediaType === mediaType);
      if (d === undefined) throw new HearthError('VALIDATION_FAILED', `${repository}:${reference} has no ${mediaType} layer`);
      return client.getBlob(d.digest, d.size);
    };
    const onnx = await layer(onnxMediaType);
    const native = (await layer(nativeMediaType)).toString('utf8');
    const report = JSON.parse((await layer(reportMediaType)).toString('utf8')) as Record<string, unknown>;
    let version = this.registry.versionByOriginDigest(config.model, digest);
    const registered = version === null;
    if (version === null) {
      await provesToLoad(native, onnx, `${repository}:${reference}`);
      const info = this.registry.register({
        model: config.model,
        algorithm: config.algorithm,
        task: config.task,
        target: config.target,
        params: config.params,
        metrics: config.metrics,
        report,
        inputSchema: config.inputSchema,
        onnx,
        modelJson: native,
        preferredVersion: config.version,
        origin: {
          source: {
            url: `oci://${host}/${repository}`,
            reference,
            digest,
            remoteVersion: config.version,
            pulledAt: nowIso(),
          },
          dataset: config.lineage?.trainedOn ?? config.dataset,
          createdAt: config.createdAt,
        },
      });
      version = info.version;
    }
    if (options.alias !== undefined) this.registry.follow(config.model, options.alias, version);
    return { model: config.model, version, digest, registered, alias: options.alias ?? null };
  }

  follow(remote: string, model: string, alias: string): FollowInfo {
    this.remote(remote);
    this.db
      .prepare(
        `INSERT INTO follows (remote, model, alias, status, created_at) VALUES (?, ?, ?, 'waiting', ?)
         ON CONFLICT (remote, model, alias) DO NOTHING`,
      )
      .run(remote, model, alias, nowIso());
    return this.listFollows().find((f) => f.remote === remote && f.model === model && f.alias === alias)!;
  }

  unfollow(remote: string, model: string, alias: string): void {
    const info = this.db.prepare('DELETE FROM follows WHERE remote = ? AND model = ? AND alias = ?').run(remote, model, alias);
    if (info.changes === 0) throw new HearthError('NOT_FOUND', `this box does not follow ${model}:${alias} on "${remote}"`);
  }

  listFollows(): FollowInfo[] {
    const rows = this.db.prepare('SELECT * FROM follows ORDER BY remote, model, alias').all() as {
      remote: string;
      model: string;
      alias: string;
      status: FollowInfo['status'];
      last_digest: string | null;
      local_version: number | null;
      last_error: string | null;
      checked_at: string | null;
    }[];
    return rows.map((r) => ({
      remote: r.remote,
      model: r.model,
      alias: r.alias,
      status: r.status,
      lastDigest: r.last_digest,
      localVersion: r.local_version,
      lastError: r.last_error === null ? null : redactText(r.last_error),
      checkedAt: r.checked_at,
    }));
  }

  /**
   * Checks each followed alias: when its digest moved, pulls that version, loads it as serving will (so the swap
   * costs no request a cold start), and only then moves the local alias; serving picks the move up on its next
   * request. A version that does not load leaves the alias where it was: the previous version serves on.
   */
  async checkFollows(): Promise<FollowInfo[]> {
    for (const f of this.listFollows()) {
      const remote = this.remote(f.remote);
      const { host, repository } = parseRemoteUrl(remote.url, remote.insecureHttp);
      const url = `oci://${host}/${repository}/${repositoryComponent(f.model)}`;
      const update = this.db.prepare(
        `UPDATE follows SET status = ?, last_digest = ?, local_version = ?, last_error = ?, checked_at = ?
          WHERE remote = ? AND model = ? AND alias = ?`,
      );
      const key = [f.remote, f.model, f.alias] as const;
      let digest: string | null = null;
      try {
        const head = await this.clientForUrl(`${url}:${f.alias}`, remote.insecureHttp).client.getManifest(f.alias);
        if (head === null) throw new HearthError('NOT_FOUND', `the registry has no ${f.model}:${f.alias} yet`);
        digest = head.digest;
        if (digest === f.lastDigest) {
          if (f.status !== 'rolled-back') update.run('current', digest, f.localVersion, null, nowIso(), ...key);
          else
            this.db
              .prepare('UPDATE follows SET checked_at = ? WHERE remote = ? AND model = ? AND alias = ?')
              .run(nowIso(), ...key);
          continue;
        }
        const pulled = await this.pull(`${url}@${digest}`, { insecureHttp: remote.insecureHttp });
        try {
          await this.warm(pulled.model, pulled.version);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          update.run(
            'rolled-back',
            digest,
            f.localVersion,
            `v${pulled.version} did not load, v${f.localVersion ?? '?'} serves on: ${message}`,
            nowIso(),
            ...key,
          );
          continue;
        }
        this.registry.follow(pulled.model, f.alias, pulled.version);
        update.run('current', digest, pulled.version, null, nowIso(), ...key);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        // A version that cannot load is remembered by digest, so it is not pulled again until the alias moves.
        const rejected = error instanceof HearthError && error.code === 'MODEL_LOAD_FAILED';
        update.run(
          rejected ? 'rolled-back' : 'failed',
          rejected ? digest : f.lastDigest,
          f.localVersion,
          message,
          nowIso(),
          ...key,
        );
      }
    }
    return this.listFollows();
  }
}

/** A short Markdown model card: what the model predicts, from what, how well, and its lineage. */
export function modelCard(info: ModelVersionInfo): string {
  const metrics = Object.entries(info.metrics)
    .map(([k, v]) => `| ${k} | ${v.toFixed(4)} |`)
    .join('\n');
  return `# ${info.model} v${info.version}

${info.algorithm} ${info.task} model predicting **${info.target}**, trained on ${info.dataset.name} v${info.dataset.version}
(content ${info.dataset.contentHash}) on ${info.createdAt}.

## Metrics (${typeof info.report.evaluatedOn === 'string' ? info.report.evaluatedOn : 'test'} rows)

| metric | value |
| --- | --- |
${metrics}

## Inputs

${info.inputSchema.map((i) => `- ${i.name} (${i.type})`).join('\n')}
`;
}

/** The metrics.json of a snapshot artifact: the snapshot without this box's row id. */
export function snapshotDocument(snapshot: MetricSnapshot): Omit<MetricSnapshot, 'id'> {
  const { id: _id, ...document } = snapshot;
  return document;
}

/** Refuses a pulled model that Hearth cannot serve: its stored form must parse and its graph must load. */
async function provesToLoad(native: string, onnx: Uint8Array, what: string): Promise<void> {
  try {
    parseStoredModel(native);
    const loaded = await createSession(onnx);
    await loaded.session.release();
  } catch (error) {
    throw new HearthError(
      'MODEL_LOAD_FAILED',
      `${what} does not load: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
