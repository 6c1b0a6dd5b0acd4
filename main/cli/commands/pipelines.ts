import { readFileSync } from 'node:fs';
import { createHandlers } from '../../api/handlers.js';
import { scheduleDoor } from '../../api/in-process.js';
import type { ApiResults } from '../../contracts/api.js';
import { serializeError } from '../../contracts/errors.js';
import { type Engine } from '../../engine/engine.js';
import { dirname, resolve as resolvePath } from 'node:path';
import { PipelineSchedule } from '../../data/pipeline-schedule.js';
import { parsePipeline } from '../../data/pipeline.js';
import { schedulePipeline } from '../../engine/services.js';
import { type Client } from '../../contracts/client.js';
import { type Output } from '../output.js';
import { type Command, type Flags, UsageError, optional } from '../command.js';
import { flagFor } from '../flags.js';

export const pipelineCommand: Command = {
  name: 'pipeline',
  summary: 'declarative pipelines: run (once or on a schedule), preview, list, runs, show',
  usage: `  pipeline run FILE [--schedule CRON] [--rebuild] | preview FILE [--limit N] | list | runs NAME | show NAME[@V]
                                      a declarative pipeline (YAML or JSON: sources, rename, cast, derive, filter,
                                      join, union, dedup, sample, pii, output): each run reads only the rows its
                                      inputs gained, appends the result as one version, and records which input
                                      versions made it; a re-run, or a re-run after a crash, never duplicates a row;
                                      --schedule runs it on a cron schedule until stopped; --rebuild reads every
                                      input row and writes the output anew (after the file changed)`,
  run: async ({ rest, flags, out, keepOpen, open }) => {
    const { engine, client } = open();
    const code = await pipelineSubcommand(rest, flags, out, client, engine);
    if (code === 'scheduled') keepOpen();
    return code === 'scheduled' ? 0 : code;
  },
};

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
async function pipelineSubcommand(
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
          if (name !== null)
            client.call('pipelines.cancel', { name }).catch((error: unknown) => out.info(`cancel: ${String(error)}`));
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
        ...optional('limit', flagFor(flags, 'limit', 'pipelines.preview', 'limit')),
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
      const runs = await client.call('pipelines.runs', {
        name: ref,
        ...optional('limit', flagFor(flags, 'limit', 'pipelines.runs', 'limit')),
      });
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
