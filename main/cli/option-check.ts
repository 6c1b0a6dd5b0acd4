import { parseArgs } from 'node:util';
import { type Command, UsageError, options } from './command.js';
import { nearest } from '../settings/nearest.js';

export { editDistance, nearest } from '../settings/nearest.js';

/** The options every command takes (the `--help` footer lists them). */
export const commonFlags: readonly string[] = ['data-dir', 'json', 'help', 'verbose', 'version'];

/** The options a command takes: those its usage text names, and the common ones. */
export function flagsOf(command: Command): Set<string> {
  return new Set([...commonFlags, ...[...command.usage.matchAll(/--([a-z0-9][a-z0-9-]*)/g)].map((m) => m[1]!)]);
}

/** The subcommand words of a command's usage (`datasets list | show …` → list, show), for completion. */
export function subcommandsOf(command: Command): string[] {
  const words = new Set<string>();
  const escaped = command.name.replace(/[-]/g, '\\-');
  // A form starts after the command's name at the start of a line, or after a `|` that separates forms.
  for (const m of command.usage.matchAll(new RegExp(`(?:^\\s*${escaped}|\\|)\\s+([a-z][a-z0-9|-]*)(?=\\s|$)`, 'gm')))
    for (const word of m[1]!.split('|')) if (/^[a-z][a-z0-9-]*$/.test(word)) words.add(word);
  return [...words];
}

export const suggestion = (word: string, candidates: Iterable<string>, prefix = '--'): string => {
  const near = nearest(word, candidates);
  return near === undefined ? '' : ` (did you mean ${prefix}${near}?)`;
};

/**
 * Checks argv's options before anything runs: one that no command knows is `unknown option --trese (did you mean
 * --trees?)`; one another command takes but this one does not names the command and what is near; a missing value
 * or a value given to a switch is said in a sentence, not Node's parser text. All are usage errors (exit 2).
 */
export function checkOptions(argv: string[], command: Command | undefined): void {
  const { tokens } = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
  const known = Object.keys(options);
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const shown = token.rawName;
    if (!Object.hasOwn(options, token.name)) {
      const allowed = command === undefined ? known : [...flagsOf(command)];
      throw new UsageError(`unknown option ${shown}${token.rawName.startsWith('--') ? suggestion(token.name, allowed) : ''}`);
    }
    if (command !== undefined && !flagsOf(command).has(token.name))
      throw new UsageError(`hearth ${command.name} does not take --${token.name}${suggestion(token.name, flagsOf(command))}`);
    const type = options[token.name as keyof typeof options].type;
    if (type === 'boolean' && token.inlineValue === true) throw new UsageError(`--${token.name} is a switch and takes no value`);
    if (type === 'string' && token.value === undefined) throw new UsageError(`--${token.name} needs a value`);
    // An empty value is no value: `--data-dir "$DIR"` with DIR unset would otherwise act on the default store.
    if (type === 'string' && token.value === '') throw new UsageError(`--${token.name} needs a value (it was empty)`);
    // `--out --force`: the lenient parse takes --force as the value, the strict one calls it ambiguous in its own words.
    if (type === 'string' && !token.inlineValue && token.value!.length > 1 && token.value!.startsWith('-'))
      throw new UsageError(
        `--${token.name} needs a value, and ${token.value} looks like an option: a value that starts with "-" is written --${token.name}=${token.value}`,
      );
  }
}

/**
 * Whether the caller asked for JSON, so that even a usage error comes as JSON on stdout: the switch --json before any
 * `--` (a "--json" after `--` is a word, and --json=VALUE is itself the usage error, said in words).
 */
export function wantsJson(argv: string[]): boolean {
  const { tokens } = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
  return tokens.some((t) => t.kind === 'option' && t.name === 'json' && !t.inlineValue);
}
