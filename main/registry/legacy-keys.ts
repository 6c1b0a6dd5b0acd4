/*
 * Reports written before every key was camelCase (stored model versions, and artifacts pulled from boxes still on an
 * older Hearth) name a few fields in snake_case. They are renamed when read, so every answer has one key casing and
 * no stored or pulled report needs rewriting. Only these keys: data keys (metric names such as roc_auc, column and
 * class names) keep their spelling.
 */
const renamed: Readonly<Record<string, string>> = {
  cv_metric: 'cvMetric',
  cv_std: 'cvStd',
  fit_s: 'fitSeconds',
  best_single: 'bestSingle',
};

/** A report with its legacy keys renamed, at any depth (leaderboard entries, the ensemble, imbalance rows). */
export function withCurrentKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withCurrentKeys) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [renamed[k] ?? k, withCurrentKeys(v)]),
  ) as T;
}
