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
