import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { HearthError } from '../contracts/errors.js';
import type { SyncAgent } from '../sync/agent.js';

/**
 * The appliance's config file: remotes and followed aliases set up by provisioning rather than by hand.
 * `$HEARTH_CONFIG`, else `hearth.config.json` in the data folder. Secrets are never written in it: a remote names
 * a file that holds its password or token (a mounted secret), read at start and stored sealed like any other.
 */
const configSchema = z
  .object({
    /**
     * Host names (or IP addresses) besides loopback and the bound address that clients reach the server by, e.g. the
     * appliance's DNS name or the name a reverse proxy forwards; a request whose Host header names anything else is
     * refused (DNS rebinding). A bare name, no port: any port is accepted with it.
     */
    allowedHosts: z
      .array(
        z
          .string()
          .max(253)
          .regex(
            /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\.?)$/,
            'a host name or IP address, without a port',
          ),
      )
      .default([]),
    remotes: z
      .array(
        z
          .object({
            name: z.string().min(1).max(64),
            url: z.string().min(1).max(500),
            insecureHttp: z.boolean().optional(),
            username: z.string().min(1).max(256).optional(),
            passwordFile: z.string().min(1).optional(),
            tokenFile: z.string().min(1).optional(),
            /** The token service, when not on the registry's origin: the only other place the password may go. */
            tokenService: z.string().url().max(500).optional(),
          })
          .strict()
          .refine((r) => (r.username === undefined) === (r.passwordFile === undefined), 'give a username with its passwordFile')
          .refine(
            (r) => r.tokenFile === undefined || r.username === undefined,
            'give a username and passwordFile, or a tokenFile',
          ),
      )
      .default([]),
    follow: z
      .array(
        z
          .object({ remote: z.string().min(1).max(64), model: z.string().min(1).max(128), alias: z.string().min(1).max(128) })
          .strict(),
      )
      .default([]),
    /** MQTT pipelines the server runs: JSON rows in, predictions out (see main/streams/mqtt-stream.ts). */
    streams: z
      .array(
        z
          .object({
            mqtt: z.string().regex(/^mqtts?:\/\//, 'mqtt://HOST:PORT'),
            in: z.string().min(1),
            out: z.string().min(1),
            model: z.string().min(1).max(128),
            clientId: z.string().min(1).max(128).optional(),
            windows: z
              .array(
                z
                  .object({ field: z.string().min(1), seconds: z.number().positive(), kind: z.enum(['tumbling', 'sliding']) })
                  .strict(),
              )
              .optional(),
            /** Answered rows are appended to this dataset, a version per appendRows rows or appendSeconds. */
            dataset: z.string().min(1).max(128).optional(),
            appendRows: z.number().int().positive().optional(),
            appendSeconds: z.number().positive().optional(),
          })
          .strict(),
      )
      .default([]),
    /**
     * Uploads (PUT /api/uploads) not yet ingested: the space each token may hold (MiB, 4 GiB by default) and how long
     * one no method has read is kept (minutes, 45 by default; swept every 5 minutes).
     */
    uploads: z
      .object({
        quotaMiB: z
          .number()
          .int()
          .min(1)
          .max(1024 * 1024)
          .optional(),
        maxAgeMinutes: z.number().int().min(1).max(55).optional(),
      })
      .strict()
      .optional(),
    /** Folders the server watches: each new file (CSV, JSON, NDJSON, Parquet) is appended to its dataset once. */
    watch: z
      .array(
        z
          .object({
            dir: z.string().min(1),
            dataset: z.string().min(1).max(128),
            intervalSeconds: z.number().positive().max(86_400).optional(),
          })
          .strict(),
      )
      .default([]),
    /** Pipeline files the server runs on a cron schedule (paths in the file resolve from its folder). */
    pipelines: z.array(z.object({ file: z.string().min(1), schedule: z.string().min(9).max(200) }).strict()).default([]),
    /** Scheduled backups the server takes: every `everyHours`, keeping the newest `keep`, in `dir` (default: backups/ in the data folder). */
    backups: z
      .object({
        everyHours: z
          .number()
          .positive()
          .max(24 * 31),
        keep: z.number().int().min(1).max(1000).default(7),
        dir: z.string().min(1).optional(),
        /** A file holding the passphrase that encrypts them (a mounted secret), never the passphrase itself. */
        passphraseFile: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type HearthConfig = z.infer<typeof configSchema>;

export function configPath(dataDir: string): string {
  return process.env.HEARTH_CONFIG ?? join(dataDir, 'hearth.config.json');
}

/** Reads and applies the config file, when there is one; a bad file is a coded error naming the file and the field. */
export function applyConfigFile(dataDir: string, sync: SyncAgent): HearthConfig | null {
  const path = configPath(dataDir);
  if (!existsSync(path)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new HearthError('VALIDATION_FAILED', `${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const result = configSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new HearthError('VALIDATION_FAILED', `${path}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  const secret = (file: string): string => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      throw new HearthError('VALIDATION_FAILED', `${path}: cannot read the secret file ${file}`);
    }
  };
  const within = (where: string, apply: () => void): void => {
    try {
      apply();
    } catch (error) {
      if (error instanceof HearthError) throw new HearthError(error.code, `${path}: ${where}: ${error.message}`);
      throw error;
    }
  };
  result.data.remotes.forEach((r, i) =>
    within(`remotes.${i}`, () => {
      const credentials =
        r.tokenFile !== undefined
          ? { token: secret(r.tokenFile) }
          : r.username !== undefined
            ? {
                username: r.username,
                password: secret(r.passwordFile!),
                ...(r.tokenService === undefined ? {} : { tokenService: r.tokenService }),
              }
            : undefined;
      sync.upsertRemote(r.name, r.url, r.insecureHttp ?? false, credentials);
    }),
  );
  result.data.follow.forEach((f, i) => within(`follow.${i}`, () => sync.follow(f.remote, f.model, f.alias)));
  return result.data;
}
