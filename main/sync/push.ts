import { HearthError } from '../contracts/errors.js';
import type { ModelVersionInfo, RemoteInfo } from '../contracts/api.js';
import { nowIso } from '../store/database.js';
import { redactText } from '../security/redact.js';
import { OciClient, emptyConfig, manifestMediaType, sha256Digest, type Descriptor, type ImageManifest } from './oci-client.js';
import {
  cardMediaType,
  configMediaType,
  metricsArtifactType,
  metricsMediaType,
  modelArtifactType,
  modelCard,
  nativeMediaType,
  onnxMediaType,
  parseArtifactUrl,
  parseRemoteUrl,
  reportMediaType,
  repositoryComponent,
  snapshotDocument,
  titleAnnotation,
  type ModelConfig,
  type OutboxEvent,
} from './artifact.js';
import type { SyncContext } from './context.js';

// Pushing: the outbox drained to a remote, one event at a time. What is sent is built from stored data only (the
// version's own timestamps, not the clock), so a re-send after a crash puts the same bytes under the same digest.

/** Sends every pending event to each of `remotes`, oldest first; stops a remote at its first failure. */
export async function push(
  ctx: SyncContext,
  remotes: RemoteInfo[],
): Promise<{ remote: string; sent: number; error: string | null }[]> {
  const results: { remote: string; sent: number; error: string | null }[] = [];
  for (const remote of remotes) {
    const pending = ctx.db
      .prepare(
        `SELECT id, kind, model, version, alias, snapshot_id FROM outbox
          WHERE id NOT IN (SELECT outbox_id FROM deliveries WHERE remote = ? AND status = 'sent') ORDER BY id`,
      )
      .all(remote.name) as OutboxEvent[];
    const { baseUrl, repository } = parseRemoteUrl(remote.url, remote.insecureHttp);
    const credentials = ctx.credentials(remote.name);
    let sent = 0;
    let error: string | null = null;
    const clients = new Map<string, OciClient>();
    // One client per repository, so it signs in once and keeps its authorization for the next events.
    const clientFor = (path: string): OciClient => {
      const client = clients.get(path) ?? new OciClient({ baseUrl, repository: path, credentials }, ctx.clientOptions());
      clients.set(path, client);
      return client;
    };
    for (const event of pending) {
      try {
        const digest = await deliver(ctx, remote.name, baseUrl, repository, clientFor, event);
        record(ctx, remote.name, event.id, 'sent', digest, null);
        sent++;
      } catch (e) {
        error = redactText(e instanceof Error ? e.message : String(e));
        record(ctx, remote.name, event.id, 'failed', null, error);
        break;
      }
    }
    results.push({ remote: remote.name, sent, error });
  }
  return results;
}

function record(
  ctx: SyncContext,
  remote: string,
  outboxId: number,
  status: 'sent' | 'failed',
  digest: string | null,
  error: string | null,
): void {
  ctx.db
    .prepare(
      `INSERT INTO deliveries (remote, outbox_id, status, attempts, digest, last_error, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?)
       ON CONFLICT (remote, outbox_id) DO UPDATE SET status = excluded.status, attempts = attempts + 1,
         digest = excluded.digest, last_error = excluded.last_error, updated_at = excluded.updated_at`,
    )
    .run(remote, outboxId, status, digest, error, nowIso());
}
/**
 * Sends one event; returns the digest the registry now holds for it, or null when it has nothing to do with
 * this remote (a snapshot of a version pulled from another registry).
 */
async function deliver(
  ctx: SyncContext,
  remote: string,
  baseUrl: string,
  repository: string,
  clientFor: (path: string) => OciClient,
  event: OutboxEvent,
): Promise<string | null> {
  const client = clientFor(`${repository}/${repositoryComponent(event.model)}`);
  if (event.kind === 'metrics') return deliverSnapshot(ctx, remote, baseUrl, client, clientFor, event);
  if (event.kind === 'model-version') {
    const manifest = await uploadVersion(ctx, remote, client, ctx.registry.version(event.model, event.version));
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
async function upload(ctx: SyncContext, remote: string, client: OciClient, data: Uint8Array): Promise<Descriptor> {
  const digest = sha256Digest(data);
  const key = [remote, client.repository, digest] as const;
  const saved = ctx.db
    .prepare('SELECT url FROM upload_sessions WHERE remote = ? AND repository = ? AND digest = ?')
    .get(...key) as { url: string } | undefined;
  const save = ctx.db.prepare(
    `INSERT INTO upload_sessions (remote, repository, digest, url, offset, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (remote, repository, digest) DO UPDATE SET url = excluded.url, offset = excluded.offset, updated_at = excluded.updated_at`,
  );
  const result = await client.uploadBlob(data, saved?.url ?? null, ({ uploadUrl, offset }) => {
    if (offset < data.length) save.run(...key, uploadUrl, offset, nowIso());
  });
  ctx.db.prepare('DELETE FROM upload_sessions WHERE remote = ? AND repository = ? AND digest = ?').run(...key);
  return result;
}

/** Uploads a version's config and layers (skipping blobs the registry has) and returns its manifest. */
async function uploadVersion(
  ctx: SyncContext,
  remote: string,
  client: OciClient,
  info: ModelVersionInfo,
): Promise<ImageManifest> {
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
    hearthVersion: typeof info.report.codeVersion === 'string' ? info.report.codeVersion : ctx.hearthVersion,
  };
  const layer = async (data: Uint8Array, mediaType: string, title: string): Promise<Descriptor> => {
    const d = await upload(ctx, remote, client, data);
    return { mediaType, digest: d.digest, size: d.size, annotations: { [titleAnnotation]: title } };
  };
  const configBlob = await upload(ctx, remote, client, Buffer.from(JSON.stringify(config)));
  return {
    schemaVersion: 2,
    mediaType: manifestMediaType,
    artifactType: modelArtifactType,
    config: { mediaType: configMediaType, digest: configBlob.digest, size: configBlob.size },
    layers: [
      await layer(ctx.blobs.get(info.onnxDigest), onnxMediaType, 'model.onnx'),
      await layer(Buffer.from(modelCard(info)), cardMediaType, 'MODEL_CARD.md'),
      await layer(Buffer.from(JSON.stringify(info.report)), reportMediaType, 'evaluation.json'),
      await layer(ctx.blobs.get(info.modelDigest), nativeMediaType, 'model.hearth.json'),
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
async function deliverSnapshot(
  ctx: SyncContext,
  remote: string,
  baseUrl: string,
  localClient: OciClient,
  clientFor: (path: string) => OciClient,
  event: OutboxEvent,
): Promise<string | null> {
  const snapshot = ctx.registry.snapshot(event.snapshot_id!);
  const info = ctx.registry.version(event.model, event.version);
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
  await upload(ctx, remote, client, emptyConfig.data);
  const body = await upload(ctx, remote, client, Buffer.from(JSON.stringify(snapshotDocument(snapshot))));
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
