import { fitLabel } from './charts.js';

/**
 * Counts of actual against predicted classes, shaded by size; long class names cut, whole on hover. The figure is as
 * wide as its table (a wide one scrolls, by keyboard too), so matrices placed side by side never overlap.
 */
export function ConfusionMatrix({
  matrix,
  classes,
  caption = 'Confusion matrix (rows: actual, columns: predicted)',
  testId = 'confusion-matrix',
  wide = true,
}: {
  matrix: number[][];
  classes: string[];
  caption?: string;
  testId?: string;
  wide?: boolean;
}) {
  const max = Math.max(1, ...matrix.flat());
  return (
    <figure className={wide ? 'chart wide' : 'chart'} data-testid={testId}>
      <figcaption>{caption}</figcaption>
      <div className="scroll-x" role="region" aria-label={caption} tabIndex={0}>
        <table className="confusion">
          <thead>
            <tr>
              <th>
                <span className="visually-hidden">actual ↓, predicted →</span>
              </th>
              {classes.map((c) => (
                <th key={c} scope="col" title={c}>
                  {fitLabel(c, 96)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {matrix.map((row, i) => (
              <tr key={classes[i]}>
                <th scope="row" title={classes[i]}>
                  {fitLabel(classes[i] ?? String(i), 140)}
                </th>
                {row.map((v, j) => (
                  // Half the heat colour at most over the surface: the text keeps AA contrast in either theme.
                  <td
                    key={j}
                    style={{
                      background: `color-mix(in srgb, var(--color-heat) ${Math.round((50 * v) / max)}%, var(--color-surface))`,
                    }}
                  >
                    {v.toLocaleString('en-US')}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
