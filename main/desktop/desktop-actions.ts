import { existsSync, renameSync } from 'node:fs';
import { basename, extname, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { apiSchemas } from '../contracts/index.js';
import { name } from '../contracts/fields.js';
import { HearthError, serializeError, type SerializedError } from '../contracts/errors.js';
import { parseConfig } from '../settings/resolve.js';
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
  fs: FileProbe;
}

/** One entry of the config file's "watch" list. */
export interface WatchEntry {
  dir: string;
  dataset: string;
  intervalSeconds?: number;
}

/**
 * The config file's text with one more watched folder, the rest of the file as it was; checked against the config's
 * schema (a file that was already invalid stays refused). The same folder for the same dataset twice is CONFLICT.
 */
export function configWithWatch(text: string | null, path: string, watch: WatchEntry): string {
  let raw: unknown = {};
  if (text !== null && text.trim() !== '') {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new HearthError('VALIDATION_FAILED', `${path} is not JSON: fix it before adding a folder`);
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new HearthError('VALIDATION_FAILED', `${path} does not hold a JSON object`);
  const config = raw as Record<string, unknown>;
  if (config.watch !== undefined && !Array.isArray(config.watch))
    throw new HearthError('VALIDATION_FAILED', `${path}: watch is not a list: fix it before adding a folder`);
  const list = (config.watch ?? []) as unknown[];
  if (list.some((w) => (w as WatchEntry).dir === watch.dir && (w as WatchEntry).dataset === watch.dataset))
    throw new HearthError('CONFLICT', `${watch.dir} is already watched for ${watch.dataset}`);
  const next = `${JSON.stringify({ ...config, watch: [...list, watch] }, null, 2)}\n`;
  parseConfig(next, path);
  return next;
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
