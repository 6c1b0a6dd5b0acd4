// Builds the self-contained GPU benchmark bundle: a Node binary, the built engine and benchmark, the npm packages
// they load (native parts for linux-x64 only) and the Vulkan loader, as one .tar.xz under 64 MiB. Unpacked on a
// machine with a GPU and no network, `./run.sh` prints the benchmark's JSON lines (test/bench/gpu.ts).
// Usage: npm run build && node scripts/gpu-bundle.js [--out FILE] [--fast]
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: flags } = parseArgs({
  options: { out: { type: 'string' }, fast: { type: 'boolean', default: false } },
});
const out = flags.out ?? join(root, 'build', 'hearth-gpu-bench.tar.xz');
const limit = 64 * 1024 * 1024;
if (process.platform !== 'linux' || process.arch !== 'x64')
  throw new Error('the GPU bundle is built on linux-x64, for linux-x64');
if (!existsSync(join(root, 'dist', 'test', 'bench', 'gpu.js'))) throw new Error('run `npm run build` first');

const stage = join(root, 'build', 'gpu-bundle');
const top = join(stage, 'hearth-gpu-bench');
rmSync(stage, { recursive: true, force: true });
mkdirSync(join(top, 'lib'), { recursive: true });

// The Node binary this was built with: the bundle's code was compiled and tested on it.
copyFileSync(process.execPath, join(top, 'node'));
chmodSync(join(top, 'node'), 0o755);

// The built engine and workers (the benchmark loads a few of their modules; they are small), and the benchmark.
const app = join(top, 'app');
for (const part of ['main', 'workers']) cpSync(join(root, 'dist', part), join(app, 'dist', part), { recursive: true });
for (const file of ['bench/gpu.js', 'bench/gpu-child.js', 'bench/gbdt-gpu.js', 'fixtures/float-mlp.js'])
  cpSync(join(root, 'dist', 'test', file), join(app, 'dist', 'test', file));
// The GBDT bench's scikit-learn peer, where gbdt-gpu.js looks for it (app/test/bench, as in the repository).
cpSync(join(root, 'test', 'bench', 'gbdt_gpu_peer.py'), join(app, 'test', 'bench', 'gbdt_gpu_peer.py'));
writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'hearth-gpu-bench', private: true, type: 'module' }, null, 2));

// The packages the benchmark imports and everything they depend on, found through their package.json files.
const roots = [
  'onnxruntime-node',
  'webgpu',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
  'zod',
];
const seen = new Set();
const queue = [...roots];
while (queue.length > 0) {
  const name = queue.shift();
  if (seen.has(name)) continue;
  seen.add(name);
  const manifest = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'));
  for (const dep of Object.keys(manifest.dependencies ?? {})) if (existsSync(join(root, 'node_modules', dep))) queue.push(dep);
}
const skip = (path) =>
  /\.(map|d\.ts|d\.mts|d\.cts|md|ts)$/.test(path) ||
  // Native builds for other platforms, and TypeScript sources beside the compiled files.
  /^node_modules\/onnxruntime-node\/bin\/napi-v\d+\/(?!linux($|\/x64))/.test(path) ||
  /^node_modules\/onnxruntime-node\/bin\/napi-v\d+\/linux\/x64\/.*providers_(cuda|tensorrt)/.test(path) ||
  /^node_modules\/webgpu\/dist\/(?!linux-x64)/.test(path) ||
  /tfjs-[a-z-]+\/dist\/.*\.(es2017|fesm|min)\./.test(path) ||
  /\/(src|test|tests|docs)\//.test(path);
for (const name of seen) {
  cpSync(realpathSync(join(root, 'node_modules', name)), join(app, 'node_modules', name), {
    recursive: true,
    filter: (source) => !skip(relative(root, source).replaceAll('\\', '/')),
  });
}

// The Vulkan loader: Dawn (in the webgpu package and inside ONNX Runtime) opens libvulkan.so.1, which a bare GPU
// machine may lack; the GPU driver's own ICD file tells it where the driver is.
// NVIDIA's Vulkan driver is a GLVND library (libGLX_nvidia.so.0): it cannot start without libGLdispatch and, on a
// bare machine, the X client libraries it links to, so those travel too (a few MB).
const loaderLibraries = [
  'libvulkan.so.1',
  'libGLdispatch.so.0',
  'libGLX.so.0',
  'libEGL.so.1',
  'libGL.so.1',
  'libOpenGL.so.0',
  'libGLESv2.so.2',
  'libX11.so.6',
  'libXext.so.6',
  'libxcb.so.1',
  'libXau.so.6',
  'libXdmcp.so.6',
  'libbsd.so.0',
  'libmd.so.0',
];
for (const name of loaderLibraries) {
  const source = join('/usr/lib/x86_64-linux-gnu', name);
  if (!existsSync(source))
    throw new Error(`${source} is missing: apt-get install libvulkan1 libglvnd0 libgl1 libegl1 libgles2 libopengl0`);
  copyFileSync(realpathSync(source), join(top, 'lib', name));
}
writeFileSync(
  join(top, 'run.sh'),
  `#!/bin/sh
# Runs the GPU benchmark: JSON lines on stdout. HEARTH_GPU_BENCH_ROWS and HEARTH_GPU_BENCH_BUDGET_S size it.
# './run.sh gbdt' runs the GBDT one instead (HEARTH_GBDT_GPU_BENCH_ROWS, HEARTH_GBDT_GPU_BENCH_MIN_ROWS).
here=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$here/lib\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export ORT_DISABLE_TELEMETRY=1
# NVIDIA containers keep the driver's Vulkan ICD outside the loader's search path.
if [ -z "$VK_ICD_FILENAMES" ] && [ -z "$VK_DRIVER_FILES" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
bench=gpu
if [ "$1" = gbdt ]; then bench=gbdt-gpu; shift; fi
exec "$here/node" "$here/app/dist/test/bench/$bench.js" "$@"
`,
);
chmodSync(join(top, 'run.sh'), 0o755);

mkdirSync(dirname(out), { recursive: true });
rmSync(out, { force: true });
execFileSync(
  'tar',
  ['-C', stage, '-cf', out, '--use-compress-program', flags.fast ? 'xz -0 -T0' : 'xz -9e -T0', 'hearth-gpu-bench'],
  {
    stdio: 'inherit',
  },
);
const bytes = statSync(out).size;
rmSync(stage, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ bundle: out, bytes, mib: Number((bytes / 2 ** 20).toFixed(1)), limit_mib: 64 })}\n`);
if (bytes > limit) {
  process.stderr.write(`the bundle is ${bytes} bytes, over the 64 MiB limit\n`);
  process.exit(1);
}
