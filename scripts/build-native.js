// Builds the native GBDT kernel (workers/gbdt/native: kernel.c, split.c, bins.c and args.c) with node-gyp into
// dist/workers/gbdt/kernel.node.
// The kernel is optional: training takes the wasm kernel where it is missing (kernel.ts), so a machine without a C
// compiler still builds, and this says why the native one was left out. HEARTH_REQUIRE_NATIVE=1 (CI) turns that into
// a failure, so a broken build cannot pass unseen behind the fallback.
// Node's headers come from the node in use (its include/node beside the binary, as Debian's nodejs installs them)
// unless npm's nodedir says otherwise: node-gyp would otherwise download them, which an offline box cannot.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'workers', 'gbdt', 'native');
const target = join(root, 'dist', 'workers', 'gbdt', 'kernel.node');
const required = process.env.HEARTH_REQUIRE_NATIVE === '1';

function fail(why) {
  rmSync(target, { force: true });
  if (required) {
    console.error(`build:native: ${why}`);
    process.exit(1);
  }
  console.warn(`build:native: the native GBDT kernel was not built (training will use the wasm kernel): ${why}`);
  process.exit(0);
}

let gyp;
try {
  gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
} catch {
  fail('node-gyp is not installed');
}
const args = [gyp, 'rebuild', '--release', `--directory=${source}`, '--loglevel=warn'];
const installed = join(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(installed, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${installed}`);
}
const built = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
if (built.status !== 0) fail(`node-gyp exited with ${built.status ?? built.signal}`);
mkdirSync(dirname(target), { recursive: true });
// Copied beside the target and renamed over it: a process with the old addon loaded keeps its own file (copying
// over it in place rewrote the pages that process runs, and it died of SIGILL mid-test).
copyFileSync(join(source, 'build', 'Release', 'gbdt_kernel.node'), `${target}.new`);
renameSync(`${target}.new`, target);
rmSync(join(source, 'build'), { recursive: true, force: true });
