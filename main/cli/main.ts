import { randomBytes } from 'node:crypto';
import { rotateStoreKey } from '../security/rotate-key.js';
import { keySourceFromEnv } from '../security/store-key.js';
import { listBackups, restoreBackup, verifyBackup } from '../store/backup.js';
import { piiPolicies, piiTypes, type PiiPolicy, type PiiType } from '../contracts/pii.js';
import { text } from 'node:stream/consumers';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadTokenVerifier, resetToken } from '../api/auth.js';
import { createHandlers } from '../api/handlers.js';
import { startHttpServer } from '../api/http-server.js';
import { inProcessTransport, scheduleDoor, serviceDoor } from '../api/in-process.js';
import type { ApiArgs, ApiResults, FollowInfo, Task } from '../contracts/api.js';
import { HearthError, serializeError } from '../contracts/errors.js';
import { resolveDataDir } from '../engine/data-dir.js';
import { Engine } from '../engine/engine.js';
import { parseRef, predictFile } from '../serving/batch.js';
import { cellValue } from '../data/frame.js';
import { MqttStream } from '../streams/mqtt-stream.js';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { PipelineSchedule } from '../data/pipeline-schedule.js';
import { parsePipeline } from '../data/pipeline.js';
import { csvCell, readCsv } from '../data/csv.js';
import { writeParquet } from '../data/parquet.js';
import { FolderWatcher } from '../data/watch-folder.js';
import { schedulePipeline, startServices, watchEventJson } from '../engine/services.js';
import { describeSource } from '../data/sql-source.js';
import { createClient, type Client } from '../contracts/client.js';
import { Output, formatMetrics } from './output.js';

const usage = `hearth — on-device machine learning

Usage: hearth <command> [options]

Commands:
  start                               serve, after ingesting the sample and training a first model if the store is empty
  serve [--host H] [--port P] [--tls-cert FILE --tls-key FILE]
                                      serve the API, the web console and REST predictions (HTTPS with a certificate)
  ingest FILE --dataset NAME [--format csv|json|ndjson|parquet] [--append] [--force] [--pii apply | --pii-policy COL=POLICY[:TYPE],…]
                                      read a CSV file as the next version of a dataset; PII policies (keep, drop,
                                      mask, hash, generalise) apply before anything is written, and to later versions;
                                      added, dropped, widened columns and new levels are reported, a narrowed type
                                      is refused unless --force
  ingest --from postgres://USER@HOST/DB | sqlite:///PATH --query 'SELECT …' --dataset NAME [--append] [--force]
                                      a SQL query's rows as the next version (read in a read-only transaction)
  ingest FILE --pii suggest           scan a file for personal data and suggest a policy per column; stores nothing
  datasets list | show NAME[@V] | diff NAME@A NAME@B | pii NAME | k-anonymity NAME[@V] --columns A,B [--k 5]
         | export NAME[@V] --out FILE.parquet|FILE.csv
                                      list datasets, show a version's schema and profile, its PII policies, or the
                                      smallest group sharing the quasi-identifiers' values (exit 1 below k)
  train --dataset NAME[@V] --target COL [--task binary|multiclass|regression] [--algorithm linear|gbdt|forest|mlp|auto]
        [--model NAME] [--seed N] [--l2 X] [--class-weight balanced]
        [--validation-fraction F] [--test-fraction F]   (held-out shares, 0.15 each by default)
        [--folds K]   (k-fold cross-validation on the non-test rows, reported beside the test metrics)
        [--time-column COL | --group-column COL]   (split by time, or keep each group on one side)
        [--threshold f1 | --threshold cost --fp-cost X --fn-cost Y]   (binary: tune the decision threshold)
        [--resample smote]   (classification: synthetic minority rows on the training side of every fit)
        auto:   [--time-budget SEC] [--metric roc_auc|pr_auc|accuracy|f1|log_loss|rmse|mae|r2] [--folds K]
                [--search full|halving] [--imbalance auto|none]
                (auto: class weights, SMOTE and a tuned threshold compared by cross-validation on rare classes)
        linear: [--max-iterations N]
        gbdt:   [--trees N] [--learning-rate X] [--max-leaves N] [--max-depth N] [--min-child-samples N]
                [--l1 X] [--row-subsample F] [--col-subsample F] [--early-stopping N] [--threads N]
                [--huber-delta X]  (regression with the Huber loss)
        forest: [--trees N] [--max-leaves N] [--max-depth N] [--min-child-samples N] [--features-per-split N]
        mlp:    [--hidden-layers 64,32] [--epochs N] [--batch-size N] [--learning-rate X] [--dropout F] [--l2 X]
                [--backend tensorflow-gpu|webgpu|tensorflow|wasm|cpu]   (default: the pinned one, else the first
                of these that works; a software GPU adapter only when named)
  evaluate --model NAME[@V] FILE      metrics of a model on a labelled file, kept as a snapshot (synced as a referrer)
  predict --model NAME[@V] FILE [--out FILE]
  feedback --model NAME FILE          late labels: a CSV with an id column (from predict) and the model's target
  monitor --model NAME[@V] [--window hour|day|SECONDS] [--since ISO] [--until ISO]
                                      served rows, latency, realised metrics on late labels and the label-free
                                      estimate per window
  alerts list [--firing] | rules | check | remove NAME
       | add NAME --model M --kind drift|metric|latency|error-rate|validation|new-rows --threshold X
             [--window SECONDS] [--metric roc_auc --source realised|estimated] [--webhook URL] [--retrain]
                                      alert rules checked every minute by the server; an alert fires once per episode
  retrain MODEL [--no-promote]        a challenger with production's settings on the newest data version, promoted
                                      only if better on its holdout
  stream --mqtt mqtt://HOST:PORT --in TOPIC --out TOPIC --model NAME [--client-id ID]
         [--window FIELD:SECONDS[:sliding],…] [--dataset NAME [--append-rows N] [--append-seconds S]]
                                      JSON rows in, predictions out, at least once, until stopped; answered rows
                                      appended to a dataset as new versions (every 1,000 rows or 60 s)
  drift --model NAME[@V] [--since ISO] [--until ISO]
                                      drift of inputs and predictions: training data against served rows
  models list | promote NAME VERSION | rollback NAME | report NAME[@V] [--out FILE]
       | canary NAME VERSION [--share F] | shadow NAME VERSION | route NAME [--clear]
       | import FILE.onnx --name NAME [--target T] [--task binary|multiclass|regression] [--classes A,B,…]
                [--features F1,F2,…] [--reference TRAINING.csv] [--alias A]
                                      serve a model made elsewhere; inputs are read from the graph, the reference
                                      data (ingested as NAME-reference) is what drift is measured against
                                      a canary answers a share of requests; a shadow predicts all, logged only
  runs list | show ID | compare ID ID…   training runs as experiments (ids may be abbreviated)
  remote add NAME oci://HOST[:PORT]/REPO [--username U --password-stdin [--token-service URL] | --token-stdin] [--insecure-http]
         | list | remove NAME
         | follow NAME MODEL --alias A | unfollow NAME MODEL --alias A
                                      OCI registries to push models to (plain HTTP: loopback only); follow
                                      keeps a local alias on what a remote alias names, hot-swapping serving
  pull oci://HOST[:PORT]/REPO/MODEL:TAG | …@sha256:DIGEST [--alias A] [--insecure-http]
                                      pull a model version, verify every digest, register it with its lineage
  sync status | push [--remote NAME] | follow
                                      the outbox of versions, alias moves and metrics snapshots; send it now;
                                      check followed aliases now (the server does both in the background)
  token create NAME --role admin|analyst|viewer|service [--expires-days N] | list | revoke NAME
                                      named API tokens (stored hashed, shown once): admin does everything, analyst
                                      ingests, trains and promotes, viewer reads, service predicts and ingests
  token reset                         replace the bootstrap (admin) token and print the new one; a running server
                                      takes it at once (unless it was started with $HEARTH_TOKEN)
  watch DIR --dataset NAME [--interval SECONDS]
                                      append each new file in DIR (CSV, JSON, NDJSON, Parquet) to the dataset once,
                                      when it has stopped changing; the server does this for the config's "watch"
  pipeline run FILE [--schedule CRON] [--rebuild] | preview FILE [--limit N] | list | runs NAME | show NAME[@V]
                                      a declarative pipeline (YAML or JSON: sources, rename, cast, derive, filter,
                                      join, union, dedup, sample, pii, output): each run reads only the rows its
                                      inputs gained, appends the result as one version, and records which input
                                      versions made it; a re-run, or a re-run after a crash, never duplicates a row;
                                      --schedule runs it on a cron schedule until stopped; --rebuild reads every
                                      input row and writes the output anew (after the file changed)
  rules suggest NAME[@V] [--save] | show NAME | set NAME FILE.json | check NAME[@V] [--json]
        | report NAME[@V] [--out FILE]
                                      data-quality rules: suggested from a good version, edited as JSON, enforced
                                      at ingest (reject refuses a version, quarantine sets rows aside) and when
                                      serving (a row breaking a reject or quarantine rule gets a 422); check
                                      exits 1 when a rule fails; report writes the version's quality as HTML
  doctor [--json]                     every compute back end of TensorFlow.js (training) and ONNX Runtime (serving):
                                      selected, available or unavailable, why, and on which device
  backends pin tfjs|onnxruntime NAME | unpin tfjs|onnxruntime
                                      prefer a back end (a software GPU adapter included); if it stops working the
                                      automatic choice runs instead, and says so
  audit [--limit N]                   the append-only audit log: every change, refusal and failed sign-in
  keys generate                       a random store key (base64) for HEARTH_STORE_KEY_FILE
  keys rotate --new-key-file FILE | --new-passphrase-stdin
                                      re-key a stopped, encrypted store (database and blobs); the current key comes
                                      from HEARTH_STORE_KEY_FILE, HEARTH_STORE_KEY or HEARTH_STORE_PASSPHRASE
  retention set dataset NAME --keep-versions N | set model NAME --log-days D | list
  gc [--dry-run]                      apply retention, then delete every blob nothing references (the server does
                                      this every 6 hours)
  backup create [--to FILE] [--passphrase-stdin] | list
                                      a consistent copy of the store (database, blobs, a manifest of hashes) while it
                                      runs; with a passphrase, encrypted and carrying the store key
  backup verify FILE [--passphrase-stdin]
                                      unpack and check every hash, each blob against its name, the database's integrity
  backup restore FILE --data-dir DIR [--force] [--passphrase-stdin]
                                      into an empty folder (--force moves what it holds aside, never deletes it)

Options for every command:
  --data-dir DIR   data folder (default: $HEARTH_DATA_DIR, else the platform's application-data folder)
  --json           print one JSON document on stdout
Exit status: 0 success, 1 failure, 2 usage error.`;

