import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BaselineComparison } from '../../contracts/api.js';
import { loadTokenVerifier } from '../../api/auth.js';
import { createHandlers } from '../../api/handlers.js';
import { type RunningServer, startHttpServer } from '../../api/http-server.js';
import { scheduleDoor, serviceDoor } from '../../api/in-process.js';
import type { RequestLogMode } from '../../api/request-log.js';
import { HearthError } from '../../contracts/errors.js';
import { type Engine } from '../../engine/engine.js';
import { type RunningServices, startServices } from '../../engine/services.js';
import { configPath, resolveSetting } from '../../settings/resolve.js';
import { settingsByKey } from '../../settings/settings.js';
import { replicaHandlers } from '../../api/replica.js';
import { readStandbyState } from '../../store/standby-state.js';
import { daemonLog, type DaemonLog, systemdNotifier } from '../daemon.js';
import { type Output, formatMetrics } from '../output.js';
import { type Command, type Flags, UsageError, optional } from '../command.js';
import { runTraining } from './training.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the API, the web console and REST predictions, with the background services of the config',
  usage: `  serve [--host H] [--port P] [--tls-cert FILE --tls-key FILE] [--drain-seconds S]
        [--request-log off|errors|all] [--replica]
                                      serve the API, the web console and REST predictions (HTTPS with a certificate);
                                      each option overrides its HEARTH_* variable and the config file (\`config show\`);
                                      SIGTERM lets requests in flight finish (at most S s, 10 by default), then exits 0;
                                      --replica (server.mode replica): read-only, serving the aliases the config's
                                      \`follow\` list follows (checked every sync.followEverySeconds), every method that
                                      changes state refused; it listens once it has checked what it follows (a
                                      restarted replica never answers with an outdated version); GET /readyz answers
                                      200 once each followed model answers`,
  run: async ({ flags, out, keepOpen, open }) => {
    const { engine, handlers } = open();
    keepOpen();
    await serve(engine, out, flags, handlers);
    return 0;
  },
};

export const startCommand: Command = {
  name: 'start',
  summary: 'serve, after ingesting the sample data set and training a first model when the store is empty',
  usage: `  start                               serve, after ingesting the sample and training a first model if the store is empty`,
  run: async ({ flags, out, keepOpen, open }) => {
    const { engine, handlers, client } = open();
    if ((await client.call('datasets.list', {})).length === 0) {
      out.info(`Empty store: ingesting the sample data set (${sampleDataset.file})`);
      await client.call('datasets.ingest', { name: sampleDataset.name, path: sampleDataset.file });
    }
    if ((await client.call('models.list', {})).length === 0) {
      out.info(`Training a first model: ${sampleDataset.model} predicts "${sampleDataset.target}"`);
      const job = await runTraining(client, out, {
        dataset: sampleDataset.name,
        target: sampleDataset.target,
        // A search, not a fixed learner: the linear model once scored accuracy 0.891 where always answering "None"
        // scores 0.894. A short budget keeps the first start quick; the baseline check warns if it is not enough.
        algorithm: 'auto',
        timeBudget: sampleDataset.timeBudget,
        model: sampleDataset.model,
      });
      if (job.status !== 'succeeded')
        throw new HearthError('INTERNAL', `training the sample model failed: ${job.error?.message ?? job.status}`);
      const info = await client.call('models.version', { name: job.result!.model, version: job.result!.version });
      const warnings = (info.report.warnings as { code?: string; message: string }[] | undefined) ?? [];
      out.info(
        `Trained ${info.model} v${info.version}:\n${formatMetrics(info.metrics, info.report.baseline as BaselineComparison | undefined)}` +
          warnings
            .filter((w) => w.code === 'BELOW_BASELINE')
            .map((w) => `\nwarning: ${w.message}`)
            .join(''),
      );
    }
    keepOpen();
    await serve(engine, out, flags, handlers);
    return 0;
  },
};

export function staticDir(): string {
  return fileURLToPath(new URL('../../../renderer/', import.meta.url));
}

export const sampleDataset = {
  name: 'birdstrikes',
  file: fileURLToPath(new URL('../../../../resources/samples/birdstrikes.csv', import.meta.url)),
  target: 'Effect Amount of damage',
  model: 'birdstrikes-damage',
  /** Seconds of search for the first model. */
  timeBudget: 20,
};

