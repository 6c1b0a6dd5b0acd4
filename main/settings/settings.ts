import { z } from 'zod';

/**
 * Every scalar setting of a Hearth host: its key path in the config file, its type and bounds, its default, the
 * HEARTH_* variable and the flag that override it (in that order), and one line of documentation. The config file's
 * schema (file-schema.ts), `hearth config show`, the resolver and docs/configuration.md are all made from this list.
 */
export interface Setting {
  readonly key: string;
  readonly kind: 'string' | 'path' | 'integer' | 'number';
  readonly schema: z.ZodType<string | number>;
  readonly default?: string | number;
  /** The default in words, when it is worked out at start (from the machine) rather than fixed. */
  readonly defaultText?: string;
  readonly env: string;
  readonly flag?: string;
  readonly doc: string;
}

const int = (min: number, max: number): z.ZodType<number> => z.number().int().min(min).max(max);

export const settings: readonly Setting[] = [
  {
    key: 'server.host',
    kind: 'string',
    schema: z.string().min(1).max(253),
    default: '127.0.0.1',
    env: 'HEARTH_HOST',
    flag: 'host',
    doc: 'the address `hearth serve` listens on (0.0.0.0 or :: for every interface)',
  },
  {
    key: 'server.port',
    kind: 'integer',
    schema: int(0, 65_535),
    default: 7420,
    env: 'HEARTH_PORT',
    flag: 'port',
    doc: 'the TCP port it listens on (0: any free port)',
  },
  {
    key: 'server.tlsCert',
    kind: 'path',
    schema: z.string().min(1),
    env: 'HEARTH_TLS_CERT',
    flag: 'tls-cert',
    doc: 'a PEM certificate (chain): with server.tlsKey, the server speaks HTTPS only',
  },
  {
    key: 'server.tlsKey',
    kind: 'path',
    schema: z.string().min(1),
    env: 'HEARTH_TLS_KEY',
    flag: 'tls-key',
    doc: "the certificate's PEM private key",
  },
  {
    key: 'server.drainSeconds',
    kind: 'number',
    schema: z.number().positive().max(600),
    default: 10,
    env: 'HEARTH_DRAIN_SECONDS',
    flag: 'drain-seconds',
    doc: 'on SIGTERM or SIGINT, how long requests already accepted may take to finish before their connections are cut',
  },
  {
    key: 'server.requestLog',
    kind: 'string',
    schema: z.enum(['off', 'errors', 'all']),
    default: 'errors',
    env: 'HEARTH_REQUEST_LOG',
    flag: 'request-log',
    doc: 'one JSON line per request (id, method, route pattern, status, ms; never a URL, header or body) to stderr: `off`, `errors` (status 400 and up) or `all`',
  },
  {
    key: 'server.mode',
    kind: 'string',
    schema: z.enum(['normal', 'replica']),
    default: 'normal',
    env: 'HEARTH_MODE',
    doc: '`replica` (or `serve --replica`): a read-only server that follows the aliases in `follow` and refuses every method that changes state; it needs a remote and a followed alias',
  },
  {
    key: 'serving.threads',
    kind: 'integer',
    schema: int(0, 256),
    defaultText: 'one per core less one, at most 4',
    env: 'HEARTH_SERVE_THREADS',
    doc: 'ONNX serving threads (0: score on the calling thread)',
  },
  {
    key: 'serving.inlineRows',
    kind: 'integer',
    schema: int(0, 4096),
    defaultText: '16',
    env: 'HEARTH_SERVE_INLINE_ROWS',
    doc: 'requests of at most this many rows to a Hearth-trained model on the CPU are scored by its TypeScript predictor on the calling thread, not its ONNX graph (0: always the graph)',
  },
  {
    key: 'serving.logSample',
    kind: 'number',
    schema: z.number().min(0).max(1),
    default: 1,
    env: 'HEARTH_LOG_SAMPLE',
    doc: 'the share of served rows written to the prediction log',
  },
  {
    key: 'monitoring.driftWindowSeconds',
    kind: 'integer',
    schema: int(1, 31 * 86_400),
    default: 3600,
    env: 'HEARTH_DRIFT_WINDOW_SECONDS',
    doc: 'the window drift history is recorded over, per model',
  },
  {
    key: 'sync.chunkBytes',
    kind: 'integer',
    schema: int(1024, 1024 * 1024 * 1024),
    default: 8 * 1024 * 1024,
    env: 'HEARTH_SYNC_CHUNK_BYTES',
    doc: 'upload chunk size to a registry (small chunks lose less to a dropped link)',
  },
  {
    key: 'sync.timeoutMs',
    kind: 'integer',
    schema: int(1, 3_600_000),
    default: 120_000,
    env: 'HEARTH_SYNC_TIMEOUT_MS',
    doc: 'the deadline of each request to a registry',
  },
  {
    key: 'sync.followEverySeconds',
    kind: 'number',
    schema: z.number().min(1).max(86_400),
    default: 60,
    env: 'HEARTH_FOLLOW_EVERY_SECONDS',
    doc: 'how often the server checks each followed alias on its remote: a promotion there is served here within about this long (plus the pull)',
  },
  {
    key: 'store.keyFile',
    kind: 'path',
    schema: z.string().min(1),
    env: 'HEARTH_STORE_KEY_FILE',
    doc: 'a file holding the store key (base64, 32 bytes) of an encrypted store: a mounted secret, never the key itself',
  },
  {
    key: 'retention.collectEveryHours',
    kind: 'number',
    schema: z
      .number()
      .positive()
      .max(24 * 31),
    default: 6,
    env: 'HEARTH_COLLECT_EVERY_HOURS',
    doc: 'how often the server applies the retention rules and deletes blobs nothing references (`hearth gc` does it at once)',
  },
  {
    key: 'retention.datasetKeepVersions',
    kind: 'integer',
    schema: int(1, 1_000_000),
    env: 'HEARTH_RETENTION_KEEP_VERSIONS',
    doc: 'every dataset without a rule of its own keeps its newest N versions (and any a model was trained on); unset: all',
  },
  {
    key: 'retention.logDays',
    kind: 'number',
    schema: z.number().positive().max(36_500),
    env: 'HEARTH_RETENTION_LOG_DAYS',
    doc: 'every model without a rule of its own keeps N days of prediction log; unset: all of it',
  },
  {
    key: 'cost.perCoreHour',
    kind: 'number',
    schema: z.number().min(0).max(1_000_000),
    env: 'HEARTH_COST_PER_CORE_HOUR',
    doc: 'the price of one core-hour, to show what a run and a million predictions cost in money; unset: CPU-hours only',
  },
  {
    key: 'cost.currency',
    kind: 'string',
    schema: z
      .string()
      .min(1)
      .max(12)
      .regex(/^[\p{L}\p{Sc} .]+$/u, 'a currency label is letters, a currency sign, spaces or dots'),
    env: 'HEARTH_COST_CURRENCY',
    doc: 'the label shown beside prices (EUR, $, …); unset: none',
  },
  {
    key: 'uploads.quotaMiB',
    kind: 'integer',
    schema: int(1, 1024 * 1024),
    default: 4096,
    env: 'HEARTH_UPLOAD_QUOTA_MIB',
    doc: 'the space (MiB) the uploads of one token not yet ingested may hold',
  },
  {
    key: 'uploads.maxAgeMinutes',
    kind: 'integer',
    schema: int(1, 55),
    default: 45,
    env: 'HEARTH_UPLOAD_MAX_AGE_MINUTES',
    doc: 'how long an upload no method has read is kept (swept every 5 minutes)',
  },
];

