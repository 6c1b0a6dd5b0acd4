import { HearthError } from '../contracts/errors.js';
import type { FollowInfo, PullResult } from '../contracts/api.js';
import { nowIso, type Db } from '../store/database.js';
import { redactText } from '../security/redact.js';
import { createSession } from '../accel/onnx-runtime.js';
import { parseStoredModel } from '../models/model.js';
import {
  configMediaType,
  metricsArtifactType,
  metricsMediaType,
  modelArtifactType,
  nativeMediaType,
  onnxMediaType,
  parseRemoteUrl,
  reportMediaType,
  repositoryComponent,
  type snapshotDocument,
  type ModelConfig,
} from './artifact.js';
import type { SyncContext } from './context.js';

// Pulling: a model version fetched from a registry, checked and registered with its lineage, and followed aliases
// kept up to date.

/** The metrics snapshots a registry holds for a model version's manifest (any box's). */
export async function remoteSnapshots(
  ctx: SyncContext,
  url: string,
  insecureHttp = false,
): Promise<ReturnType<typeof snapshotDocument>[]> {
  const { client, reference } = ctx.clientForUrl(url, insecureHttp);
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
 * Pulls a model version: the manifest (by tag, or by digest and checked against it), its config and every layer
 * (each checked against its digest and size as it streams in), then proves the model loads in ONNX Runtime
 * before registering it with its lineage. A manifest pulled before is not registered twice.
 */
export async function pull(
  ctx: SyncContext,
  url: string,
  options: { alias?: string; insecureHttp?: boolean } = {},
): Promise<PullResult> {
  const { client, reference, repository, host } = ctx.clientForUrl(url, options.insecureHttp ?? false);
  const got = await client.getManifest(reference);
  if (got === null) throw new HearthError('NOT_FOUND', `the registry has no ${repository}:${reference}`);
  const { manifest, digest } = got;
  if (manifest.artifactType !== modelArtifactType && manifest.config.mediaType !== configMediaType)
    throw new HearthError(
      'VALIDATION_FAILED',
      `${repository}:${reference} is not a Hearth model (artifact type ${manifest.artifactType ?? manifest.config.mediaType})`,
    );
  const config = JSON.parse((await client.getBlob(manifest.config.digest, manifest.config.size)).toString('utf8')) as ModelConfig;
  const layer = async (mediaType: string): Promise<Buffer> => {
    const d = manifest.layers.find((l) => l.mediaType === mediaType);
    if (d === undefined) throw new HearthError('VALIDATION_FAILED', `${repository}:${reference} has no ${mediaType} layer`);
    return client.getBlob(d.digest, d.size);
  };
  const onnx = await layer(onnxMediaType);
  const native = (await layer(nativeMediaType)).toString('utf8');
  const report = JSON.parse((await layer(reportMediaType)).toString('utf8')) as Record<string, unknown>;
  let version = ctx.registry.versionByOriginDigest(config.model, digest);
  const registered = version === null;
  if (version === null) {
    await provesToLoad(native, onnx, `${repository}:${reference}`);
    const info = ctx.registry.register({
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
  if (options.alias !== undefined) ctx.registry.follow(config.model, options.alias, version);
  return { model: config.model, version, digest, registered, alias: options.alias ?? null };
}

export function follow(ctx: SyncContext, remote: string, model: string, alias: string): FollowInfo {
  ctx.remote(remote);
  ctx.db
    .prepare(
      `INSERT INTO follows (remote, model, alias, status, created_at) VALUES (?, ?, ?, 'waiting', ?)
       ON CONFLICT (remote, model, alias) DO NOTHING`,
    )
    .run(remote, model, alias, nowIso());
  return listFollows(ctx.db).find((f) => f.remote === remote && f.model === model && f.alias === alias)!;
}

export function unfollow(db: Db, remote: string, model: string, alias: string): void {
  const info = db.prepare('DELETE FROM follows WHERE remote = ? AND model = ? AND alias = ?').run(remote, model, alias);
  if (info.changes === 0) throw new HearthError('NOT_FOUND', `this box does not follow ${model}:${alias} on "${remote}"`);
}

export function listFollows(db: Db): FollowInfo[] {
  const rows = db.prepare('SELECT * FROM follows ORDER BY remote, model, alias').all() as {
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
export async function checkFollows(ctx: SyncContext): Promise<FollowInfo[]> {
  for (const f of listFollows(ctx.db)) {
    const remote = ctx.remote(f.remote);
    const { host, repository } = parseRemoteUrl(remote.url, remote.insecureHttp);
    const url = `oci://${host}/${repository}/${repositoryComponent(f.model)}`;
    const update = ctx.db.prepare(
      `UPDATE follows SET status = ?, last_digest = ?, local_version = ?, last_error = ?, checked_at = ?
        WHERE remote = ? AND model = ? AND alias = ?`,
    );
    const key = [f.remote, f.model, f.alias] as const;
    let digest: string | null = null;
    try {
      const head = await ctx.clientForUrl(`${url}:${f.alias}`, remote.insecureHttp).client.getManifest(f.alias);
      if (head === null) throw new HearthError('NOT_FOUND', `the registry has no ${f.model}:${f.alias} yet`);
      digest = head.digest;
      if (digest === f.lastDigest) {
        if (f.status !== 'rolled-back') update.run('current', digest, f.localVersion, null, nowIso(), ...key);
        else
          ctx.db.prepare('UPDATE follows SET checked_at = ? WHERE remote = ? AND model = ? AND alias = ?').run(nowIso(), ...key);
        continue;
      }
      const pulled = await pull(ctx, `${url}@${digest}`, { insecureHttp: remote.insecureHttp });
      try {
        await ctx.warm(pulled.model, pulled.version);
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
      ctx.registry.follow(pulled.model, f.alias, pulled.version);
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
  return listFollows(ctx.db);
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
