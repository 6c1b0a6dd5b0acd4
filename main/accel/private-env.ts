/**
 * Native libraries that would otherwise write under the user's home folder are told not to, before any of them
 * loads: ONNX Runtime's telemetry queue, and the shader caches of GPU drivers that Dawn (WebGPU) loads — Mesa's
 * (~/.cache/mesa_shader_cache_db) and NVIDIA's (~/.nv/ComputeCache, ~/.cache/nvidia/GLCache). A privacy appliance
 * writes only in its data folder. Set on the main thread: a worker thread's process.env is a copy, which native
 * code never reads. A user who sets a cache variable explicitly keeps it.
 */
export function keepNativeLibrariesPrivate(): void {
  process.env.ORT_DISABLE_TELEMETRY = '1';
  process.env.MESA_SHADER_CACHE_DISABLE ??= 'true';
  process.env.__GL_SHADER_DISK_CACHE ??= '0';
  process.env.CUDA_CACHE_DISABLE ??= '1';
}

keepNativeLibrariesPrivate();
