import { existsSync, renameSync } from 'node:fs';
import { basename, extname, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { apiSchemas } from '../contracts/index.js';
import { name } from '../contracts/fields.js';
import { HearthError, serializeError, type SerializedError } from '../contracts/errors.js';
import { parseConfig } from '../settings/resolve.js';
import { configSchema } from '../settings/file-schema.js';
import type { CallOutcome } from '../contracts/transport.js';

/*
 * What the desktop app does that the web console may not: the local user is the box's admin, on the box, so the
 * desktop reads a SQL source, ingests files from this machine's disk and restores a backup over its own data
 * folder, as the CLI does. Each request crosses IPC as data, checked here with zod before the main process acts on
 * it; the engine then validates the API arguments again. Kept free of electron so tests can check it.
 */

/** The largest dropped file (as an upload: main/desktop/bridge-protocol.ts). */
export const maxDroppedBytes = 2 * 1024 * 1024 * 1024;

const droppedPath = z.string().min(1).max(4096);

/** The config schema's element for one MQTT stream (main/settings/file-schema.ts), so the form and the file agree. */
export const streamEntrySchema = configSchema.shape.streams.removeDefault().element;
export type StreamEntry = z.infer<typeof streamEntrySchema>;

export const desktopActionSchema = z.discriminatedUnion('action', [
  z
    .object({
      action: z.literal('ingest-files'),
      dataset: name,
      /** Files dropped on the window or chosen in the open dialog, in order: the first makes a version, the rest append. */
      paths: z.array(droppedPath).min(1).max(32),
      /** Append the first file too (to the dataset's latest version). */
      append: z.boolean().optional(),
    })
    .strict(),
  z.object({ action: z.literal('ingest-query'), args: apiSchemas['datasets.ingest-query'] }).strict(),
  z
    .object({
      action: z.literal('add-watch'),
      /** The dataset each new file in the folder is appended to; the folder itself is chosen in a native dialog. */
      dataset: name,
      intervalSeconds: z.number().positive().max(86_400).optional(),
    })
    .strict(),
  z
    .object({
      action: z.literal('add-stream'),
      /** One entry of the config's "streams" list, checked against the config schema's own element. */
      stream: streamEntrySchema,
    })
    .strict(),
  /** `hearth keys rotate`: a new random key for the store, kept in the OS keychain as the first one was. */
  z.object({ action: z.literal('rotate-key') }).strict(),
  /** `hearth backup create --to FILE`: the file is chosen in a native save dialog, never named by the window. */
  z.object({ action: z.literal('backup-to'), passphrase: z.string().min(8).max(1024).optional() }).strict(),
  /** `hearth predict --model NAME[@V] FILE --out FILE`: both files chosen in native dialogs. */
  z
    .object({
      action: z.literal('predict-file'),
      model: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(@[1-9][0-9]{0,8})?$/),
    })
    .strict(),
  z
    .object({
      action: z.literal('restore'),
      /** A backup in the backup folder, by name (backups.list). */
      file: z.string().regex(/^hearth-[0-9TZ-]+\.hbk$/),
      passphrase: z.string().min(8).max(1024).optional(),
    })
    .strict(),
]);

export type DesktopAction = z.infer<typeof desktopActionSchema>;

/** A request's payload checked; the issues as one line when it is refused. */
export function parseDesktopAction(payload: unknown): { ok: true; action: DesktopAction } | { ok: false; message: string } {
  const parsed = desktopActionSchema.safeParse(payload);
  if (parsed.success) return { ok: true, action: parsed.data };
  return {
    ok: false,
    message: parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; '),
  };
}

/** The file system calls checkDroppedFile makes (node:fs in main.ts; a fake in tests). */
export interface FileProbe {
  stat(path: string): { isFile(): boolean; isDirectory(): boolean; size: number };
  realpath(path: string): string;
}

const formats: Record<string, 'csv' | 'parquet'> = { '.csv': 'csv', '.tsv': 'csv', '.parquet': 'parquet', '.pq': 'parquet' };

export type CheckedFile = { path: string; fileName: string; format: 'csv' | 'parquet' };

/**
 * A dropped path made safe to ingest: absolute, a CSV or Parquet file by its extension, a regular file once links are
 * followed (a folder, a device or a FIFO is refused), not empty and within the upload limit. The answer names the
 * file behind any link, which is what gets read.
 */
export function checkDroppedFile(path: string, fs: FileProbe): CheckedFile | { error: string } {
  if (!isAbsolute(path)) return { error: `${path}: not an absolute path` };
  const format = formats[extname(path).toLowerCase()];
  if (format === undefined) return { error: `${basename(path)}: only CSV (.csv, .tsv) and Parquet (.parquet, .pq) files` };
  let real: string;
  let st: { isFile(): boolean; isDirectory(): boolean; size: number };
  try {
    real = fs.realpath(path);
    st = fs.stat(real);
  } catch {
    return { error: `${basename(path)}: cannot be read` };
  }
  if (!st.isFile()) return { error: `${basename(path)}: not a regular file` };
  if (st.size === 0) return { error: `${basename(path)}: empty` };
  if (st.size > maxDroppedBytes) return { error: `${basename(path)}: larger than 2 GiB` };
  if (formats[extname(real).toLowerCase()] !== format)
    return { error: `${basename(path)}: links to a file that is not ${format === 'csv' ? 'CSV' : 'Parquet'}` };
  return { path: real, fileName: basename(path), format };
}

