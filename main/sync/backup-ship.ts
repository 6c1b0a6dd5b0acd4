import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { HearthError } from '../contracts/errors.js';
import { privateFileMode } from '../crypto/private-fs.js';
import { type OciClient, emptyConfig, manifestMediaType, type ImageManifest } from './oci-client.js';

/**
 * Backups shipped to an OCI registry, for a standby to restore (`hearth standby`). The artifact is the backup file
 * as it is on disk, one layer, already encrypted (by the backup passphrase, the store key, or both): the registry
 * never sees a plaintext byte. Each is tagged by its time and `latest` moves to the newest. The annotations say
 * when it was taken, the store's schema and which key opens it (the key's check value, never the key).
 */

export const backupArtifactType = 'application/vnd.hearth.backup.v1';
export const backupLayerMediaType = 'application/vnd.hearth.backup.layer.v1';
export const latestTag = 'latest';
export const backupAnnotations = {
  created: 'org.opencontainers.image.created',
  schema: 'dev.hearth.backup.schema',
  keyId: 'dev.hearth.backup.key-id',
  encryption: 'dev.hearth.backup.encryption',
  hearthVersion: 'dev.hearth.backup.hearth-version',
} as const;

/** Held in memory while it moves (the OCI client's uploads and downloads are whole buffers): 2 GiB at most. */
export const maxShippedBackupBytes = 2 * 1024 ** 3;

/** Where a remote's backups go: `backups` under the remote's repository, beside its models. */
export function backupsRepository(remoteRepository: string): string {
  return `${remoteRepository}/backups`;
}

export interface BackupMeta {
  createdAt: string;
  /** The number of migrations the store has applied. */
  schema: number;
  /** The store key's check value (encryption.json keyCheck), or null for a store not encrypted at rest. */
  keyId: string | null;
  passphrase: boolean;
  hearthVersion: string;
}

export interface ShippedBackup {
  repository: string;
  tag: string;
  /** The manifest's digest: what a standby compares to know whether a backup is new. */
  digest: string;
  bytes: number;
  ms: number;
}

/** `backup-20261202T233306123Z`: sorts by time, and is a valid OCI tag. */
export function backupTag(createdAt: string): string {
  return `backup-${createdAt.replace(/[-:.]/g, '')}`;
}

/** Pushes a backup file, then its manifest under its time tag and under `latest`. */
export async function shipBackup(client: OciClient, file: string, meta: BackupMeta): Promise<ShippedBackup> {
  const started = Date.now();
  if (meta.keyId === null && !meta.passphrase)
    throw new HearthError(
      'VALIDATION_FAILED',
      'a backup shipped to a registry must be encrypted: encrypt the store (store.keyFile) or give the backups a passphraseFile',
    );
  const bytes = statSync(file).size;
  if (bytes > maxShippedBackupBytes)
    throw new HearthError('PAYLOAD_TOO_LARGE', `the backup is ${bytes} bytes; at most ${maxShippedBackupBytes} are shipped`);
  const layer = await client.uploadBlob(readFileSync(file));
  await client.uploadBlob(emptyConfig.data);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: manifestMediaType,
    artifactType: backupArtifactType,
    config: { mediaType: emptyConfig.mediaType, digest: emptyConfig.digest, size: emptyConfig.size },
    layers: [{ mediaType: backupLayerMediaType, digest: layer.digest, size: layer.size }],
    annotations: {
      [backupAnnotations.created]: meta.createdAt,
      [backupAnnotations.schema]: String(meta.schema),
      [backupAnnotations.keyId]: meta.keyId ?? 'none',
      [backupAnnotations.encryption]: [meta.passphrase ? 'passphrase' : '', meta.keyId === null ? '' : 'store-key']
        .filter((s) => s !== '')
        .join('+'),
      [backupAnnotations.hearthVersion]: meta.hearthVersion,
    },
  };
  const tag = backupTag(meta.createdAt);
  const digest = await client.putManifest(tag, manifest);
  // `latest` moves last: a standby never sees a tag whose manifest's blobs are not all there.
  await client.putManifest(latestTag, manifest);
  return { repository: client.repository, tag, digest, bytes, ms: Date.now() - started };
}

export interface RemoteBackup {
  digest: string;
  layer: { digest: string; size: number };
  createdAt: string;
  schema: number;
  keyId: string;
}

/** The newest backup in the repository (`latest`), checked to be a Hearth backup artifact; null when there is none. */
export async function newestBackup(client: OciClient): Promise<RemoteBackup | null> {
  const got = await client.getManifest(latestTag);
  if (got === null) return null;
  const { manifest, digest } = got;
  const layer = manifest.layers?.[0];
  if (manifest.artifactType !== backupArtifactType || manifest.layers.length !== 1 || layer?.mediaType !== backupLayerMediaType)
    throw new HearthError(
      'INVALID_INPUT',
      `${client.repository}:${latestTag} is not a Hearth backup (artifactType ${String(manifest.artifactType)})`,
    );
  if (!Number.isSafeInteger(layer.size) || layer.size <= 0 || layer.size > maxShippedBackupBytes)
    throw new HearthError('INVALID_INPUT', `${client.repository}:${latestTag} declares a backup of ${layer.size} bytes`);
  const annotations = manifest.annotations ?? {};
  return {
    digest,
    layer: { digest: layer.digest, size: layer.size },
    createdAt: annotations[backupAnnotations.created] ?? '',
    schema: Number(annotations[backupAnnotations.schema] ?? NaN),
    keyId: annotations[backupAnnotations.keyId] ?? 'none',
  };
}

/** Downloads a backup's layer into `file` (private); the client refuses bytes that do not match the digest or size. */
export async function downloadBackup(client: OciClient, backup: RemoteBackup, file: string): Promise<void> {
  const data = await client.getBlob(backup.layer.digest, backup.layer.size);
  writeFileSync(file, data, { mode: privateFileMode, flag: 'wx' });
}
