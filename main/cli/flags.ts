import type { z } from 'zod';
import { type ApiArgs, type ApiMethod, apiSchemas } from '../contracts/index.js';
import { HearthError } from '../contracts/errors.js';
import { type Flags, UsageError } from './command.js';

/*
 * Flags read through the zod schema of the method a command calls: the flag's string is coerced to what the
 * argument's schema takes (a number, a boolean, a comma list of either) and validated by that field, so the
 * allowed values and ranges are the API's own and a wrong value is a usage error before any work is done.
 */

/** The argument keys of a method (the keys of its object schema). */
export type ArgKey<M extends ApiMethod> = keyof ApiArgs<M> & string;
/** An argument's value as a flag gives it: present, or absent. */
export type ArgValue<M extends ApiMethod, K extends ArgKey<M>> = Exclude<ApiArgs<M>[K], undefined>;

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
}
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Wrappers that leave the accepted type as it is: an optional field is the same field when the flag is given. */
const wrappers = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional']);

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let def = defOf(s); wrappers.has(def.type) && def.innerType !== undefined; def = defOf(s)) s = def.innerType;
  return s;
}

/** One field of an object schema (through wrappers, refinements and pipes to the object's shape). */
function fieldOf(schema: z.ZodType, key: string): z.ZodType | undefined {
  let s: z.ZodType | undefined = schema;
  for (let depth = 0; s !== undefined && depth < 8; depth++) {
    const shape = (s as { shape?: Record<string, z.ZodType> }).shape;
    if (shape !== undefined) return shape[key];
    const def = defOf(s);
    s = def.in ?? def.innerType;
  }
  return undefined;
}

/** The schema of one argument of a method, or of a field inside it (`argSchema('models.set-route', 'canary', 'share')`). */
export function argSchema<M extends ApiMethod>(method: M, key: ArgKey<M>, ...inner: string[]): z.ZodType {
  let s: z.ZodType | undefined = apiSchemas[method];
  for (const k of [key, ...inner]) s = s === undefined ? undefined : fieldOf(s, k);
  if (s === undefined) throw new Error(`${method} has no argument "${[key, ...inner].join('.')}"`);
  return s;
}

/** The flag's string as the schema's type: numbers, booleans and comma lists; anything else stays a string. */
function coerce(schema: z.ZodType, raw: string): unknown {
  const def = defOf(unwrap(schema));
  switch (def.type) {
    case 'number':
    case 'int':
      return raw.trim() === '' ? Number.NaN : Number(raw);
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'array':
      return raw.split(',').map((part) => (def.element === undefined ? part.trim() : coerce(def.element, part.trim())));
    default:
      return raw;
  }
}

/** A usage error's wording for the first problem zod found, naming the allowed values where the schema has a list. */
function describe(flag: string, error: z.ZodError): string {
  // A positional word is named as the usage line names it (NAME); a flag with its dashes.
  const shown = /^[A-Z]+$/.test(flag) ? flag : `--${flag}`;
  const issue = error.issues[0];
  if (issue === undefined) return `${shown} is not valid`;
  const where = issue.path.length === 0 ? '' : ` (item ${issue.path.map(String).join('.')})`;
  if (issue.code === 'invalid_value') return `${shown} must be one of ${issue.values.map(String).join(', ')}${where}`;
  if (issue.code === 'invalid_type' && (issue.expected === 'number' || issue.expected === 'int'))
    return `${shown} must be a number${where}`;
  return `${shown}${where}: ${issue.message}`;
}

/** Parses a flag's string with one argument's schema: the value, or a UsageError that names what is allowed. */
export function parseFlag(schema: z.ZodType, raw: string, flag: string): unknown {
  const result = schema.safeParse(coerce(schema, raw));
  if (!result.success) throw new UsageError(describe(flag, result.error));
  return result.data;
}

/**
 * The flag `--flag` as the argument `key` of `method`: undefined when the flag is absent, else the value the
 * method's schema accepts (a UsageError otherwise).
 */
export function flagFor<M extends ApiMethod, K extends ArgKey<M>>(
  flags: Flags,
  flag: keyof Flags,
  method: M,
  key: K,
): ArgValue<M, K> | undefined {
  const raw = flags[flag];
  if (raw === undefined) return undefined;
  if (typeof raw === 'boolean') return raw as ArgValue<M, K>;
  return parseFlag(argSchema(method, key), raw, flag) as ArgValue<M, K> | undefined;
}

/** A positional word as the argument `key` of `method` (coerced and validated like a flag; `label` names it). */
export function positionalFor<M extends ApiMethod, K extends ArgKey<M>>(
  raw: string,
  label: string,
  method: M,
  key: K,
): ArgValue<M, K> {
  return parseFlag(argSchema(method, key), raw, label) as ArgValue<M, K>;
}

/**
 * A value read from a file (not a flag) as the argument `key` of `method`: validated by that argument's schema, so a
 * wrong entry is named with its place in the file before any call; `source` says what was read (a file name).
 */
export function argFromFile<M extends ApiMethod, K extends ArgKey<M>>(
  method: M,
  key: K,
  value: unknown,
  source: string,
): ArgValue<M, K> {
  const parsed = argSchema(method, key).safeParse(value);
  if (parsed.success) return parsed.data as ArgValue<M, K>;
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '' : ` at [${issue.path.map(String).join('].[')}]`;
  throw new HearthError('VALIDATION_FAILED', `${source} is not a valid ${key} list${where}: ${issue?.message ?? ''}`);
}

/** flagFor for a flag the command cannot do without. */
export function requiredFlagFor<M extends ApiMethod, K extends ArgKey<M>>(
  flags: Flags,
  flag: keyof Flags,
  method: M,
  key: K,
): ArgValue<M, K> {
  const value = flagFor(flags, flag, method, key);
  if (value === undefined || flags[flag] === '') throw new UsageError(`--${flag} is required`);
  return value;
}

/** A table of argument key → flag name for one method. */
export type FlagTable<M extends ApiMethod> = { readonly [K in ArgKey<M>]?: keyof Flags };

/** Every flag of a table that was given, as the method's arguments (each validated by its own field). */
export function argsFromFlags<M extends ApiMethod, T extends FlagTable<M>>(
  flags: Flags,
  method: M,
  table: T,
): { [K in keyof T & ArgKey<M>]?: ArgValue<M, K> } {
  const args: Record<string, unknown> = {};
  for (const [key, flag] of Object.entries(table) as [ArgKey<M>, keyof Flags][]) {
    const value = flagFor(flags, flag, method, key);
    if (value !== undefined) args[key] = value;
  }
  return args as { [K in keyof T & ArgKey<M>]?: ArgValue<M, K> };
}
