import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { HearthError } from '../contracts/errors.js';
import { configSchema, type HearthConfig } from './file-schema.js';
import { nearest } from './nearest.js';
import { storeKeySecrets, type StoreKeySource } from './environment.js';
import { type Setting, settings, settingsByKey, structuredSettings, type StructuredKey } from './settings.js';

export type SettingSource = 'default' | 'file' | 'env' | 'flag';

export interface ResolvedSetting {
  readonly setting: Setting;
  /** undefined: not set anywhere and no fixed default (the code works one out, see `defaultText`). */
  readonly value: string | number | undefined;
  readonly source: SettingSource;
  /** Where it came from in words: the file's path, the variable, the flag. */
  readonly from: string;
}

export function configPath(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.HEARTH_CONFIG;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(dataDir, 'hearth.config.json');
}

/** The config file of `dataDir` (or $HEARTH_CONFIG), validated; null when there is none. */
export function dataDirConfig(dataDir: string): HearthConfig | null {
  return readConfigFile(configPath(dataDir));
}

/** The zod schema one level inside `schema` (through optional, default, array), for the keys it knows. */
function inner(schema: z.ZodType): z.ZodType {
  const def = (schema as unknown as { _zod: { def: { innerType?: z.ZodType; element?: z.ZodType } } })._zod.def;
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault) return inner(def.innerType!);
  if (schema instanceof z.ZodArray) return inner(def.element!);
  return schema;
}

/** The keys the file may hold at `path` (array indexes skipped), for a did-you-mean. */
function knownKeys(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = configSchema;
  for (const part of path) {
    schema = inner(schema);
    if (typeof part === 'number') continue;
    if (!(schema instanceof z.ZodObject)) return [];
    const next = (schema.shape as Record<string, z.ZodType>)[String(part)];
    if (next === undefined) return [];
    schema = next;
  }
  schema = inner(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** Every problem of a config file, one a line, each with its key path: unknown keys with the key meant. */
function problems(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(issue.path);
      return issue.keys.map((key) => {
        const near = nearest(key, known);
        const prefix = at === '' ? '' : `${at}.`;
        return `${prefix}${key}: unknown key${near === undefined ? '' : ` (did you mean ${prefix}${near}?)`}`;
      });
    }
    return [`${at || '(top)'}: ${issue.message}`];
  });
}

/** The top-level keys each parsed file wrote (the schema fills in the rest), for a setting's source. */
const writtenKeys = new WeakMap<HearthConfig, ReadonlySet<string>>();

