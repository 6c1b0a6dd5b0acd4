import { type z } from 'zod';
import { configSchema } from './file-schema.js';
import { environmentOnly, settings, structuredSettings } from './settings.js';

const code = (text: string): string => `\`${text}\``;

/**
 * docs/configuration.md, generated from the settings list and the config file's schema so the reference cannot drift
 * from the code: `node dist/main/cli/docs.js --config` writes it, and test/unit/settings.test.ts fails when it is stale.
 */
export function configurationDocs(): string {
  const shape = configSchema.shape as Record<string, z.ZodType>;
  const sections = [...new Set(settings.map((s) => s.key.split('.')[0]!))];
  const provisioning = Object.keys(shape).filter((key) => !sections.includes(key));
  return [
    '# Configuration',
    '',
    '<!-- Generated from main/settings/settings.ts and main/settings/file-schema.ts by `node dist/main/cli/docs.js --config`; do not edit. -->',
    '',
    'Every setting has one name, its key in the config file, and is resolved in this order, each overriding the one',
    'before: its default, the config file (`hearth.config.json` in the data folder, or `$HEARTH_CONFIG`), its `HEARTH_*`',
    'variable, its flag. `hearth config show` prints the value of each with where it came from; `hearth config check',
    'FILE` validates a file. A key the file does not know is refused with its path (`server.prot: unknown key (did you',
    'mean server.port?)`), by `config check` and at start alike.',
    '',
    '```json',
    JSON.stringify(
      { server: { host: '0.0.0.0', port: 7420 }, serving: { logSample: 0.5 }, uploads: { quotaMiB: 1024 } },
      null,
      2,
    ),
    '```',
    '',
    '## Settings',
    '',
    '| Key | Type | Default | Variable | Flag | |',
    '| --- | --- | --- | --- | --- | --- |',
    ...settings.map(
      (s) =>
        `| ${code(s.key)} | ${s.kind} | ${s.default === undefined ? (s.defaultText ?? '(none)') : code(String(s.default))} | ${code(s.env)} | ${s.flag === undefined ? '' : code(`--${s.flag}`)} | ${s.doc} |`,
    ),
    '',
    '## Provisioning',
    '',
    "Lists and objects: what provisioning sets up rather than a single value. Each is the file's key, or its variable",
    'holding the same JSON (`HEARTH_WATCH=\'[{"dir":"/srv/in","dataset":"sales"}]\'`), checked by the same schema with a',
    "bad key named by its path (`HEARTH_WATCH: watch.0.dataset: …`). A variable replaces the file's whole value; lists",
    'are not merged. `hearth config show` prints where each came from.',
    '',
    '| Key | Variable | |',
    '| --- | --- | --- |',
    ...provisioning.map((key) => {
      const env = structuredSettings.find((s) => s.key === key)?.env;
      return `| ${code(key)} | ${env === undefined ? '(file only)' : code(env)} | ${shape[key]!.description ?? ''} |`;
    }),
    '',
    '## From the environment only',
    '',
    'Secrets are never written in the config file (a file may name a file that holds one, such as `store.keyFile`),',
    'and two variables find the file itself.',
    '',
    '| Variable | Flag | |',
    '| --- | --- | --- |',
    ...environmentOnly.map((e) => `| ${code(e.env)} | ${e.flag === undefined ? '' : code(`--${e.flag}`)} | ${e.doc} |`),
    '',
  ].join('\n');
}