/** A dataset name from a file's name: its stem, with what a name may not hold made "-" (at most 128 characters). */
export function datasetNameFor(path: string): string {
  const stem = basename(path, extname(path))
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128);
  return stem === '' ? 'dataset' : stem;
}

/**
 * Restores a backup over the data folder with the engine stopped: the engine goes first (it holds the database
 * open), the restore runs, and the engine starts again whatever happened (a failed restore left the folder as it
 * was). What the store does not carry but this machine needs (the backup folder, the config file, the secret key,
 * when the restored folder lacks them) comes back from the folder the old contents moved to.
 */
export async function restoreWithEngineStopped<R extends { replacedTo: string | null }>(
  dataDir: string,
  steps: { stopEngine(): Promise<void>; restore(): Promise<R>; startEngine(): void },
): Promise<R & { carriedBack: string[] }> {
  await steps.stopEngine();
  try {
    const result = await steps.restore();
    const carriedBack: string[] = [];
    if (result.replacedTo !== null)
      for (const entry of ['backups', 'hearth.config.json', 'secret.key']) {
        const from = join(result.replacedTo, entry);
        const to = join(dataDir, entry);
        if (existsSync(from) && !existsSync(to)) {
          renameSync(from, to);
          carriedBack.push(entry);
        }
      }
    return { ...result, carriedBack };
  } finally {
    steps.startEngine();
  }
}

/** What performing an action needs from the shell: the engine (as the local user), the restore, the config. */
export interface ActionDeps {
  callLocal(method: 'datasets.ingest' | 'datasets.ingest-query', args: unknown): Promise<CallOutcome>;
  restore(file: string, passphrase: string | undefined): Promise<unknown>;
  /** A folder the user picks in a native dialog; null when cancelled. */
  chooseFolder(): Promise<string | null>;
  /** Adds a watched folder to the config file and restarts the engine, whose services then watch it. */
  addWatch(watch: WatchEntry): Promise<void>;
  /** Adds an MQTT stream to the config file and restarts the engine, whose services then run it. */
  addStream(stream: StreamEntry): Promise<void>;
  /** Rotates the store key with the engine stopped (rotateWithEngineStopped). */
  rotateKey(): Promise<unknown>;
  /** A file the user picks in a native open (input) or save (output) dialog; null when cancelled. */
  chooseFile(purpose: 'backup' | 'score-input' | 'score-output'): Promise<string | null>;
  /** Engine requests only the shell builds: paths in them come from chooseFile, never from the window. */
  callEngine(
    request:
      | { kind: 'backup-to'; to: string; passphrase?: string }
      | { kind: 'predict-file'; model: string; input: string; out: string },
  ): Promise<CallOutcome>;
  fs: FileProbe;
}

/** One entry of the config file's "watch" list. */
export interface WatchEntry {
  dir: string;
  dataset: string;
  intervalSeconds?: number;
}

