import { mkdtempSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { StandbyInfo } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import { makePrivateDir } from '../crypto/private-fs.js';
import { storeKey, type KeySource } from '../crypto/store-key.js';
import { unpackBeside } from '../store/backup.js';
import { migrations } from '../store/migrations/index.js';
import { readStandbyState } from '../store/standby-state.js';
import { backupsRepository, downloadBackup, newestBackup, type RemoteBackup } from './backup-ship.js';
import { checkRemote, parseRemoteUrl } from './artifact.js';
import { OciClient, type RegistryCredentials } from './oci-client.js';
import { redactText } from '../security/redact.js';

/**
 * A standby's follower: it asks the registry for the newest backup the writer shipped, and when its digest is new,
 * downloads it (checked against its digest and size), unpacks and checks it whole into a new folder beside the data
 * folder, and proves the store key opens it. Only then does the host swap it in; anything wrong leaves the previous
 * restore serving, and the failure is the status's lastError.
 */

/** What a running standby host gives the engine, so the API can report and promote it. */
export interface StandbyControl {
  info(): Omit<StandbyInfo, 'shipping'>;
  promote(): Promise<void>;
}

/** A restore checked whole, in `dir`, waiting to be swapped in. */
export interface PreparedRestore {
  dir: string;
  digest: string;
  backupCreatedAt: string;
}

export interface StandbySource {
  /** oci://HOST[:PORT]/REPOSITORY: the writer's remote; backups are under its `/backups`. */
  url: string;
  insecureHttp: boolean;
  credentials?: RegistryCredentials;
}

const keyHelp = 'a standby needs the same store key as the writer (HEARTH_STORE_KEY_FILE, or store.keyFile in its config file)';

export class StandbyFollower {
  private readonly client: OciClient;
  readonly repository: string;
  lastCheckAt: string | null = null;
  lastError: string | null = null;
  /** A digest refused once is not fetched again: its bytes cannot change, only `latest` can move on. */
  private refused: string | null = null;

  constructor(
    private readonly dataDir: string,
    source: StandbySource,
    private readonly options: {
      keySource: KeySource;
      passphrase?: string;
      clientOptions?: { chunkSize?: number; timeoutMs?: number };
    },
  ) {
    // The rules of a remote: no user name or password in the URL (they would be shown as `from` to every viewer and
    // kept in standby.json), plain HTTP to loopback only (it would carry the registry credentials in clear).
    checkRemote('standby', source.url, source.insecureHttp);
    const { baseUrl, repository } = parseRemoteUrl(source.url, source.insecureHttp);
    this.repository = `${baseUrl.replace(/^https?:\/\//, '')}/${backupsRepository(repository)}`;
    this.client = new OciClient(
      {
        baseUrl,
        repository: backupsRepository(repository),
        ...(source.credentials === undefined ? {} : { credentials: source.credentials }),
      },
      options.clientOptions ?? {},
    );
  }

  /** One check: a new backup, downloaded and checked whole beside the data folder; null when there is nothing new. */
  async check(): Promise<PreparedRestore | null> {
    this.lastCheckAt = new Date().toISOString();
    try {
      const state = readStandbyState(this.dataDir);
      if (state?.role === 'writer') return null;
      const remote = await newestBackup(this.client);
      if (remote === null) {
        this.lastError = `no backup in ${this.repository} yet`;
        return null;
      }
      if (remote.digest === state?.digest) {
        this.lastError = null;
        return null;
      }
      if (remote.digest === this.refused) return null;
      const prepared = await this.prepare(remote);
      this.lastError = null;
      return prepared;
    } catch (error) {
      // sync.standby shows this to viewers, unlike a thrown error's message it does not pass dispatch's redaction:
      // a registry's message may quote a URL with a token in its query.
      this.lastError = redactText(error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  private async prepare(remote: RemoteBackup): Promise<PreparedRestore> {
    try {
      if (!Number.isInteger(remote.schema) || remote.schema > migrations.length)
        throw new HearthError(
          'STORE_INCOMPATIBLE',
          `the newest backup's store (schema ${remote.schema}) is newer than this Hearth (${migrations.length}): upgrade the standby`,
        );
      const parent = dirname(this.dataDir);
      makePrivateDir(parent);
      const scratch = mkdtempSync(join(parent, `.${basename(this.dataDir)}.download-`));
      try {
        const file = join(scratch, 'backup.hbk');
        await downloadBackup(this.client, remote, file);
        const unpacked = await this.unpack(file, remote);
        return { dir: unpacked, digest: remote.digest, backupCreatedAt: remote.createdAt };
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    } catch (error) {
      // A backup found wanting is not fetched again; an unreachable registry or a cut download is tried next time.
      if (error instanceof HearthError && error.code !== 'UNAVAILABLE' && error.code !== 'INTERNAL') this.refused = remote.digest;
      throw error;
    }
  }

  /** Unpacks and checks the backup, then proves this standby's key opens its store; the folder, or an error. */
  private async unpack(file: string, remote: RemoteBackup): Promise<string> {
    let unpacked: Awaited<ReturnType<typeof unpackBeside>>;
    try {
      unpacked = await unpackBeside(file, this.dataDir, {
        keySource: this.options.keySource,
        ...(this.options.passphrase === undefined ? {} : { passphrase: this.options.passphrase }),
      });
    } catch (error) {
      if (error instanceof HearthError && error.code === 'UNAUTHORIZED')
        throw new HearthError(
          'UNAUTHORIZED',
          `${error.message}: the backups carry a passphrase; give the standby the writer's backups.passphraseFile`,
        );
      throw error;
    }
    try {
      const { manifest } = unpacked;
      if (!manifest.encrypted && manifest.storeEncrypted !== true)
        throw new HearthError(
          'VALIDATION_FAILED',
          'the newest backup is not encrypted: a standby restores encrypted backups only',
        );
      if (manifest.storeEncrypted === true) {
        try {
          storeKey(unpacked.dir, this.options.keySource, true);
        } catch (error) {
          throw new HearthError(
            'UNAUTHORIZED',
            `this standby's store key does not open the backup (key id ${remote.keyId}): ${keyHelp} (${(error as Error).message})`,
          );
        }
        if (!unpacked.integrityChecked)
          throw new HearthError('INVALID_INPUT', "the backup's database could not be checked with the store key");
      } else if (Object.values(this.options.keySource).some((v) => v !== undefined))
        throw new HearthError(
          'VALIDATION_FAILED',
          'the backup is of a store not encrypted at rest, but this standby was given a store key: give it none',
        );
      return unpacked.dir;
    } catch (error) {
      rmSync(unpacked.dir, { recursive: true, force: true });
      throw error;
    }
  }
}
