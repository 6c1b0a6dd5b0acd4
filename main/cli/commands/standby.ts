import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTokenVerifier } from '../../api/auth.js';
import { createHandlers, type Handlers } from '../../api/handlers.js';
import { type RunningServer, startHttpServer } from '../../api/http-server.js';
import { scheduleDoor, serviceDoor } from '../../api/in-process.js';
import type { RequestLogMode } from '../../api/request-log.js';
import { standbyHandlers } from '../../api/replica.js';
import { HearthError } from '../../contracts/errors.js';
import { readPrivateKeyFile } from '../../crypto/private-fs.js';
import { resolveDataDir } from '../../engine/data-dir.js';
import { Engine, restoreLagSeconds } from '../../engine/engine.js';
import { type RunningServices, startServices } from '../../engine/services.js';
import type { HearthConfig } from '../../settings/file-schema.js';
import { configPath, effectiveConfig, readConfigFile, storeKeySource } from '../../settings/resolve.js';
import {
  promoteStandby,
  readStandbyState,
  recoverStandbySwap,
  swapInRestore,
  writeStandbyState,
  type StandbyState,
} from '../../store/standby-state.js';
import { StandbyFollower, type PreparedRestore, type StandbyControl, type StandbySource } from '../../sync/standby.js';
import { daemonLog } from '../daemon.js';
import { type Command, type Flags, UsageError } from '../command.js';
import type { Output } from '../output.js';
import { serverSetting, staticDir } from './serve.js';

export const standbyCommand: Command = {
  name: 'standby',
  summary: "keep this box restored from the writer's newest shipped backup, serving it read-only until promoted",
  usage: `  standby --from oci://HOST[:PORT]/REPOSITORY|REMOTE [--insecure-http] [--interval S] [--host H] [--port P]
                                      follow the backups a writer ships (config backups.remote) to that registry
                                      (REMOTE: a name in this box's config \`remotes\`, with its credentials): every S
                                      seconds (10) the newest is downloaded when its digest is new, checked whole,
                                      restored into a new folder and swapped in; a damaged one is refused and the last
                                      restore serves on. Read-only (every change refused) until \`promote-standby\`;
                                      GET /readyz answers 200 once a backup is restored. Needs the writer's store key
                                      (HEARTH_STORE_KEY_FILE) and, for passphrase backups, its backups.passphraseFile`,
  run: async ({ flags, out, keepOpen }) => {
    keepOpen();
    await runStandby(flags, out);
    return 0;
  },
};

export const promoteStandbyCommand: Command = {
  name: 'promote-standby',
  summary: 'make a standby the writer: it stops following and takes writes, and stays the writer after a restart',
  usage: `  promote-standby                     mark the standby's data folder as the writer (sync.promote-standby); a running
                                      \`hearth standby\` takes writes from its next check; refused before its first restore`,
  run: async ({ out, open }) => {
    const { client } = open();
    const info = await client.call('sync.promote-standby', {});
    out.result(
      info,
      () =>
        `Promoted: this box is the writer since ${info.promotedAt}, serving the backup of ${info.backupCreatedAt} ` +
        `(${info.digest?.slice(0, 19)}…). A running \`hearth standby\` takes writes from its next check; restart it as \`hearth serve\`.`,
    );
    return 0;
  },
};

/** `--from`: an oci:// URL, or a remote named in the config file (its credentials read from their files). */
function standbySource(from: string, insecureHttp: boolean, config: HearthConfig | null): StandbySource {
  if (from.startsWith('oci://')) return { url: from, insecureHttp };
  const remote = config?.remotes.find((r) => r.name === from);
  if (remote === undefined)
    throw new UsageError(`--from ${from}: give oci://HOST[:PORT]/REPOSITORY or the name of a remote in the config file`);
  const secret = (file: string): string => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      throw new HearthError('VALIDATION_FAILED', `remote ${from}: cannot read the secret file ${file}`);
    }
  };
  const credentials =
    remote.tokenFile !== undefined
      ? { token: secret(remote.tokenFile) }
      : remote.username !== undefined
        ? { username: remote.username, password: secret(remote.passwordFile!) }
        : undefined;
  return {
    url: remote.url,
    insecureHttp: insecureHttp || remote.insecureHttp === true,
    ...(credentials === undefined ? {} : { credentials }),
  };
}

