import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { cliDocs } from '../../main/cli/docs.js';
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
});
