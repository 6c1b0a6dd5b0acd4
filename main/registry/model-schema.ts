import type { ColumnProfile, ModelInput, ModelSchema } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import { explainRefusal } from '../models/explain.js';
import { categoricalLevels } from '../models/input-levels.js';
import { modelInputs, parseStoredModel } from '../models/model.js';
import type { ImportDeps } from './import-onnx.js';

/**
 * models.schema: a version's inputs as a form should offer them. The kinds and levels are read from the stored model
 * (what its encoding knows, so a select offers exactly what the model was trained on); the ranges from the profile
 * of the dataset version it was trained on, when that version is in this store (a pulled model's may not be).
 */
export async function modelSchema(deps: ImportDeps, name: string, version: number): Promise<ModelSchema> {
  const info = deps.registry.version(name, version);
  const model = parseStoredModel(deps.registry.modelJson(name, version));
  const levels = categoricalLevels(model);
  let profile: ColumnProfile[] | null = null;
  // An import without reference data has no dataset version (its name reads null); a pulled one's may be elsewhere.
  if (typeof info.dataset.name === 'string' && typeof info.dataset.version === 'number')
    try {
      profile = (await deps.datasets.detail(info.dataset.name, info.dataset.version)).profile;
    } catch (error) {
      if (!(error instanceof HearthError && error.code === 'NOT_FOUND')) throw error;
    }
  const inputs = modelInputs(model).map((feature): ModelInput => {
    const column = profile?.find((c) => c.name === feature.name);
    const range = { min: column?.min ?? null, max: column?.max ?? null };
    if (feature.kind === 'categorical') {
      // An imported graph knows no levels; its reference data's profile lists them when it saw every one.
      const listed =
        column !== undefined && !column.sampled && column.topValues.length === column.distinct
          ? column.topValues.map((t) => t.value).sort()
          : null;
      return {
        name: feature.name,
        type: 'string',
        kind: 'category',
        levels: levels.get(feature.name) ?? listed,
        min: null,
        max: null,
        dates: null,
      };
    }
    const kind = feature.sourceType === 'datetime' ? 'date' : feature.sourceType;
    return {
      name: feature.name,
      type: 'double',
      kind,
      levels: null,
      ...range,
      dates: kind === 'date' ? (column?.dates ?? null) : null,
    };
  });
  const refusal = explainRefusal(model);
  return {
    model: name,
    version,
    algorithm: info.algorithm,
    task: info.task,
    target: info.target,
    inputs,
    explain: refusal !== null ? null : model.format === 'hearth.linear/1' ? 'linear-shap' : 'treeshap',
    explainRefusal: refusal,
    rangesFrom: profile === null ? null : { dataset: info.dataset.name, version: info.dataset.version },
  };
}