class UsageError extends Error {}

const options = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  host: { type: 'string' },
  port: { type: 'string' },
  dataset: { type: 'string' },
  target: { type: 'string' },
  task: { type: 'string' },
  algorithm: { type: 'string' },
  model: { type: 'string' },
  l2: { type: 'string' },
  'max-iterations': { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  delimiter: { type: 'string' },
  trees: { type: 'string' },
  'learning-rate': { type: 'string' },
  'max-leaves': { type: 'string' },
  'max-depth': { type: 'string' },
  'min-child-samples': { type: 'string' },
  l1: { type: 'string' },
  'row-subsample': { type: 'string' },
  'col-subsample': { type: 'string' },
  'early-stopping': { type: 'string' },
  threads: { type: 'string' },
  'class-weight': { type: 'string' },
  'features-per-split': { type: 'string' },
  'validation-fraction': { type: 'string' },
  folds: { type: 'string' },
  'time-column': { type: 'string' },
  threshold: { type: 'string' },
  resample: { type: 'string' },
  'fp-cost': { type: 'string' },
  'fn-cost': { type: 'string' },
  'group-column': { type: 'string' },
  'time-budget': { type: 'string' },
  search: { type: 'string' },
  metric: { type: 'string' },
  'test-fraction': { type: 'string' },
  'huber-delta': { type: 'string' },
  'hidden-layers': { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  dropout: { type: 'string' },
  backend: { type: 'string' },
  imbalance: { type: 'string' },
  'insecure-http': { type: 'boolean', default: false },
  alias: { type: 'string' },
  name: { type: 'string' },
  classes: { type: 'string' },
  features: { type: 'string' },
  reference: { type: 'string' },
  'append-rows': { type: 'string' },
  pii: { type: 'string' },
  'passphrase-stdin': { type: 'boolean', default: false },
  to: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  role: { type: 'string' },
  'keep-versions': { type: 'string' },
  format: { type: 'string' },
  append: { type: 'boolean', default: false },
  'log-days': { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  'new-key-file': { type: 'string' },
  'new-passphrase-stdin': { type: 'boolean', default: false },
  limit: { type: 'string' },
  'expires-days': { type: 'string' },
  force: { type: 'boolean', default: false },
  'pii-policy': { type: 'string' },
  columns: { type: 'string' },
  k: { type: 'string' },
  'append-seconds': { type: 'string' },
  since: { type: 'string' },
  window: { type: 'string' },
  mqtt: { type: 'string' },
  'no-promote': { type: 'boolean', default: false },
  save: { type: 'boolean', default: false },
  interval: { type: 'string' },
  schedule: { type: 'string' },
  rebuild: { type: 'boolean' },
  from: { type: 'string' },
  query: { type: 'string' },
  share: { type: 'string' },
  retrain: { type: 'boolean', default: false },
  clear: { type: 'boolean', default: false },
  in: { type: 'string' },
  'client-id': { type: 'string' },
  kind: { type: 'string' },
  source: { type: 'string' },
  webhook: { type: 'string' },
  firing: { type: 'boolean', default: false },
  until: { type: 'string' },
  username: { type: 'string' },
  'password-stdin': { type: 'boolean', default: false },
  'token-service': { type: 'string' },
  'token-stdin': { type: 'boolean', default: false },
  remote: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

type Flags = { [K in keyof typeof options]?: (typeof options)[K]['type'] extends 'boolean' ? boolean : string };

function required(flags: Flags, name: keyof Flags): string {
  const v = flags[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

/** `keys generate` (a random store key, base64) and `keys rotate` (current key from the environment, new one given). */
async function keys(rest: string[], flags: Flags, out: Output): Promise<number> {
  if (rest[0] === 'generate') {
    const key = randomBytes(32).toString('base64');
    out.result({ key }, () => key);
    return 0;
  }
  if (rest[0] !== 'rotate') throw new UsageError('keys generate | rotate (--new-key-file FILE | --new-passphrase-stdin)');
  const next =
    flags['new-passphrase-stdin'] === true
      ? { passphrase: (await text(process.stdin)).trim() }
      : flags['new-key-file'] !== undefined
        ? { keyFile: flags['new-key-file'] }
        : null;
  if (next === null)
    throw new UsageError(
      'keys rotate --new-key-file FILE | --new-passphrase-stdin (the current key comes from HEARTH_STORE_KEY_FILE, HEARTH_STORE_KEY or HEARTH_STORE_PASSPHRASE)',
    );
  const dataDir = resolveDataDir(flags['data-dir']);
  const result = rotateStoreKey(dataDir, keySourceFromEnv(), next);
  out.result(
    result,
    () =>
      `Re-keyed the database and ${result.blobs} blobs${result.alreadyDone > 0 ? ` (${result.alreadyDone} were already under the new key)` : ''}. Stop using the old key.`,
  );
  return 0;
}

/** `backup verify FILE` and `backup restore FILE --data-dir DIR [--force]`. */
async function backupFile(rest: string[], flags: Flags, out: Output): Promise<number> {
  const [sub, file] = rest;
  if (file === undefined) throw new UsageError(`backup ${sub} FILE`);
  const passphrase = flags['passphrase-stdin'] === true ? (await text(process.stdin)).trim() : undefined;
  if (sub === 'verify') {
    const result = await verifyBackup(file, passphrase);
    out.result(
      result,
      () =>
        `${file}: ok — ${result.files} files, ${(result.bytes / 1e6).toFixed(1)} MB, every hash matches its manifest, ` +
        (result.integrityChecked
          ? "the database passes SQLite's integrity check"
          : 'the store is encrypted and no key was given, so its database was not opened') +
        `; taken ${result.manifest.createdAt} by Hearth ${result.manifest.hearthVersion}`,
    );
    return 0;
  }
  if (flags['data-dir'] === undefined)
    throw new UsageError('backup restore FILE --data-dir DIR (an empty folder; --force moves its contents aside)');
  const result = await restoreBackup(file, flags['data-dir'], {
    ...optional('passphrase', passphrase),
    force: flags.force === true,
  });
  out.result(
    result,
    () =>
      `Restored ${result.files} files into ${result.dataDir}` +
      (result.replacedTo === null ? '' : `; what it held is now in ${result.replacedTo}`) +
      (result.manifest.includesSecretKey
        ? ''
        : '\n  The backup has no store key: put the original secret.key in the folder (or set HEARTH_SECRET_KEY) to open sealed credentials.'),
  );
  return 0;
}

/** --pii-policy email=hash,dob=generalise:date-of-birth,notes=drop */
function parsePolicies(text: string | undefined): Record<string, { policy: PiiPolicy; type: PiiType | null }> | undefined {
  if (text === undefined) return undefined;
  const out: Record<string, { policy: PiiPolicy; type: PiiType | null }> = {};
  for (const part of text.split(',')) {
    const m = /^([^=]+)=([a-z]+)(?::([a-z0-9-]+))?$/.exec(part.trim());
    if (
      m === null ||
      !(piiPolicies as readonly string[]).includes(m[2]!) ||
      (m[3] !== undefined && !(piiTypes as readonly string[]).includes(m[3]))
    )
      throw new UsageError(
        `--pii-policy takes COLUMN=${piiPolicies.join('|')}[:TYPE], not "${part}" (types: ${piiTypes.join(', ')})`,
      );
    out[m[1]!.trim()] = { policy: m[2] as PiiPolicy, type: (m[3] as PiiType | undefined) ?? null };
  }
  return out;
}

/** `{key: value}` when the value is there, `{}` otherwise: optional properties under exactOptionalPropertyTypes. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

function numberFlag(flags: Flags, name: keyof Flags, integer: boolean): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || Number.isNaN(n) || (integer && !Number.isInteger(n)))
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}`);
  return n;
}

function staticDir(): string {
  return fileURLToPath(new URL('../../renderer/', import.meta.url));
}

export const sampleDataset = {
  name: 'birdstrikes',
  file: fileURLToPath(new URL('../../../resources/samples/birdstrikes.csv', import.meta.url)),
  target: 'Effect Amount of damage',
  model: 'birdstrikes-damage',
};

async function train(
  client: Client,
  out: Output,
  args: Parameters<Client['call']>[1] & object,
): Promise<ApiResults['training.get']> {
  const job = await client.call('training.start', args as never);
  const bar = out.progress('training', 100);
  const unsubscribe = client.on((event) => {
    if (event.name === 'training.progress' && event.data.jobId === job.id) {
      bar.update(
        Math.round(event.data.fraction * 100),
        `${event.data.phase} loss ${Number.isFinite(event.data.loss) ? event.data.loss.toFixed(4) : ''}`,
      );
    }
  });
  const stop = (): void => {
    void client.call('training.cancel', { jobId: job.id });
  };
  process.once('SIGINT', stop);
  try {
    for (;;) {
      const current = await client.call('training.get', { jobId: job.id });
      if (current.status !== 'queued' && current.status !== 'running') return current;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    process.off('SIGINT', stop);
    unsubscribe();
    bar.stop();
  }
}

async function serve(engine: Engine, out: Output, flags: Flags, handlers = createHandlers(engine)): Promise<void> {
  const auth = loadTokenVerifier(engine.db);
  const port = numberFlag(flags, 'port', true) ?? 7420;
  if ((flags['tls-cert'] === undefined) !== (flags['tls-key'] === undefined))
    throw new UsageError('--tls-cert and --tls-key go together');
  const tls =
    flags['tls-cert'] === undefined ? undefined : { cert: readFileSync(flags['tls-cert']), key: readFileSync(flags['tls-key']!) };
  const server = await startHttpServer({
    engine,
    handlers,
    auth,
    host: flags.host ?? '127.0.0.1',
    port,
    allowedHosts: engine.config?.allowedHosts ?? [],
    staticDir: staticDir(),
    ...optional('tls', tls),
  });
  // The background services (sync, alerts, backups, collection, watched folders, pipeline schedules, MQTT streams),
  // the desktop's engine process starts the same ones.
  const services = startServices(engine, {
    service: serviceDoor(engine, handlers),
    schedule: (file) => scheduleDoor(engine, handlers, file),
  });
  const consoleUrl = auth.generatedToken === undefined ? `${server.url}/` : `${server.url}/#token=${auth.generatedToken}`;
  out.result({ url: server.url, console: consoleUrl, dataDir: engine.dataDir, tokenSource: auth.source }, () =>
    [
      `Hearth ${engine.version} listening on ${server.url}`,
      `  data folder: ${engine.dataDir}`,
      auth.generatedToken !== undefined
        ? `  API token (shown once, stored hashed): ${auth.generatedToken}\n  console:     ${consoleUrl}`
        : auth.source === 'env'
          ? `  console:     ${server.url}/  (token: $HEARTH_TOKEN)`
          : `  console:     ${server.url}/  (token: the one printed at first start; \`hearth token reset\` makes a new one)`,
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const shutdown = (): void => {
      void server
        .close()
        .then(() => services.stop())
        .then(() => {
          engine.close();
          resolve();
        });
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
}

async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const flags = parsed.values as Flags;
  const [command, ...rest] = parsed.positionals;
  const out = new Output(flags.json === true);
  if (flags.help === true || command === undefined || command === 'help') {
    process.stdout.write(`${usage}\n`);
    return command === undefined && flags.help !== true ? 2 : 0;
  }
  const known = [
    'start',
    'serve',
    'ingest',
    'datasets',
    'train',
    'evaluate',
    'predict',
    'models',
    'runs',
    'remote',
    'pull',
    'feedback',
    'monitor',
    'alerts',
    'retrain',
    'stream',
    'drift',
    'sync',
    'token',
    'backup',
    'audit',
    'doctor',
    'backends',
    'rules',
    'watch',
    'pipeline',
    'retention',
    'gc',
    'keys',
  ];
  if (!known.includes(command)) throw new UsageError(`unknown command "${command}"`);
  // verify and restore read a backup file, not a store: restore's target must not be opened (it must be empty).
  if (command === 'backup' && (rest[0] === 'verify' || rest[0] === 'restore')) return backupFile(rest, flags, out);
  // Keys work on a closed store (rotate) or none at all (generate).
  if (command === 'keys') return keys(rest, flags, out);
  if (command === 'ingest' && rest.length !== 1 && flags.from === undefined)
    throw new UsageError('ingest takes one FILE, or --from URL --query SQL');
  if ((command === 'evaluate' || command === 'predict') && rest.length !== 1) throw new UsageError(`${command} takes one FILE`);

  const engine = Engine.open(resolveDataDir(flags['data-dir']));
  const handlers = createHandlers(engine);
  const client = createClient(inProcessTransport(engine, handlers));
  let keepOpen = false;
  try {
    switch (command) {
      case 'backup': {
        const passphrase = flags['passphrase-stdin'] === true ? (await text(process.stdin)).trim() : undefined;
        if (rest[0] === 'create') {
          const info = await engine.backup({ ...optional('to', flags.to), ...optional('passphrase', passphrase) });
          out.result(
            info,
            () =>
              `Backed up ${info.files} files (${info.blobs} blobs) to ${info.file}: ${(info.bytes / 1e6).toFixed(1)} MB, ` +
              `sha256 ${info.sha256.slice(0, 16)}…${info.encrypted ? ', encrypted with the store key inside' : ' (not encrypted; the store key is not included)'}`,
          );
          return 0;
        }
        if (rest[0] === 'list') {
          const list = listBackups(engine.backupDir);
          out.result(list, () =>
            list.length === 0
              ? `No backups in ${engine.backupDir}.`
              : list.map((b) => `${b.file}  ${(b.bytes / 1e6).toFixed(1)} MB  ${b.encrypted ? 'encrypted' : 'plain'}`).join('\n'),
          );
          return 0;
        }
        throw new UsageError(
          'backup create [--to FILE] [--passphrase-stdin] | list | verify FILE | restore FILE --data-dir DIR [--force]',
        );
      }
      case 'serve':
        keepOpen = true;
        await serve(engine, out, flags, handlers);
        return 0;
      case 'start': {
        if ((await client.call('datasets.list', {})).length === 0) {
          out.info(`Empty store: ingesting the sample data set (${sampleDataset.file})`);
          await client.call('datasets.ingest', { name: sampleDataset.name, path: sampleDataset.file });
        }
        if ((await client.call('models.list', {})).length === 0) {
          out.info(`Training a first model: ${sampleDataset.model} predicts "${sampleDataset.target}"`);
          const job = await train(client, out, {
            dataset: sampleDataset.name,
            target: sampleDataset.target,
            algorithm: 'linear',
            model: sampleDataset.model,
          });
          if (job.status !== 'succeeded')
            throw new HearthError('INTERNAL', `training the sample model failed: ${job.error?.message ?? job.status}`);
          out.info(`Trained ${job.result!.model} v${job.result!.version}:\n${formatMetrics(job.result!.metrics)}`);
        }
        keepOpen = true;
        await serve(engine, out, flags, handlers);
        return 0;
      }
      case 'ingest': {
        if (flags.from !== undefined) {
          const name = required(flags, 'dataset');
          const result = await client.call('datasets.ingest-query', {
            name,
            from: flags.from,
            query: required(flags, 'query'),
            ...(flags.append === true ? { append: true } : {}),
            ...(flags.force === true ? { force: true } : {}),
          });
          printIngest(out, result, ` from ${describeSource(flags.from)}`);
          return 0;
        }
        const file = rest[0]!;
        if (flags.pii === 'suggest') {
          const scan = await client.call('datasets.pii-scan', {
            path: file,
            ...(flags.format === undefined ? {} : { format: flags.format as ApiArgs<'datasets.ingest'>['format'] }),
          });
          out.result(scan, () =>
            scan.detections.length === 0
              ? `No personal data found in ${scan.rows} rows.`
              : [
                  `Personal data in ${file} (${scan.rows} rows):`,
                  ...scan.detections.map(
                    (d) =>
                      `  ${d.column}: ${d.type} (confidence ${d.confidence.toFixed(2)}, ${d.matched}/${d.sampled} sampled values) → suggested: ${d.suggested}`,
                  ),
                  `Ingest with these policies: hearth ingest ${file} --dataset NAME --pii apply`,
                  `or choose: --pii-policy ${scan.detections.map((d) => `${d.column}=${d.suggested}`).join(',')}`,
                ].join('\n'),
          );
          return 0;
        }
        const name = required(flags, 'dataset');
        if (flags.pii !== undefined && flags.pii !== 'apply') throw new UsageError('--pii takes suggest or apply');
        const pii = flags.pii === 'apply' ? ('suggested' as const) : parsePolicies(flags['pii-policy']);
        const bar = out.progress('reading', 100);
        const unsubscribe = client.on((event) => {
          if (event.name === 'datasets.ingest-progress' && event.data.dataset === name) {
            bar.update(
              Math.round((100 * event.data.bytesRead) / Math.max(1, event.data.totalBytes)),
              `${(event.data.bytesRead / 1e6).toFixed(0)} MB`,
            );
          }
        });
        let result: ApiResults['datasets.ingest'];
        try {
          result = await client.call('datasets.ingest', {
            name,
            path: file,
            ...(flags.delimiter === undefined ? {} : { delimiter: flags.delimiter as ApiArgs<'datasets.ingest'>['delimiter'] }),
            ...(pii === undefined ? {} : { pii }),
            ...(flags.format === undefined ? {} : { format: flags.format as ApiArgs<'datasets.ingest'>['format'] }),
            ...(flags.append === true ? { append: true } : {}),
            ...(flags.force === true ? { force: true } : {}),
          });
        } finally {
          unsubscribe();
          bar.stop();
        }
        printIngest(out, result);
        return 0;
      }
      case 'datasets': {
        const [sub, ref] = rest;
        if (sub === 'list') {
          const list = await client.call('datasets.list', {});
          out.result(list, () =>
            list.length === 0
              ? 'No datasets.'
              : list.map((d) => `${d.name}  v${d.latestVersion}  ${d.rows} rows  ${d.columns} columns`).join('\n'),
          );
          return 0;
        }
        if (sub === 'show' && ref !== undefined) {
          const { name, version } = parseRef(ref);
          const detail = await client.call('datasets.version', { name, ...(version === undefined ? {} : { version }) });
          const quarantine = await client.call('datasets.quarantine', { name, version: detail.version, limit: 20 });
          out.result({ ...detail, quarantine }, () =>
            [
              `${detail.dataset} v${detail.version}: ${detail.rows} rows, ${detail.quarantined} quarantined, ${detail.contentHash}`,
              ...detail.profile.map(
                (p) =>
                  `  ${p.name} (${p.type}): ${p.missing} missing, ${p.distinct} distinct` +
                  (p.mean === null ? '' : `, mean ${p.mean.toPrecision(5)}`),
              ),
              ...quarantine.rows.map((q) => `  quarantined line ${q.line}: ${q.reason}`),
            ].join('\n'),
          );
          return 0;
        }
        if (sub === 'export' && ref !== undefined) {
          // A version written out for another tool: Parquet (by --format or the --out extension) or CSV.
          const { name, version } = parseRef(ref);
          const target = required(flags, 'out');
          const format = flags.format ?? (/\.(parquet|pq)$/i.test(target) ? 'parquet' : 'csv');
          if (format !== 'parquet' && format !== 'csv') throw new UsageError('datasets export writes parquet or csv');
          const { frame, info } = engine.datasets.loadFrame(name, version);
          let bytes: number;
          if (format === 'parquet') bytes = writeParquet(frame, target);
          else {
            const lines = [frame.columns.map((c) => csvCell(c.name)).join(',')];
            for (let r = 0; r < frame.rowCount; r++) lines.push(frame.columns.map((c) => csvCell(cellValue(c, r))).join(','));
            const text = `${lines.join('\n')}\n`;
            writeFileSync(target, text);
            bytes = Buffer.byteLength(text);
          }
          out.result(
            { dataset: name, version: info.version, rows: frame.rowCount, format, out: target, bytes },
            () => `Wrote ${name} v${info.version} (${frame.rowCount} rows) to ${target} as ${format}`,
          );
          return 0;
        }
        if (sub === 'diff' && ref !== undefined && rest[2] !== undefined) {
          const a = parseRef(ref);
          const b = parseRef(rest[2]);
          if (a.version === undefined || b.version === undefined || a.name !== b.name)
            throw new UsageError('datasets diff NAME@A NAME@B (two versions of one dataset)');
          const diff = await client.call('datasets.diff', { name: a.name, from: a.version, to: b.version });
          out.result(diff, () =>
            [
              `${diff.dataset} v${diff.from} → v${diff.to}: ${diff.rows.from} → ${diff.rows.to} rows (${diff.rows.added} added, ${diff.rows.removed} removed)`,
              ...diff.schema.added.map((c) => `  + ${c.column} (${c.type})`),
              ...diff.schema.dropped.map((c) => `  - ${c.column} (${c.type})`),
              ...diff.schema.retyped.map((c) => `  ~ ${c.column}: ${c.from} → ${c.to}`),
              ...diff.distributions
                .filter((d) => d.changed)
                .map((d) => `  distribution of ${d.column} changed (${d.test} ${d.statistic.toPrecision(3)})`),
            ].join('\n'),
          );
          return 0;
        }
        if (sub === 'pii' && ref !== undefined) {
          const policies = await client.call('datasets.pii-policies', { name: ref });
          out.result(policies, () =>
            Object.keys(policies).length === 0
              ? `${ref}: no PII policies`
              : Object.entries(policies)
                  .map(([column, p]) => `${column}: ${p.policy}${p.type === null ? '' : ` (${p.type})`}`)
                  .join('\n'),
          );
          return 0;
        }
        if (sub === 'k-anonymity' && ref !== undefined) {
          const { name, version } = parseRef(ref);
          const columns = required(flags, 'columns')
            .split(',')
            .map((c) => c.trim());
          const report = await client.call('datasets.k-anonymity', {
            name,
            columns,
            ...(version === undefined ? {} : { version }),
            ...optional('k', numberFlag(flags, 'k', true)),
          });
          out.result(report, () =>
            [
              `${report.dataset} v${report.version} over ${report.columns.join(', ')}: k = ${report.k} (${report.groups} groups)`,
              report.groupsBelowK === 0
                ? `  every group has at least ${report.required} rows`
                : `  ${report.groupsBelowK} groups (${report.rowsBelowK} rows) have fewer than ${report.required} rows; smallest:`,
              ...(report.groupsBelowK === 0
                ? []
                : report.smallest.map((g) => `    ${g.values.map((v) => v ?? '∅').join(' | ')}: ${g.rows}`)),
            ].join('\n'),
          );
          return report.groupsBelowK === 0 ? 0 : 1;
        }
        throw new UsageError(
          'datasets takes list, show NAME[@VERSION], diff NAME@A NAME@B, pii NAME or k-anonymity NAME[@V] --columns A,B [--k N]',
        );
      }
      case 'train': {
        const { name: dataset, version: datasetVersion } = parseRef(required(flags, 'dataset'));
        const task = flags.task;
        if (task !== undefined && !['binary', 'multiclass', 'regression'].includes(task))
          throw new UsageError('--task must be binary, multiclass or regression');
        const algorithm = (['linear', 'gbdt', 'forest', 'mlp', 'auto'] as const).find((a) => a === (flags.algorithm ?? 'linear'));
        if (algorithm === undefined) throw new UsageError('--algorithm must be linear, gbdt, forest, mlp or auto');
        const hiddenLayers = flags['hidden-layers']?.split(',').map(Number);
        if (hiddenLayers !== undefined && hiddenLayers.some((u) => !Number.isInteger(u) || u < 1))
          throw new UsageError('--hidden-layers takes positive integers separated by commas, such as 64,32');
        if (flags.search !== undefined && flags.search !== 'full' && flags.search !== 'halving')
          throw new UsageError('--search takes full or halving');
        if (flags.resample !== undefined && flags.resample !== 'smote') throw new UsageError('--resample takes smote');
        if (flags.imbalance !== undefined && flags.imbalance !== 'auto' && flags.imbalance !== 'none')
          throw new UsageError('--imbalance takes auto or none');
        if (flags.threshold !== undefined && flags.threshold !== 'f1' && flags.threshold !== 'cost')
          throw new UsageError('--threshold takes f1 or cost');
        if (flags['class-weight'] !== undefined && flags['class-weight'] !== 'balanced')
          throw new UsageError('--class-weight takes balanced');
        const optional = {
          l2: numberFlag(flags, 'l2', false),
          maxIterations: numberFlag(flags, 'max-iterations', true),
          seed: numberFlag(flags, 'seed', true),
          trees: numberFlag(flags, 'trees', true),
          learningRate: numberFlag(flags, 'learning-rate', false),
          maxLeaves: numberFlag(flags, 'max-leaves', true),
          maxDepth: numberFlag(flags, 'max-depth', true),
          minChildSamples: numberFlag(flags, 'min-child-samples', true),
          l1: numberFlag(flags, 'l1', false),
          rowSubsample: numberFlag(flags, 'row-subsample', false),
          colSubsample: numberFlag(flags, 'col-subsample', false),
          earlyStoppingRounds: numberFlag(flags, 'early-stopping', true),
          threads: numberFlag(flags, 'threads', true),
          featuresPerSplit: numberFlag(flags, 'features-per-split', true),
          folds: numberFlag(flags, 'folds', true),
          timeColumn: flags['time-column'],
          threshold: flags.threshold,
          resample: flags.resample,
          falsePositiveCost: numberFlag(flags, 'fp-cost', false),
          falseNegativeCost: numberFlag(flags, 'fn-cost', false),
          groupColumn: flags['group-column'],
          timeBudget: numberFlag(flags, 'time-budget', false),
          searchStrategy: flags.search,
          metric: flags.metric as ApiArgs<'training.start'>['metric'],
          validationFraction: numberFlag(flags, 'validation-fraction', false),
          testFraction: numberFlag(flags, 'test-fraction', false),
          huberDelta: numberFlag(flags, 'huber-delta', false),
          hiddenLayers,
          epochs: numberFlag(flags, 'epochs', true),
          batchSize: numberFlag(flags, 'batch-size', true),
          dropout: numberFlag(flags, 'dropout', false),
          backend: flags.backend as ApiArgs<'training.start'>['backend'],
          imbalance: flags.imbalance,
          classWeight: flags['class-weight'],
          datasetVersion,
          task: task as Task | undefined,
          model: flags.model,
        };
        const job = await train(client, out, {
          dataset,
          target: required(flags, 'target'),
          algorithm,
          ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
        });
        if (job.status !== 'succeeded')
          throw new HearthError((job.error?.code ?? 'INTERNAL') as 'INTERNAL', job.error?.message ?? `training ${job.status}`);
        const info = await client.call('models.version', { name: job.result!.model, version: job.result!.version });
        out.result(
          {
            model: info.model,
            version: info.version,
            algorithm: info.algorithm,
            task: info.task,
            metrics: info.metrics,
            dataset: info.dataset.name,
            dataset_version: info.dataset.version,
            duration_ms: job.result!.durationMs,
            fit_ms: info.report.fitMs,
            cross_validation: info.report.crossValidation ?? null,
            warnings: info.report.warnings ?? [],
            leaderboard: info.report.leaderboard ?? null,
            evaluated_on: info.report.evaluatedOn,
            peak_rss_mb: info.report.peakRssMb,
            trees: info.report.trees ?? null,
            best_round: info.report.bestRound ?? null,
            backend: info.report.backend ?? null,
            validation_curve: job.history.map((h) => ({
              iteration: h.iteration,
              loss: h.loss,
              validation_loss: h.validationLoss,
            })),
            aliases: info.aliases,
          },
          () =>
            `Trained ${info.model} v${info.version} (${info.algorithm}, ${info.task}) on ${info.dataset.name} v${info.dataset.version} in ${(job.result!.durationMs / 1000).toFixed(1)} s\n${formatMetrics(info.metrics)}` +
            ((info.report.warnings as { message: string }[] | undefined) ?? []).map((w) => `\nwarning: ${w.message}`).join(''),
        );
        return 0;
      }
      case 'evaluate': {
        const { name, version } = parseRef(required(flags, 'model'));
        const snapshot = await client.call('models.evaluate', {
          name,
          ...(version === undefined ? {} : { version }),
          path: rest[0]!,
        });
        out.result(
          snapshot,
          () =>
            `${snapshot.model} v${snapshot.version} on ${snapshot.rows} rows (snapshot ${snapshot.id}):\n${formatMetrics(snapshot.metrics)}`,
        );
        return 0;
      }
      case 'feedback': {
        if (rest.length !== 1) throw new UsageError('feedback takes one FILE');
        const name = required(flags, 'model');
        const target = engine.registry.version(name, engine.registry.resolve(name)).target;
        const { frame } = await readCsv(rest[0]!);
        const idColumn = frame.columns.find((c) => c.name === 'id');
        const labelColumn = frame.columns.find((c) => c.name === target);
        if (idColumn === undefined || labelColumn === undefined)
          throw new HearthError('VALIDATION_FAILED', `the file needs an "id" column and a "${target}" column`);
        const labels: { id: string; label: string | number }[] = [];
        for (let r = 0; r < frame.rowCount; r++) {
          const id = cellValue(idColumn, r);
          const label = cellValue(labelColumn, r);
          if (id !== null && label !== null)
            labels.push({ id: String(id), label: typeof label === 'number' ? label : String(label) });
        }
        const result = await client.call('models.feedback', { name, labels });
        out.result(
          result,
          () =>
            `${result.matched} labels joined${result.unknown.length > 0 ? `; ${result.unknown.length} ids not in the log` : ''}`,
        );
        return 0;
      }
      case 'alerts': {
        const [action, ruleName] = rest;
        const line = (a: { status: string; rule: string; message: string; startedAt: string; resolvedAt: string | null }) =>
          `${a.status === 'firing' ? 'FIRING  ' : 'resolved'}  ${a.rule}: ${a.message} (since ${a.startedAt}${a.resolvedAt === null ? '' : `, until ${a.resolvedAt}`})`;
        if (action === 'list' || action === undefined) {
          const alerts = await client.call('alerts.list', { firing: flags.firing === true });
          out.result(alerts, () => alerts.map(line).join('\n') || 'No alerts.');
          return 0;
        }
        if (action === 'rules') {
          const rules = await client.call('alerts.rules', {});
          out.result(
            rules,
            () =>
              rules
                .map(
                  (r) =>
                    `${r.name}: ${r.model} ${r.kind}${r.metric === null ? '' : ` ${r.source} ${r.metric}`} threshold ${r.threshold} over ${r.windowSeconds} s${r.webhook === null ? '' : ` → ${r.webhook}`}`,
                )
                .join('\n') || 'No alert rules.',
          );
          return 0;
        }
        if (action === 'check') {
          const changed = await client.call('alerts.check', {});
          out.result(changed, () => changed.map(line).join('\n') || 'Nothing changed.');
          return 0;
        }
        if (action === 'remove') {
          if (ruleName === undefined) throw new UsageError('alerts remove NAME');
          out.result(await client.call('alerts.remove-rule', { name: ruleName }), () => `Removed ${ruleName}`);
          return 0;
        }
        if (action === 'add') {
          if (ruleName === undefined) throw new UsageError('alerts add NAME --model M --kind KIND --threshold X');
          const kinds = ['drift', 'metric', 'latency', 'error-rate', 'validation', 'new-rows'] as const;
          const kind = kinds.find((k) => k === flags.kind);
          if (kind === undefined) throw new UsageError(`--kind is one of ${kinds.join(', ')}`);
          const threshold = Number(required(flags, 'threshold'));
          if (!Number.isFinite(threshold)) throw new UsageError('--threshold is a number');
          const source = flags.source === 'estimated' ? 'estimated' : flags.source === 'realised' ? 'realised' : undefined;
          const rule = await client.call('alerts.add-rule', {
            name: ruleName,
            model: required(flags, 'model'),
            kind,
            threshold,
            ...(flags.window === undefined ? {} : { windowSeconds: Number(flags.window) }),
            ...(flags.metric === undefined ? {} : { metric: flags.metric }),
            ...(source === undefined ? {} : { source }),
            ...(flags.webhook === undefined ? {} : { webhook: flags.webhook }),
            retrain: flags.retrain === true,
          });
          out.result(rule, () => `Added alert rule ${rule.name}`);
          return 0;
        }
        throw new UsageError('alerts takes list, rules, check, add or remove');
      }
      case 'retrain': {
        if (rest.length !== 1) throw new UsageError('retrain takes one MODEL');
        const result = await client.call('models.retrain', { name: rest[0]!, promote: flags['no-promote'] !== true });
        const fmt = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));
        out.result(
          result,
          () =>
            `${result.model}: challenger v${result.challenger.version} (${result.dataset.name} v${result.dataset.version}) ${result.metric} ${fmt(result.challenger.score)} ` +
            `against production v${result.production.version} ${fmt(result.production.score)} on ${result.holdoutRows} held-out rows: ` +
            `${result.promoted ? 'promoted' : 'not promoted'} (${result.reason})`,
        );
        return 0;
      }
      case 'stream': {
        const windows = (flags.window ?? '')
          .split(',')
          .filter((w) => w !== '')
          .map((w) => {
            const [field, seconds, kind] = w.split(':');
            if (
              field === undefined ||
              !(Number(seconds) > 0) ||
              (kind !== undefined && kind !== 'sliding' && kind !== 'tumbling')
            )
              throw new UsageError(`--window takes FIELD:SECONDS[:sliding|tumbling], not "${w}"`);
            return { field, seconds: Number(seconds), kind: kind === 'sliding' ? ('sliding' as const) : ('tumbling' as const) };
          });
        const stream = new MqttStream(serviceDoor(engine, handlers), join(engine.dataDir, 'hearth.db'), {
          key: engine.storeKey,
          url: required(flags, 'mqtt'),
          inTopic: required(flags, 'in'),
          outTopic: required(flags, 'out'),
          model: required(flags, 'model'),
          ...(flags['client-id'] === undefined ? {} : { clientId: flags['client-id'] }),
          ...(windows.length === 0 ? {} : { windows }),
          ...(flags.dataset === undefined ? {} : { dataset: flags.dataset }),
          ...optional('appendRows', numberFlag(flags, 'append-rows', true)),
          ...optional('appendSeconds', numberFlag(flags, 'append-seconds', false)),
        });
        await stream.start();
        process.stderr.write(
          `streaming ${stream.options.inTopic} → ${stream.options.model} → ${stream.options.outTopic} (Ctrl-C stops)\n`,
        );
        const report = setInterval(() => {
          const st = stream.stats;
          process.stderr.write(
            `\r${st.received} received, ${st.predicted} predicted, ${st.rejected} rejected${st.datasetVersion === null ? '' : `, ${st.appended} appended (v${st.datasetVersion})`}, ${st.connected ? 'connected' : `reconnecting (${st.lastError ?? ''})`}   `,
          );
        }, 1000);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        clearInterval(report);
        await stream.stop();
        out.result(stream.stats, () => `\nstopped: ${stream.stats.predicted} predicted, ${stream.stats.rejected} rejected`);
        return 0;
      }
      case 'monitor': {
        const { name, version } = parseRef(required(flags, 'model'));
        const span = flags.window ?? 'hour';
        const windowSeconds = span === 'hour' ? 3600 : span === 'day' ? 86400 : Number(span);
        if (!Number.isInteger(windowSeconds) || windowSeconds < 60)
          throw new UsageError('--window is hour, day or a number of seconds (at least 60)');
        const report = await client.call('models.monitor', {
          name,
          windowSeconds,
          ...(version === undefined ? {} : { version }),
          ...(flags.since === undefined ? {} : { since: flags.since }),
          ...(flags.until === undefined ? {} : { until: flags.until }),
        });
        const fmt = (m: Record<string, number> | null) =>
          m === null
            ? '–'
            : Object.entries(m)
                .map(([k, v]) => `${k} ${v.toFixed(3)}`)
                .join(', ');
        out.result(report, () =>
          [
            `${report.model} v${report.version}, windows of ${report.windowSeconds} s:`,
            ...report.windows.map(
              (w) =>
                `${w.start}  ${w.rows} rows, p50 ${w.latencyMs.p50.toFixed(2)} ms, p99 ${w.latencyMs.p99.toFixed(2)} ms, ${w.labelled} labelled\n` +
                `    realised: ${fmt(w.realised)}\n    estimated: ${fmt(w.estimated)}`,
            ),
          ].join('\n'),
        );
        return 0;
      }
      case 'drift': {
        const { name, version } = parseRef(required(flags, 'model'));
        const report = await client.call('models.drift', {
          name,
          ...(version === undefined ? {} : { version }),
          ...(flags.since === undefined ? {} : { since: flags.since }),
          ...(flags.until === undefined ? {} : { until: flags.until }),
        });
        out.result(report, () =>
          [
            `${report.model} v${report.version}: ${report.window.rows} served rows against ${report.reference.dataset} v${report.reference.version} (${report.reference.rows} rows)`,
            ...[...report.features.columns, report.prediction].map(
              (c) =>
                `  ${c.drifted ? 'DRIFT' : 'ok   '}  ${c.column.padEnd(24)} ${c.test.padEnd(13)} ${c.statistic.toFixed(4)}${c.pValue === null ? '' : ` (p ${c.pValue.toPrecision(3)})`}`,
            ),
            ...report.features.skipped.map((k) => `  n/a    ${k.column.padEnd(24)} ${k.reason}`),
            `${report.features.drifted} of ${report.features.columns.length} features drifted (${(report.features.share * 100).toFixed(0)}%): ${report.features.datasetDrifted ? 'the data set has drifted' : 'no data-set drift'}`,
          ].join('\n'),
        );
        return 0;
      }
      case 'pull': {
        if (rest.length !== 1) throw new UsageError('pull takes one oci://… reference');
        const pulled = await client.call('models.pull', {
          url: rest[0]!,
          insecureHttp: flags['insecure-http'] === true,
          ...(flags.alias === undefined ? {} : { alias: flags.alias }),
        });
        out.result(
          pulled,
          () =>
            `${pulled.registered ? 'Pulled' : 'Already had'} ${pulled.model} v${pulled.version} (${pulled.digest})${pulled.alias === null ? '' : `; ${pulled.alias} → v${pulled.version}`}`,
        );
        return 0;
      }
      case 'predict': {
        const batch = await predictFile(engine, required(flags, 'model'), rest[0]!);
        if (flags.out !== undefined) {
          writeFileSync(flags.out, predictionsCsv(batch));
          out.result(
            {
              model: batch.model,
              version: batch.version,
              rows: batch.predictions.length,
              quarantined: batch.quarantined,
              out: flags.out,
              execution_provider: batch.executionProvider,
            },
            () => `Wrote ${batch.predictions.length} predictions to ${flags.out} (ran on ${batch.executionProvider})`,
          );
        } else if (out.json)
          out.result(
            {
              model: batch.model,
              version: batch.version,
              execution_provider: batch.executionProvider,
              predictions: batch.predictions,
            },
            () => '',
          );
        else process.stdout.write(predictionsCsv(batch));
        return 0;
      }
      case 'models': {
        const [sub, name, version] = rest;
        if (sub === 'list') {
          const list = await client.call('models.list', {});
          out.result(list, () =>
            list.length === 0
              ? 'No models.'
              : list
                  .map(
                    (m) =>
                      `${m.name}  ${m.task}  target=${m.target}  latest=v${m.latestVersion}  ${Object.entries(m.aliases)
                        .map(([a, v]) => `${a}=v${v}`)
                        .join(' ')}`,
                  )
                  .join('\n'),
          );
          return 0;
        }
        if (sub === 'promote' && name !== undefined && version !== undefined) {
          const v = Number(version);
          if (!Number.isInteger(v) || v < 1) throw new UsageError('VERSION must be a positive integer');
          const move = await client.call('models.promote', { name, version: v });
          out.result(
            move,
            () =>
              `${move.model}: ${move.alias} → v${move.version} (was ${move.previousVersion === null ? 'unset' : `v${move.previousVersion}`})`,
          );
          return 0;
        }
        if (sub === 'report' && name !== undefined) {
          const { name: model, version: v } = parseRef(name);
          const report = await client.call('models.report', { name: model, ...(v === undefined ? {} : { version: v }) });
          const target = flags.out ?? report.fileName;
          writeFileSync(target, report.html);
          out.result(
            { out: target, bytes: Buffer.byteLength(report.html) },
            () => `Wrote ${target} (${Buffer.byteLength(report.html)} bytes)`,
          );
          return 0;
        }
        if (sub === 'import') {
          if (name === undefined || flags.name === undefined) throw new UsageError('models import FILE.onnx --name NAME');
          const list = (text: string | undefined) => (text === undefined ? undefined : text.split(',').map((s) => s.trim()));
          const classes = list(flags.classes);
          const features = list(flags.features);
          const task = flags.task as 'binary' | 'multiclass' | 'regression' | undefined;
          const info = await client.call('models.import', {
            name: flags.name,
            path: name,
            ...(flags.target === undefined ? {} : { target: flags.target }),
            ...(task === undefined ? {} : { task }),
            ...(classes === undefined ? {} : { classes }),
            ...(features === undefined ? {} : { features }),
            ...(flags.reference === undefined ? {} : { referencePath: flags.reference }),
            ...(flags.alias === undefined ? {} : { alias: flags.alias }),
          });
          out.result(
            info,
            () =>
              `Imported ${info.model} v${info.version} (${info.task}, predicts "${info.target}")\n` +
              `  inputs: ${info.inputSchema.map((i) => `${i.name}:${i.type}`).join(', ')}`,
          );
          return 0;
        }
        if (sub === 'rollback' && name !== undefined) {
          const move = await client.call('models.rollback', { name });
          out.result(move, () => `${move.model}: ${move.alias} rolled back to v${move.version} (was v${move.previousVersion})`);
          return 0;
        }
        if (sub === 'canary' || sub === 'shadow' || sub === 'route') {
          if (name === undefined) throw new UsageError(`models ${sub} NAME …`);
          let route;
          if (sub === 'route') {
            route =
              flags.clear === true
                ? await client.call('models.set-route', { name, canary: null, shadow: null })
                : await client.call('models.route', { name });
          } else {
            const v = version === undefined ? NaN : Number(version);
            if (!Number.isInteger(v) || v < 1) throw new UsageError(`models ${sub} NAME VERSION`);
            if (sub === 'canary') {
              const share = Number(flags.share ?? '0.1');
              route = await client.call('models.set-route', { name, canary: { version: v, share } });
            } else route = await client.call('models.set-route', { name, shadow: v });
          }
          out.result(
            route,
            () =>
              `${route.model}: ${route.canary === null ? 'no canary' : `canary v${route.canary.version} answers ${(route.canary.share * 100).toFixed(0)}% of requests`}; ` +
              `${route.shadow === null ? 'no shadow' : `shadow v${route.shadow} predicts every request (logged, not returned)`}`,
          );
          return 0;
        }
        throw new UsageError(
          'models takes list, promote NAME VERSION, rollback NAME, report NAME[@VERSION], canary NAME VERSION [--share F], shadow NAME VERSION, or route NAME [--clear]',
        );
      }
      case 'runs': {
        const [sub, ...ids] = rest;
        if (sub === 'list') {
          const runs = await client.call('runs.list', {});
          out.result(runs, () =>
            runs.length === 0
              ? 'No runs.'
              : runs
                  .map((r) => {
                    const metric = Object.entries(r.metrics)[0];
                    return `${r.id.slice(0, 8)}  ${r.status.padEnd(9)} ${r.algorithm.padEnd(7)} ${r.dataset}→${r.target}  ${r.model === null ? '' : `${r.model} v${r.version}`}  ${metric === undefined ? '' : `${metric[0]} ${metric[1].toFixed(4)}`}`;
                  })
                  .join('\n'),
          );
          return 0;
        }
        const resolveId = async (prefix: string): Promise<string> => {
          const matches = (await client.call('runs.list', {})).filter((r) => r.id.startsWith(prefix));
          if (matches.length !== 1) throw new UsageError(`"${prefix}" matches ${matches.length} runs; give more of the id`);
          return matches[0]!.id;
        };
        if (sub === 'show' && ids.length === 1) {
          const detail = await client.call('runs.show', { id: await resolveId(ids[0]!) });
          out.result(detail, () =>
            [
              `run ${detail.run.id}: ${detail.run.status}, ${detail.run.algorithm} on ${detail.run.dataset} v${detail.run.datasetVersion ?? '?'} → ${detail.run.target}`,
              `arguments: ${JSON.stringify(detail.args)}`,
              detail.error === null ? formatMetrics(detail.run.metrics) : `error: ${detail.error.message}`,
            ].join('\n'),
          );
          return 0;
        }
        if (sub === 'compare' && ids.length >= 2) {
          const comparison = await client.call('runs.compare', { ids: await Promise.all(ids.map(resolveId)) });
          out.result(comparison, () => {
            const header = ['metric', ...comparison.runs.map((r) => `${r.id.slice(0, 8)} ${r.algorithm}`)];
            const rows = comparison.metrics.map((m) => [
              m,
              ...comparison.runs.map((r) => (r.metrics[m] ?? Number.NaN).toFixed(4)),
            ]);
            return [header, ...rows].map((r) => r.map((c) => c.padEnd(18)).join('')).join('\n');
          });
          return 0;
        }
        throw new UsageError('runs takes list, show ID, or compare ID ID…');
      }
      case 'remote': {
        const [action, name, url] = rest;
        if (action === 'add') {
          if (name === undefined || url === undefined) throw new UsageError('remote add NAME oci://HOST[:PORT]/REPOSITORY');
          // Secrets come on standard input, never as arguments (which other users can read in the process list).
          if (flags['password-stdin'] === true && flags.username === undefined)
            throw new UsageError('--password-stdin needs --username');
          const secret =
            flags['password-stdin'] === true || flags['token-stdin'] === true ? (await text(process.stdin)).trim() : undefined;
          const remote = await client.call('remotes.add', {
            name,
            url,
            insecureHttp: flags['insecure-http'] === true,
            ...(flags['token-stdin'] === true && secret !== undefined ? { token: secret } : {}),
            ...(flags['password-stdin'] === true && secret !== undefined ? { username: flags.username, password: secret } : {}),
            ...(flags['token-service'] === undefined ? {} : { tokenService: flags['token-service'] }),
          });
          out.result(remote, () => `Added remote ${remote.name} (${remote.url}); ${remote.pending} events to send`);
          return 0;
        }
        if (action === 'remove') {
          if (name === undefined) throw new UsageError('remote remove NAME');
          out.result(await client.call('remotes.remove', { name }), () => `Removed remote ${name}`);
          return 0;
        }
        if (action === 'list') {
          const remotes = await client.call('remotes.list', {});
          out.result(remotes, () =>
            remotes.length === 0
              ? 'No remotes.'
              : remotes
                  .map(
                    (r) =>
                      `${r.name}  ${r.url}  pending ${r.pending}, sent ${r.sent}${r.lastError ? `, last error: ${r.lastError}` : ''}`,
                  )
                  .join('\n'),
          );
          return 0;
        }
        if (action === 'follow' || action === 'unfollow') {
          if (name === undefined || url === undefined || flags.alias === undefined)
            throw new UsageError(`remote ${action} NAME MODEL --alias ALIAS`);
          if (action === 'unfollow') {
            out.result(
              await client.call('remotes.unfollow', { remote: name, model: url, alias: flags.alias }),
              () => 'Stopped following',
            );
            return 0;
          }
          await client.call('remotes.follow', { remote: name, model: url, alias: flags.alias });
          // The first check runs now, so the command says whether the remote alias could be pulled.
          const follows = await client.call('sync.follow', {});
          const f = follows.find((x) => x.remote === name && x.model === url && x.alias === flags.alias)!;
          out.result(f, () => followLine(f));
          return f.status === 'current' ? 0 : 1;
        }
        throw new UsageError('remote takes add, list, remove, follow or unfollow');
      }
      case 'sync': {
        if (rest[0] === 'status') {
          const status = await client.call('sync.status', {});
          out.result(
            status,
            () =>
              `pending ${status.pending}, sent ${status.sent}, failed attempts ${status.failed}${status.last_error ? `\nlast error: ${status.last_error}` : ''}` +
              status.follows.map((f) => `\n${followLine(f)}`).join(''),
          );
          return 0;
        }
        if (rest[0] === 'follow') {
          const follows = await client.call('sync.follow', {});
          out.result(follows, () => follows.map(followLine).join('\n') || 'This box follows no remote alias.');
          return follows.some((f) => f.status === 'failed' || f.status === 'rolled-back') ? 1 : 0;
        }
        if (rest[0] === 'push') {
          const results = await client.call('sync.push', flags.remote === undefined ? {} : { remote: flags.remote });
          out.result(
            results,
            () =>
              results.map((r) => `${r.remote}: sent ${r.sent}${r.error ? `, stopped: ${r.error}` : ''}`).join('\n') ||
              'No remotes.',
          );
          return results.some((r) => r.error !== null) ? 1 : 0;
        }
        throw new UsageError('sync takes status, push or follow');
      }
      case 'token': {
        const [sub, name] = rest;
        if (sub === 'reset') {
          const token = resetToken(engine.db);
          // Replacing the admin credential (and ending its console sessions) is the change an audit log exists for.
          engine.access.audit({
            actor: process.env.USER ?? 'local',
            role: 'admin',
            transport: 'in-process',
            remote: null,
            action: 'tokens.reset',
            target: 'bootstrap',
            outcome: 'ok',
            code: null,
          });
          // A server started with $HEARTH_TOKEN keeps that token for its life and never reads the stored one.
          const note =
            process.env.HEARTH_TOKEN !== undefined && process.env.HEARTH_TOKEN !== ''
              ? '\nNote: HEARTH_TOKEN is set here; a server started with it keeps using it until restarted without it.'
              : '';
          out.result({ token }, () => `New bootstrap (admin) token (shown once): ${token}${note}`);
          return 0;
        }
        if (sub === 'create' && name !== undefined) {
          const role = required(flags, 'role') as ApiArgs<'tokens.create'>['role'];
          const created = await client.call('tokens.create', {
            name,
            role,
            ...optional('expiresInDays', numberFlag(flags, 'expires-days', false)),
          });
          out.result(
            created,
            () =>
              `Token ${created.name} (${created.role}${created.expiresAt === null ? '' : `, expires ${created.expiresAt}`}), shown once:\n${created.token}`,
          );
          return 0;
        }
        if (sub === 'list') {
          const list = await client.call('tokens.list', {});
          out.result(list, () =>
            list.length === 0
              ? 'No named tokens (the bootstrap token is always admin).'
              : list
                  .map(
                    (t) =>
                      `${t.name}  ${t.role}  created ${t.createdAt}` +
                      (t.revokedAt !== null
                        ? `  revoked ${t.revokedAt}`
                        : t.expiresAt !== null
                          ? `  expires ${t.expiresAt}`
                          : ''),
                  )
                  .join('\n'),
          );
          return 0;
        }
        if (sub === 'revoke' && name !== undefined) {
          const revoked = await client.call('tokens.revoke', { name });
          out.result(revoked, () => `Revoked ${revoked.name}; its console sessions are closed.`);
          return 0;
        }
        throw new UsageError(
          'token create NAME --role admin|analyst|viewer|service [--expires-days N] | list | revoke NAME | reset',
        );
      }
      case 'retention': {
        const [sub, kind, name] = rest;
        if (sub === 'set' && (kind === 'dataset' || kind === 'model') && name !== undefined) {
          const rule = await client.call('retention.set', {
            kind,
            name,
            keepVersions: numberFlag(flags, 'keep-versions', true) ?? null,
            logDays: numberFlag(flags, 'log-days', false) ?? null,
          });
          out.result(rule, () =>
            rule.kind === 'dataset'
              ? `${rule.name}: keep the newest ${rule.keepVersions} versions (and any a model was trained on)`
              : `${rule.name}: keep ${rule.logDays} days of prediction log`,
          );
          return 0;
        }
        if (sub === 'list') {
          const rules = await client.call('retention.list', {});
          out.result(rules, () =>
            rules.length === 0
              ? 'No retention rules: everything is kept.'
              : rules
                  .map(
                    (r) =>
                      `${r.kind} ${r.name}: ${r.kind === 'dataset' ? `${r.keepVersions} versions` : `${r.logDays} days of log`}`,
                  )
                  .join('\n'),
          );
          return 0;
        }
        throw new UsageError('retention set dataset NAME --keep-versions N | set model NAME --log-days D | list');
      }
      case 'gc': {
        const report = await client.call('store.gc', { dryRun: flags['dry-run'] === true });
        out.result(
          report,
          () =>
            `${report.dryRun ? 'Would remove' : 'Removed'} ${report.datasetVersionsRemoved.length} dataset versions, ` +
            `${report.predictionLogRowsRemoved} prediction-log rows, ${report.blobsRemoved} blobs and ${report.orphanFilesRemoved} stray files ` +
            `(${(report.bytesFreed / 1e6).toFixed(1)} MB)`,
        );
        return 0;
      }
      case 'watch': {
        const dir = rest[0];
        if (dir === undefined) throw new UsageError('watch DIR --dataset NAME [--interval SECONDS]');
        const watcher = new FolderWatcher(
          engine.db,
          serviceDoor(engine, handlers),
          { dir, dataset: required(flags, 'dataset'), ...optional('intervalSeconds', numberFlag(flags, 'interval', false)) },
          (event) =>
            out.result(watchEventJson(event), () =>
              event.kind === 'appended'
                ? `${event.file}: appended ${event.result.appended} rows as ${event.result.dataset} v${event.result.version}${event.result.quarantined > 0 ? ` (${event.result.quarantined} quarantined)` : ''}`
                : event.kind === 'skipped'
                  ? `${event.file}: skipped, ${event.reason}`
                  : `${event.file}: not appended: ${event.message}`,
            ),
        );
        keepOpen = true;
        out.info(`Watching ${dir} for ${watcher.options.dataset} (Ctrl-C stops)`);
        watcher.start();
        await new Promise<void>((resolve) => {
          const stop = () => void watcher.stop().then(resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        engine.close();
        return 0;
      }
      case 'pipeline': {
        const code = await pipelineCommand(rest, flags, out, client, engine);
        if (code === 'scheduled') keepOpen = true;
        return code === 'scheduled' ? 0 : code;
      }
      case 'rules': {
        const [sub, ref, file] = rest;
        if (ref === undefined)
          throw new UsageError('rules suggest NAME[@V] [--save] | show NAME | set NAME FILE.json | check NAME[@V]');
        const { name, version } = parseRef(ref);
        const at = version === undefined ? {} : { version };
        if (sub === 'suggest') {
          const suggested = await client.call('rules.suggest', { name, ...at });
          if (flags.save === true) await client.call('rules.set', { name, rules: suggested });
          out.result(
            suggested,
            () => `${JSON.stringify(suggested, null, 2)}${flags.save === true ? `\nSaved as ${name}'s rules.` : ''}`,
          );
          return 0;
        }
        if (sub === 'show') {
          const rules = await client.call('rules.get', { name });
          out.result(rules, () => (rules.length === 0 ? `${name} has no rules.` : JSON.stringify(rules, null, 2)));
          return 0;
        }
        if (sub === 'set' && file !== undefined) {
          let rules: unknown;
          try {
            rules = JSON.parse(readFileSync(file, 'utf8'));
          } catch (error) {
            throw new HearthError('VALIDATION_FAILED', `${file} is not a JSON array of rules: ${(error as Error).message}`);
          }
          const saved = await client.call('rules.set', { name, rules: rules as ApiArgs<'rules.set'>['rules'] });
          out.result(saved, () => `Saved ${saved.length} rules for ${name}.`);
          return 0;
        }
        if (sub === 'check') {
          const check = await client.call('rules.check', { name, ...at });
          out.result(
            {
              passed: check.passed,
              failed: check.failed.map((f) => ({
                rule: f.rule,
                column: f.column,
                rows: f.rows,
                severity: f.severity,
                detail: f.detail,
              })),
            },
            () =>
              check.passed
                ? `${check.dataset} v${check.version}: all ${check.rules} rules hold.`
                : [
                    `${check.dataset} v${check.version}: ${check.failed.length} of ${check.rules} rules fail:`,
                    ...check.failed.map((f) => `  ${f.rule} [${f.severity}]: ${f.detail}`),
                  ].join('\n'),
          );
          return check.passed ? 0 : 1;
        }
        if (sub === 'report') {
          const report = await client.call('rules.report', { name, ...at });
          const target = flags.out ?? report.fileName;
          writeFileSync(target, report.html);
          out.result({ out: target, bytes: Buffer.byteLength(report.html) }, () => `Wrote ${target}`);
          return 0;
        }
        throw new UsageError(
          'rules suggest NAME[@V] [--save] | show NAME | set NAME FILE.json | check NAME[@V] | report NAME[@V]',
        );
      }
      case 'doctor': {
        const report = await client.call('system.backends', { refresh: true });
        out.result(report.backends, () => formatBackends(report));
        return 0;
      }
      case 'backends': {
        const [sub, runtime, name] = rest;
        if ((sub !== 'pin' && sub !== 'unpin') || (runtime !== 'tfjs' && runtime !== 'onnxruntime'))
          throw new UsageError('backends pin tfjs|onnxruntime NAME | unpin tfjs|onnxruntime');
        if (sub === 'pin' && name === undefined) throw new UsageError('backends pin takes a runtime and a back end name');
        const report = await client.call('system.pin-backend', {
          runtime,
          name: sub === 'pin' ? (name as ApiArgs<'system.pin-backend'>['name']) : null,
        });
        out.result(report.backends, () => formatBackends(report));
        return 0;
      }
      case 'audit': {
        const entries = await client.call('audit.list', { ...optional('limit', numberFlag(flags, 'limit', true)) });
        out.result(
          entries,
          () =>
            entries
              .map(
                (e) =>
                  `${e.at}  ${e.actor}${e.role === null ? '' : ` (${e.role})`}  ${e.transport}${e.remote === null ? '' : ` ${e.remote}`}  ${e.action}${e.target === null ? '' : ` ${e.target}`}  ${e.outcome}${e.code === null ? '' : ` ${e.code}`}`,
              )
              .join('\n') || 'The audit log is empty.',
        );
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } finally {
    if (!keepOpen) engine.close();
  }
}

function pipelineRunLine(run: ApiResults['pipelines.run']): string {
  const inputs = run.inputs
    .map(
      (i) =>
        `${i.dataset} v${i.version}${i.role === 'rows' ? ` (+${i.rows} rows${i.removed === undefined ? '' : `, ${i.removed} removed upstream`})` : ' (lookup)'}`,
    )
    .join(', ');
  switch (run.status) {
    case 'up-to-date':
      return `${run.pipeline}: up to date, no new rows in ${inputs}`;
    case 'failed':
      return `${run.pipeline}: failed: ${run.error ?? ''}`;
    case 'cancelled':
      return `${run.pipeline}: cancelled, nothing written`;
    case 'succeeded':
      return run.output.version === null
        ? `${run.pipeline}: read ${run.rowsIn} new rows from ${inputs}; none reached the output${run.quarantined > 0 ? ` (${run.quarantined} set aside)` : ''}`
        : `${run.pipeline} (file v${run.pipelineVersion}): ${run.rowsIn} ${run.mode === 'rebuild' ? 'input rows (rebuild)' : 'new rows'} from ${inputs} → ${run.rowsOut} rows ${run.mode === 'rebuild' ? 'written' : 'appended'} as ${run.output.dataset} v${run.output.version}${run.quarantined > 0 ? `, ${run.quarantined} set aside` : ''}`;
  }
}

/** `hearth pipeline …`; 'scheduled' when it keeps running on a schedule until stopped. */
async function pipelineCommand(
  rest: string[],
  flags: Flags,
  out: Output,
  client: Client,
  engine: Engine,
): Promise<number | 'scheduled'> {
  const [sub, ref] = rest;
  const fileArgs = (file: string | undefined) => {
    if (file === undefined) throw new UsageError(`pipeline ${sub} FILE`);
    return { definition: readFileSync(file, 'utf8'), baseDir: dirname(resolvePath(file)) };
  };
  switch (sub) {
    case 'run': {
      const args = fileArgs(ref);
      if (flags.rebuild === true && flags.schedule !== undefined)
        throw new UsageError('--rebuild is a one-off: run it without --schedule');
      const once = async (): Promise<ApiResults['pipelines.run']> => {
        const bar = out.progress('pipeline', 1);
        const unsubscribe = client.on((event) => {
          if (event.name !== 'pipelines.progress') return;
          const p = event.data;
          const where = p.phase === 'step' ? `step ${p.step}/${p.steps}` : p.phase;
          if (process.stderr.isTTY)
            bar.update(p.phase === 'step' ? (p.step ?? 0) / (p.steps + 1) : p.phase === 'commit' ? 1 : 0, `${where} ${p.label}`);
          else out.info(`${p.pipeline}: ${where}: ${p.label} (${p.rows} rows)`);
        });
        // Ctrl-C cancels the run between steps (recorded as cancelled, nothing written) instead of killing it.
        let name: string | null = null;
        try {
          name = parsePipeline(args.definition).name;
        } catch {
          // The run itself reports what is wrong with the file.
        }
        const cancel = () => {
          if (name !== null) engine.pipelines.cancel(name);
        };
        if (flags.schedule === undefined) process.once('SIGINT', cancel);
        try {
          return await client.call('pipelines.run', { ...args, ...(flags.rebuild === true ? { rebuild: true } : {}) });
        } finally {
          process.off('SIGINT', cancel);
          unsubscribe();
          bar.stop();
        }
      };
      if (flags.schedule === undefined) {
        const result = await once();
        out.result(result, () => pipelineRunLine(result));
        return 0;
      }
      const path = ref!;
      const unsubscribeProgress = client.on((event) => {
        if (event.name !== 'pipelines.progress') return;
        const p = event.data;
        out.info(`${p.pipeline}: ${p.phase === 'step' ? `step ${p.step}/${p.steps}` : p.phase}: ${p.label}`);
      });
      const job = new PipelineSchedule(
        schedulePipeline({ schedule: (file) => scheduleDoor(engine, createHandlers(engine), file) }, path),
        path,
        flags.schedule,
        (outcome) => {
          if (outcome.ok) out.result(outcome.run, () => `${new Date().toISOString()} ${pipelineRunLine(outcome.run)}`);
          else
            out.result(
              { error: serializeError(outcome.error) },
              () => `${new Date().toISOString()} failed: ${(outcome.error as Error).message}`,
            );
          const next = job.nextRun();
          if (next !== null) out.info(`next run ${next.toISOString()}`);
        },
      );
      out.info(`Running ${path} on "${flags.schedule}"; first run ${job.nextRun()?.toISOString() ?? 'never'} (Ctrl-C stops)`);
      job.start();
      await new Promise<void>((resolveStop) => {
        const stop = () => {
          job.stop();
          unsubscribeProgress();
          resolveStop();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      return 'scheduled';
    }
    case 'preview': {
      const preview = await client.call('pipelines.preview', {
        ...fileArgs(ref),
        ...optional('limit', numberFlag(flags, 'limit', true)),
        sampleRows: 5,
      });
      out.result(preview, () =>
        [
          `${preview.pipeline}: next run reads ${preview.inputs.map((i) => `${i.dataset} v${i.version} (${i.role === 'rows' ? `${i.rows} new rows` : 'lookup'})`).join(', ')}${preview.truncated ? ' (preview on the first rows only)' : ''}`,
          ...preview.steps.flatMap((st) => [
            `  ${st.index}. ${st.label} → ${st.rows} rows, ${st.columns.length} columns${st.setAside > 0 ? `, ${st.setAside} set aside` : ''}`,
            ...(st.sample.length > 0 ? [`     ${JSON.stringify(st.sample[0])}`] : []),
          ]),
        ].join('\n'),
      );
      return 0;
    }
    case 'list': {
      const list = await client.call('pipelines.list', {});
      out.result(list, () =>
        list.length === 0
          ? 'No pipelines yet: hearth pipeline run FILE'
          : list
              .map(
                (p) =>
                  `${p.name} → ${p.output} (${p.versions} file version${p.versions === 1 ? '' : 's'}); last run: ${p.lastRun === null ? 'never' : `${p.lastRun.status} ${p.lastRun.finishedAt}`}`,
              )
              .join('\n'),
      );
      return 0;
    }
    case 'runs': {
      if (ref === undefined) throw new UsageError('pipeline runs NAME');
      const runs = await client.call('pipelines.runs', { name: ref, ...optional('limit', numberFlag(flags, 'limit', true)) });
      out.result(runs, () => runs.map((r) => `#${r.id} ${r.finishedAt} ${pipelineRunLine(r)}`).join('\n'));
      return 0;
    }
    case 'show': {
      if (ref === undefined) throw new UsageError('pipeline show NAME[@VERSION]');
      const [name, at] = ref.split('@');
      const def = await client.call('pipelines.definition', {
        name: name!,
        ...optional('version', at === undefined ? undefined : Number(at)),
      });
      out.result(def, () => `# ${def.name} v${def.version} (${def.createdAt})\n${def.definition}`);
      return 0;
    }
    default:
      throw new UsageError('pipeline run FILE [--schedule CRON] | preview FILE [--limit N] | list | runs NAME | show NAME[@V]');
  }
}

function followLine(f: FollowInfo): string {
  const where = f.localVersion === null ? 'nothing pulled yet' : `local v${f.localVersion}`;
  return `follow ${f.remote}/${f.model}:${f.alias}: ${f.status}, ${where}${f.lastError === null ? '' : ` — ${f.lastError}`}`;
}

function predictionsCsv(batch: Awaited<ReturnType<typeof predictFile>>): string {
  const columns = batch.frame.columns;
  const header = columns.map((c) => c.name);
  const classes = batch.matrix.kind === 'classification' ? batch.matrix.classes : [];
  if (batch.matrix.kind === 'classification') header.push('prediction', ...classes.map((c) => `probability_${c}`));
  else header.push('prediction');
  const lines = [header.map(csvCell).join(',')];
  batch.predictions.forEach((p, r) => {
    const cells = columns.map((c) => csvCell(cellValue(c, r)));
    if ('label' in p) cells.push(csvCell(p.label), ...classes.map((c) => String(p.probabilities[c])));
    else cells.push(String(p.value));
    lines.push(cells.join(','));
  });
  return `${lines.join('\n')}\n`;
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const json = argv.includes('--json');
  try {
    process.exitCode = await run(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'USAGE', message: error.message } })}\n`);
      else process.stderr.write(`hearth: ${error.message}\n\nRun \`hearth --help\` for usage.\n`);
      process.exitCode = 2;
      return;
    }
    const e = serializeError(error);
    if (e.code === 'INTERNAL' && !(error instanceof HearthError)) console.error(error);
    if (json) process.stdout.write(`${JSON.stringify({ error: e })}\n`);
    else process.stderr.write(`hearth: ${e.message} [${e.code}]\n`);
    process.exitCode = 1;
  }
}

function formatBackends(report: ApiResults['system.backends']): string {
  const lines: string[] = [];
  for (const runtime of ['tfjs', 'onnxruntime'] as const) {
    const pin = report.pins[runtime];
    lines.push(
      `${runtime === 'tfjs' ? 'TensorFlow.js (training)' : 'ONNX Runtime (serving)'}${pin === null ? '' : `, pinned: ${pin}`}`,
    );
    for (const b of report.backends.filter((x) => x.runtime === runtime)) {
      const mark = b.status === 'selected' ? '*' : b.status === 'available' ? '+' : '-';
      lines.push(
        `  ${mark} ${b.name.padEnd(15)} ${b.status.padEnd(11)} ${b.device === null ? '' : `[${b.device}${b.software ? ', software' : ''}] `}${b.reason}`,
      );
    }
  }
  lines.push(`(* selected, + available, - unavailable; probed ${report.probedAt})`);
  return lines.join('\n');
}

/** A new version's report, for a file or a query alike: counts, columns, schema changes and the rules that failed. */
function printIngest(out: Output, result: ApiResults['datasets.ingest'], from = ''): void {
  out.result(
    {
      dataset: result.dataset,
      version: result.version,
      rows: result.rows,
      quarantined: result.quarantined,
      columns: result.columns,
      content_hash: result.contentHash,
      rules_failed: result.rulesFailed ?? [],
      schema_changes: result.schemaChanges ?? null,
    },
    () =>
      `Ingested ${result.rows} rows into ${result.dataset} v${result.version}${from}` +
      (result.quarantined > 0
        ? ` (${result.quarantined} quarantined: see \`hearth datasets show ${result.dataset}@${result.version}\`)`
        : '') +
      `\n${result.columns.map((c) => `  ${c.name}: ${c.type}`).join('\n')}` +
      formatSchemaChanges(result.schemaChanges) +
      (result.rulesFailed === undefined || result.rulesFailed.length === 0
        ? ''
        : `\nRules that did not hold:\n${result.rulesFailed.map((f) => `  ${f.rule} [${f.severity}]: ${f.detail}`).join('\n')}`),
  );
}

function formatSchemaChanges(changes: ApiResults['datasets.ingest']['schemaChanges']): string {
  if (changes === undefined) return '';
  const lines = [
    ...changes.added.map((c) => `  + ${c.column} (${c.type})`),
    ...changes.dropped.map((c) => `  - ${c.column} (${c.type})`),
    ...changes.retyped.map((c) => `  ~ ${c.column}: ${c.from} → ${c.to}${c.widening ? ' (widened)' : ' (narrowed, forced)'}`),
    ...changes.newLevels.map(
      (c) => `  * ${c.column}: ${c.count} new levels (${c.levels.slice(0, 5).join(', ')}${c.count > 5 ? ', …' : ''})`,
    ),
  ];
  return lines.length === 0 ? '' : `\nSchema changes against the previous version:\n${lines.join('\n')}`;
}
