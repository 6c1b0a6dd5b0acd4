import { readFileSync } from 'node:fs';
import { HearthError } from '../../contracts/errors.js';
import { resolveDataDir } from '../../engine/data-dir.js';
import { configPath, parseConfig, readConfigFile, resolveSettings } from '../../settings/resolve.js';
import { environmentOnly } from '../../settings/settings.js';
import { type Command, UsageError } from '../command.js';

/** `hearth config show | check FILE`: the effective settings with where each came from, and a file's validation. */
export const configCommand: Command = {
  name: 'config',
  summary: 'the effective value of every setting and where it came from; validate a config file',
  usage: `  config show                         every setting's value and its source (default, file, env); the variables
                                      read only from the environment, secrets as set or not
  config check FILE                   validate a config file: every unknown key or bad value, with its path`,
  run: async ({ rest, flags, out }) => {
    const [sub, file, ...extra] = rest;
    if (sub === 'check') {
      if (file === undefined || extra.length > 0) throw new UsageError('config check takes one FILE');
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        throw new HearthError('NOT_FOUND', `cannot read ${file}: ${(error as Error).message}`);
      }
      parseConfig(text, file);
      out.result({ file, valid: true }, () => `${file}: valid`);
      return 0;
    }
    if (sub !== 'show' || file !== undefined) throw new UsageError('config takes show, or check FILE');
    const dataDir = resolveDataDir(flags['data-dir']);
    const path = configPath(dataDir);
    const resolved = resolveSettings({ file: readConfigFile(path), filePath: path, env: process.env });
    const settings = resolved.map((r) => ({
      key: r.setting.key,
      value: r.value ?? null,
      source: r.source,
      from: r.from,
      env: r.setting.env,
      flag: r.setting.flag === undefined ? null : `--${r.setting.flag}`,
    }));
    const environment = environmentOnly.map((e) => {
      const set = process.env[e.env] !== undefined && process.env[e.env] !== '';
      // A secret's value is never printed, only whether it is set.
      return { env: e.env, set, value: e.secret || !set ? null : process.env[e.env]! };
    });
    const width = Math.max(...settings.map((s) => s.key.length));
    out.result({ dataDir, configFile: path, settings, environment }, () =>
      [
        `data folder: ${dataDir}`,
        `config file: ${path}${readConfigFile(path) === null ? ' (none)' : ''}`,
        '',
        ...settings.map(
          (s) =>
            `${s.key.padEnd(width)}  ${s.value === null ? (s.from === 'default' ? '(not set)' : `(${s.from})`) : String(s.value)}  [${s.source === 'default' ? 'default' : `${s.source}: ${s.from}`}]`,
        ),
        '',
        'From the environment only:',
        ...environment.map((e) => `  ${e.env.padEnd(24)}${e.set ? (e.value === null ? 'set' : e.value) : 'not set'}`),
      ].join('\n'),
    );
    return 0;
  },
};
