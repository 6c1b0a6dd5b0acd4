import type { Command } from './command.js';
import { commandExamples } from './examples.js';
import { hostOnlyCommands } from './host-only.js';

/*
 * hearth(1), generated from the command table (usage, summaries, examples), as `docs/cli.md` is: `hearth man`
 * prints it, `npm run docs:cli` writes docs/hearth.1 beside the manual, and a test fails when that file is stale
 * and runs it through groff with warnings on.
 */

/** Text as roff: backslashes and hyphens escaped, and a line starting with `.` or `'` kept from being a request. */
function roff(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const escaped = line
        .replace(/\\/g, '\\e')
        .replace(/-/g, '\\-')
        // roff input is ASCII: anything else as a named Unicode glyph (… → \[u2026]).
        .replace(/[^\p{ASCII}]/gu, (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`);
      return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped;
    })
    .join('\n');
}

/** The man page, section 1. `version` goes in the footer; the date is left out so the file is reproducible. */
export function manPage(commands: readonly Command[], version: string, commonOptions: string): string {
  const lines = [
    `.TH HEARTH 1 "" "hearth ${roff(version)}" "User Commands"`,
    '.SH NAME',
    'hearth \\- on\\-device machine learning: ingest, train, serve, monitor and sync models on one machine',
    '.SH SYNOPSIS',
    '.B hearth',
    '.I command',
    '[\\fIoptions\\fR]',
    '.br',
    '.B hearth',
    '.B help',
    '.I command',
    '.br',
    '.B hearth \\-\\-version',
    '.SH DESCRIPTION',
    'Hearth runs the whole machine\\-learning lifecycle on this machine, offline: each command below is also a method',
    'of its HTTP API (see',
    '.BR "HOST\\-ONLY COMMANDS" ),',
    'called as the local administrator on the data folder.',
    '.SH COMMANDS',
  ];
  for (const c of commands) {
    lines.push(`.SS ${roff(c.name)}`, roff(`${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.`), '.PP', '.nf');
    lines.push(roff(c.usage), '.fi');
    const examples = commandExamples[c.name] ?? [];
    if (examples.length > 0) lines.push('.PP', 'Examples:', '.PP', '.nf', ...examples.map((e) => roff(`  ${e}`)), '.fi');
  }
  lines.push('.SH OPTIONS', '.nf', roff(commonOptions), '.fi');
  lines.push('.SH HOST\\-ONLY COMMANDS', 'These run on this machine rather than through the API:');
  for (const [command, reason] of Object.entries(hostOnlyCommands)) lines.push('.TP', `.B ${roff(command)}`, roff(`${reason}.`));
  lines.push(
    '.SH ENVIRONMENT',
    '.TP',
    '.B HEARTH_DATA_DIR',
    'The data folder when \\-\\-data\\-dir is not given.',
    '.SH SEE ALSO',
    'The manual in docs/ (docs/cli.md is this page as Markdown).',
    '',
  );
  return lines.join('\n');
}
