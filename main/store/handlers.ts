import { basename, join } from 'node:path';
import type { storeMethods } from '../contracts/store.js';
import type { GcReport, ShippedBackupInfo, StoreKeyStatus } from '../contracts/api.js';
import type { HandlersOf } from '../contracts/call.js';
import { listBackups, verifyBackup, type BackupInfo } from './backup.js';
import type { Retention } from './retention.js';

/**
 * What the backups, retention and gc methods use. A backup and a collection first write the prediction log's
 * pending rows, which the store knows nothing of: the engine hands them in as functions.
 */
export interface StoreHandlerDeps {
  readonly retention: Retention;
  /** Where backups go: the config's folder, else backups/ in the data folder. */
  readonly backupDir: string;
  backup(options: { passphrase?: string; remote?: string }): Promise<BackupInfo & { shipped: ShippedBackupInfo | null }>;
  collectGarbage(options: { dryRun?: boolean }): Promise<GcReport>;
  /** Whether the open store is encrypted and where its key came from. */
  readonly keyStatus: StoreKeyStatus;
}

/** The storeMethods methods' handlers. */
export function storeHandlers(deps: StoreHandlerDeps): HandlersOf<typeof storeMethods> {
  return {
    'store.key-status': async () => ({ ...deps.keyStatus }),
    'backups.create': async ({ passphrase, remote }) => {
      const info = await deps.backup({
        ...(passphrase === undefined ? {} : { passphrase }),
        ...(remote === undefined ? {} : { remote }),
      });
      return { ...info, file: basename(info.file) };
    },
    'backups.list': async () => listBackups(deps.backupDir).map((b) => ({ ...b, file: basename(b.file) })),
    'backups.verify': async ({ file, passphrase }) => {
      const result = await verifyBackup(join(deps.backupDir, file), passphrase);
      return {
        file,
        files: result.files,
        bytes: result.bytes,
        createdAt: result.manifest.createdAt,
        hearthVersion: result.manifest.hearthVersion,
        encrypted: result.manifest.encrypted,
        includesSecretKey: result.manifest.includesSecretKey,
      };
    },
    'retention.set': async (rule) => deps.retention.set(rule),
    'retention.list': async () => deps.retention.rules(),
    'store.gc': async ({ dryRun }) => deps.collectGarbage(dryRun === undefined ? {} : { dryRun }),
  };
}
