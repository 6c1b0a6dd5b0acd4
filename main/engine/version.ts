import { readFileSync } from 'node:fs';

/** Hearth's version, from package.json (two levels above dist/main/engine or main/engine). */
export const hearthVersion: string = (() => {
  for (const up of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'hearth' && pkg.version !== undefined) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
})();
