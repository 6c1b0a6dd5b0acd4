import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hostOnlyCommands } from './host-only.js';
import { commands, commonOptions } from './table.js';
import { commandExamples } from './examples.js';
import { manPage } from './man.js';
import { hearthVersion } from '../engine/version.js';

/**
 * docs/cli.md, generated from the command table so the manual cannot drift from the code: `npm run docs:cli` writes
 * it, and test/unit/cli-docs.test.ts fails when the file differs from what this returns.
 */
export function cliDocs(): string {
  const fence = (text: string): string[] => ['```text', text, '```'];
  return [
    '# The hearth command line',
    '',
    '<!-- Generated from main/cli/table.ts and main/cli/commands/*.ts by `npm run docs:cli`; do not edit. -->',
    '',
    'Usage: `hearth <command> [options]`; `hearth <command> --help` prints one command’s usage.',
    '',
    ...commands.map((c) => `- [${c.name}](#${c.name}): ${c.summary}`),
    '',
    ...fence(commonOptions),
    ...commands.flatMap((c) => [
      '',
      `## ${c.name}`,
      '',
      `${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.`,
      '',
      ...fence(c.usage),
      ...((commandExamples[c.name] ?? []).length === 0
        ? []
        : ['', 'Examples:', '', ...fence((commandExamples[c.name] ?? []).join('\n'))]),
    ]),
    '',
    '## Host-only commands',
    '',
    'Every other command goes through the typed client, so each is also an API method. These run on the host',
    '(listed in main/cli/host-only.ts):',
    '',
    ...Object.entries(hostOnlyCommands).map(([command, reason]) => `- \`${command}\`: ${reason}.`),
    '',
  ].join('\n');
}

/** docs/hearth.1: the man page `hearth man` prints. */
export function cliManPage(): string {
  return manPage(commands, hearthVersion, commonOptions);
}

// `node dist/main/cli/docs.js > docs/cli.md`, `node dist/main/cli/docs.js --man > docs/hearth.1`
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url))
  process.stdout.write(process.argv[2] === '--man' ? cliManPage() : cliDocs());
