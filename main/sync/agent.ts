import { HearthError } from '../contracts/errors.js';
import type { ModelVersionInfo, RemoteInfo, SyncStatus } from '../contracts/api.js';
import type { BlobStore } from '../store/blob-store.js';
import { nowIso, type Db } from '../store/database.js';
import type { ModelRegistry } from '../registry/registry.js';
import type { SecretBox } from '../security/secrets.js';
import { OciClient, manifestMediaType, type ImageManifest, type RegistryTarget } from './oci-client.js';

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

interface OutboxEvent {
  id: number;
  kind: 'model-version' | 'alias';
  model: string;
  version: number;
  alias: string | null;
}

/** `oci://HOST[:PORT]/REPOSITORY` → the registry's base URL and the repository prefix. */
export function parseRemoteUrl(url: string, insecureHttp: boolean): { baseUrl: string; repository: string } {
  const m = /^oci:\/\/([^/]+)\/(.+)$/.exec(url);
  if (m === null) throw new HearthError('VALIDATION_FAILED', `a remote is oci://HOST[:PORT]/REPOSITORY, not "${url}"`);
  const repository = m[2]!.replace(/\/+$/, '');
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repository))
    throw new HearthError(
      'VALIDATION_FAILED',
      `"${repository}" is not a valid OCI repository name (lower case, digits, . _ - /)`,
    );
  return { baseUrl: `${insecureHttp ? 'http' : 'https'}://${m[1]}`, repository };
}

/** A model name as an OCI repository path component. */
function repositoryComponent(model: string): string {
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
  ) {}

  addRemote(name: string, url: string, insecureHttp = false, credentials?: RegistryTarget['credentials']): RemoteInfo {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name))
      throw new HearthError('VALIDATION_FAILED', `"${name}" is not a remote name`);
    const { baseUrl } = parseRemoteUrl(url, insecureHttp);
    if (insecureHttp && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(baseUrl))
      throw new HearthError('VALIDATION_FAILED', 'plain HTTP is allowed for loopback registries only; use TLS elsewhere');
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
      url: row.url,
      insecureHttp: row.insecure_http === 1,
      authenticated: row.credentials !== null,
      pending: counts.pending,
      sent: counts.sent,
      failed: counts.failed,
      lastError: counts.last_error,
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
    };
  }

  /**
   * Runs in the background (the server and the desktop start it): every `intervalMs`, each remote with pending
   * events whose backoff has passed is drained. After a failure a remote waits `baseDelayMs · 2^(failures − 1)`,
   * at most `maxDelayMs`, with ±20% jitter so a fleet does not retry in step; the wait survives restarts
   * (deliveries.next_attempt_at).
   */
  start(options: { intervalMs?: number; baseDelayMs?: number; maxDelayMs?: number } = {}): void {
    if (this.timer !== null) return;
    const interval = options.intervalMs ?? 10_000;
    const tick = (): void => {
      if (this.running !== null) return;
      this.running = this.pushDue(options.baseDelayMs ?? 5_000, options.maxDelayMs ?? 30 * 60_000)
        .catch(() => undefined)
        .finally(() => (this.running = null));
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
          `SELECT id, kind, model, version, alias FROM outbox
            WHERE id NOT IN (SELECT outbox_id FROM deliveries WHERE remote = ? AND status = 'sent') ORDER BY id`,
        )
        .all(remote.name) as OutboxEvent[];
      const { baseUrl, repository } = parseRemoteUrl(remote.url, remote.insecureHttp);
      const sealed = this.db.prepare('SELECT credentials FROM remotes WHERE name = ?').get(remote.name) as {
        credentials: string | null;
      };
      const credentials =
        sealed.credentials === null
          ? undefined
          : (JSON.parse(this.secrets.open(sealed.credentials)) as RegistryTarget['credentials']);
      let sent = 0;
      let error: string | null = null;
      const clients = new Map<string, OciClient>();
      for (const event of pending) {
        // One client per model repository, so it signs in once and keeps its authorization for the next events.
        const path = `${repository}/${repositoryComponent(event.model)}`;
        const client = clients.get(path) ?? new OciClient({ baseUrl, repository: path, credentials });
        clients.set(path, client);
        try {
          const digest = await this.deliver(client, event);
          this.record(remote.name, event.id, 'sent', digest, null);
          sent++;
        } catch (e) {
          error = e instanceof Error ? e.message : String(e);
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

  private async deliver(client: OciClient, event: OutboxEvent): Promise<string> {
    if (event.kind === 'model-version') {
      const manifest = await this.uploadVersion(client, this.registry.version(event.model, event.version));
      return client.putManifest(`v${event.version}`, manifest);
    }
    // An alias is a tag on the version's manifest: the same bytes under another name (the version goes first).
    const existing = await client.getManifest(`v${event.version}`);
    if (existing === null)
      throw new HearthError('CONFLICT', `the remote has no v${event.version} of "${event.model}" for ${event.alias}`);
    return client.putManifest(event.alias!, existing.manifest);
  }

  /** Uploads a version's config and layers (skipping blobs the registry has) and returns its manifest. */
  private async uploadVersion(client: OciClient, info: ModelVersionInfo): Promise<ImageManifest> {
    const config = Buffer.from(
      JSON.stringify({
        model: info.model,
        version: info.version,
        task: info.task,
        target: info.target,
        algorithm: info.algorithm,
        inputSchema: info.inputSchema,
        params: info.params,
        metrics: info.metrics,
        dataset: info.dataset,
        createdAt: info.createdAt,
        hearthVersion: typeof info.report.codeVersion === 'string' ? info.report.codeVersion : this.hearthVersion,
      }),
    );
    const onnx = this.blobs.get(info.onnxDigest);
    const card = Buffer.from(modelCard(info));
    const report = Buffer.from(
      JSON.stringify({ metrics: info.metrics, evaluatedOn: info.report.evaluatedOn ?? null, split: info.report.split ?? null }),
    );
    const layer = async (data: Uint8Array, mediaType: string, title: string) => {
      const d = await client.uploadBlob(data);
      return { mediaType, digest: d.digest, size: d.size, annotations: { 'org.opencontainers.image.title': title } };
    };
    const configBlob = await client.uploadBlob(config);
    return {
      schemaVersion: 2,
      mediaType: manifestMediaType,
      artifactType: modelArtifactType,
      config: { mediaType: configMediaType, digest: configBlob.digest, size: configBlob.size },
      layers: [
        await layer(onnx, onnxMediaType, 'model.onnx'),
        await layer(card, cardMediaType, 'MODEL_CARD.md'),
        await layer(report, reportMediaType, 'evaluation.json'),
      ],
      annotations: {
        'org.opencontainers.image.created': info.createdAt,
        'org.opencontainers.image.version': `v${info.version}`,
        'org.opencontainers.image.title': info.model,
      },
    };
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
