import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { cliDocs } from '../../main/cli/docs.js';
import { hostOnlyCommands } from '../../main/cli/host-only.js';
import { commandUsage, commands, usage } from '../../main/cli/table.js';

describe('CLI manual (docs/cli.md)', () => {
  it('is what the command table generates (run `npm run docs:cli` after changing a command)', () => {
    const file = readFileSync(fileURLToPath(new URL('../../../docs/cli.md', import.meta.url)), 'utf8');
    assert.equal(file, cliDocs(), 'docs/cli.md is stale: run `npm run build && npm run docs:cli`');
  });

  it('lists every command once, with its usage in `hearth --help` and its own help', () => {
    const names = commands.map((c) => c.name);
    assert.equal(new Set(names).size, names.length);
    for (const c of commands) {
      assert.ok(c.usage.startsWith(`  ${c.name}`), `${c.name}'s usage starts with its name`);
      assert.ok(usage().includes(c.usage));
      assert.ok(commandUsage(c).includes(c.usage));
    }
  });

  it('lists host-only commands in one place: real commands, covering every command file that reaches the engine', () => {
    const names = new Set(commands.map((c) => c.name));
    const listed = new Set(Object.keys(hostOnlyCommands).map((key) => key.split(' ')[0]!));
    for (const [key, reason] of Object.entries(hostOnlyCommands)) {
      assert.ok(names.has(key.split(' ')[0]!), `host-only "${key}" is not a command`);
      assert.ok(reason.length > 20, `host-only "${key}" gives its reason`);
    }
    // The sources, beside the compiled tests: dist/test/unit → main/cli/commands.
    const dir = fileURLToPath(new URL('../../../main/cli/commands/', import.meta.url));
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(`${dir}${file}`, 'utf8');
      if (!/\bengine\.|\(engine\b|, engine\b/.test(source)) continue;
      const defined = [...source.matchAll(/^ {2}name: '([a-z-]+)'/gm)].map((m) => m[1]!);
      assert.ok(
        defined.some((name) => listed.has(name)),
        `${file} reaches the engine directly: route it through the client or list its command in main/cli/host-only.ts`,
      );
    }
    assert.match(cliDocs(), /## Host-only commands/);
  });
});
