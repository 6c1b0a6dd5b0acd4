import { join } from 'node:path';
import type { Client, ServiceDoor } from '../contracts/client.js';
import { serializeError } from '../contracts/errors.js';
import { PipelineSchedule, type RunPipeline } from '../data/pipeline-schedule.js';
import { FolderWatcher, type WatchEvent } from '../data/watch-folder.js';
import { pruneBackups } from '../store/backup.js';
import { readPrivateKeyFile } from '../crypto/private-fs.js';
import { MqttStream } from '../streams/mqtt-stream.js';
import { numberSetting } from '../settings/resolve.js';
import { redactText } from '../security/redact.js';
import type { Engine } from './engine.js';

/**
 * How the background services enter the API: through dispatch, each under its own identity (main/api/in-process.ts
 * serviceDoor and scheduleDoor). The host builds them, so the engine needs nothing from the API floor above it.
 */
export interface ServiceDoors {
  /** MQTT streams and watched folders: each a `service` principal under its own name. */
  service: ServiceDoor;
  /** A scheduled pipeline: `schedule:<file>`, with the analyst's rights. */
  schedule: (file: string) => Pick<Client, 'call'>;
}

export interface ServiceOptions {
  /** Where each outcome goes, as one JSON line (default: stderr). */
  log?: (line: string) => void;
}

export interface RunningServices {
  /** Stops every service, waiting for what is under way (a sync drain, an alert check, a stream's last append). */
  stop(): Promise<void>;
}

/**
 * The background services of a long-running host, started from the engine's config the same way by `hearth serve`
 * and the desktop's engine process: the sync agent, alert checks (and the drift history riding on them), scheduled
 * backups, retention and blob collection (every 6 hours unless retention.collectEveryHours says otherwise), watched folders, pipeline schedules and MQTT streams.
 */
export function startServices(engine: Engine, doors: ServiceDoors, options: ServiceOptions = {}): RunningServices {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const json = (record: Record<string, unknown>): void => log(JSON.stringify(record));
  // The sync agent drains the outbox in the background (a no-op without remotes), and the alert rules are checked
  // every minute.
  // A followed alias is checked every sync.followEverySeconds; the loop ticks at least that often (10 s otherwise).
  const followEveryMs = (numberSetting('sync.followEverySeconds', engine.config) ?? 60) * 1000;
  engine.sync.start({ followEveryMs, intervalMs: Math.min(10_000, followEveryMs) });
  // A promotion or rollback is pushed at once, not at the next tick: replicas following the alias see it a poll later.
  const stopKicking = engine.events.subscribe((event) => {
    if (event.name === 'models.did-move-alias') engine.sync.kick();
  });
  engine.alerts.start();
  const backups = scheduleBackups(engine, json);
  // Retention and blob collection every retention.collectEveryHours (6); a failure is logged and tried again next time.
  const collectHours = numberSetting('retention.collectEveryHours', engine.config) ?? 6;
  const collector = setInterval(() => {
    void engine.collectGarbage().then(
      (report) => json({ level: 'info', event: 'gc', ...report }),
      (error: unknown) => json({ level: 'error', event: 'gc', message: String(error) }),
    );
  }, collectHours * 3600_000);
  collector.unref();
  // MQTT pipelines from the config file; one that cannot reach its broker now keeps trying without holding the rest.
  const streams = (engine.config?.streams ?? []).map(
    (st) =>
      new MqttStream(doors.service, join(engine.dataDir, 'hearth.db'), {
        key: engine.storeKey,
        url: st.mqtt,
        inTopic: st.in,
        outTopic: st.out,
        model: st.model,
        ...(st.clientId === undefined ? {} : { clientId: st.clientId }),
        ...(st.windows === undefined ? {} : { windows: st.windows }),
        ...(st.dataset === undefined ? {} : { dataset: st.dataset }),
        ...(st.appendRows === undefined ? {} : { appendRows: st.appendRows }),
        ...(st.appendSeconds === undefined ? {} : { appendSeconds: st.appendSeconds }),
      }),
  );
  const watchers = (engine.config?.watch ?? []).map(
    (w) =>
      new FolderWatcher(
        engine.db,
        doors.service,
        { dir: w.dir, dataset: w.dataset, ...(w.intervalSeconds === undefined ? {} : { intervalSeconds: w.intervalSeconds }) },
        (event) => {
          engine.services.recordWatch(w.dir, event);
          json({
            level: event.kind === 'failed' ? 'error' : 'info',
            event: 'watch',
            dataset: w.dataset,
            ...watchEventJson(event),
          });
        },
      ),
  );
  for (const w of watchers) w.start();
  const schedules = (engine.config?.pipelines ?? []).map(
    (p) =>
      new PipelineSchedule(schedulePipeline(doors, p.file), p.file, p.schedule, (outcome) =>
        json(
          outcome.ok
            ? {
                level: 'info',
                event: 'pipeline',
                file: p.file,
                run: outcome.run.id,
                status: outcome.run.status,
                rowsIn: outcome.run.rowsIn,
                rowsOut: outcome.run.rowsOut,
                output: outcome.run.output,
              }
            : { level: 'error', event: 'pipeline', file: p.file, error: serializeError(outcome.error) },
        ),
      ),
  );
  for (const s of schedules) s.start();
  engine.services.attach(streams);
  for (const st of streams)
    st.start().catch((error: unknown) =>
      // The message may quote the broker's URL with its password: the log gets it redacted.
      log(`stream ${st.options.inTopic}: ${redactText(error instanceof Error ? error.message : String(error))}`),
    );
  return {
    stop: async () => {
      stopKicking();
      engine.services.detach();
      await engine.sync.stop();
      await engine.alerts.stop();
      clearInterval(backups);
      clearInterval(collector);
      await Promise.all(streams.map((st) => st.stop().catch(() => undefined)));
      await Promise.all(watchers.map((w) => w.stop()));
      schedules.forEach((s) => s.stop());
    },
  };
}