/** The config file's JSON object (an empty one for no file), or why it cannot take another entry. */
function configObject(text: string | null, path: string): Record<string, unknown> {
  let raw: unknown = {};
  if (text !== null && text.trim() !== '') {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new HearthError('VALIDATION_FAILED', `${path} is not JSON: fix it before adding to it`);
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new HearthError('VALIDATION_FAILED', `${path} does not hold a JSON object`);
  return raw as Record<string, unknown>;
}

/** The text with `entry` appended to the list under `key`, the rest as it was, checked against the config's schema. */
function configWithEntry(
  text: string | null,
  path: string,
  key: 'watch' | 'streams',
  entry: object,
  duplicate: (existing: Record<string, unknown>) => string | null,
): string {
  const config = configObject(text, path);
  if (config[key] !== undefined && !Array.isArray(config[key]))
    throw new HearthError('VALIDATION_FAILED', `${path}: ${key} is not a list: fix it before adding to it`);
  const list = (config[key] ?? []) as Record<string, unknown>[];
  for (const existing of list) {
    const clash = typeof existing === 'object' && existing !== null ? duplicate(existing) : null;
    if (clash !== null) throw new HearthError('CONFLICT', clash);
  }
  const next = `${JSON.stringify({ ...config, [key]: [...list, entry] }, null, 2)}\n`;
  parseConfig(next, path);
  return next;
}

/**
 * The config file's text with one more watched folder, the rest of the file as it was; checked against the config's
 * schema (a file that was already invalid stays refused). The same folder for the same dataset twice is CONFLICT.
 */
export function configWithWatch(text: string | null, path: string, watch: WatchEntry): string {
  return configWithEntry(text, path, 'watch', watch, (w) =>
    w.dir === watch.dir && w.dataset === watch.dataset ? `${watch.dir} is already watched for ${watch.dataset}` : null,
  );
}

/**
 * The config file's text with one more MQTT stream (as `hearth serve` and the desktop's engine start them), the rest
 * as it was, checked against the schema. Two streams reading the same topic of the same broker would answer each row
 * twice: CONFLICT.
 */
export function configWithStream(text: string | null, path: string, stream: StreamEntry): string {
  return configWithEntry(text, path, 'streams', stream, (s) =>
    s.mqtt === stream.mqtt && s.in === stream.in ? `${stream.mqtt} topic ${stream.in} already has a stream` : null,
  );
}

/**
 * Rotates the store key with the engine stopped (rotation needs the store closed): the engine goes, the new key is
 * kept first where the next start will look for it only once the rotation succeeded, and the engine starts again
 * whatever happened. A rotation cut short is resumable with the same new key (main/security/rotate-key.ts), so the
 * new key is put aside (`stageKey`) before the store is touched and made current (`commitKey`) after.
 */
export async function rotateWithEngineStopped<R>(steps: {
  stopEngine(): Promise<void>;
  stageKey(): void;
  rotate(): R;
  commitKey(): void;
  startEngine(): void;
}): Promise<R> {
  await steps.stopEngine();
  try {
    steps.stageKey();
    const result = steps.rotate();
    steps.commitKey();
    return result;
  } finally {
    steps.startEngine();
  }
}

/** One dropped file's outcome: its rows, or why it was refused or failed. */
export type FileOutcome = { file: string } & ({ ok: true; result: unknown } | { ok: false; error: SerializedError });

/**
 * Carries out a checked action. Dropped files are checked one by one (a refused one is reported and the rest go on);
 * the first file makes the dataset's next version (or appends, when asked), each later one appends to it.
 */
export async function performDesktopAction(action: DesktopAction, deps: ActionDeps): Promise<CallOutcome> {
  if (action.action === 'ingest-query') return deps.callLocal('datasets.ingest-query', action.args);
  if (action.action === 'add-watch') {
    try {
      const dir = await deps.chooseFolder();
      if (dir === null) return { ok: true, result: { added: null } };
      if (!isAbsolute(dir) || !deps.fs.stat(dir).isDirectory())
        throw new HearthError('VALIDATION_FAILED', `${dir} is not a folder`);
      const watch = {
        dir,
        dataset: action.dataset,
        ...(action.intervalSeconds === undefined ? {} : { intervalSeconds: action.intervalSeconds }),
      };
      await deps.addWatch(watch);
      return { ok: true, result: { added: watch } };
    } catch (error) {
      return { ok: false, error: serializeError(error) };
    }
  }
  if (action.action === 'add-stream') {
    try {
      await deps.addStream(action.stream);
      return { ok: true, result: { added: action.stream } };
    } catch (error) {
      return { ok: false, error: serializeError(error) };
    }
  }
  if (action.action === 'rotate-key') {
    try {
      return { ok: true, result: await deps.rotateKey() };
    } catch (error) {
      return { ok: false, error: serializeError(error) };
    }
  }
  if (action.action === 'backup-to') {
    const to = await deps.chooseFile('backup');
    if (to === null) return { ok: true, result: { file: null } };
    return deps.callEngine({
      kind: 'backup-to',
      to,
      ...(action.passphrase === undefined ? {} : { passphrase: action.passphrase }),
    });
  }
  if (action.action === 'predict-file') {
    const input = await deps.chooseFile('score-input');
    if (input === null) return { ok: true, result: { out: null } };
    const checked = checkDroppedFile(input, deps.fs);
    if ('error' in checked) return { ok: false, error: { code: 'VALIDATION_FAILED', message: checked.error } };
    if (checked.format !== 'csv')
      return { ok: false, error: { code: 'VALIDATION_FAILED', message: `${checked.fileName}: scoring reads CSV files` } };
    const out = await deps.chooseFile('score-output');
    if (out === null) return { ok: true, result: { out: null } };
    if (!isAbsolute(out)) return { ok: false, error: { code: 'VALIDATION_FAILED', message: `${out}: not an absolute path` } };
    return deps.callEngine({ kind: 'predict-file', model: action.model, input: checked.path, out });
  }
  if (action.action === 'restore') {
    try {
      return { ok: true, result: await deps.restore(action.file, action.passphrase) };
    } catch (error) {
      return { ok: false, error: serializeError(error) };
    }
  }
  const outcomes: FileOutcome[] = [];
  let append = action.append === true;
  for (const path of action.paths) {
    const checked = checkDroppedFile(path, deps.fs);
    if ('error' in checked) {
      outcomes.push({ file: basename(path), ok: false, error: { code: 'VALIDATION_FAILED', message: checked.error } });
      continue;
    }
    const reply = await deps.callLocal('datasets.ingest', {
      name: action.dataset,
      path: checked.path,
      fileName: checked.fileName,
      format: checked.format,
      ...(append ? { append: true } : {}),
    });
    outcomes.push(
      reply.ok
        ? { file: checked.fileName, ok: true, result: reply.result }
        : { file: checked.fileName, ok: false, error: reply.error },
    );
    if (reply.ok) append = true;
  }
  return { ok: true, result: outcomes };
}
