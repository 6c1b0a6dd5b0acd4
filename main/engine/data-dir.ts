import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** `--data-dir`, else $HEARTH_DATA_DIR, else the platform's application-data folder. */
export function resolveDataDir(flag?: string): string {
  if (flag !== undefined && flag !== '') return resolve(flag);
  const fromEnv = process.env.HEARTH_DATA_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  switch (process.platform) {
    case 'win32':
      return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Hearth');
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', 'Hearth');
    default:
      return join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'hearth');
  }
}
