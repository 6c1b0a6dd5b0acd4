import { readFileSync } from 'node:fs';
import { HearthError } from '../contracts/errors.js';
import type { SyncAgent } from '../sync/agent.js';
import type { HearthConfig } from '../settings/file-schema.js';

export type { HearthConfig } from '../settings/file-schema.js';
export { configPath } from '../settings/resolve.js';

/**
 * Applies the provisioning of a config file already read (settings/resolve.ts validated it): remotes with their
 * credentials and followed aliases. A failure is a coded error naming the file and the entry.
 */
export function applyConfigFile(config: HearthConfig, path: string, sync: SyncAgent): void {
  const secret = (file: string): string => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      throw new HearthError('VALIDATION_FAILED', `${path}: cannot read the secret file ${file}`);
    }
  };
  const within = (where: string, apply: () => void): void => {
    try {
      apply();
    } catch (error) {
      if (error instanceof HearthError) throw new HearthError(error.code, `${path}: ${where}: ${error.message}`);
      throw error;
    }
  };
  config.remotes.forEach((r, i) =>
    within(`remotes.${i}`, () => {
      const credentials =
        r.tokenFile !== undefined
          ? { token: secret(r.tokenFile) }
          : r.username !== undefined
            ? {
                username: r.username,
                password: secret(r.passwordFile!),
                ...(r.tokenService === undefined ? {} : { tokenService: r.tokenService }),
              }
            : undefined;
      sync.upsertRemote(r.name, r.url, r.insecureHttp ?? false, credentials);
    }),
  );
  config.follow.forEach((f, i) => within(`follow.${i}`, () => sync.follow(f.remote, f.model, f.alias)));
}