/** A server setting as the host resolves it: defaults < the config file < HEARTH_* variables < flags. */
export function serverSetting(engine: Engine, flags: Flags): (key: string) => string | number | undefined {
  const layers = { file: engine.config, filePath: configPath(engine.dataDir), env: process.env, flags };
  return (key) => {
    try {
      return resolveSetting(settingsByKey.get(key)!, layers).value;
    } catch (error) {
      // A bad flag is a usage error (exit 2), as it always was; a bad variable or file value is a failure (exit 1).
      if (error instanceof HearthError && error.message.startsWith('--')) throw new UsageError(error.message);
      throw error;
    }
  };
}

async function serve(engine: Engine, out: Output, flags: Flags, all = createHandlers(engine)): Promise<void> {
  const value = serverSetting(engine, flags);
  // A standby's data folder serves through `hearth standby` until it is promoted: served here as a writer, it
  // would take writes its next restore throws away, and ship stale backups over the writer's.
  const standby = readStandbyState(engine.dataDir);
  if (standby?.role === 'standby')
    throw new HearthError(
      'CONFLICT',
      `${engine.dataDir} is a standby's data folder: run \`hearth standby --from ${standby.from}\` to follow the writer, or \`hearth promote-standby\` to make it the writer`,
    );
  const replica = flags.replica === true || value('server.mode') === 'replica';
  // A replica writes no data: watched folders, scheduled pipelines and streams would each fail on every run, so a
  // config that asks for them is refused before the server listens, naming them.
  const writers = (['watch', 'pipelines', 'streams'] as const).filter((key) => (engine.config?.[key].length ?? 0) > 0);
  if (replica && writers.length > 0)
    throw new HearthError(
      'VALIDATION_FAILED',
      `this server is a replica: it writes no data, so ${writers.join(', ')} cannot run on it; configure them on the ` +
        'central box',
    );
  // A replica with nothing to follow would serve nothing and never be ready: refused before it listens.
  if (replica && engine.sync.listFollows().length === 0)
    throw new HearthError(
      'VALIDATION_FAILED',
      'this server is a replica: it serves only the aliases it follows, and it follows none. Name a remote and what to ' +
        'follow in the config file ("remotes" and "follow", or HEARTH_REMOTES and HEARTH_FOLLOW), or run `hearth remotes follow`',
    );
  // Every transport below (HTTP, the background services' doors) goes through the same refusing handlers.
  const handlers = replica ? replicaHandlers(all) : all;
  const [tlsCert, tlsKey] = [value('server.tlsCert') as string | undefined, value('server.tlsKey') as string | undefined];
  if ((tlsCert === undefined) !== (tlsKey === undefined))
    throw flags['tls-cert'] !== undefined || flags['tls-key'] !== undefined
      ? new UsageError('--tls-cert and --tls-key go together')
      : new HearthError('VALIDATION_FAILED', 'server.tlsCert and server.tlsKey go together');
  const tls = tlsCert === undefined ? undefined : { cert: readFileSync(tlsCert), key: readFileSync(tlsKey!) };
  const log = daemonLog();
  if (replica) await catchUp(engine, log);
  const auth = loadTokenVerifier(engine.db);
  const requestLog = value('server.requestLog') as RequestLogMode;
  const server = await startHttpServer({
    engine,
    handlers,
    auth,
    host: value('server.host') as string,
    port: value('server.port') as number,
    allowedHosts: engine.config?.allowedHosts ?? [],
    staticDir: staticDir(),
    requestLog: { mode: requestLog, write: daemonLog() },
    ...optional('tls', tls),
  });
  // The background services (sync, alerts, backups, collection, watched folders, pipeline schedules, MQTT streams),
  // the desktop's engine process starts the same ones.
  const services = startServices(engine, {
    service: serviceDoor(engine, handlers),
    schedule: (file) => scheduleDoor(engine, handlers, file),
  });
  void warmServing(engine, log);
  const consoleUrl = auth.generatedToken === undefined ? `${server.url}/` : `${server.url}/#token=${auth.generatedToken}`;
  const mode = replica ? 'replica' : 'normal';
  const started = { url: server.url, console: consoleUrl, dataDir: engine.dataDir, tokenSource: auth.source, mode };
  const human = [
    `Hearth ${engine.version} listening on ${server.url}${replica ? ' (replica: read-only, following the central box)' : ''}`,
    `  data folder: ${engine.dataDir}`,
    auth.generatedToken !== undefined
      ? `  API token (shown once, stored hashed): ${auth.generatedToken}\n  console:     ${consoleUrl}`
      : auth.source === 'env'
        ? `  console:     ${server.url}/  (token: $HEARTH_TOKEN)`
        : `  console:     ${server.url}/  (token: the one printed at first start; \`hearth token reset\` makes a new one)`,
  ].join('\n');
  // Not on a terminal (a service manager's journal), the start is a log line like every other: one JSON object.
  if (flags.json !== true && process.stdout.isTTY !== true)
    daemonLog(process.stdout)('info', 'listening', `Hearth ${engine.version} listening on ${server.url}`, started);
  else out.result(started, () => human);
  const notifier = systemdNotifier(log);
  notifier.ready(`listening on ${server.url}`, () => engine.db.prepare('SELECT 1').get() !== undefined);
  const drainMs = (value('server.drainSeconds') as number) * 1000;
  await new Promise<void>((resolve) => {
    let stopping = false;
    const shutdown = (signal: NodeJS.Signals): void => {
      if (stopping) return log('info', 'stopping', `${signal}: already stopping`);
      stopping = true;
      log('info', 'stopping', `${signal}: finishing the requests in flight (at most ${drainMs / 1000} s)`, { signal });
      notifier.stopping();
      void stop(server, services, drainMs, log).finally(() => {
        // The prediction log's last rows written, the write-ahead log checkpointed into the database, closed.
        engine.close();
        log('info', 'stopped', 'stopped: requests answered, logs written, store checkpointed and closed');
        resolve();
      });
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
}

/** How long a starting replica waits for its first follow check before it listens regardless. */
const catchUpMs = 30_000;

/**
 * A restarted replica still holds the version it served before it stopped, and the central box may have promoted
 * another meanwhile. So it checks what it follows once before it opens its port: behind a balancer its connections
 * are refused until then and go to the other replicas, instead of being answered by the old version. A registry
 * that does not answer within catchUpMs (or fails) does not keep it down: it then serves what it has (offline first),
 * says so in the log, and the background loop keeps checking.
 */
async function catchUp(engine: Engine, log: DaemonLog): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const checked = await Promise.race([
    engine.sync.checkFollows(),
    new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), catchUpMs))),
  ]).catch(() => engine.sync.listFollows());
  clearTimeout(timer);
  if (checked === null) {
    log('warn', 'follow', `the first follow check took over ${catchUpMs / 1000} s: serving what this box has meanwhile`);
    return;
  }
  const behind = checked.filter((f) => f.status !== 'current');
  const follows = checked.map((f) => ({ model: f.model, alias: f.alias, status: f.status, version: f.localVersion }));
  if (behind.length === 0) log('info', 'follow', 'caught up with every followed alias before listening', { follows });
  else log('warn', 'follow', `${behind.length} of ${checked.length} followed not current before listening`, { follows });
}

