import { TextField } from '../../components/field.js';

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

/**
 * The filled-in knobs as numbers, each read by `number` (which checks it against training.start's schema and keeps
 * what is wrong with it); an empty field is left to the server's default.
 */
export function categoricalArgs(
  values: CategoricalValues,
  number: (key: CategoricalKey, text: string) => number | undefined,
): Partial<Record<CategoricalKey, number>> {
  return Object.fromEntries(
    categoricalFields.map((f) => [f.key, number(f.key, values[f.key] ?? '')] as const).filter(([, v]) => v !== undefined),
  );
}

/** The advanced section of the train form: how boosting treats many-level categorical columns. */
export function CategoricalOptions({
  values,
  onChange,
  errors,
  hints,
}: {
  values: CategoricalValues;
  onChange: (values: CategoricalValues) => void;
  /** What is wrong with each field, by argument name. */
  errors: Record<string, string>;
  /** What each field takes, by argument name. */
  hints: Record<string, string>;
}) {
  return (
    // Open by itself when one of its fields is wrong, so the message is seen.
    <details data-testid="train-categorical" open={categoricalFields.some((f) => errors[f.key] !== undefined) || undefined}>
      <summary>Categorical columns (advanced)</summary>
      {categoricalFields.map((field) => (
        <TextField
          key={field.key}
          label={field.label}
          testId={`train-${field.key}`}
          value={values[field.key] ?? ''}
          placeholder={field.placeholder}
          numeric
          hint={hints[field.key]}
          error={errors[field.key]}
          onChange={(text) => onChange({ ...values, [field.key]: text })}
        />
      ))}
    </details>
  );
}
