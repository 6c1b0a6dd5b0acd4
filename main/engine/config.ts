import { readFileSync } from 'node:fs';
import { HearthError } from '../contracts/errors.js';
import type { SyncAgent } from '../sync/agent.js';
import type { HearthConfig } from '../settings/file-schema.js';

export type { HearthConfig } from '../settings/file-schema.js';
export { configPath } from '../settings/resolve.js';
import { resolveStructured } from '../settings/resolve.js';

/**
 * Applies the provisioning of a config file already read (settings/resolve.ts validated it): remotes with their
 * credentials and followed aliases. A failure is a coded error naming the file and the entry.
 */
export function applyConfigFile(config: HearthConfig, path: string, sync: SyncAgent): void {
  const secret = (file: string): string => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      throw new HearthError('VALIDATION_FAILED', `cannot read the secret file ${file}`);
    }
  };
  // A list set by its HEARTH_* variable (JSON) is named by the variable, not by the file it replaced.
  const origin = (key: 'remotes' | 'follow'): string => {
    const resolved = resolveStructured(key, {});
    return resolved.source === 'env' ? resolved.env : path;
  };
  const within = (where: string, apply: () => void): void => {
    try {
      apply();
    } catch (error) {
      const key = where.startsWith('follow') ? 'follow' : 'remotes';
      if (error instanceof HearthError) throw new HearthError(error.code, `${origin(key)}: ${where}: ${error.message}`);
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
