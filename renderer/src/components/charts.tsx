import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

/*
 * The console's charts, sized to their content and container (never narrower than `minChartWidth`), with numbers
 * in thousands-separated form and long category labels cut to fit, the whole text on hover.
 */

/** No chart is drawn narrower than this: below it, labels cannot be read. */
export const minChartWidth = 200;

/** The series colours, in order (the console's accent first): the theme's tokens, so each theme picks its own. */
export const palette = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `var(--series-${i})`);
/** The theme's colour for a reference line (a diagonal, a zero line). */
export const referenceColour = 'var(--chart-reference)';

const numberFormat = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 4 });

/** A tick or tooltip number: thousands separated, four significant digits (10000 → "10,000", 0.91234 → "0.9123"). */
export function formatNumber(v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e9 ? v.toExponential(2) : numberFormat.format(v);
}

/** Average width of a character of the 12 px system font, to cut labels before they run into their neighbours. */
const charWidth = 6.6;

/** `text` cut to `width` pixels with an ellipsis. */
export function fitLabel(text: string, width: number): string {
  const max = Math.max(3, Math.floor(width / charWidth));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A category-axis tick cut to the axis width, its full text in a <title> (shown on hover); for any category axis. */
export function CategoryTick(props: { x?: number; y?: number; payload?: { value: unknown }; width: number }) {
  const value = props.payload?.value;
  const text = typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  return (
    <g transform={`translate(${props.x ?? 0},${props.y ?? 0})`}>
      <text x={-4} y={0} dy={4} textAnchor="end" fontSize={12} fill="var(--chart-axis)">
        <title>{text}</title>
        {fitLabel(text, props.width - 8)}
      </text>
    </g>
  );
}

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
    <ResponsiveContainer width="100%" height={height} minWidth={minChartWidth}>
      <LineChart data={data} margin={{ top: 8, right: 16, bottom: 4, left: 4 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="iteration" tickFormatter={formatNumber} />
        <YAxis domain={['auto', 'auto']} width={60} tickFormatter={formatNumber} />
        <Tooltip formatter={formatNumber} />
        {legend && <Legend />}
        <Line dataKey="loss" name="training loss" stroke={palette[0]} dot={false} isAnimationActive={false} />
        <Line dataKey="validationLoss" name="validation loss" stroke={palette[1]} dot={false} isAnimationActive={false} />
      </LineChart>
    </ResponsiveContainer>
  );
}

/**
 * One horizontal bar per row, labelled by `category` (importances, coefficients, contributions): `fill` colours every
 * bar, or `fillOf` each one. Each row gets at least 22 px so labels never touch; a label longer than `labelWidth`
 * is cut, whole on hover.
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
  const rowHeight = Math.max(22, props.rowHeight);
  return (
    <ResponsiveContainer
      width="100%"
      height={Math.max(props.minHeight, data.length * rowHeight + 40)}
      minWidth={Math.max(minChartWidth, labelWidth + 120)}
    >
      <BarChart data={data} layout="vertical" margin={{ top: 4, right: 24, bottom: 4, left: 4 }}>
        <CartesianGrid strokeDasharray="3 3" horizontal={false} />
        <XAxis type="number" tickFormatter={formatNumber} />
        <YAxis type="category" dataKey={categoryKey} width={labelWidth} interval={0} tick={<CategoryTick width={labelWidth} />} />
        <Tooltip formatter={formatNumber} />
        <Bar dataKey={valueKey} {...(props.fill === undefined ? {} : { fill: props.fill })} isAnimationActive={false}>
          {fillOf !== undefined && data.map((d) => <Cell key={String(d[category])} fill={fillOf(d)} />)}
        </Bar>
      </BarChart>
    </ResponsiveContainer>
  );
}

/** One named series of points in the unit square (a ROC, precision–recall or reliability curve). */
export interface UnitSeries {
  name: string;
  points: { x: number; y: number }[];
}

/**
 * Curves in the unit square, one line per series, with the diagonal for reference where it means something
 * (chance on a ROC curve, perfect calibration on a reliability diagram).
 */
export function UnitCurves({
  series,
  xLabel,
  yLabel,
  diagonal,
  dots = false,
}: {
  series: UnitSeries[];
  xLabel: string;
  yLabel: string;
  diagonal: boolean;
  dots?: boolean;
}) {
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <>
      {/* The legend in the page's flow rather than over the plot: it wraps, and never covers a tick. */}
      {series.length > 1 && (
        <ul className="legend">
          {series.map((s, i) => (
            <li key={s.name}>
              <span className="swatch" style={{ background: palette[i % palette.length] }} />
              {s.name}
            </li>
          ))}
        </ul>
      )}
      <ResponsiveContainer width="100%" height={300} minWidth={minChartWidth}>
        <LineChart margin={{ top: 8, right: 16, bottom: 30, left: 4 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="x"
            type="number"
            domain={[0, 1]}
            ticks={ticks}
            tickFormatter={formatNumber}
            // Clear of the y axis's lowest tick, which shares the corner.
            tickMargin={6}
            label={{ value: xLabel, position: 'bottom', offset: 4, fontSize: 12 }}
          />
          <YAxis
            dataKey="y"
            type="number"
            domain={[0, 1]}
            ticks={ticks}
            width={58}
            tickFormatter={formatNumber}
            label={{
              value: yLabel,
              angle: -90,
              position: 'insideLeft',
              offset: 0,
              fontSize: 12,
              style: { textAnchor: 'middle' },
            }}
          />
          <Tooltip formatter={formatNumber} labelFormatter={formatNumber} />
          {diagonal && (
            <ReferenceLine
              segment={[
                { x: 0, y: 0 },
                { x: 1, y: 1 },
              ]}
              stroke={referenceColour}
              strokeDasharray="4 4"
            />
          )}
          {series.map((s, i) => (
            <Line
              key={s.name}
              data={s.points}
              dataKey="y"
              name={s.name}
              stroke={palette[i % palette.length]}
              dot={dots}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </>
  );
}

/** Points on their own scales (predicted against actual, residuals), with a reference line: y = x or y = 0. */
export function PointCloud({
  points,
  xLabel,
  yLabel,
  reference,
}: {
  points: { x: number; y: number }[];
  xLabel: string;
  yLabel: string;
  reference: 'identity' | 'zero';
}) {
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    low = Math.min(low, p.x, reference === 'identity' ? p.y : p.x);
    high = Math.max(high, p.x, reference === 'identity' ? p.y : p.x);
  }
  return (
    <ResponsiveContainer width="100%" height={300} minWidth={minChartWidth}>
      <ScatterChart margin={{ top: 8, right: 16, bottom: 30, left: 4 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis
          dataKey="x"
          type="number"
          name={xLabel}
          domain={['auto', 'auto']}
          padding={{ left: 16, right: 8 }}
          tickFormatter={formatNumber}
          // Clear of the y axis's lowest tick, which shares the corner.
          tickMargin={6}
          label={{ value: xLabel, position: 'bottom', offset: 4, fontSize: 12 }}
        />
        <YAxis
          dataKey="y"
          type="number"
          name={yLabel}
          domain={['auto', 'auto']}
          width={78}
          tickFormatter={formatNumber}
          label={{ value: yLabel, angle: -90, position: 'insideLeft', offset: 0, fontSize: 12, style: { textAnchor: 'middle' } }}
        />
        <Tooltip formatter={formatNumber} />
        {reference === 'identity' && Number.isFinite(low) ? (
          <ReferenceLine
            segment={[
              { x: low, y: low },
              { x: high, y: high },
            ]}
            stroke={palette[0]}
            strokeDasharray="4 4"
            ifOverflow="extendDomain"
          />
        ) : (
          <ReferenceLine y={0} stroke={palette[0]} strokeDasharray="4 4" />
        )}
        <Scatter data={points} fill={palette[1]} fillOpacity={0.45} isAnimationActive={false} shape="circle" />
      </ScatterChart>
    </ResponsiveContainer>
  );
}