/** The config's scheduled backups: one every `everyHours`, the newest `keep` kept; each outcome is a JSON log line. */
function scheduleBackups(engine: Engine, json: (record: Record<string, unknown>) => void): NodeJS.Timeout | undefined {
  const plan = engine.config?.backups;
  if (plan === undefined) return undefined;
  const take = async (): Promise<void> => {
    try {
      // A passphrase file is a key file: one that others may read is refused, as a store key file is.
      const passphrase =
        plan.passphraseFile === undefined ? undefined : readPrivateKeyFile(plan.passphraseFile, 'backup passphrase file').trim();
      const info = await engine.backup({
        ...(passphrase === undefined ? {} : { passphrase }),
        ...(plan.remote === undefined ? {} : { remote: plan.remote }),
      });
      const removed = pruneBackups(engine.backupDir, plan.keep);
      const shipped =
        info.shipped === null ? {} : { remote: info.shipped.remote, digest: info.shipped.digest, shipMs: info.shipped.ms };
      json({ level: 'info', event: 'backup', file: info.file, bytes: info.bytes, removed, ...shipped });
    } catch (error) {
      json({ level: 'error', event: 'backup', message: (error as Error).message });
    }
  };
  const timer = setInterval(() => void take(), plan.everyHours * 3600_000);
  timer.unref();
  return timer;
}

/** A scheduled pipeline's runs: through dispatch, as the schedule's own identity (`schedule:<file>`). */
export function schedulePipeline(doors: Pick<ServiceDoors, 'schedule'>, file: string): RunPipeline {
  const door = doors.schedule(file);
  return (definition, baseDir) => door.call('pipelines.run', { definition, baseDir });
}

/** A watched folder's event as a JSON record (the server's log line, `hearth watch --json`). */
export function watchEventJson(event: WatchEvent): Record<string, unknown> {
  return event.kind === 'appended'
    ? {
        kind: event.kind,
        file: event.file,
        version: event.result.version,
        appended: event.result.appended,
        quarantined: event.result.quarantined,
      }
    : { ...event };
}
