# The native GBDT kernel (kernel.c: histograms, partitions; split.c: the split search; bins.c: binning's matrix fill), built by `npm run build:native` (scripts/build-native.js) through node-gyp.
# Plain C against Node-API only, so one build loads in Node and in Electron alike. No -ffast-math, and no FMA
# contraction, so every sum is the IEEE double addition the wasm and TypeScript kernels make: the same trees.
{
  "targets": [
    {
      "target_name": "gbdt_kernel",
      "sources": ["kernel.c", "split.c", "bins.c", "args.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O3", "-std=c11", "-ffp-contract=off", "-fno-fast-math", "-Wall", "-Wextra"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-std=c11", "-ffp-contract=off"] },
      "msvs_settings": { "VCCLCompilerTool": { "FloatingPointModel": "0" } }
    }
  ]
}
