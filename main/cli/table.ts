import type { Command } from './command.js';
import { auditCommand, tokenCommand } from './commands/access.js';
import { datasetsCommand, ingestCommand } from './commands/datasets.js';
import { evaluateCommand, modelsCommand } from './commands/models.js';
import { alertsCommand, driftCommand, feedbackCommand, monitorCommand, retrainCommand } from './commands/monitoring.js';
import { pipelineCommand } from './commands/pipelines.js';
import { rulesCommand } from './commands/rules.js';
import { serveCommand, startCommand } from './commands/serve.js';
import { promoteStandbyCommand, standbyCommand } from './commands/standby.js';
import { explainCommand, predictCommand } from './commands/serving.js';
import { backendsCommand, backupCommand, doctorCommand, gcCommand, keysCommand, retentionCommand } from './commands/store.js';
import { servicesCommand, streamCommand, watchCommand } from './commands/streams.js';
import { pullCommand, remoteCommand, syncCommand } from './commands/sync.js';
import { runsCommand, trainCommand } from './commands/training.js';
import { costsCommand } from './commands/costs.js';
import { configCommand } from './commands/config.js';
import { serviceCommand } from './commands/service.js';
import { completionCommand, manCommand, versionCommand } from './commands/shell.js';
import { overviewCommand } from './commands/overview.js';
import { commonOptions } from './common-options.js';
import { commandExamples } from './examples.js';

/** Every command, in the order `hearth --help` and docs/cli.md list them. */
export const commands: readonly Command[] = [
  startCommand,
  serveCommand,
  overviewCommand,
  configCommand,
  serviceCommand,
  ingestCommand,
  datasetsCommand,
  trainCommand,
  evaluateCommand,
  predictCommand,
  explainCommand,
  feedbackCommand,
  monitorCommand,
  alertsCommand,
  retrainCommand,
  streamCommand,
  servicesCommand,
  driftCommand,
  modelsCommand,
  runsCommand,
  costsCommand,
  remoteCommand,
  pullCommand,
  syncCommand,
  tokenCommand,
  watchCommand,
  pipelineCommand,
  rulesCommand,
  doctorCommand,
  backendsCommand,
  auditCommand,
  keysCommand,
  retentionCommand,
  gcCommand,
  backupCommand,
  standbyCommand,
  promoteStandbyCommand,
  versionCommand,
  completionCommand,
  manCommand,
];

export const commandsByName: ReadonlyMap<string, Command> = new Map(commands.map((c) => [c.name, c]));

export { commonOptions } from './common-options.js';

/** `hearth --help`: every command's usage block, in the table's order. */
export function usage(): string {
  return `hearth — on-device machine learning\n\nUsage: hearth <command> [options]\n\nCommands:\n${commands.map((c) => c.usage).join('\n')}\n\n${commonOptions}`;
}

/** `hearth <command> --help`. */
export function commandUsage(command: Command): string {
  const examples = commandExamples[command.name] ?? [];
  const example =
    examples.length === 0 ? '' : `\n\nExample${examples.length > 1 ? 's' : ''}:\n${examples.map((e) => `  ${e}`).join('\n')}`;
  return `hearth ${command.name}: ${command.summary}\n\nUsage:\n${command.usage}${example}\n\n${commonOptions}`;
}