/** A config file's text, validated; a bad one is a coded error naming the file and every key at fault. */
export function parseConfig(text: string, path: string): HearthConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new HearthError('VALIDATION_FAILED', `${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const result = configSchema.safeParse(parsed);
  const found = result.success ? [] : problems(result.error);
  // A certificate without its key (or the reverse) would fail only at `serve`; say so here.
  const server = (parsed as { server?: { tlsCert?: unknown; tlsKey?: unknown } } | null)?.server;
  if (typeof server === 'object' && server !== null && (server.tlsCert === undefined) !== (server.tlsKey === undefined))
    found.push('server.tlsCert: give server.tlsCert and server.tlsKey together');
  if (found.length > 0 || !result.success)
    throw new HearthError('VALIDATION_FAILED', found.map((p) => `${path}: ${p}`).join('\n'));
  writtenKeys.set(result.data, new Set(Object.keys(parsed as object)));
  return result.data;
}

/** The config file at `path`, validated; null when there is none. */
export function readConfigFile(path: string): HearthConfig | null {
  if (!existsSync(path)) return null;
  return parseConfig(readFileSync(path, 'utf8'), path);
}

function fileValue(file: HearthConfig | null, key: string): unknown {
  let at: unknown = file;
  for (const part of key.split('.'))
    at = at === null || typeof at !== 'object' ? undefined : (at as Record<string, unknown>)[part];
  return at;
}

/** A variable's or flag's text as the setting's value, checked against its bounds. */
function fromText(setting: Setting, text: string, where: string): string | number {
  let value: string | number = text;
  if (setting.kind === 'integer' || setting.kind === 'number') {
    value = text.trim() === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(value)) throw new HearthError('VALIDATION_FAILED', `${where}: "${text}" is not a number`);
  }
  const checked = setting.schema.safeParse(value);
  if (!checked.success)
    throw new HearthError(
      'VALIDATION_FAILED',
      `${where}: ${setting.kind === 'integer' && Number.isFinite(value) && !Number.isInteger(value) ? 'must be a whole number' : checked.error.issues[0]!.message}`,
    );
  return checked.data;
}

export interface Layers {
  /** The parsed config file, and where it is (for the source's words). */
  readonly file?: HearthConfig | null;
  readonly filePath?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Flags by name (`port`, `tls-cert`); only settings with a flag read them. */
  readonly flags?: Readonly<Record<string, unknown>>;
}

/** One setting: its flag, else its variable, else the file, else its default; with where the value came from. */
export function resolveSetting(setting: Setting, layers: Layers): ResolvedSetting {
  const flag = setting.flag === undefined ? undefined : layers.flags?.[setting.flag];
  if (typeof flag === 'string')
    return { setting, value: fromText(setting, flag, `--${setting.flag}`), source: 'flag', from: `--${setting.flag}` };
  const env = (layers.env ?? process.env)[setting.env];
  if (env !== undefined && env !== '')
    return { setting, value: fromText(setting, env, setting.env), source: 'env', from: setting.env };
  const inFile = fileValue(layers.file ?? null, setting.key);
  if (inFile !== undefined)
    return { setting, value: inFile as string | number, source: 'file', from: layers.filePath ?? 'config file' };
  return { setting, value: setting.default, source: 'default', from: setting.defaultText ?? 'default' };
}

/** Every setting, resolved through the layers (defaults < file < HEARTH_* variables < flags). */
export function resolveSettings(layers: Layers): ResolvedSetting[] {
  return settings.map((s) => resolveSetting(s, layers));
}

/**
 * The config file this process has opened (the engine sets it when it opens a data folder): what `setting()` reads
 * below the environment. One process serves one data folder, so this is process-wide like the environment is.
 */
let processFile: { file: HearthConfig | null; path?: string } = { file: null };

export function useConfigFile(file: HearthConfig | null, path?: string): void {
  processFile = { file, ...(path === undefined ? {} : { path }) };
}

/**
 * A setting's value in this process: its HEARTH_* variable, else the config file (`file` when given, as an engine
 * passes its own; else the one this process opened last), else its default.
 */
export function setting(key: string, file?: HearthConfig | null): string | number | undefined {
  const spec = settingsByKey.get(key);
  if (spec === undefined) throw new Error(`no setting ${key}`);
  const layers: Layers =
    file !== undefined
      ? { file }
      : { file: processFile.file, ...(processFile.path === undefined ? {} : { filePath: processFile.path }) };
  return resolveSetting(spec, layers).value;
}

export function numberSetting(key: string, file?: HearthConfig | null): number | undefined {
  const value = setting(key, file);
  return typeof value === 'number' ? value : undefined;
}

export interface ResolvedStructured {
  readonly key: StructuredKey;
  readonly env: string;
  /** The list or object in effect (the schema's default when set nowhere: an empty list, or no backups). */
  readonly value: unknown;
  readonly source: Exclude<SettingSource, 'flag'>;
  readonly from: string;
}

/** A structured setting's variable: JSON, validated by the file's own schema; a bad key is named by its path. */
function fromJsonVariable(key: StructuredKey, text: string, where: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new HearthError('VALIDATION_FAILED', `${where} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const result = configSchema.pick({ [key]: true } as Record<StructuredKey, true>).safeParse({ [key]: parsed });
  if (!result.success)
    throw new HearthError(
      'VALIDATION_FAILED',
      problems(result.error)
        .map((p) => `${where}: ${p}`)
        .join('\n'),
    );
  return (result.data as Record<string, unknown>)[key];
}

/** One structured setting: its HEARTH_* variable (JSON), else the file, else the schema's default. */
export function resolveStructured(key: StructuredKey, layers: Layers): ResolvedStructured {
  const env = structuredSettings.find((s) => s.key === key)!.env;
  const text = (layers.env ?? process.env)[env];
  if (text !== undefined && text !== '') return { key, env, value: fromJsonVariable(key, text, env), source: 'env', from: env };
  const inFile = layers.file?.[key];
  // The parsed file has every list, defaulted to empty: the source is the file only where the file wrote the key.
  if (
    layers.file !== null &&
    layers.file !== undefined &&
    inFile !== undefined &&
    writtenKeys.get(layers.file)?.has(key) === true
  )
    return { key, env, value: inFile, source: 'file', from: layers.filePath ?? 'config file' };
  return { key, env, value: (configSchema.shape[key] as z.ZodType).parse(undefined), source: 'default', from: 'default' };
}

export function resolveStructuredSettings(layers: Layers): ResolvedStructured[] {
  return structuredSettings.map((s) => resolveStructured(s.key, layers));
}

/**
 * The config in effect: the file's contents with each list or object whose HEARTH_* variable is set replaced by the
 * variable's; null when there is no file and no such variable (nothing to provision).
 */
export function effectiveConfig(file: HearthConfig | null, env: NodeJS.ProcessEnv = process.env): HearthConfig | null {
  const set = structuredSettings.filter((s) => env[s.env] !== undefined && env[s.env] !== '');
  if (file === null && set.length === 0) return null;
  const config = { ...(file ?? configSchema.parse({})) } as Record<string, unknown>;
  for (const s of set) config[s.key] = fromJsonVariable(s.key, env[s.env]!, s.env);
  return config as HearthConfig;
}

/**
 * Where this process's store key comes from: HEARTH_STORE_KEY or HEARTH_STORE_PASSPHRASE (secrets, environment only),
 * or the file `store.keyFile` names (HEARTH_STORE_KEY_FILE, else the config file: `file` when given, else the one
 * this process opened).
 */
export function storeKeySource(file?: HearthConfig | null, env: NodeJS.ProcessEnv = process.env): StoreKeySource {
  const keyFile = resolveSetting(settingsByKey.get('store.keyFile')!, {
    file: file === undefined ? processFile.file : file,
    env,
  }).value as string | undefined;
  return { ...storeKeySecrets(env), keyFile };
}
