// The floor of each top-level folder under main/ (ARCHITECTURE.md section 2): a file may import from its own floor
// or below, never above. Shared by scripts/import-graph.js (the figures) and eslint.config.js (floors/no-upward-import).

/** @type {Readonly<Record<string, number>>} */
export const floors = Object.freeze({
  contracts: 1,
  // Pure string rendering of HTML reports (escaping, tables, SVG charts, the page shell).
  html: 1,
  table: 1,
  stats: 1,
  onnx: 1,
  crypto: 1,
  privacy: 1,
  // Every setting's schema, and the resolver that layers defaults, the config file, HEARTH_* variables and flags.
  settings: 1,
  store: 2,
  data: 3,
  registry: 3,
  security: 3,
  accel: 3,
  models: 3,
  training: 4,
  serving: 4,
  monitoring: 4,
  sync: 4,
  // A service the engine starts (engine/services.ts), so it sits below the engine.
  streams: 4,
  engine: 5,
  api: 6,
  cli: 7,
  desktop: 7,
});

/**
 * What workers/ may import from main/: the ground floor and model formats (ARCHITECTURE.md section 2), and accel/,
 * since compute backends are one of workers' concerns there (the ONNX Runtime loader, the WebGPU probe and setup
 * run inside worker threads).
 */
export const workerFolders = Object.freeze(['contracts', 'table', 'stats', 'onnx', 'crypto', 'privacy', 'models', 'accel']);
