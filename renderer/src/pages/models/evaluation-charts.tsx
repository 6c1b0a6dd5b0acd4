import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

/** A binary model's ROC curve on its test rows. */
export function RocChart({ points }: { points: { x: number; y: number }[] }) {
  return (
    <div data-testid="roc-chart">
      <h4>ROC curve (test rows)</h4>
      <ResponsiveContainer width="100%" height={260}>
        <LineChart data={points}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="x"
            type="number"
            domain={[0, 1]}
            label={{ value: 'false positive rate', position: 'insideBottom', offset: -2 }}
          />
          <YAxis dataKey="y" type="number" domain={[0, 1]} width={40} />
          <Tooltip />
          <Line dataKey="y" stroke="#b4532a" dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Counts of actual against predicted classes, shaded by size. */
export function ConfusionMatrix({ matrix, classes }: { matrix: number[][]; classes: string[] }) {
  const max = Math.max(1, ...matrix.flat());
  return (
    <div data-testid="confusion-matrix">
      <h4>Confusion matrix (rows: actual, columns: predicted)</h4>
      <table className="confusion">
        <thead>
          <tr>
            <th />
            {classes.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {matrix.map((row, i) => (
            <tr key={classes[i]}>
              <th>{classes[i]}</th>
              {row.map((v, j) => (
                <td key={j} style={{ background: `rgba(180, 83, 42, ${(0.85 * v) / max})` }}>
                  {v}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