async function runStandby(flags: Flags, out: Output): Promise<void> {
  if (flags.from === undefined) throw new UsageError('standby --from oci://HOST[:PORT]/REPOSITORY (or a remote name)');
  const intervalSeconds = flags.interval === undefined ? 10 : Number(flags.interval);
  if (!Number.isFinite(intervalSeconds) || intervalSeconds < 0.2 || intervalSeconds > 86_400)
    throw new UsageError('--interval is seconds between checks, 0.2 to 86400');
  const dataDir = resolveDataDir(flags['data-dir']);
  recoverStandbySwap(dataDir);
  const config = effectiveConfig(readConfigFile(configPath(dataDir)));
  const source = standbySource(flags.from, flags['insecure-http'] === true, config);
  const previous = readStandbyState(dataDir);
  if (previous?.role === 'writer')
    throw new HearthError(
      'CONFLICT',
      `${dataDir} was promoted to writer at ${previous.promotedAt}: serve it with \`hearth serve\`, or follow into another folder`,
    );
  // A folder holding a store that never was a standby's is somebody's data: a restore would move it aside.
  if (previous === null && existsSync(join(dataDir, 'hearth.db')))
    throw new HearthError(
      'CONFLICT',
      `${dataDir} holds a store that is not a standby's: a standby restores into a folder of its own (an empty one)`,
    );
  let state: StandbyState = {
    role: 'standby',
    from: source.url,
    digest: previous?.digest ?? null,
    backupCreatedAt: previous?.backupCreatedAt ?? null,
    restoredAt: previous?.restoredAt ?? null,
    promotedAt: null,
  };
  writeStandbyState(dataDir, state);
  const passphraseFile = config?.backups?.passphraseFile;
  const follower = new StandbyFollower(dataDir, source, {
    keySource: storeKeySource(config),
    ...(passphraseFile === undefined ? {} : { passphrase: readPrivateKeyFile(passphraseFile, 'backup passphrase file').trim() }),
  });
  const log = daemonLog();
  let role: 'standby' | 'writer' = 'standby';
  // The server, its handlers and its token check stay up across restores: each reaches the engine of the current
  // restore, so a swap costs no request (live(), below).
  let engine = Engine.open(dataDir);
  let handlers = createHandlers(engine);
  let auth = loadTokenVerifier(engine.db);
  const liveEngine = live(() => engine);
  // Calls running on each engine: one set aside by a restore is closed once the last of them has answered.
  const inFlight = new Map<Engine, number>();
  const retiring = new Set<Engine>();
  const retire = (old: Engine): void => {
    if ((inFlight.get(old) ?? 0) > 0 || !retiring.delete(old)) return;
    old.close();
  };
  const liveHandlers = standbyHandlers(
    Object.fromEntries(
      Object.keys(handlers).map((method) => [
        method,
        async (args: never, context: never) => {
          // The engine and its handlers as they are when the call starts: it finishes on them.
          const [own, theirs] = [engine, handlers];
          inFlight.set(own, (inFlight.get(own) ?? 0) + 1);
          try {
            return await theirs[method as 'system.info'](args, context);
          } finally {
            const left = inFlight.get(own)! - 1;
            if (left === 0) inFlight.delete(own);
            else inFlight.set(own, left);
            retire(own);
          }
        },
      ]),
    ) as unknown as Handlers,
    () => role === 'standby',
  );
  const value = serverSetting(engine, flags);
  const control: StandbyControl = {
    info: () => ({
      role,
      from: state.from,
      digest: state.digest,
      backupCreatedAt: state.backupCreatedAt,
      restoredAt: state.restoredAt,
      promotedAt: state.promotedAt,
      lagSeconds: restoreLagSeconds(state.backupCreatedAt, state.restoredAt),
      lastCheckAt: follower.lastCheckAt,
      lastError: follower.lastError,
    }),
    promote: () => exclusive(promote),
  };
  engine.standby = control;
  const server: RunningServer = await startHttpServer({
    engine: liveEngine,
    handlers: liveHandlers,
    auth: {
      verify: (token) => auth.verify(token),
      verifyDigest: (hex) => auth.verifyDigest(hex),
      generatedToken: auth.generatedToken,
      source: auth.source,
    },
    host: value('server.host') as string,
    port: value('server.port') as number,
    allowedHosts: engine.config?.allowedHosts ?? [],
    staticDir: staticDir(),
    requestLog: { mode: value('server.requestLog') as RequestLogMode, write: log },
    readinessGate: () => (state.digest === null ? 'no backup restored yet' : null),
  });
  let services: RunningServices | null = null;

  // Checks, swaps and the promotion run one at a time.
  let chain: Promise<unknown> = Promise.resolve();
  function exclusive<T>(task: () => Promise<T>): Promise<T> {
    const next = chain.then(task, task);
    chain = next.catch(() => undefined);
    return next;
  }

  /**
   * The new restore takes the data folder's place while the old engine still answers (its open files live on in
   * the folder set aside); once the new one is open, requests reach it, and the old one is closed.
   */
  async function swap(prepared: PreparedRestore): Promise<void> {
    const started = Date.now();
    const swapped = swapInRestore(prepared.dir, dataDir);
    let next: Engine;
    try {
      next = Engine.open(dataDir);
    } catch (error) {
      swapped.undo();
      throw error;
    }
    // The models its aliases name are loaded before it answers: the first request after a restore is not a cold one.
    await warm(next);
    const old = engine;
    next.standby = control;
    [engine, handlers, auth] = [next, createHandlers(next), loadTokenVerifier(next.db)];
    old.standby = null;
    // Requests already running on the old engine finish on it (their files are open, in the folder set aside).
    retiring.add(old);
    retire(old);
    swapped.commit();
    // A promotion written meanwhile by another process (`hearth promote-standby`) is kept.
    const onDisk = readStandbyState(dataDir);
    state = {
      ...state,
      ...(onDisk?.role === 'writer' ? { role: 'writer', promotedAt: onDisk.promotedAt } : {}),
      digest: prepared.digest,
      backupCreatedAt: prepared.backupCreatedAt,
      restoredAt: new Date().toISOString(),
    };
    writeStandbyState(dataDir, state);
    log('info', 'restored', `restored the backup of ${prepared.backupCreatedAt} (${prepared.digest})`, {
      digest: prepared.digest,
      backupCreatedAt: prepared.backupCreatedAt,
      lagSeconds: restoreLagSeconds(state.backupCreatedAt, state.restoredAt),
      swapMs: Date.now() - started,
    });
  }

  async function promote(): Promise<void> {
    if (role === 'writer') return;
    state = promoteStandby(dataDir);
    role = 'writer';
    clearInterval(timer);
    // The writer's background services, scheduled backups and their shipping included, start now.
    services = startServices(engine, {
      service: serviceDoor(engine, liveHandlers),
      schedule: (file) => scheduleDoor(engine, liveHandlers, file),
    });
    log('info', 'promoted', `promoted to writer, serving the backup of ${state.backupCreatedAt}`, { digest: state.digest });
  }

  const tick = (): Promise<void> =>
    exclusive(async () => {
      if (role === 'writer') return;
      try {
        if (readStandbyState(dataDir)?.role === 'writer') {
          await promote();
          return;
        }
        const prepared = await follower.check();
        if (prepared !== null) await swap(prepared);
      } catch (error) {
        log('warn', 'standby', `check failed, the last restore serves on: ${(error as Error).message}`);
      }
    });
  const timer = setInterval(() => void tick(), intervalSeconds * 1000);
  void tick();

  const started = { url: server.url, dataDir, from: source.url, mode: 'standby', intervalSeconds };
  // Not on a terminal (a service manager's journal), the start is a log line like every other, as `hearth serve`'s.
  if (flags.json !== true && process.stdout.isTTY !== true)
    daemonLog(process.stdout)('info', 'listening', `Hearth ${engine.version} standby listening on ${server.url}`, started);
  else
    out.result(started, () =>
      [
        `Hearth ${engine.version} standby listening on ${server.url} (read-only until promoted)`,
        `  following:   ${follower.repository} every ${intervalSeconds} s`,
        `  data folder: ${dataDir}`,
      ].join('\n'),
    );
  await new Promise<void>((resolve) => {
    let stopping = false;
    const shutdown = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      clearInterval(timer);
      log('info', 'stopping', `${signal}: stopping the standby`, { signal });
      void chain
        .then(() => server.drain(5000))
        .then(() => services?.stop())
        .finally(() => {
          for (const old of retiring) old.close();
          engine.close();
          log('info', 'stopped', 'stopped: store closed');
          resolve();
        });
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
}

/** Loads the versions each model's aliases name (at most the predictor cache's 16); one that fails is left cold. */
async function warm(engine: Engine): Promise<void> {
  const versions = engine.registry
    .list()
    .flatMap((m) => [...new Set(Object.values(m.aliases))].map((version) => [m.name, version] as const))
    .slice(0, 16);
  for (const [model, version] of versions) await engine.predictors.get(model, version).catch(() => undefined);
}

/**
 * An engine that is whichever `current()` gives at each use: the HTTP server holds this one across restores.
 * A method is bound to the engine it was read from, so a call started before a swap finishes on that engine.
 */
function live(current: () => Engine): Engine {
  const proxy: Engine = new Proxy({} as Engine, {
    get: (_target, property) => {
      const engine = current();
      const value: unknown = Reflect.get(engine, property, engine);
      if (typeof value !== 'function') return value;
      // The server's upload sweep runs for its whole life: each sweep is of the engine current then.
      return (value as (...args: unknown[]) => unknown).bind(property === 'startUploadSweep' ? proxy : engine);
    },
  });
  return proxy;
}
