import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { environmentOnly } from './settings.js';

/*
 * The variables read only from the environment (settings.ts environmentOnly): secrets, the two that find the config
 * file, diagnostics. Every HEARTH_* read of the engine goes through here or the resolver (resolve.ts), so that the
 * list `hearth config show` and docs/configuration.md print is the whole list.
 */

const known = new Set(environmentOnly.map((e) => e.env));

/** An environment-only variable's value; an empty one is unset, as every HEARTH_* variable is. */
export function environmentValue(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!known.has(name)) throw new Error(`${name} is not an environment-only setting (settings.ts)`);
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

export interface DataDirSetting {
  readonly value: string;
  readonly source: 'flag' | 'env' | 'default';
  /** Where it came from in words: the flag, the variable, or the platform's folder. */
  readonly from: string;
}

/** The data folder with its source: `--data-dir`, else $HEARTH_DATA_DIR, else the platform's application-data folder. */
export function resolveDataDirSetting(flag?: string, env: NodeJS.ProcessEnv = process.env): DataDirSetting {
  if (flag !== undefined && flag !== '') return { value: resolve(flag), source: 'flag', from: '--data-dir' };
  const fromEnv = environmentValue('HEARTH_DATA_DIR', env);
  if (fromEnv !== undefined) return { value: resolve(fromEnv), source: 'env', from: 'HEARTH_DATA_DIR' };
  const platform = (): string => {
    switch (process.platform) {
      case 'win32':
        return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Hearth');
      case 'darwin':
        return join(homedir(), 'Library', 'Application Support', 'Hearth');
      default:
        return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'hearth');
    }
  };
  return { value: platform(), source: 'default', from: "the platform's application-data folder" };
}

export function resolveDataDir(flag?: string): string {
  return resolveDataDirSetting(flag).value;
}

/** Where a store key may come from: the key, a file holding it (`store.keyFile`), or a passphrase. */
export interface StoreKeySource {
  key?: string | undefined;
  keyFile?: string | undefined;
  passphrase?: string | undefined;
}

/**
 * The store key's source: HEARTH_STORE_KEY and HEARTH_STORE_PASSPHRASE (secrets, environment only) and `store.keyFile`
 * through the resolver, given as the setting's value by the caller (resolve.ts storeKeySource).
 */
export function storeKeySecrets(env: NodeJS.ProcessEnv = process.env): Pick<StoreKeySource, 'key' | 'passphrase'> {
  return { key: environmentValue('HEARTH_STORE_KEY', env), passphrase: environmentValue('HEARTH_STORE_PASSPHRASE', env) };
}
