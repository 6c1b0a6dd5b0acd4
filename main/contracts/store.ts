import { z } from 'zod';
import { defineMethods, returns } from './method.js';
import { name } from './fields.js';
import type { ShippedBackupInfo } from './sync.js';

/* The store: backups.*, retention.* and store.gc. */

export interface BackupSummary {
  file: string;
  bytes: number;
  createdAt: string;
  encrypted: boolean;
}

/** Keep a dataset's newest N versions, or a model's last N days of prediction log. */
export interface RetentionRule {
  kind: 'dataset' | 'model';
  name: string;
  keepVersions: number | null;
  logDays: number | null;
}

export interface GcReport {
  dryRun: boolean;
  datasetVersionsRemoved: { dataset: string; version: number }[];
  predictionLogRowsRemoved: number;
  blobsRemoved: number;
  bytesFreed: number;
  orphanFilesRemoved: number;
}

/** Whether the store is encrypted at rest, and where its key came from (never the key). */
export interface StoreKeyStatus {
  encrypted: boolean;
  /**
   * key: HEARTH_STORE_KEY (the desktop's keychain key arrives so); keyFile: store.keyFile or HEARTH_STORE_KEY_FILE;
   * passphrase: HEARTH_STORE_PASSPHRASE; null: the store is plain.
   */
  source: 'key' | 'keyFile' | 'passphrase' | null;
  /** The key file's path on the box, when the key came from one. */
  keyFile: string | null;
}

export const storeMethods = defineMethods({
  'store.key-status': {
    doc: 'Whether the store is encrypted at rest and where its key came from. Rotation is `hearth keys rotate` on the box.',
    permission: 'admin',
    changesState: false,
    args: z.object({}).strict(),
    result: returns<StoreKeyStatus>(),
  },
  // 12: the floor for any passphrase that guards the store's key (minPassphraseLength in crypto/store-key.ts).
  'backups.create': {
    doc: "A backup of the whole store into the backup folder; with a passphrase, encrypted and with the store's key; with a remote, also shipped there.",
    permission: 'admin',
    args: z
      .object({
        passphrase: z.string().min(12).max(1024).optional(),
        /** A remote to ship it to as well (an OCI artifact a standby restores); it must be encrypted. */
        remote: z.string().min(1).max(64).optional(),
      })
      .strict(),
    result: returns<BackupSummary & { sha256: string; files: number; blobs: number; shipped: ShippedBackupInfo | null }>(),
  },
  'backups.list': {
    doc: 'The backups in the backup folder.',
    permission: 'admin',
    changesState: false,
    args: z.object({}).strict(),
    result: returns<BackupSummary[]>(),
  },
  'backups.verify': {
    doc: 'Checks a backup in the backup folder (by file name) end to end, without restoring it.',
    permission: 'admin',
    changesState: false,
    args: z
      .object({ file: z.string().regex(/^hearth-[0-9TZ-]+\.hbk$/), passphrase: z.string().min(8).max(1024).optional() })
      .strict(),
    result: returns<{
      file: string;
      files: number;
      bytes: number;
      createdAt: string;
      hearthVersion: string;
      encrypted: boolean;
      includesSecretKey: boolean;
    }>(),
  },
  'retention.set': {
    doc: "Keeps a dataset's newest N versions, or a model's last N days of prediction log.",
    permission: 'admin',
    args: z
      .object({
        kind: z.enum(['dataset', 'model']),
        name,
        keepVersions: z.number().int().min(1).nullable().default(null),
        logDays: z.number().positive().nullable().default(null),
      })
      .strict(),
    result: returns<RetentionRule>(),
  },
  'retention.list': {
    doc: 'Every named retention rule (the settings retention.datasetKeepVersions and retention.logDays cover the rest).',
    permission: 'read',
    args: z.object({}).strict(),
    result: returns<RetentionRule[]>(),
  },
  'store.gc': {
    doc: 'Applies retention and deletes every blob nothing references; dryRun reports without deleting.',
    permission: 'admin',
    args: z.object({ dryRun: z.boolean().optional() }).strict(),
    result: returns<GcReport>(),
  },
});
