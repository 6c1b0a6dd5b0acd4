/** Boosting's categorical regularisation (training.start's knobs), as text fields; empty means the default. */
export const categoricalFields = [
  { key: 'minCategoryRows', label: 'Pool levels with fewer rows than', placeholder: '10' },
  { key: 'catSmooth', label: 'Category smoothing (and fewest rows per category in a split)', placeholder: '10' },
  { key: 'catL2', label: 'Extra L2 on categorical splits', placeholder: '10' },
  { key: 'maxCatThreshold', label: 'Most categories on one side of a split', placeholder: '32' },
  { key: 'minDataPerGroup', label: 'Fewest rows per category group', placeholder: '100' },
  { key: 'maxCatToOnehot', label: 'One category against the rest up to', placeholder: '4' },
] as const;

export type CategoricalKey = (typeof categoricalFields)[number]['key'];
export type CategoricalValues = Partial<Record<CategoricalKey, string>>;

/** The filled-in knobs as numbers (a field that is empty or not a number is left to the default). */
export function categoricalArgs(values: CategoricalValues): Partial<Record<CategoricalKey, number>> {
  return Object.fromEntries(
    Object.entries(values)
      .filter(([, text]) => text !== undefined && text.trim() !== '' && Number.isFinite(Number(text)))
      .map(([key, text]) => [key, Number(text)]),
  );
}

/** The advanced section of the train form: how boosting treats many-level categorical columns. */
export function CategoricalOptions({
  values,
  onChange,
}: {
  values: CategoricalValues;
  onChange: (values: CategoricalValues) => void;
}) {
  return (
    <details data-testid="train-categorical">
      <summary>Categorical columns (advanced)</summary>
      {categoricalFields.map((field) => (
        <label key={field.key}>
          {field.label}{' '}
          <input
            data-testid={`train-${field.key}`}
            value={values[field.key] ?? ''}
            placeholder={field.placeholder}
            onChange={(e) => onChange({ ...values, [field.key]: e.target.value })}
          />
        </label>
      ))}
    </details>
  );
}
