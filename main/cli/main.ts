import { parseArgs } from 'node:util';
import { createHandlers } from '../api/handlers.js';
import { inProcessTransport } from '../api/in-process.js';
import { createClient } from '../contracts/client.js';
import { HearthError, serializeError } from '../contracts/errors.js';
import { resolveDataDir } from '../engine/data-dir.js';
import { Engine } from '../engine/engine.js';
import { type Context, type Flags, type Session, UsageError, options } from './command.js';
import { Output } from './output.js';
import { commandUsage, commands, commandsByName, usage } from './table.js';
import { checkOptions, suggestion, wantsJson } from './option-check.js';
import { hearthVersion } from '../engine/version.js';

export { sampleDataset } from './commands/serve.js';

/** argv → the command table → the command's run; the exit status it returns. */
async function run(argv: string[]): Promise<number> {
  // The command is the first word that is not an option's; its options are checked against its usage first, so a
  // misspelt one is named (with what was meant) rather than Node's parser text.
  const first = parseArgs({ args: argv, options, allowPositionals: true, strict: false }).positionals;
  const named = first[0] === undefined ? undefined : commandsByName.get(first[0]);
  checkOptions(argv, named);
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const flags = parsed.values as Flags;
  // Native libraries' own messages (Dawn, GPU drivers) are shown only when asked for; see accel/webgpu-probe.ts.
  if (flags.verbose === true) process.env.HEARTH_VERBOSE = '1';
  const [name, ...rest] = parsed.positionals;
  const out = new Output(flags.json === true);
  if (flags.version === true && name === undefined) {
    process.stdout.write(`hearth ${hearthVersion}\n`);
    return 0;
  }
  const command = name === undefined ? undefined : commandsByName.get(name);
  if (command !== undefined && flags.help === true) {
    process.stdout.write(`${commandUsage(command)}\n`);
    return 0;
  }
  if (flags.help === true || name === undefined || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const about = topic === undefined ? undefined : commandsByName.get(topic);
    if (topic !== undefined && about === undefined)
      throw new UsageError(`no command "${topic}"${suggestion(topic, commandsByName.keys(), '')}`);
    process.stdout.write(`${about === undefined ? usage() : commandUsage(about)}\n`);
    return name === undefined && flags.help !== true ? 2 : 0;
  }
  if (command === undefined) throw new UsageError(`unknown command "${name}"${suggestion(name, commandsByName.keys(), '')}`);
  let session: Session | undefined;
  let keepOpen = false;
  const context: Context = {
    rest,
    flags,
    out,
    open: () => {
      if (session === undefined) {
        const engine = Engine.open(resolveDataDir(flags['data-dir']));
        const handlers = createHandlers(engine);
        session = { engine, handlers, client: createClient(inProcessTransport(engine, handlers)) };
      }
      return session;
    },
    keepOpen: () => {
      keepOpen = true;
    },
    commands,
  };
  try {
    return await command.run(context);
  } finally {
    if (session !== undefined && !keepOpen) session.engine.close();
  }
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const json = wantsJson(argv);
  try {
    process.exitCode = await run(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'USAGE', message: error.message } })}\n`);
      else {
        // Point at the command's own usage when the command is known, else at the list of commands.
        const named = parseArgs({ args: argv, options, allowPositionals: true, strict: false }).positionals[0];
        const help = named !== undefined && commandsByName.has(named) ? `hearth ${named} --help` : 'hearth --help';
        process.stderr.write(`hearth: ${error.message}\n\nRun \`${help}\` for usage.\n`);
      }
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
