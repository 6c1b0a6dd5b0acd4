import { piiPolicies, piiTypes, type ColumnPolicy, type PiiDetection } from './pii.js';
import { z } from 'zod';
import type { PipelinePreview, PipelineRunInfo, PipelineSummary } from './pipeline.js';
export type { PipelineInput, PipelinePreview, PipelineRunInfo, PipelineStepPreview, PipelineSummary } from './pipeline.js';

/*
 * The API contract: one method map, one zod schema per method, the event map. Types only, plus schemas;
 * no logic. The renderer imports this file with `import type` only.
 */

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, ".", "_" or "-"');
const version = z.number().int().positive();
/** Where a pipeline file's relative paths resolve (its folder): given by the CLI, refused from other transports. */
const baseDir = z.string().min(1).max(4096).optional();
const uploadRef = z.string().regex(/^[a-f0-9-]{36}$/);
const piiType = z.enum(piiTypes);
const columnPolicy = z.object({ policy: z.enum(piiPolicies), type: piiType.nullable().default(null) }).strict();
/** An alias is also an OCI tag, so it keeps to the tag grammar. */
const aliasName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, 'an alias is letters, digits, ".", "_" or "-"');
const task = z.enum(['binary', 'multiclass', 'regression']);
/** Compute back ends, each runtime's in the order they are preferred. */
export const backendsOf = {
  tfjs: ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'],
  onnxruntime: ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'],
} as const;
const backendNames = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu', 'cuda', 'dml', 'coreml'] as const;
/**
 * A data-quality rule (issue 8): per column (type, share missing, range, allowed values, pattern, uniqueness) or
 * per table (row-count change against the previous version, duplicate keys, distribution change against a
 * reference version). Severity: reject refuses the whole version (and a served row), quarantine sets the rows that
 * break it aside (row rules only), warn reports.
 */
export const dataRule = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('type'),
      column: z.string().min(1),
      type: z.enum(['integer', 'number', 'boolean', 'datetime', 'categorical', 'text']),
    })
    .strict(),
  z.object({ kind: z.literal('missing'), column: z.string().min(1), max: z.number().min(0).max(1) }).strict(),
  z
    .object({ kind: z.literal('range'), column: z.string().min(1), min: z.number().nullable(), max: z.number().nullable() })
    .strict(),
  z.object({ kind: z.literal('allowed'), column: z.string().min(1), values: z.array(z.string()).min(1).max(10_000) }).strict(),
  z.object({ kind: z.literal('pattern'), column: z.string().min(1), pattern: z.string().min(1).max(200) }).strict(),
  z.object({ kind: z.literal('unique'), column: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('row-count'), maxChange: z.number().min(0) }).strict(),
  z.object({ kind: z.literal('duplicate-keys'), columns: z.array(z.string().min(1)).min(1).max(32) }).strict(),
  z.object({ kind: z.literal('distribution'), column: z.string().min(1), reference: z.number().int().positive() }).strict(),
]);
export const ruleSeverities = ['reject', 'quarantine', 'warn'] as const;
const ruleEntry = z.intersection(dataRule, z.object({ severity: z.enum(ruleSeverities) }));
/**
 * At most this many pattern rules in one rules.check or one dataset's rules: each distinct pattern is compiled and
 * run over every distinct value on its own, so a list of them is the costliest thing a reader may ask a check for
 * (main/data/rules.ts also bounds a check's estimated work, maxCheckWork). A dataset's suggested rules hold one
 * pattern per text column at most.
 */
export const maxPatternRules = 100;
const ruleList = z
  .array(ruleEntry)
  .max(10_000)
  .refine((rules) => rules.filter((r) => r.kind === 'pattern').length <= maxPatternRules, {
    message: `at most ${maxPatternRules} pattern rules`,
  });
/** A flat row: field → string, number, boolean or null. */
function isRow(value: unknown): value is Record<string, string | number | boolean | null> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key in value) {
    const cell = (value as Record<string, unknown>)[key];
    if (
      cell !== null &&
      typeof cell !== 'string' &&
      typeof cell !== 'boolean' &&
      !(typeof cell === 'number' && Number.isFinite(cell))
    )
      return false;
  }
  return true;
}
/**
 * Checked by hand rather than as zod's record of unions, which cost ~3 ms per 1,000 rows and showed in HTTP push
 * (the benchmark's 1,000-row batches); the OpenAPI document still shows the shape.
 */
const row = z
  .custom<Record<string, string | number | boolean | null>>(isRow, {
    message: 'a row is an object whose values are strings, numbers, booleans or null',
  })
  .meta({ type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } });

