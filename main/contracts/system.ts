import { z } from 'zod';
import { defineMethods, returns } from './method.js';

/* system.*: the engine about itself, and its compute back ends. */

/** Compute back ends, each runtime's in the order they are preferred. */
export const backendsOf = {
  tfjs: ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'],
  onnxruntime: ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'],
  // The boosted trees' and forests' hot loops: every kernel grows the same trees, at its own speed.
  gbdt: ['native', 'wasm-simd', 'typescript'],
} as const;
const backendNames = [
  'tensorflow-gpu',
  'webgpu',
  'tensorflow',
  'wasm',
  'cpu',
  'cuda',
  'dml',
  'coreml',
  'native',
  'wasm-simd',
  'typescript',
] as const;

export type AccelRuntime = keyof typeof backendsOf;
export type TfjsBackendName = (typeof backendsOf.tfjs)[number];
export type OrtProviderName = (typeof backendsOf.onnxruntime)[number];
export type GbdtKernelName = (typeof backendsOf.gbdt)[number];

/** One compute back end (or GBDT kernel) as `hearth doctor` reports it. */
export interface BackendReport {
  runtime: AccelRuntime;
  name: string;
  /**
   * selected: what the next fit (tfjs, gbdt) or model load (onnxruntime) uses; available: works but is not chosen.
   */
  status: 'available' | 'unavailable' | 'selected';
  reason: string;
  /** The GPU adapter or CPU it runs on, where known. */
  device: string | null;
  /** A software GPU adapter (a CPU behind the GPU API): correct, but never chosen for speed unless pinned. */
  software: boolean;
}

export interface BackendsReport {
  backends: BackendReport[];
  pins: Record<AccelRuntime, string | null>;
  probedAt: string;
}

/** What the engine and its runtime report about themselves. */
/** The versions of what an installation is made of (`hearth version --json`, and inside system.info). */
export interface InstallationVersions {
  hearth: string;
  node: string;
  platform: string;
  /** onnxruntime-node's package version. */
  onnxRuntime: string;
  /** TensorFlow.js: its core, and the native binding (tfjs-node or tfjs-node-gpu) when one is installed. */
  tensorflow: { core: string; nativeBinding: string | null };
  /** The SQLite library Hearth links (through better-sqlite3-multiple-ciphers). */
  sqlite: string;
}

export interface SystemInfo {
  version: string;
  dataDir: string;
  node: string;
  platform: string;
  onnxRuntime: { version: string; executionProvider: string | null };
  /** Every component's version, as `hearth version` prints them. */
  components: InstallationVersions;
  /** `replica`: this server follows a central box and refuses every method that changes state (`serve --replica`). */
  mode: 'normal' | 'replica';
}

/** One MQTT stream the config names, with its counters while this process runs it. */
export interface StreamStatus {
  model: string;
  inTopic: string;
  outTopic: string;
  /** The broker's URL, credentials redacted. */
  broker: string;
  dataset: string | null;
  /** Null where this process does not run the stream (a one-shot CLI command reads the config only). */
  stats: StreamStats | null;
}

/** A running MQTT stream's counters. */
export interface StreamStats {
  received: number;
  predicted: number;
  rejected: number;
  connected: boolean;
  reconnects: number;
  lastError: string | null;
  /** Rows appended to the dataset so far, and the version that holds the latest. */
  appended: number;
  datasetVersion: number | null;
}

/** What a watched folder did with one file. */
export interface WatchRecord {
  file: string;
  kind: 'appended' | 'skipped' | 'failed';
  at: string;
  /** appended: the version that holds its rows, the rows added, the rows quarantined. */
  version: number | null;
  appended: number | null;
  quarantined: number | null;
  /** skipped: why; failed: the error's message. */
  message: string | null;
}

/** One folder the config watches, with what it did lately. */
export interface WatchStatus {
  dir: string;
  dataset: string;
  intervalSeconds: number;
  running: boolean;
  /**
   * Newest first: the files appended once to its dataset (recorded in the store, so they outlive a restart) and,
   * while this process runs it, what it skipped or failed on.
   */
  recent: WatchRecord[];
}

/** The background services the config names, and their state in this process. */
export interface ServicesStatus {
  /** Whether this process runs the background services (`hearth serve`, the desktop); false in a one-shot command. */
  running: boolean;
  streams: StreamStatus[];
  watches: WatchStatus[];
  pipelines: { file: string; schedule: string }[];
}

export const systemMethods = defineMethods({
  'system.info': {
    doc: "The engine's version, data folder, Node and platform, and the ONNX Runtime in use.",
    permission: 'info',
    args: z.object({}).strict(),
    result: returns<SystemInfo>(),
  },
  'system.backends': {
    doc: 'Every compute back end of both runtimes, with its status and why; `refresh` probes them again.',
    permission: 'read',
    args: z.object({ refresh: z.boolean().optional() }).strict(),
    result: returns<BackendsReport>(),
  },
  'system.services': {
    doc:
      "The config's MQTT streams, watched folders and pipeline schedules, with their counters and the files each folder " +
      'appended lately. They are set in the config file on the box: a caller names no broker or folder.',
    permission: 'admin',
    changesState: false,
    args: z.object({}).strict(),
    result: returns<ServicesStatus>(),
  },
  'system.pin-backend': {
    doc: 'Prefers one back end of a runtime (null: the automatic choice). A pin that stops working falls back, reported.',
    permission: 'admin',
    args: z
      .object({ runtime: z.enum(['tfjs', 'onnxruntime', 'gbdt']), name: z.enum(backendNames).nullable() })
      .strict()
      .refine((a) => a.name === null || (backendsOf[a.runtime] as readonly string[]).includes(a.name), {
        message: 'that back end belongs to the other runtime',
      }),
    result: returns<BackendsReport>(),
  },
});