export const settingsByKey: ReadonlyMap<string, Setting> = new Map(settings.map((s) => [s.key, s]));

/**
 * The config file's lists and objects (provisioning), each also settable by a HEARTH_* variable holding its JSON,
 * validated by the same schema (file-schema.ts) as the file's, a bad key named by its path. A variable replaces the
 * file's whole value: lists are not merged, so what runs is what one place says.
 */
export const structuredSettings = [
  { key: 'allowedHosts', env: 'HEARTH_ALLOWED_HOSTS' },
  { key: 'remotes', env: 'HEARTH_REMOTES' },
  { key: 'follow', env: 'HEARTH_FOLLOW' },
  { key: 'streams', env: 'HEARTH_STREAMS' },
  { key: 'watch', env: 'HEARTH_WATCH' },
  { key: 'pipelines', env: 'HEARTH_PIPELINES' },
  { key: 'backups', env: 'HEARTH_BACKUPS' },
] as const;

export type StructuredKey = (typeof structuredSettings)[number]['key'];

/**
 * What is read only from the environment, each with the reason: secrets (the file is provisioning, and secrets are
 * never written in it), the two that find the file itself, and native libraries' diagnostics.
 */
export const environmentOnly: readonly { env: string; flag?: string; doc: string; secret: boolean }[] = [
  {
    env: 'HEARTH_DATA_DIR',
    flag: 'data-dir',
    doc: "the data folder (default: the platform's application-data folder); it holds the config file",
    secret: false,
  },
  { env: 'HEARTH_CONFIG', doc: 'the config file (default: hearth.config.json in the data folder)', secret: false },
  {
    env: 'HEARTH_TOKEN',
    doc: 'the bootstrap (admin) API token, fixed for the life of the process (a secret: never in the file)',
    secret: true,
  },
  { env: 'HEARTH_STORE_KEY', doc: 'the store key itself, base64 (a secret: prefer store.keyFile)', secret: true },
  { env: 'HEARTH_STORE_PASSPHRASE', doc: 'a passphrase the store key is derived from (scrypt; a secret)', secret: true },
  {
    env: 'HEARTH_SECRET_KEY',
    doc: 'the key that seals stored credentials, base64 (a secret; default: secret.key in the data folder)',
    secret: true,
  },
  {
    env: 'HEARTH_VERBOSE',
    flag: 'verbose',
    doc: "1: native libraries' messages (GPU drivers, Dawn) reach stderr",
    secret: false,
  },
  { env: 'HEARTH_DAWN_FLAGS', doc: 'toggles passed to Dawn, the WebGPU implementation (diagnostics)', secret: false },
  {
    env: 'HEARTH_GBDT_KERNEL',
    doc: "the tree learners' hot loops: native (C), wasm (WebAssembly SIMD) or typescript; same trees either way, and over a pin (`hearth backends pin gbdt`); refused, not replaced, where not built (default: the pin, else native, else wasm, whichever is built and, once the engine has probed its back ends, passed that check)",
    secret: false,
  },
  {
    env: 'HEARTH_GBDT_DEVICE',
    doc: "where the tree learners build large nodes' histograms: cpu (default) or webgpu (a GPU through Dawn; refused, not replaced, where no adapter is found); see [models.md](models.md#gbdt-histograms-on-a-gpu)",
    secret: false,
  },
  {
    env: 'HEARTH_GBDT_GPU_MIN_ROWS',
    doc: 'with HEARTH_GBDT_DEVICE=webgpu, the smallest node sent to the GPU (default 65536; smaller nodes stay on the CPU, where a GPU round trip would cost more than the pass)',
    secret: false,
  },
];
