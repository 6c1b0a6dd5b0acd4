// Runs the compiled test files with Node's own test runner: unit, then integration, then browser (e2e).
// Usage: node scripts/run-tests.js [unit|integration|e2e ...]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const suites = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['unit', 'integration', 'e2e'];
const files = [];
for (const suite of suites) {
  const dir = join('dist', 'test', suite);
  if (!existsSync(dir)) {
    console.error(`no compiled tests in ${dir}: run \`npm run build\` first`);
    process.exit(1);
  }
  for (const f of readdirSync(dir, { recursive: true })) if (String(f).endsWith('.test.js')) files.push(join(dir, String(f)));
}
const result = spawnSync(process.execPath, ['--test', ...files.sort()], {
  stdio: 'inherit',
  env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' },
});
process.exit(result.status ?? 1);
