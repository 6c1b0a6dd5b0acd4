import { z } from 'zod';
import { defineMethods, returns } from './method.js';
import { aliasName, name } from './fields.js';

/* Sync: remotes.*, sync.* (the outbox, followed aliases) and models.pull from an OCI registry. */

/** A sync remote and its queue: events not yet delivered, delivered, failed attempts, the last error. */
export interface RemoteInfo {
  name: string;
  url: string;
  insecureHttp: boolean;
  /** Whether credentials are stored (they are never returned). */
  authenticated: boolean;
  pending: number;
  sent: number;
  failed: number;
  lastError: string | null;
}

export interface SyncStatus {
  pending: number;
  sent: number;
  failed: number;
  lastError: string | null;
  remotes: RemoteInfo[];
  follows: FollowInfo[];
}

/** A remote alias this box tracks, and where it stands. */
export interface FollowInfo {
  remote: string;
  model: string;
  alias: string;
  /** waiting: not checked yet; current: serving what the remote alias names; failed: could not check or pull;
   * rolled-back: the new version did not load, the previous one serves on. */
  status: 'waiting' | 'current' | 'failed' | 'rolled-back';
  lastDigest: string | null;
  localVersion: number | null;
  lastError: string | null;
  checkedAt: string | null;
}

/** What a pull registered (or found it already had). */
export interface PullResult {
  model: string;
  version: number;
  digest: string;
  /** False when a version with this manifest digest was pulled before: nothing new was registered. */
  registered: boolean;
  alias: string | null;
}

/** A backup shipped to a registry (`backups[].remote`, `backup create --push`), or the failed attempt. */
export interface ShippedBackupInfo {
  remote: string;
  /** The registry repository: the remote's, then `/backups`. Null when the push failed before it. */
  repository: string | null;
  tag: string | null;
  /** The artifact manifest's digest; a standby restores each new one. */
  digest: string | null;
  bytes: number;
  /** How long the push took. */
  ms: number | null;
  at: string;
  backupCreatedAt: string;
  error: string | null;
}

/** What a standby follows and where it stands, and what this box ships. */
export interface StandbyInfo {
  /** standby: following a registry, read-only; writer: a promoted standby; none: a box that never was one. */
  role: 'standby' | 'writer' | 'none';
  /** The registry repository it follows (no credentials). */
  from: string | null;
  /** The manifest digest of the backup it restored last, its time, and when it was restored here. */
  digest: string | null;
  backupCreatedAt: string | null;
  restoredAt: string | null;
  promotedAt: string | null;
  /** Seconds from the backup's creation on the writer to its restore here. */
  lagSeconds: number | null;
  lastCheckAt: string | null;
  /** The last check's failure (a tampered or unreadable backup, an unreachable registry); the restore stays. */
  lastError: string | null;
  /** Scheduled shipping on this box: the remote named by `backups.remote`, the interval, the last shipment. */
  shipping: { remote: string | null; everyHours: number | null; last: ShippedBackupInfo | null };
}

export const syncMethods = defineMethods({
  'remotes.add': {
    doc: 'A remote OCI registry the sync agent pushes to: oci://HOST[:PORT]/REPOSITORY (TLS unless insecureHttp, loopback only).',
    permission: 'admin',
    args: z
      .object({
        name: z.string().min(1).max(64),
        url: z.string().min(1).max(500),
        insecureHttp: z.boolean().optional(),
        /** Write-only: stored sealed (AES-256-GCM), never returned or logged. A user and password, or a token. */
        username: z.string().min(1).max(256).optional(),
        password: z.string().min(1).max(4096).optional(),
        token: z.string().min(1).max(8192).optional(),
        /**
         * The registry's token service when it is not on the registry's own origin (Docker Hub's auth.docker.io): the
         * only other place the username and password may go. A registry's challenge cannot name another.
         */
        tokenService: z.string().url().max(500).optional(),
      })
      .strict()
      .refine((a) => (a.username === undefined) === (a.password === undefined), 'give a username with its password')
      .refine((a) => a.tokenService === undefined || a.username !== undefined, 'a tokenService receives a username and password')
      .refine((a) => a.token === undefined || a.username === undefined, 'give a username and password, or a token, not both'),
    result: returns<RemoteInfo>(),
  },
  'remotes.list': {
    doc: 'Every sync remote with its queue.',
    permission: 'read',
    args: z.object({}).strict(),
    result: returns<RemoteInfo[]>(),
  },
  'remotes.remove': {
    doc: 'Removes a sync remote.',
    permission: 'admin',
    args: z.object({ name: z.string().min(1).max(64) }).strict(),
    result: returns<{ removed: string }>(),
  },
  'remotes.follow': {
    doc: 'Tracks a remote alias: when it moves, the version is pulled, loaded, and the local alias follows it.',
    permission: 'admin',
    args: z.object({ remote: z.string().min(1).max(64), model: name, alias: aliasName }).strict(),
    result: returns<FollowInfo>(),
  },
  'remotes.unfollow': {
    doc: 'Stops tracking a remote alias.',
    permission: 'admin',
    args: z.object({ remote: z.string().min(1).max(64), model: name, alias: aliasName }).strict(),
    result: returns<{ removed: string }>(),
  },
  'sync.status': {
    doc: "The outbox's counts, every remote and every followed alias.",
    permission: 'read',
    args: z.object({}).strict(),
    result: returns<SyncStatus>(),
  },
  'sync.push': {
    doc: 'Drains the outbox now, to every remote or to one.',
    permission: 'write',
    args: z.object({ remote: z.string().min(1).max(64).optional() }).strict(),
    result: returns<{ remote: string; sent: number; error: string | null }[]>(),
  },
  'sync.follow': {
    doc: 'Checks every followed remote alias now and pulls what moved.',
    permission: 'write',
    args: z.object({}).strict(),
    result: returns<FollowInfo[]>(),
  },
  'sync.standby': {
    doc: 'Whether this box is a standby (what it follows, its last restore and its lag) and what it ships.',
    permission: 'read',
    args: z.object({}).strict(),
    result: returns<StandbyInfo>(),
  },
  'sync.promote-standby': {
    doc: 'Makes a standby the writer: it stops following and takes writes; refused before its first restore.',
    permission: 'admin',
    args: z.object({}).strict(),
    result: returns<StandbyInfo>(),
  },
  'models.pull': {
    doc: 'Pulls oci://HOST[:PORT]/REPOSITORY:TAG or \u2026@sha256:DIGEST, verifying every digest, and registers it.',
    permission: 'write',
    args: z
      .object({ url: z.string().min(1).max(1000), alias: aliasName.optional(), insecureHttp: z.boolean().optional() })
      .strict(),
    result: returns<PullResult>(),
  },
});