export const apiSchemas = {
  'system.info': z.object({}).strict(),
  /** Every compute back end of both runtimes, with its status and why; `refresh` probes them again. */
  'system.backends': z.object({ refresh: z.boolean().optional() }).strict(),
  /** Prefers one back end of a runtime (null: the automatic choice). A pin that stops working falls back, reported. */
  'system.pin-backend': z
    .object({ runtime: z.enum(['tfjs', 'onnxruntime']), name: z.enum(backendNames).nullable() })
    .strict()
    .refine((a) => a.name === null || (backendsOf[a.runtime] as readonly string[]).includes(a.name), {
      message: 'that back end belongs to the other runtime',
    }),
  'datasets.list': z.object({}).strict(),
  /**
   * A SQL query's rows as the next version (or appended): PostgreSQL or another SQLite file. From the CLI and
   * in-process callers only: a server that connects where an HTTP caller says would reach past the box's own data.
   */
  'datasets.ingest-query': z
    .object({
      name,
      from: z.string().regex(/^(postgres(ql)?|sqlite):\/\//, 'postgres://USER@HOST/DB or sqlite:///PATH'),
      query: z.string().min(1).max(100_000),
      append: z.boolean().optional(),
      force: z.boolean().optional(),
    })
    .strict(),
  /** Rules suggested from a version's data (nothing is stored). */
  'rules.suggest': z.object({ name, version: version.optional() }).strict(),
  /** The dataset's rules, enforced at ingest and at serving. */
  'rules.get': z.object({ name }).strict(),
  'rules.set': z.object({ name, rules: ruleList }).strict(),
  /** A version checked against the dataset's rules (or the rules given). */
  'rules.check': z.object({ name, version: version.optional(), rules: ruleList.optional() }).strict(),
  /** A version's data-quality report as one self-contained HTML file. */
  'rules.report': z.object({ name, version: version.optional() }).strict(),
  'datasets.versions': z.object({ name }).strict(),
  'datasets.version': z.object({ name, version: version.optional() }).strict(),
  'datasets.quarantine': z
    .object({
      name,
      version: version.optional(),
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(1000).default(100),
    })
    .strict(),
  'datasets.ingest': z
    .object({
      name,
      /** An id from the transport's upload (HTTP PUT /api/uploads, or the desktop bridge). */
      uploadId: z
        .string()
        .regex(/^[a-f0-9-]{36}$/)
        .optional(),
      /** A local file path: accepted from the CLI and in-process callers only, never over HTTP or IPC. */
      path: z.string().min(1).optional(),
      fileName: z.string().max(255).optional(),
      delimiter: z.enum([',', ';', '\t', '|']).optional(),
      /** csv, json (an array of objects), ndjson or parquet; by default from the file name's extension. */
      format: z.enum(['csv', 'json', 'ndjson', 'parquet']).optional(),
      /** Append the file's rows to the latest version (in its schema) instead of making a version of the file alone. */
      append: z.boolean().optional(),
      /**
       * With append: at most once per content. A file whose bytes were appended to this dataset before is refused
       * (CONFLICT); its SHA-256 is recorded in the transaction that commits its rows (what a watched folder sends).
       */
      once: z.boolean().optional(),
      /** Accept a schema that narrows a column's type (refused otherwise). */
      force: z.boolean().optional(),
      /** PII policies applied before anything is written: "suggested" takes the scan's suggestions. */
      pii: z.union([z.literal('suggested'), z.record(z.string().min(1), columnPolicy)]).optional(),
    })
    .strict()
    .refine((a) => (a.uploadId === undefined) !== (a.path === undefined), 'give exactly one of uploadId or path')
    .refine((a) => a.once !== true || a.append === true, 'once goes with append'),
  /** Scans a file for personal data without storing anything: detections per column, with a suggested policy. */
  'datasets.pii-scan': z
    .object({
      uploadId: uploadRef.optional(),
      path: z.string().min(1).optional(),
      keepUpload: z.boolean().optional(),
      fileName: z.string().max(255).optional(),
      format: z.enum(['csv', 'json', 'ndjson', 'parquet']).optional(),
    })
    .strict()
    .refine((a) => (a.uploadId === undefined) !== (a.path === undefined), 'give exactly one of uploadId or path'),
  'datasets.pii-policies': z.object({ name }).strict(),
  /** The smallest group of rows sharing one combination of the quasi-identifiers' values. */
  'datasets.k-anonymity': z
    .object({
      name,
      version: version.optional(),
      columns: z.array(z.string().min(1)).min(1).max(32),
      k: z.number().int().min(2).max(1000).default(5),
    })
    .strict(),
  /** Appends JSON rows as the dataset's next version (the latest's rows, then these), or creates it from them. */
  'datasets.append': z
    .object({
      name,
      rows: z.array(row).min(1).max(100_000),
      /** Where the rows came from, kept as the version's source (e.g. the MQTT topic). */
      source: z.string().min(1).max(255).optional(),
    })
    .strict(),
  // 12: the floor for any passphrase that guards the store's key (minPassphraseLength in security/store-key.ts).
  /** A backup of the whole store into the backup folder; with a passphrase, encrypted and with the store's key. */
  'backups.create': z.object({ passphrase: z.string().min(12).max(1024).optional() }).strict(),
  'backups.list': z.object({}).strict(),
  /** Checks a backup in the backup folder (by file name) end to end, without restoring it. */
  'backups.verify': z
    .object({ file: z.string().regex(/^hearth-[0-9TZ-]+\.hbk$/), passphrase: z.string().min(8).max(1024).optional() })
    .strict(),
  /** Named API tokens with a role and an optional expiry; the token is shown once, in this answer. */
  'tokens.create': z
    .object({
      name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-"'),
      role: z.enum(['admin', 'analyst', 'viewer', 'service']),
      expiresInDays: z.number().positive().max(3650).optional(),
    })
    .strict(),
  'tokens.list': z.object({}).strict(),
  'tokens.revoke': z.object({ name: z.string().min(1).max(64) }).strict(),
  /** The audit log, newest first: every mutating call, every refusal and failed sign-in. */
  'audit.list': z
    .object({ limit: z.number().int().min(1).max(10_000).default(200), before: z.number().int().positive().optional() })
    .strict(),
  'retention.set': z
    .object({
      kind: z.enum(['dataset', 'model']),
      name,
      keepVersions: z.number().int().min(1).nullable().default(null),
      logDays: z.number().positive().nullable().default(null),
    })
    .strict(),
  'retention.list': z.object({}).strict(),
  'datasets.diff': z.object({ name, from: version, to: version }).strict(),
  /**
   * What the next run of a pipeline would do, step by step, on the first `limit` new rows of each input; nothing
   * is written. Files and SQL sources are previewed from the CLI and in-process callers only.
   */
  'pipelines.preview': z
    .object({
      definition: z.string().min(1).max(1_000_000),
      limit: z.number().int().min(1).max(100_000).optional(),
      sampleRows: z.number().int().min(0).max(200).optional(),
      baseDir,
    })
    .strict(),
  /** Runs a pipeline file: new input rows through its steps, appended to its output as one version. */
  'pipelines.run': z
    .object({
      definition: z.string().min(1).max(1_000_000),
      baseDir,
      /** Every input row, not only the new ones, written as a whole new output version (after the file changed). */
      rebuild: z.boolean().optional(),
    })
    .strict(),
  /** Cancels the pipeline's run going on now (between steps; nothing of it is written). */
  'pipelines.cancel': z.object({ name }).strict(),
  'pipelines.list': z.object({}).strict(),
  'pipelines.runs': z.object({ name, limit: z.number().int().min(1).max(1000).optional() }).strict(),
  /** A stored version of a pipeline's file (each run stores the text it ran; the latest when none is named). */
  'pipelines.definition': z.object({ name, version: version.optional() }).strict(),
  /** Applies retention and deletes every blob nothing references; dryRun reports without deleting. */
  'store.gc': z.object({ dryRun: z.boolean().optional() }).strict(),
  'training.start': z
    .object({
      dataset: name,
      datasetVersion: version.optional(),
      target: z.string().min(1),
      task: task.optional(),
      /**
       * linear: linear / logistic regression with L2; gbdt: gradient-boosted trees; forest: random forest;
       * mlp: a neural net (TensorFlow.js); auto: search them all by cross-validation within timeBudget seconds.
       */
      algorithm: z.enum(['linear', 'gbdt', 'forest', 'mlp', 'auto']).default('linear'),
      timeBudget: z.number().min(1).max(86_400).optional(),
      /** auto: every candidate on all rows (full), or successive halving over row shares (default above 100,000 rows). */
      searchStrategy: z.enum(['full', 'halving']).optional(),
      metric: z.enum(['roc_auc', 'pr_auc', 'accuracy', 'precision', 'recall', 'f1', 'log_loss', 'rmse', 'mae', 'r2']).optional(),
      model: name.optional(),
      seed: z.number().int().min(0).optional(),
      l2: z.number().min(0).max(1e3).optional(),
      maxIterations: z.number().int().min(1).max(10_000).optional(),
      trees: z.number().int().min(1).max(10_000).optional(),
      learningRate: z.number().gt(0).max(1).optional(),
      maxLeaves: z.number().int().min(2).max(4096).optional(),
      maxDepth: z.number().int().min(0).max(64).optional(),
      minChildSamples: z.number().int().min(1).optional(),
      minSplitGain: z.number().min(0).optional(),
      l1: z.number().min(0).optional(),
      rowSubsample: z.number().gt(0).max(1).optional(),
      colSubsample: z.number().gt(0).max(1).optional(),
      earlyStoppingRounds: z.number().int().min(0).optional(),
      threads: z.number().int().min(1).max(64).optional(),
      classWeight: z.enum(['balanced']).optional(),
      huberDelta: z.number().gt(0).optional(),
      featuresPerSplit: z.number().int().min(1).optional(),
      /** MLP: units per hidden layer (default [64, 32]). */
      hiddenLayers: z.array(z.number().int().min(1).max(4096)).min(1).max(8).optional(),
      epochs: z.number().int().min(1).max(10_000).optional(),
      batchSize: z.number().int().min(1).max(65_536).optional(),
      dropout: z.number().min(0).lt(1).optional(),
      /** MLP: pin a TensorFlow.js back end instead of the first that loads (tensorflow-gpu, tensorflow, wasm, cpu). */
      backend: z.enum(backendsOf.tfjs).optional(),
      folds: z.number().int().min(2).max(20).optional(),
      /**
       * auto: compare no treatment, balanced class weights and SMOTE (and a tuned threshold, with a threshold objective)
       * by cross-validation and keep the best; by default compared when the rarest class is under 20% of the rows.
       */
      imbalance: z.enum(['auto', 'none']).optional(),
      /** Binary: tune the decision threshold on the validation rows for F1, or for the least cost of errors. */
      threshold: z.enum(['f1', 'cost']).optional(),
      /** Classification: SMOTE synthetic minority rows added to the training side of every fit (each fold's own). */
      resample: z.enum(['smote']).optional(),
      falsePositiveCost: z.number().min(0).optional(),
      falseNegativeCost: z.number().min(0).optional(),
      /** Split by time on this datetime or numeric column: train on the past, test on the future. */
      timeColumn: z.string().min(1).optional(),
      /** Split by group on this column: a group's rows stay on one side (and the column is not a feature). */
      groupColumn: z.string().min(1).optional(),
      validationFraction: z.number().min(0).max(0.5).optional(),
      testFraction: z.number().min(0).max(0.5).optional(),
      sampleFraction: z.number().gt(0).max(1).optional(),
    })
    .strict(),
  'training.get': z.object({ jobId: z.string().uuid() }).strict(),
  'training.list': z.object({}).strict(),
  'training.cancel': z.object({ jobId: z.string().uuid() }).strict(),
  'runs.list': z.object({}).strict(),
  'runs.show': z.object({ id: z.string().uuid() }).strict(),
  'runs.compare': z.object({ ids: z.array(z.string().uuid()).min(2).max(10) }).strict(),
  'models.list': z.object({}).strict(),
  'models.versions': z.object({ name }).strict(),
  'models.version': z.object({ name, version: version.optional() }).strict(),
  /** A self-contained HTML report of a model version (summaries, charts, lineage; no data rows). */
  'models.report': z.object({ name, version: version.optional() }).strict(),
  'models.promote': z.object({ name, version }).strict(),
  'models.rollback': z.object({ name }).strict(),
  /** A remote OCI registry the sync agent pushes to: oci://HOST[:PORT]/REPOSITORY (TLS unless insecureHttp, loopback only). */
  'remotes.add': z
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
  'remotes.list': z.object({}).strict(),
  'remotes.remove': z.object({ name: z.string().min(1).max(64) }).strict(),
  'sync.status': z.object({}).strict(),
  /** Drains the outbox now, to every remote or to one. */
  'sync.push': z.object({ remote: z.string().min(1).max(64).optional() }).strict(),
  /** Checks every followed remote alias now and pulls what moved. */
  'sync.follow': z.object({}).strict(),
  /** Tracks a remote alias: when it moves, the version is pulled, loaded, and the local alias follows it. */
  'remotes.follow': z.object({ remote: z.string().min(1).max(64), model: name, alias: aliasName }).strict(),
  'remotes.unfollow': z.object({ remote: z.string().min(1).max(64), model: name, alias: aliasName }).strict(),
  /** Pulls oci://HOST[:PORT]/REPOSITORY:TAG or …@sha256:DIGEST, verifying every digest, and registers it. */
  'models.pull': z
    .object({ url: z.string().min(1).max(1000), alias: aliasName.optional(), insecureHttp: z.boolean().optional() })
    .strict(),
  /** Scores a labelled upload and records the metrics as a snapshot of the version (synced as a referrer). */
  'models.evaluate': z
    .object({
      name,
      version: version.optional(),
      uploadId: z
        .string()
        .regex(/^[a-f0-9-]{36}$/)
        .optional(),
      /** A local file path: accepted from the CLI and in-process callers only. */
      path: z.string().min(1).optional(),
    })
    .strict()
    .refine((a) => (a.uploadId === undefined) !== (a.path === undefined), 'give exactly one of uploadId or path'),
  'models.snapshots': z.object({ name, version: version.optional() }).strict(),
  /** Registers an ONNX file made elsewhere; its inputs are read from the graph. */
  'models.import': z
    .object({
      name,
      uploadId: uploadRef.optional(),
      /** A local file path: accepted from the CLI and in-process callers only. */
      path: z.string().min(1).optional(),
      target: z.string().min(1).max(256).optional(),
      task: z.enum(['binary', 'multiclass', 'regression']).optional(),
      classes: z.array(z.string().min(1).max(256)).min(2).max(10_000).optional(),
      features: z.array(z.string().min(1).max(256)).min(1).max(100_000).optional(),
      /** The training data (a CSV), ingested as NAME-reference: what drift is measured against. */
      referenceUploadId: uploadRef.optional(),
      referencePath: z.string().min(1).optional(),
      alias: aliasName.optional(),
    })
    .strict()
    .refine((a) => (a.uploadId === undefined) !== (a.path === undefined), 'give exactly one of uploadId or path')
    .refine((a) => a.referenceUploadId === undefined || a.referencePath === undefined, 'give at most one reference'),
  /** Labels that arrived after the predictions, joined by the ids predict returned. */
  'models.feedback': z
    .object({
      name,
      labels: z
        .array(z.object({ id: z.string().uuid(), label: z.union([z.string().min(1).max(256), z.number()]) }).strict())
        .min(1)
        .max(100_000),
    })
    .strict(),
  'models.route': z.object({ name }).strict(),
  /** A canary (null to end it) and a shadow (null to end it); fields left out stay as they are. */
  'models.set-route': z
    .object({
      name,
      canary: z
        .object({ version, share: z.number().gt(0).max(1) })
        .strict()
        .nullable()
        .optional(),
      shadow: version.nullable().optional(),
    })
    .strict(),
  /** Drift per closed window (hourly by default), oldest first, as the schedule recorded it. */
  'models.drift-history': z.object({ name, limit: z.number().int().min(1).max(10_000).optional() }).strict(),
  /** Trains a challenger with production's settings on the newest data; promotes it only if better on its holdout. */
  'models.retrain': z.object({ name, promote: z.boolean().optional() }).strict(),
  'alerts.rules': z.object({}).strict(),
  'alerts.add-rule': z
    .object({
      name,
      model: name,
      kind: z.enum(['drift', 'metric', 'latency', 'error-rate', 'validation', 'new-rows']),
      threshold: z.number(),
      windowSeconds: z
        .number()
        .int()
        .min(60)
        .max(31 * 86400)
        .default(3600),
      metric: z.string().min(1).max(32).optional(),
      source: z.enum(['realised', 'estimated']).optional(),
      /** http(s) URL the alert is POSTed to. */
      webhook: z.string().url().max(2000).optional(),
      retrain: z.boolean().optional(),
    })
    .strict()
    .refine((r) => r.kind !== 'metric' || r.metric !== undefined, 'a metric rule names its metric'),
  'alerts.remove-rule': z.object({ name }).strict(),
  /** Alerts, newest first: every episode, or only those firing now. */
  'alerts.list': z.object({ firing: z.boolean().optional() }).strict(),
  /** Evaluates every rule now (the server does it every minute). */
  'alerts.check': z.object({}).strict(),
  /** Live performance over time windows: volume, latency, realised metrics on late labels, the label-free estimate. */
  'models.monitor': z
    .object({
      name,
      version: version.optional(),
      since: z.string().datetime().optional(),
      until: z.string().datetime().optional(),
      windowSeconds: z
        .number()
        .int()
        .min(60)
        .max(31 * 86400)
        .optional(),
    })
    .strict(),
  /** Drift of a version's inputs and predictions: its training data against the rows it served in [since, until). */
  'models.drift': z
    .object({
      name,
      version: version.optional(),
      since: z.string().datetime().optional(),
      until: z.string().datetime().optional(),
      tests: z
        .record(
          z.string(),
          z
            .object({
              test: z.enum(['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi']).optional(),
              threshold: z.number().positive().optional(),
            })
            .strict(),
        )
        .optional(),
      shareThreshold: z.number().gt(0).max(1).optional(),
    })
    .strict(),
  'models.predict': z
    .object({
      name,
      version: version.optional(),
      rows: z.array(row).min(1).max(10_000),
      /** Per-feature contributions (exact TreeSHAP for tree models, w·(x − mean) for linear ones). */
      explain: z.boolean().optional(),
    })
    .strict(),
} as const;

export type ApiMethod = keyof typeof apiSchemas;
export type ApiArgs<K extends ApiMethod> = z.input<(typeof apiSchemas)[K]>;
export type ApiParsedArgs<K extends ApiMethod> = z.output<(typeof apiSchemas)[K]>;

export type Task = z.infer<typeof task>;
export type ColumnType = 'integer' | 'number' | 'boolean' | 'datetime' | 'categorical' | 'text';

export type DataRule = z.infer<typeof dataRule> & { severity: (typeof ruleSeverities)[number] };

/** One rule that did not hold: its id (`column:kind`, or the kind for a table rule), and how many rows broke it. */
export interface RuleFailure {
  rule: string;
  column: string | null;
  severity: DataRule['severity'];
  rows: number;
  detail: string;
}

export interface RulesCheck {
  dataset: string;
  version: number;
  rules: number;
  passed: boolean;
  failed: RuleFailure[];
}

export type AccelRuntime = keyof typeof backendsOf;
export type TfjsBackendName = (typeof backendsOf.tfjs)[number];
export type OrtProviderName = (typeof backendsOf.onnxruntime)[number];

/** One compute back end as `hearth doctor` reports it. */
export interface BackendReport {
  runtime: AccelRuntime;
  name: string;
  /** selected: what the next fit (tfjs) or model load (onnxruntime) uses; available: works but is not chosen. */
  status: 'available' | 'unavailable' | 'selected';
  reason: string;
  /** The GPU adapter or CPU it runs on, where known. */
  device: string | null;
  /** A software GPU adapter (a CPU behind the GPU API): correct, but never chosen for speed unless pinned. */
  software: boolean;
}

export interface BackendsReport {
  backends: BackendReport[];
  pins: Record<AccelRuntime, string | null>;
  probedAt: string;
}

/** What the engine and its runtime report about themselves. */
export interface SystemInfo {
  version: string;
  dataDir: string;
  node: string;
  platform: string;
  onnxRuntime: { version: string; executionProvider: string | null };
}

/** One dataset, by its latest version. */
export interface DatasetSummary {
  name: string;
  latestVersion: number;
  rows: number;
  columns: number;
  versions: number;
  createdAt: string;
  updatedAt: string;
}

/** One immutable dataset version. */
export interface DatasetVersionInfo {
  dataset: string;
  version: number;
  rows: number;
  quarantined: number;
  contentHash: string;
  schema: { name: string; type: ColumnType }[];
  source: {
    fileName: string;
    /** The file's size; 0 for rows appended as records (HTTP push, a stream). */
    bytes: number;
    delimiter: string;
    lineEnding: string;
    /** Set when a pipeline made this version: which pipeline (and version of its file) and the inputs it read. */
    pipeline?: { name: string; version: number };
    inputs?: { dataset: string; version: number; role: 'rows' | 'lookup' }[];
  };
  createdAt: string;
}

/** A column profile: counts, moments, quantiles, top values and a histogram. */
export interface ColumnProfile {
  name: string;
  type: ColumnType;
  count: number;
  missing: number;
  distinct: number;
  /** True when quantiles, distinct and top values are estimates from a 200,000-value sample. */
  sampled: boolean;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  quantiles: { p: number; value: number }[];
  topValues: { value: string; count: number }[];
  histogram: { label: string; start: number | null; end: number | null; count: number }[];
}

/** A dataset version with its column profiles. */
export interface DatasetVersionDetail extends DatasetVersionInfo {
  profile: ColumnProfile[];
}

/** A quarantined record: where it was, why, and what it said. */
export interface QuarantinedRow {
  line: number;
  reason: string;
  raw: string;
}

/** What an ingest made. */
export interface IngestResult {
  dataset: string;
  version: number;
  rows: number;
  quarantined: number;
  columns: { name: string; type: ColumnType }[];
  contentHash: string;
  /** The dataset's rules that this version broke without being refused (warn, or rows quarantined). */
  rulesFailed?: RuleFailure[];
  /** How this version's schema differs from the previous version's (a new file as a new version). */
  schemaChanges?: SchemaChanges;
}

export interface SchemaChanges {
  added: { column: string; type: ColumnType }[];
  dropped: { column: string; type: ColumnType }[];
  /** widening: integer → number, boolean → integer or number, categorical → text; anything else needed --force. */
  retyped: { column: string; from: ColumnType; to: ColumnType; widening: boolean }[];
  /** Levels of a categorical column that no earlier version had (the first 50, and how many). */
  newLevels: { column: string; levels: string[]; count: number }[];
}

/** Live state of a training job. */
export interface TrainingProgress {
  jobId: string;
  iteration: number;
  maxIterations: number;
  loss: number;
  validationLoss: number | null;
  fraction: number;
  phase: string;
}

/** A training job and, once finished, its outcome. */
export interface TrainingJob {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  args: ApiParsedArgs<'training.start'>;
  createdAt: string;
  finishedAt: string | null;
  progress: TrainingProgress | null;
  history: { iteration: number; loss: number; validationLoss: number | null }[];
  result: { model: string; version: number; metrics: Record<string, number>; durationMs: number } | null;
  error: { code: string; message: string; details?: unknown } | null;
}

/** A training run as an experiment: what was trained, on what, with which outcome. */
export interface RunSummary {
  id: string;
  status: TrainingJob['status'];
  createdAt: string;
  finishedAt: string | null;
  dataset: string;
  datasetVersion: number | null;
  target: string;
  algorithm: string;
  model: string | null;
  version: number | null;
  metrics: Record<string, number>;
  durationMs: number | null;
}

/** A run with its arguments and, when it succeeded, the model version it registered. */
export interface RunDetail {
  run: RunSummary;
  args: Record<string, unknown>;
  modelVersion: ModelVersionInfo | null;
  error: { code: string; message: string; details?: unknown } | null;
}

/** Runs side by side: metrics, parameters, resources and ROC curves (binary). */
export interface RunComparison {
  runs: RunSummary[];
  metrics: string[];
  params: Record<string, Record<string, unknown>>;
  resources: Record<
    string,
    {
      durationMs: number;
      fitMs: number | null;
      workerCpuMs: number;
      peakRssMb: number;
      modelBytes: number | null;
      predictLatencyUs: number | null;
    }
  >;
  /** ROC curves (binary), by run. */
  curves: Record<string, { x: number; y: number }[] | null>;
  /** Precision–recall curves (binary), by run. */
  prCurves: Record<string, { x: number; y: number }[] | null>;
  /** Reliability diagrams (binary): mean predicted probability against the observed share of positives. */
  calibration: Record<string, { predicted: number; observed: number; count: number }[] | null>;
  /** Confusion matrices (classification; rows actual, columns predicted) with their class labels, by run. */
  confusion: Record<string, { classes: string[]; matrix: number[][] } | null>;
  /** Permutation importance (every learner), largest first, by run. */
  importance: Record<string, { feature: string; increase: number }[]>;
  /** Mean |SHAP| per feature (tree models), largest first, by run. */
  shap: Record<string, { feature: string; meanAbs: number }[] | null>;
  /** Search trials (algorithm auto): each candidate's cross-validated metric and parameters, by run. */
  trials: Record<
    string,
    { metric: string; entries: { trial: number; algorithm: string; cv_metric: number; params: Record<string, unknown> }[] } | null
  >;
}

/** A registered model and where its aliases point. */
export interface ModelSummary {
  name: string;
  task: Task;
  target: string;
  latestVersion: number;
  versions: number;
  aliases: Record<string, number>;
  createdAt: string;
}

/** One model version: lineage, parameters, metrics and the evaluation report. */
export interface ModelVersionInfo {
  model: string;
  version: number;
  algorithm: string;
  task: Task;
  target: string;
  dataset: { name: string; version: number; contentHash: string };
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  report: Record<string, unknown>;
  inputSchema: { name: string; type: 'double' | 'string' }[];
  onnxDigest: string;
  modelDigest: string;
  aliases: string[];
  createdAt: string;
  /** Where a version pulled from a registry came from; null for one trained here. */
  origin: ModelOrigin | null;
}

/** A pulled version's provenance: the artifact it was verified against and the remote's own version number. */
export interface ModelOrigin {
  /** oci://HOST[:PORT]/REPOSITORY */
  url: string;
  /** The tag or digest that was asked for. */
  reference: string;
  /** The manifest's digest, verified on arrival. */
  digest: string;
  remoteVersion: number | null;
  pulledAt: string;
}

/** A model version's metrics measured on labelled data after training; synced as an OCI referrer of the version. */
export interface MetricSnapshot {
  id: number;
  model: string;
  version: number;
  source: string;
  dataHash: string;
  rows: number;
  metrics: Record<string, number>;
  createdAt: string;
}

/** Drift tests (see main/monitoring/drift.ts for how one is chosen). */
export type DriftTest = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi';

export interface ColumnDrift {
  column: string;
  kind: 'numeric' | 'categorical';
  test: DriftTest;
  /** The test's statistic or distance. */
  statistic: number;
  /** For the hypothesis tests (ks, chisquare, z); null for the distances. */
  pValue: number | null;
  /** p-value below it, or distance at or above it, means drift. */
  threshold: number;
  drifted: boolean;
  referenceRows: number;
  currentRows: number;
  /** Both distributions over the same bins or categories, as shares: what the console charts. */
  distribution: { bins: string[]; reference: number[]; current: number[] };
}

export interface DatasetDrift {
  columns: ColumnDrift[];
  /** Columns that could not be tested (no values on one side), and why. */
  skipped: { column: string; reason: string }[];
  drifted: number;
  share: number;
  /** The share of drifted columns at or above which the data set as a whole counts as drifted. */
  shareThreshold: number;
  datasetDrifted: boolean;
}

/** Drift of a model's inputs and predictions between its training data and what it served in a window. */
export interface DriftReport {
  model: string;
  version: number;
  window: { since: string | null; until: string | null; rows: number };
  reference: { dataset: string; version: number; rows: number };
  features: DatasetDrift;
  prediction: ColumnDrift;
}

/** One time window of a model's service: volume, latency, realised metrics on labelled rows, the label-free estimate. */
export interface MonitorWindow {
  start: string;
  end: string;
  rows: number;
  latencyMs: { p50: number; p99: number };
  labelled: number;
  /** On the rows whose labels arrived; null before any did. */
  realised: Record<string, number> | null;
  /** Classifiers: estimated from the model's confidence on every row (CBPE; multiclass: accuracy); null for regression. */
  estimated: Record<string, number> | null;
}

export interface MonitorReport {
  model: string;
  version: number;
  task: Task;
  windowSeconds: number;
  windows: MonitorWindow[];
}

export type AlertKind = 'drift' | 'metric' | 'latency' | 'error-rate' | 'validation' | 'new-rows';

/** A condition on a model's service, checked on a schedule over its last `windowSeconds`. */
export interface AlertRule {
  name: string;
  model: string;
  kind: AlertKind;
  /**
   * drift: share of drifted features at or above it; metric: the metric below it (above it for rmse/mae);
   * latency: p99 in ms above it; error-rate and validation: the share of failed requests above it; new-rows: at
   * least this many rows in the newest version of the dataset beyond the one production was trained on.
   */
  threshold: number;
  windowSeconds: number;
  /** metric rules: which metric, realised on late labels or estimated from confidence. */
  metric: string | null;
  source: 'realised' | 'estimated' | null;
  /** Where an alert is POSTed as JSON (retried); the GUI, the log and the desktop always hear of it. */
  webhook: string | null;
  /** When it fires, retrain (a challenger on the newest data, promoted only if better on its holdout). */
  retrain: boolean;
}

/** One episode of a rule's condition holding: it fires once when it starts and resolves when it ends. */
export interface Alert {
  id: number;
  rule: string;
  model: string;
  kind: AlertKind;
  status: 'firing' | 'resolved';
  value: number;
  message: string;
  startedAt: string;
  resolvedAt: string | null;
  webhook: { status: string | null; attempts: number };
}

/** A retraining: the challenger against production on the challenger's holdout, and whether it was promoted. */
export interface RetrainResult {
  model: string;
  metric: string;
  holdoutRows: number;
  dataset: ModelVersionInfo['dataset'];
  /** score is null when production cannot be scored on the new data (a class it never saw). */
  production: { version: number; score: number | null };
  challenger: { version: number; score: number };
  promoted: boolean;
  reason: string;
}

/** One closed window's drift, computed on the schedule. */
export interface DriftHistoryEntry {
  version: number;
  windowStart: string;
  windowEnd: string;
  rows: number;
  share: number;
  datasetDrifted: boolean;
  predictionDrifted: boolean;
  /** Per column: the test's statistic and whether it drifted. */
  columns: Record<string, { statistic: number; drifted: boolean }>;
}

/** Requests for a model without a version: production, except a canary's share; a shadow predicts them all too. */
export interface ServingRoute {
  model: string;
  canary: { version: number; share: number } | null;
  /** Predicts every request beside the answering version; its answers are logged, never returned. */
  shadow: number | null;
}

/** The result of moving an alias. */
export interface AliasMove {
  model: string;
  alias: string;
  version: number;
  previousVersion: number | null;
}

/** Why a prediction came out as it did: per-feature contributions to one output's margin. */
export interface Explanation {
  /** The explained output: the predicted class (its log-odds or softmax score) or the regression value. */
  output: string;
  expectedValue: number;
  /** Exact TreeSHAP values; they sum to the output's margin minus expectedValue. */
  contributions: Record<string, number>;
}

/** One prediction: a label with class probabilities, or a value; with `explain`, its explanation. */
export type Prediction = ({ label: string; probabilities: Record<string, number> } | { value: number }) & {
  explanation?: Explanation;
  /** The row's id in the prediction log: send it back with the label when the label is known. */
  id?: string;
};

/** Predictions with the model version that made them. */
export interface PredictResult {
  model: string;
  version: number;
  /** Where the graph ran: "cpu", or a GPU provider with how many nodes it took ("webgpu: 5 of 18 nodes"). */
  executionProvider: string;
  predictions: Prediction[];
}

/** Result type of every method. */
export interface ApiResults {
  'system.info': SystemInfo;
  'system.backends': BackendsReport;
  'datasets.ingest-query': IngestResult;
  'rules.suggest': DataRule[];
  'rules.get': DataRule[];
  'rules.set': DataRule[];
  'rules.check': RulesCheck;
  'rules.report': { fileName: string; html: string };
  'system.pin-backend': BackendsReport;
  'datasets.list': DatasetSummary[];
  'datasets.versions': DatasetVersionInfo[];
  'datasets.version': DatasetVersionDetail;
  'datasets.quarantine': { total: number; rows: QuarantinedRow[] };
  /** With append, `appended` counts the rows this call added (`rows` counts the whole new version). */
  'datasets.ingest': IngestResult & { appended?: number };
  'datasets.append': IngestResult & { appended: number; ignoredFields: string[] };
  'datasets.pii-scan': { rows: number; detections: PiiDetection[] };
  'tokens.create': TokenInfo & { token: string };
  'tokens.list': TokenInfo[];
  'tokens.revoke': TokenInfo;
  'audit.list': AuditEntry[];
  'retention.set': RetentionRule;
  'retention.list': RetentionRule[];
  'datasets.diff': DatasetDiff;
  'pipelines.preview': PipelinePreview;
  'pipelines.run': PipelineRunInfo;
  'pipelines.cancel': { cancelled: boolean };
  'pipelines.list': PipelineSummary[];
  'pipelines.runs': PipelineRunInfo[];
  'pipelines.definition': { name: string; version: number; definition: string; createdAt: string };
  'store.gc': GcReport;
  'backups.create': BackupSummary & { sha256: string; files: number; blobs: number };
  'backups.list': BackupSummary[];
  'backups.verify': {
    file: string;
    files: number;
    bytes: number;
    createdAt: string;
    hearthVersion: string;
    encrypted: boolean;
    includesSecretKey: boolean;
  };
  'datasets.pii-policies': Record<string, ColumnPolicy>;
  'datasets.k-anonymity': KAnonymityReport;
  'training.start': TrainingJob;
  'training.get': TrainingJob;
  'training.list': TrainingJob[];
  'training.cancel': TrainingJob;
  'runs.list': RunSummary[];
  'runs.show': RunDetail;
  'runs.compare': RunComparison;
  'models.list': ModelSummary[];
  'models.versions': ModelVersionInfo[];
  'models.version': ModelVersionInfo;
  'models.report': { fileName: string; html: string };
  'models.promote': AliasMove;
  'models.rollback': AliasMove;
  'remotes.add': RemoteInfo;
  'remotes.list': RemoteInfo[];
  'remotes.remove': { removed: string };
  'sync.status': SyncStatus;
  'sync.push': { remote: string; sent: number; error: string | null }[];
  'sync.follow': FollowInfo[];
  'remotes.follow': FollowInfo;
  'remotes.unfollow': { removed: string };
  'models.pull': PullResult;
  'models.evaluate': MetricSnapshot;
  'models.snapshots': MetricSnapshot[];
  'models.import': ModelVersionInfo;
  'models.feedback': { matched: number; unknown: string[] };
  'models.drift': DriftReport;
  'models.monitor': MonitorReport;
  'models.retrain': RetrainResult;
  'models.drift-history': DriftHistoryEntry[];
  'models.route': ServingRoute;
  'models.set-route': ServingRoute;
  'alerts.rules': AlertRule[];
  'alerts.add-rule': AlertRule;
  'alerts.remove-rule': { removed: string };
  'alerts.list': Alert[];
  'alerts.check': Alert[];
  'models.predict': PredictResult;
}

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
  last_error: string | null;
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

/** The whole API as functions: what every typed client exposes. */
export type Api = { [K in ApiMethod]: (args: ApiArgs<K>) => Promise<ApiResults[K]> };

/** One moment of a pipeline run, for progress bars. */
export interface PipelineProgressEvent {
  pipeline: string;
  phase: 'read' | 'step' | 'commit';
  step?: number;
  steps: number;
  label: string;
  rows: number;
}

/** Events pushed to clients (server-sent events over HTTP, messages over IPC). */
export interface ApiEvents {
  'datasets.ingest-progress': { dataset: string; bytesRead: number; totalBytes: number };
  'training.progress': TrainingProgress;
  /** A candidate of an automatic search was scored. */
  'training.trial': { jobId: string; trial: number; algorithm: string; metric: string; value: number };
  'training.did-finish': TrainingJob;
  'datasets.did-ingest': IngestResult;
  /** A pipeline run's progress: reading inputs, each step, the commit. */
  'pipelines.progress': PipelineProgressEvent;
  'pipelines.did-run': PipelineRunInfo;
  'models.did-move-alias': AliasMove;
  /** An alert started (fired) or ended (resolved). */
  'alerts.changed': Alert;
}

export type ApiEventName = keyof ApiEvents;
export type ApiEvent = { [K in ApiEventName]: { name: K; data: ApiEvents[K] } }[ApiEventName];

// Compile-time check: every method has both a schema and a result type, and nothing else does.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemasMatchResults: Exact<ApiMethod, keyof ApiResults> = true;
void schemasMatchResults;

export type { ColumnPolicy, PiiDetection } from './pii.js';

export interface KAnonymityReport {
  dataset: string;
  version: number;
  columns: string[];
  /** The k asked for, and the k the data has (its smallest group). */
  required: number;
  k: number;
  groups: number;
  groupsBelowK: number;
  rowsBelowK: number;
  smallest: { values: (string | null)[]; rows: number }[];
}

export interface BackupSummary {
  file: string;
  bytes: number;
  createdAt: string;
  encrypted: boolean;
}

export interface TokenInfo {
  name: string;
  role: 'admin' | 'analyst' | 'viewer' | 'service';
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

/** One audited action: who (token name and role), how (transport, address), what (method, target), the outcome. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  role: string | null;
  transport: string;
  remote: string | null;
  action: string;
  target: string | null;
  outcome: 'ok' | 'failed' | 'denied';
  code: string | null;
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

/** Two versions of a dataset compared: schema, rows (as multisets of values), and each shared column's distribution. */
export interface DatasetDiff {
  dataset: string;
  from: number;
  to: number;
  schema: {
    added: { column: string; type: ColumnType }[];
    dropped: { column: string; type: ColumnType }[];
    retyped: { column: string; from: ColumnType; to: ColumnType }[];
  };
  rows: { from: number; to: number; added: number; removed: number; unchanged: number };
  distributions: { column: string; test: DriftTest; statistic: number; pValue: number | null; changed: boolean }[];
  skipped: { column: string; reason: string }[];
}
