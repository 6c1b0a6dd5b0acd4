import { parseArgs } from 'node:util';
import { createHandlers } from '../api/handlers.js';
import { inProcessTransport } from '../api/in-process.js';
import { createClient } from '../contracts/client.js';
import { HearthError, serializeError } from '../contracts/errors.js';
import { resolveDataDir } from '../engine/data-dir.js';
import { Engine } from '../engine/engine.js';
import { type Context, type Flags, type Session, UsageError, options } from './command.js';
import { Output } from './output.js';
import { commandUsage, commandsByName, usage } from './table.js';

export { sampleDataset } from './commands/serve.js';

/** argv → the command table → the command's run; the exit status it returns. */
async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const flags = parsed.values as Flags;
  const [name, ...rest] = parsed.positionals;
  const out = new Output(flags.json === true);
  const command = name === undefined ? undefined : commandsByName.get(name);
  if (command !== undefined && flags.help === true) {
    process.stdout.write(`${commandUsage(command)}\n`);
    return 0;
  }
  if (flags.help === true || name === undefined || name === 'help') {
    const about = name === 'help' && rest[0] !== undefined ? commandsByName.get(rest[0]) : undefined;
    process.stdout.write(`${about === undefined ? usage() : commandUsage(about)}\n`);
    return name === undefined && flags.help !== true ? 2 : 0;
  }
  if (command === undefined) throw new UsageError(`unknown command "${name}"`);
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
  };
  try {
    return await command.run(context);
  } finally {
    if (session !== undefined && !keepOpen) session.engine.close();
  }
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
