import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { backendsOf, type OrtProviderName } from '../contracts/api.js';
import { encodeOnnxModel, TensorType } from '../onnx/graph.js';
import { firstLine } from './webgpu.js';
import { describeWebGpuAdapter } from './webgpu-probe.js';
import type { Ort } from './ort-load.js';
import type { BackendProbe } from './backend-probe.js';

/**
 * ONNX Runtime's execution providers: which this box has, and whether each computes a known answer. The CUDA
 * provider ships as a separate library that Hearth's install skips (onnxruntime-node fetches it from NuGet), so it
 * is tried only where it is present; DirectML and CoreML exist only on their platforms; WebGPU is bundled in
 * onnxruntime-node's own binary (its Dawn accepts Vulkan or Direct3D 12 adapters).
 */
export const ortProviderOrder: readonly OrtProviderName[] = backendsOf.onnxruntime;

/** A float32 graph every provider should run, and its answer computed here: Softmax(Relu(X·X)) by rows. */
function probeModel(): { model: Uint8Array; input: Float32Array; expected: number[] } {
  const model = encodeOnnxModel({
    graphName: 'hearth-provider-probe',
    inputs: [{ name: 'X', type: TensorType.FLOAT, shape: ['N', 4] }],
    outputs: [{ name: 'Y', type: TensorType.FLOAT, shape: ['N', 4] }],
    nodes: [
      { op: 'Mul', inputs: ['X', 'X'], outputs: ['squared'] },
      { op: 'Sub', inputs: ['squared', 'X'], outputs: ['shifted'] },
      { op: 'Relu', inputs: ['shifted'], outputs: ['rectified'] },
      { op: 'Softmax', inputs: ['rectified'], outputs: ['Y'], attributes: { axis: { kind: 'int', value: 1 } } },
    ],
    initializers: [],
    opsets: [{ domain: '', version: 17 }],
    metadata: {},
    producerVersion: 'probe',
    docString: '',
  });
  const input = Float32Array.from({ length: 8 }, (_, i) => i / 3 - 1);
  const expected: number[] = [];
  for (let r = 0; r < 2; r++) {
    const z = Array.from(input.subarray(r * 4, r * 4 + 4), (x) => Math.max(0, x * x - x));
    const max = Math.max(...z);
    const e = z.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    expected.push(...e.map((v) => v / sum));
  }
  return { model, input, expected };
}

async function computesRight(ort: Ort, provider: OrtProviderName): Promise<void> {
  const { model, input, expected } = probeModel();
  const session = await ort.InferenceSession.create(model, { executionProviders: [provider], logSeverityLevel: 3 });
  try {
    const out = await session.run({ X: new ort.Tensor('float32', input, [2, 4]) });
    const got = out.Y!.data as Float32Array;
    const worst = Math.max(...expected.map((e, i) => Math.abs(e - got[i]!)));
    if (!(worst < 1e-5)) throw new Error(`a probe graph came out wrong (off by ${worst})`);
  } finally {
    await session.release();
  }
}

export function providerLibraryPresent(name: string): boolean {
  try {
    const root = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const folder = join(root, 'bin', 'napi-v6', process.platform, process.arch);
    const file = process.platform === 'win32' ? `onnxruntime_providers_${name}.dll` : `libonnxruntime_providers_${name}.so`;
    return existsSync(join(folder, file));
  } catch {
    return false;
  }
}

/** Probes every provider; none of them is an error, each says why it is or is not usable. */
export async function probeOrtProviders(ort: Ort): Promise<BackendProbe[]> {
  const bundled = new Map(ort.listSupportedBackends().map((b) => [b.name, b.bundled]));
  const probes: BackendProbe[] = [];
  for (const name of ortProviderOrder) {
    const probe = async (): Promise<BackendProbe> => {
      const unusable = (reason: string): BackendProbe => ({
        name,
        usable: false,
        preferred: false,
        reason,
        device: null,
        software: false,
      });
      let device: string | null = null;
      let preferred = true;
      let software = false;
      let reason = 'runs a probe graph correctly';
      if (name === 'cuda') {
        if (process.platform !== 'linux' && process.platform !== 'win32') return unusable('CUDA is for Linux and Windows');
        if (!providerLibraryPresent('cuda'))
          return unusable(
            'the CUDA provider library is not installed (onnxruntime-node fetches it at install, a step Hearth skips on offline boxes)',
          );
        device = 'CUDA GPU';
      } else if (name === 'dml') {
        if (process.platform !== 'win32') return unusable('DirectML is Windows only');
        device = 'Direct3D 12 GPU';
      } else if (name === 'coreml') {
        if (process.platform !== 'darwin') return unusable('CoreML is macOS only');
        device = 'Apple Neural Engine / GPU';
      } else if (name === 'webgpu') {
        if (bundled.get('webgpu') !== true) return unusable('this onnxruntime-node build has no WebGPU provider');
        // ONNX Runtime carries its own Dawn; the webgpu package's adapter is the same default adapter, named.
        const adapter = await describeWebGpuAdapter();
        if (adapter.ok) {
          device = adapter.info.device;
          if (adapter.info.software) {
            preferred = false;
            software = true;
            reason = 'software adapter: slower than the CPU provider, so used only when pinned; it runs a probe graph correctly';
          }
        }
      } else {
        device = 'CPU';
      }
      try {
        await computesRight(ort, name);
      } catch (error) {
        return unusable(firstLine(error).replace(/^\/\S+ /, ''));
      }
      return { name, usable: true, preferred, reason, device, software };
    };
    probes.push(await probe());
  }
  return probes;
}

/**
 * Where ONNX Runtime put each node of a session with [provider, cpu]: read from its profile of one probe run, the
 * only place the Node binding says it. Returns the node count per provider ("webgpu", "cpu").
 */
export async function nodePlacement(
  ort: Ort,
  model: Uint8Array,
  provider: OrtProviderName,
  feeds: Record<string, InstanceType<Ort['Tensor']>>,
): Promise<{ counts: Record<string, number>; operators: Record<string, string[]> }> {
  const prefix = join(tmpdir(), `hearth-ort-placement-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const session = await ort.InferenceSession.create(model, {
    executionProviders: [provider, 'cpu'],
    enableProfiling: true,
    profileFilePrefix: prefix,
    logSeverityLevel: 3,
  });
  try {
    await session.run(feeds);
  } finally {
    session.endProfiling();
    await session.release();
  }
  const counts: Record<string, number> = {};
  const operators: Record<string, string[]> = {};
  const folder = dirname(prefix);
  const stem = prefix.slice(folder.length + 1);
  for (const file of readdirSync(folder).filter((f) => f.startsWith(stem))) {
    const path = join(folder, file);
    try {
      const events = JSON.parse(readFileSync(path, 'utf8')) as { cat?: string; name?: string; args?: Record<string, string> }[];
      const seen = new Set<string>();
      for (const e of events) {
        if (e.cat !== 'Node' || e.args?.provider === undefined || e.name === undefined) continue;
        const node = e.name.replace(/_kernel_time$|_fence_(before|after)$/, '');
        // Copies between host and device that ONNX Runtime inserts are not the model's nodes.
        if (seen.has(node) || /^Memcpy/.test(e.args.op_name ?? '')) continue;
        seen.add(node);
        const where = e.args.provider.replace(/ExecutionProvider$/, '').toLowerCase();
        counts[where] = (counts[where] ?? 0) + 1;
        const op = e.args.op_name ?? '?';
        const ops = (operators[where] ??= []);
        if (!ops.includes(op)) ops.push(op);
      }
    } finally {
      rmSync(path, { force: true });
    }
  }
  return { counts, operators };
}
