/** A model's versions to pick from ("version…" while none is picked): routing and aliases use it. */
export function VersionSelect(props: { testId: string; versions: number[]; value: string; onChange: (value: string) => void }) {
  return (
    <select data-testid={props.testId} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
      <option value="">version…</option>
      {props.versions.map((v) => (
        <option key={v} value={v}>
          v{v}
        </option>
      ))}
    </select>
  );
}
