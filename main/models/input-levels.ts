import type { StoredModel } from './model.js';
import type { SingleModel } from './ensemble-model.js';

/**
 * The levels each categorical input's encoding knows, by input name: the one-hot levels of a linear model or a
 * neural net, the category codes of a tree model, the union over an ensemble's members. An imported graph has no
 * encoding of its own to read: it answers none.
 */
export function categoricalLevels(model: StoredModel): Map<string, string[]> {
  const levels = new Map<string, Set<string>>();
  const add = (name: string, values: readonly string[]): void => {
    const set = levels.get(name) ?? new Set<string>();
    for (const v of values) set.add(v);
    levels.set(name, set);
  };
  const single = (m: SingleModel): void => {
    const features = m.format === 'hearth.trees/1' ? m.features : m.preprocessor.features;
    for (const f of features) if (f.kind === 'categorical') add(f.name, f.categories);
  };
  if (model.format === 'hearth.ensemble/1') model.members.forEach(single);
  else if (model.format !== 'onnx.imported/1') single(model);
  return new Map([...levels].map(([name, set]) => [name, [...set].sort()]));
}
