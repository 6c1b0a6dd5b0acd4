import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { HearthError } from '../contracts/errors.js';
import { makePrivateDir, privateFileMode } from '../crypto/private-fs.js';

/**
 * A standby's own record, `standby.json` in its data folder: whom it follows, which backup it last restored, and
 * whether it has been promoted to writer. It is written by the standby and by a promotion, and survives a restart,
 * so a promoted box stays the writer and a standby that restarts serves its last restore read-only.
 */

const stateFile = 'standby.json';

/** What travels from the old data folder into each new restore: the box's own files, which no backup holds. */
const carried = [stateFile, 'hearth.config.json'];

const stateSchema = z
  .object({
    role: z.enum(['standby', 'writer']),
    from: z.string().max(600),
    digest: z.string().max(100).nullable(),
    backupCreatedAt: z.string().max(64).nullable(),
    restoredAt: z.string().max(64).nullable(),
    promotedAt: z.string().max(64).nullable(),
  })
  .strict();

export type StandbyState = z.infer<typeof stateSchema>;

export function readStandbyState(dataDir: string): StandbyState | null {
  const path = join(dataDir, stateFile);
  if (!existsSync(path)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    // Named by its file name, not its path: sync.standby carries this message to a viewer over HTTP.
    throw new HearthError('STORE_INCOMPATIBLE', `${stateFile} in the data folder is not JSON: it is not a Hearth standby record`);
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success)
    throw new HearthError('STORE_INCOMPATIBLE', `${stateFile} in the data folder is not a Hearth standby record`);
  return parsed.data;
}

/** Written to a temporary file and renamed over the record: a crash leaves the old record or the new, never half. */
export function writeStandbyState(dataDir: string, state: StandbyState): void {
  makePrivateDir(dataDir);
  const path = join(dataDir, stateFile);
  writeFileSync(`${path}.part`, `${JSON.stringify(state, null, 2)}\n`, { mode: privateFileMode });
  renameSync(`${path}.part`, path);
}

/**
 * Marks a standby's data folder as the writer. Refused when it has restored no backup yet: promoting an empty store
 * would make a writer that knows none of the data.
 */
export function promoteStandby(dataDir: string): StandbyState {
  const state = readStandbyState(dataDir);
  if (state === null) throw new HearthError('CONFLICT', `${dataDir} is not a standby's data folder (it has no ${stateFile})`);
  if (state.role === 'writer') return state;
  if (state.digest === null)
    throw new HearthError(
      'CONFLICT',
      'this standby has restored no backup yet: promoting it would make an empty writer. Wait for its first restore (`/readyz` answers 200)',
    );
  const promoted: StandbyState = { ...state, role: 'writer', promotedAt: new Date().toISOString() };
  writeStandbyState(dataDir, promoted);
  return promoted;
}

function previousName(dataDir: string): string {
  return `${dataDir}.previous-${new Date().toISOString().replace(/[:.]/g, '-')}`;
}

/**
 * Puts a restored folder (`restored`, a sibling of `dataDir`, checked whole) in the place of the data folder: the
 * box's own files are copied in, the old folder is renamed aside, the new one renamed into place, the old one
 * removed once the caller has opened the new one (commit), or put back (undo). Each step is a rename on one file system; a crash between the two renames leaves no data folder and one
 * `.previous-` beside it, which recoverStandbySwap puts back.
 */
export function swapInRestore(restored: string, dataDir: string): { commit(): void; undo(): void } {
  for (const name of carried) {
    const source = join(dataDir, name);
    if (existsSync(source)) copyFileSync(source, join(restored, name));
  }
  const aside = previousName(dataDir);
  const had = existsSync(dataDir);
  if (had) renameSync(dataDir, aside);
  renameSync(restored, dataDir);
  return {
    // The old folder goes once the new one has opened; until then it can be put back.
    commit: () => {
      if (had) rmSync(aside, { recursive: true, force: true });
    },
    undo: () => {
      rmSync(dataDir, { recursive: true, force: true });
      if (had) renameSync(aside, dataDir);
    },
  };
}

/**
 * After a crash mid-swap: the data folder is back from its `.previous-` copy (the newest, if several), and the
 * scratch folders of an unfinished download or restore are removed.
 */
export function recoverStandbySwap(dataDir: string): void {
  const parent = dirname(dataDir);
  if (!existsSync(parent)) return;
  for (const f of readdirSync(parent))
    if (f.startsWith(`.${basename(dataDir)}.restore-`) || f.startsWith(`.${basename(dataDir)}.download-`))
      rmSync(join(parent, f), { recursive: true, force: true });
  const prefix = `${basename(dataDir)}.previous-`;
  const asides = readdirSync(parent)
    .filter((f) => f.startsWith(prefix) && statSync(join(parent, f)).isDirectory())
    .sort();
  if (asides.length === 0) return;
  const newest = asides.pop()!;
  if (!existsSync(dataDir)) renameSync(join(parent, newest), dataDir);
  else asides.push(newest);
  for (const f of asides) rmSync(join(parent, f), { recursive: true, force: true });
}
