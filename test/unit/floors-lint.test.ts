import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Linter, type ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

// Compiled to dist/test/unit: the repository root is three folders up.
const root = fileURLToPath(new URL('../../../', import.meta.url));

async function lint(file: string, code: string, options: object = {}): Promise<Linter.LintMessage[]> {
  const config = (await import(pathToFileURL(join(root, 'eslint.config.js')).href)) as { floorsPlugin: ESLint.Plugin };
  const linter = new Linter({ cwd: root });
  return linter.verify(
    code,
    [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { floors: config.floorsPlugin },
        rules: { 'floors/no-upward-import': ['error', options] },
      },
    ],
    { filename: join(root, file) },
  );
}

describe('floors/no-upward-import', () => {
  it('reports an import that runs up a floor', async () => {
    const messages = await lint('main/store/fixture.ts', "import { Engine } from '../engine/engine.js';\n");
    assert.equal(messages.length, 1);
    assert.equal(messages[0]!.ruleId, 'floors/no-upward-import');
    assert.match(messages[0]!.message, /store \(floor 2\) may not import engine \(floor 5\)/);
  });

  it('reports type-only imports, re-exports and dynamic imports too', async () => {
    const code = [
      "import type { Engine } from '../engine/engine.js';",
      "export { dispatch } from '../api/dispatch.js';",
      "export const load = () => import('../training/trainer.js');",
      '',
    ].join('\n');
    const messages = await lint('main/data/fixture.ts', code);
    assert.deepEqual(
      messages.map((m) => m.line),
      [1, 2, 3],
    );
  });

  it('allows imports on the same floor or below, and packages', async () => {
    const code = [
      "import { HearthError } from '../contracts/errors.js';",
      "import { storeKey } from '../crypto/store-key.js';",
      "import { ModelRegistry } from '../registry/registry.js';",
      "import { x } from './sibling.js';",
      "import { z } from 'zod';",
      '',
    ].join('\n');
    assert.deepEqual(await lint('main/models/fixture.ts', code), []);
  });

  it('refuses the composition root below it: no service receives the whole Engine any more (empty allow-list)', async () => {
    const code = "import type { Engine } from '../engine/engine.js';\n";
    for (const file of ['main/serving/batch.ts', 'main/monitoring/alerts.ts', 'main/training/retrain.ts'])
      assert.equal((await lint(file, code)).length, 1, file);
  });

  it('keeps workers to the ground floor and models/', async () => {
    const code = "import { x } from '../main/data/profile.js';\nimport { y } from '../main/models/model.js';\n";
    const messages = await lint('workers/fixture.ts', code, { workers: true });
    assert.deepEqual(
      messages.map((m) => m.line),
      [1],
    );
    assert.deepEqual(await lint('workers/fixture.ts', code, { workers: false }), []);
  });
});
