import { z } from 'zod';
import { settings } from './settings.js';

/** The file sections of the scalar settings (server, serving, monitoring, sync, store, uploads), from their list. */
const settingSections = Object.fromEntries(
  [...new Set(settings.map((s) => s.key.split('.')[0]!))].map((section) => [
    section,
    z
      .object(
        Object.fromEntries(
          settings
            .filter((s) => s.key.startsWith(`${section}.`))
            .map((s) => [s.key.slice(section.length + 1), s.schema.optional()]),
        ),
      )
      .strict()
      .optional(),
  ]),
);

/**
 * The appliance's config file: every setting of settings.ts in its section, and the provisioning (allowed hosts,
 * remotes and followed aliases, streams, watched folders, pipeline schedules, backups), each of which a HEARTH_*
 * variable may also give as JSON (settings.ts structuredSettings), checked by this same schema.
 * `$HEARTH_CONFIG`, else `hearth.config.json` in the data folder. Secrets are never written in it: a remote names
 * a file that holds its password or token (a mounted secret), read at start and stored sealed like any other.
 * An unknown key anywhere is refused with its path.
 */
export const configSchema = z
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
      .default([])
      .describe(
        'host names clients reach the server by besides loopback and the bound address (a Host header naming anything else is refused: DNS rebinding)',
      ),
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
      .default([])
      .describe('model registries: name, url, insecureHttp, username with passwordFile, or tokenFile, tokenService'),
    follow: z
      .array(
        z
          .object({ remote: z.string().min(1).max(64), model: z.string().min(1).max(128), alias: z.string().min(1).max(128) })
          .strict(),
      )
      .default([])
      .describe("aliases that follow a remote's model: remote, model, alias"),
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
      .default([])
      .describe('MQTT pipelines the server runs: mqtt, in, out, model, clientId, windows, dataset, appendRows, appendSeconds'),
    // Typed loosely on purpose: readers take these through the resolver (resolve.ts), never from the parsed file.
    ...(settingSections as Record<never, never>),
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
      .default([])
      .describe('folders whose new files are appended to a dataset: dir, dataset, intervalSeconds'),
    /** Pipeline files the server runs on a cron schedule (paths in the file resolve from its folder). */
    pipelines: z
      .array(z.object({ file: z.string().min(1), schedule: z.string().min(9).max(200) }).strict())
      .default([])
      .describe('pipeline files run on a cron schedule: file, schedule'),
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
        /**
         * A remote (by name) each backup is also shipped to as an OCI artifact, for a standby (`hearth standby`) to
         * restore; the backup must be encrypted (the store's key, or passphraseFile): the registry sees no plaintext.
         */
        remote: z.string().min(1).max(64).optional(),
      })
      .strict()
      .optional()
      .describe(
        'scheduled backups: everyHours, keep (7), dir (backups/ in the data folder), passphraseFile, remote (ship each to this remote for a standby)',
      ),
  })
  .strict();

export type HearthConfig = z.infer<typeof configSchema>;
