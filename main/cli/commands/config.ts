import { readFileSync } from 'node:fs';
import { HearthError } from '../../contracts/errors.js';
import { resolveDataDirSetting } from '../../engine/data-dir.js';
import { environmentValue } from '../../settings/environment.js';
import { configPath, parseConfig, readConfigFile, resolveSettings, resolveStructuredSettings } from '../../settings/resolve.js';
import { environmentOnly } from '../../settings/settings.js';
import { type Command, UsageError } from '../command.js';

/** `hearth config show | check FILE`: the effective settings with where each came from, and a file's validation. */
export const configCommand: Command = {
  name: 'config',
  summary: 'the effective value of every setting and where it came from; validate a config file',
  usage: `  config show                         every setting's value and its source (default, file, env, flag), the data
                                      folder's included; the file's lists and objects with theirs; the variables
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
    const dataDirSetting = resolveDataDirSetting(flags['data-dir']);
    const dataDir = dataDirSetting.value;
    const path = configPath(dataDir);
    const fileRead = readConfigFile(path);
    const layers = { file: fileRead, filePath: path, env: process.env };
    // The data folder first: it is found before the file (which it holds) and so is never read from it.
    const settings = [
      {
        key: 'dataDir',
        value: dataDir,
        source: dataDirSetting.source,
        from: dataDirSetting.from,
        env: 'HEARTH_DATA_DIR',
        flag: '--data-dir',
      },
      ...resolveSettings(layers).map((r) => ({
        key: r.setting.key,
        value: r.value ?? null,
        source: r.source,
        from: r.from,
        env: r.setting.env,
        flag: r.setting.flag === undefined ? null : `--${r.setting.flag}`,
      })),
    ];
    const provisioning = resolveStructuredSettings(layers).map((r) => ({
      key: r.key,
      value: r.value ?? null,
      source: r.source,
      from: r.from,
      env: r.env,
    }));
    const environment = environmentOnly
      .filter((e) => e.env !== 'HEARTH_DATA_DIR')
      .map((e) => {
        const value = environmentValue(e.env);
        // A secret's value is never printed, only whether it is set.
        return { env: e.env, set: value !== undefined, value: e.secret || value === undefined ? null : value };
      });
    const width = Math.max(...settings.map((s) => s.key.length), ...provisioning.map((p) => p.key.length));
    const sourceText = (s: { source: string; from: string }): string =>
      `[${s.source === 'default' ? 'default' : `${s.source}: ${s.from}`}]`;
    const summary = (value: unknown): string =>
      Array.isArray(value)
        ? `${value.length} ${value.length === 1 ? 'entry' : 'entries'}`
        : value === undefined || value === null
          ? '(none)'
          : JSON.stringify(value);
    out.result({ dataDir, configFile: path, settings, provisioning, environment }, () =>
      [
        `config file: ${path}${fileRead === null ? ' (none)' : ''}`,
        '',
        ...settings.map(
          (s) =>
            `${s.key.padEnd(width)}  ${s.value === null ? (s.from === 'default' ? '(not set)' : `(${s.from})`) : String(s.value)}  ${sourceText(s)}`,
        ),
        '',
        'Provisioning (JSON in the file or in its variable):',
        ...provisioning.map((p) => `${p.key.padEnd(width)}  ${summary(p.value)}  ${sourceText(p)}`),
        '',
        'From the environment only:',
        ...environment.map((e) => `  ${e.env.padEnd(24)}${e.set ? (e.value === null ? 'set' : e.value) : 'not set'}`),
      ].join('\n'),
    );
    return 0;
  },
};
