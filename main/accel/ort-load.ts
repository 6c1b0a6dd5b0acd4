import type * as OrtModule from 'onnxruntime-node';
import { keepNativeLibrariesPrivate } from './private-env.js';

export type Ort = typeof OrtModule.default;

let ortPromise: Promise<Ort> | undefined;

/**
 * Loads onnxruntime-node on first use. Telemetry is switched off before the native library loads: a privacy
 * appliance must not write a telemetry queue under the user's home folder.
 */
export function loadOrt(): Promise<Ort> {
  keepNativeLibrariesPrivate();
  // onnxruntime-node is CommonJS: its namespace arrives as the default export under ESM.
  ortPromise ??= import('onnxruntime-node').then((m) => m.default);
  return ortPromise;
}
