import { serviceDoor } from '../../api/in-process.js';
import { MqttStream } from '../../streams/mqtt-stream.js';
import { join } from 'node:path';
import { FolderWatcher } from '../../data/watch-folder.js';
import { watchEventJson } from '../../engine/services.js';
import { type Command, UsageError, optional, numberFlag, required } from '../command.js';

export const streamCommand: Command = {
  name: 'stream',
  summary: 'MQTT rows in, predictions out, until stopped',
  usage: `  stream --mqtt mqtt://HOST:PORT --in TOPIC --out TOPIC --model NAME [--client-id ID]
         [--window FIELD:SECONDS[:sliding],…] [--dataset NAME [--append-rows N] [--append-seconds S]]
                                      JSON rows in, predictions out, at least once, until stopped; answered rows
                                      appended to a dataset as new versions (every 1,000 rows or 60 s)`,
  run: async ({ flags, out, open }) => {
    const { engine, handlers } = open();
    const windows = (flags.window ?? '')
      .split(',')
      .filter((w) => w !== '')
      .map((w) => {
        const [field, seconds, kind] = w.split(':');
        if (field === undefined || !(Number(seconds) > 0) || (kind !== undefined && kind !== 'sliding' && kind !== 'tumbling'))
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
  },
};

export const watchCommand: Command = {
  name: 'watch',
  summary: 'append each new file in a folder to a dataset, until stopped',
  usage: `  watch DIR --dataset NAME [--interval SECONDS]
                                      append each new file in DIR (CSV, JSON, NDJSON, Parquet) to the dataset once,
                                      when it has stopped changing; the server does this for the config's "watch"`,
  run: async ({ rest, flags, out, keepOpen, open }) => {
    const { engine, handlers } = open();
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
    keepOpen();
    out.info(`Watching ${dir} for ${watcher.options.dataset} (Ctrl-C stops)`);
    watcher.start();
    await new Promise<void>((resolve) => {
      const stop = () => void watcher.stop().then(resolve);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    engine.close();
    return 0;
  },
};

export const servicesCommand: Command = {
  name: 'services',
  summary: "the config's streams, watched folders and pipeline schedules, and what each did",
  usage: `  services                            the config's MQTT streams (broker credentials redacted), watched folders with
                                      the files appended once to their datasets, and pipeline schedules; live
                                      counters and failures are the running server's (its console: Operations)`,
  run: async ({ out, open }) => {
    const status = await open().client.call('system.services', {});
    out.result(status, () => {
      const lines: string[] = [];
      if (!status.running) lines.push('(this process runs no services: the config alone, and what the store recorded)');
      for (const st of status.streams)
        lines.push(
          `stream ${st.inTopic} → ${st.model} → ${st.outTopic} on ${st.broker}` +
            (st.stats === null
              ? ''
              : `: ${st.stats.received} received, ${st.stats.predicted} predicted, ${st.stats.rejected} rejected, ${st.stats.connected ? 'connected' : `not connected${st.stats.lastError === null ? '' : ` (${st.stats.lastError})`}`}`),
        );
      for (const w of status.watches) {
        lines.push(`watch ${w.dir} → ${w.dataset} every ${w.intervalSeconds} s`);
        for (const r of w.recent)
          lines.push(
            `  ${r.at}  ${r.file}: ${r.kind === 'appended' ? `appended${r.appended === null ? '' : ` ${r.appended} rows`} as v${r.version ?? '?'}${r.quarantined ? ` (${r.quarantined} quarantined)` : ''}` : `${r.kind}, ${r.message ?? ''}`}`,
          );
      }
      for (const p of status.pipelines) lines.push(`pipeline ${p.file} on "${p.schedule}"`);
      return lines.length === 0 ? 'The config names no streams, watched folders or pipeline schedules.' : lines.join('\n');
    });
    return 0;
  },
};
