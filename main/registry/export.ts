import type { ModelExport } from '../contracts/api.js';
import { modelInputs, parseStoredModel } from '../models/model.js';
import { withMetadata } from '../onnx/inspect.js';
import type { ModelRegistry } from './registry.js';

/**
 * A version's ONNX file as served, with what a program needs to call it written into metadata_props: Hearth's model
 * name and version, the task and target, the class labels in output order, and the inputs (each feature's name and
 * type, and for a graph Hearth trained, which of its two tensors carries it). The graph itself is the stored one,
 * byte for byte: what ONNX Runtime runs when Hearth serves the version.
 */
export function exportVersion(registry: ModelRegistry, name: string, version: number): ModelExport {
  const info = registry.version(name, version);
  const stored = parseStoredModel(registry.modelJson(name, version));
  const features = modelInputs(stored);
  const metadata: Record<string, string> = {
    'hearth.model': name,
    'hearth.version': String(version),
    'hearth.format': stored.format,
    'hearth.algorithm': info.algorithm,
    'hearth.task': stored.task,
    'hearth.target': stored.target,
    'hearth.classes': JSON.stringify(stored.classes),
    'hearth.input_names': JSON.stringify(features.map((f) => f.name)),
    'hearth.input_types': JSON.stringify(info.inputSchema),
  };
  if (stored.format === 'onnx.imported/1') {
    // An imported graph's inputs are its own: each graph input and the features (columns) it carries.
    metadata['hearth.graph_inputs'] = JSON.stringify(stored.graphInputs.map((g) => ({ name: g.name, features: g.features })));
  } else {
    // Hearth's graphs take two tensors: `numeric` (double, [N, k]) and `categorical` (string, [N, m]), in this order.
    metadata['hearth.inputs'] = JSON.stringify({
      numeric: features.filter((f) => f.kind === 'numeric').map((f) => f.name),
      categorical: features.filter((f) => f.kind === 'categorical').map((f) => f.name),
    });
  }
  if (stored.decisionThreshold !== undefined) metadata['hearth.decision_threshold'] = String(stored.decisionThreshold);
  const bytes = withMetadata(registry.onnxBytes(name, version), metadata);
  return {
    model: name,
    version,
    fileName: `${name}-v${version}.onnx`,
    mediaType: 'application/octet-stream',
    bytes: bytes.length,
    base64: Buffer.from(bytes).toString('base64'),
    metadata,
  };
}
