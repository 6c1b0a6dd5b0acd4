import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

/** Training and validation loss per iteration (the train page while a job runs, the models page afterwards). */
export function TrainingCurve({
  data,
  height,
  legend = false,
}: {
  data: { iteration: number; loss: number; validationLoss?: number | null }[];
  height: number;
  legend?: boolean;
}) {
  return (
    <ResponsiveContainer width="100%" height={height}>
      <LineChart data={data}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="iteration" />
        <YAxis domain={['auto', 'auto']} width={60} />
        <Tooltip />
        {legend && <Legend />}
        <Line dataKey="loss" name="training loss" stroke="#b4532a" dot={false} isAnimationActive={false} />
        <Line dataKey="validationLoss" name="validation loss" stroke="#2a6bb4" dot={false} isAnimationActive={false} />
      </LineChart>
    </ResponsiveContainer>
  );
}

/**
 * One horizontal bar per row, labelled by `category` (importances, coefficients, contributions): `fill` colours every
 * bar, or `fillOf` each one.
 */
export function HorizontalBars<T extends object>(props: {
  data: T[];
  category: keyof T & string;
  value: keyof T & string;
  labelWidth: number;
  rowHeight: number;
  minHeight: number;
  fill?: string;
  fillOf?: (row: T) => string;
}) {
  const { data, category, value, labelWidth, fillOf } = props;
  // Widened for recharts, whose typed data keys cannot follow a generic row type.
  const categoryKey: string = category;
  const valueKey: string = value;
  return (
    <ResponsiveContainer width="100%" height={Math.max(props.minHeight, data.length * props.rowHeight)}>
      <BarChart data={data} layout="vertical" margin={{ left: labelWidth }}>
        <XAxis type="number" />
        <YAxis type="category" dataKey={categoryKey} width={labelWidth} interval={0} />
        <Tooltip />
        <Bar dataKey={valueKey} {...(props.fill === undefined ? {} : { fill: props.fill })} isAnimationActive={false}>
          {fillOf !== undefined && data.map((d) => <Cell key={String(d[category])} fill={fillOf(d)} />)}
        </Bar>
      </BarChart>
    </ResponsiveContainer>
  );
}
