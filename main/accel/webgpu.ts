import { keepNativeLibrariesPrivate } from './private-env.js';
import { environmentValue } from '../settings/environment.js';

/**
 * WebGPU through Dawn's Node bindings (the `webgpu` package): finds an adapter and says what it is. Loaded only when
 * asked for, so a box whose Dawn binary cannot load (no Vulkan loader, an unsupported platform) still runs
 * everything else; the reason it could not is reported instead.
 */

export interface WebGpuAdapterInfo {
  /** The adapter's description (driver and device), else its vendor and device names. */
  device: string;
  vendor: string;
  architecture: string;
  /**
   * A CPU rasteriser behind the WebGPU API (Mesa's lavapipe/llvmpipe, SwiftShader, WARP): correct but slower than
   * Hearth's own CPU back ends, so it is used only when pinned.
   */
  software: boolean;
}

export type WebGpuProbe = { ok: true; gpu: GPU; adapter: GPUAdapter; info: WebGpuAdapterInfo } | { ok: false; reason: string };

/** Dawn toggles from the environment, e.g. `backend=opengl` for Mesa's software OpenGL in compatibility mode. */
function dawnFlags(): string[] {
  const flags = environmentValue('HEARTH_DAWN_FLAGS');
  return flags === undefined || flags.trim() === '' ? [] : flags.split(',').map((f) => f.trim());
}

function describe(adapter: GPUAdapter): WebGpuAdapterInfo {
  const info = adapter.info;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  const software =
    (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
    info.architecture === 'software' ||
    /llvmpipe|lavapipe|swiftshader|microsoft basic render|warp/.test(text);
  // Drivers fill these in unevenly: Mesa's description names the device and driver, NVIDIA's the driver version,
  // and the device field may be an empty string or a slug, so the description wins where there is one.
  const name = [info.vendor, info.device].filter((s) => s !== '').join(' ');
  return {
    device: info.description !== '' ? info.description : name || 'unnamed adapter',
    vendor: info.vendor,
    architecture: info.architecture,
    software,
  };
}

let probe: Promise<WebGpuProbe> | undefined;

/** The process's one Dawn instance and its default (high-performance) adapter, found once. */
export function probeWebGpu(): Promise<WebGpuProbe> {
  probe ??= (async (): Promise<WebGpuProbe> => {
    keepNativeLibrariesPrivate();
    let gpu: GPU;
    try {
      const dawn = await import('webgpu');
      // tfjs' WebGPU back end reads the GPU* constants (GPUBufferUsage…) from the global scope, as in a browser.
      Object.assign(globalThis, dawn.globals);
      gpu = dawn.create(dawnFlags());
    } catch (error) {
      return { ok: false, reason: `Dawn (the webgpu package) did not load: ${firstLine(error)}` };
    }
    try {
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (adapter === null)
        return {
          ok: false,
          reason:
            'Dawn found no WebGPU adapter (no GPU driver with Vulkan 1.1, or a software Vulkan too old for Dawn: Mesa 25 lavapipe works)',
        };
      return { ok: true, gpu, adapter, info: describe(adapter) };
    } catch (error) {
      return { ok: false, reason: `requesting a WebGPU adapter failed: ${firstLine(error)}` };
    }
  })();
  return probe;
}

/** Makes `navigator.gpu` the Dawn instance, where tfjs' WebGPU back end looks for it. */
export function installNavigatorGpu(gpu: GPU): void {
  const current = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (current?.gpu === gpu) return;
  Object.defineProperty(globalThis, 'navigator', { value: { ...(current ?? {}), gpu }, configurable: true, writable: true });
}

export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