/** Drains the server, then stops the background services (each bounded: a stuck one cannot hold the stop). */
async function stop(server: RunningServer, services: RunningServices, drainMs: number, log: DaemonLog): Promise<void> {
  const { cut } = await server.drain(drainMs);
  if (cut) log('warn', 'stopping', `requests still running after ${drainMs / 1000} s were cut`);
  let timer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([
    services.stop().then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 5000))),
  ]);
  clearTimeout(timer);
  if (!stopped) log('warn', 'stopping', 'the background services did not stop within 5 s; closing the store regardless');
}

/**
 * Loads each model's default version (production, else its latest) for serving once the server listens, in the
 * background: the first prediction then does not wait for the serving threads, ONNX Runtime and the session (1.3–1.7
 * s on a 2-core box). Says what it loaded, and what did not load, in the log; never fails the server. Loading probes
 * the back ends (in a child process): a GBDT kernel the probe found unusable (it grew other trees than the TypeScript
 * kernel's, say) is logged too, and the fits this server runs pass it over.
 */
async function warmServing(engine: Engine, log: DaemonLog): Promise<void> {
  const started = Date.now();
  try {
    const versions = engine.registry.list().flatMap((m) => {
      try {
        return [{ model: m.name, version: engine.registry.resolve(m.name) }];
      } catch {
        return [];
      }
    });
    if (versions.length === 0) return;
    const { loaded, failed } = await engine.predictors.warm(versions);
    for (const kernel of engine.accel.gbdtUnusable())
      log(
        'info',
        'gbdt-kernel-unusable',
        `the ${kernel.name} GBDT kernel is unusable here (${kernel.reason}): tree fits pass it over`,
        {
          kernel: kernel.name,
        },
      );
    for (const f of failed) log('warn', 'warm-failed', `${f.key} did not load for serving: ${f.message}`, { version: f.key });
    log('info', 'warmed', `${loaded.length} model version(s) loaded for serving in ${Date.now() - started} ms`, {
      loaded,
      failed: failed.map((f) => f.key),
    });
  } catch (e) {
    log('warn', 'warm-failed', `loading models for serving ahead of requests failed: ${(e as Error).message}`);
  }
}
