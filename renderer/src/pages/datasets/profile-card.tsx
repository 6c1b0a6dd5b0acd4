import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ColumnProfile } from '../../../../main/contracts/api.js';
import { fitLabel, formatNumber, palette } from '../../components/charts.js';

function fmt(v: number | null): string {
  return v === null
    ? '–'
    : Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0)
      ? v.toExponential(3)
      : Number(v.toPrecision(5)).toString();
}

/** A date bin's axis tick: the day its bin starts on (bins of a date column carry ISO bounds in their label). */
function binStart(label: string): string {
  return label.split(' – ')[0]!.slice(0, 10);
}

/** One column's profile: counts, moments and its histogram (a date column's in dates, on a date axis). */
export function ProfileCard({ profile }: { profile: ColumnProfile }) {
  const data = profile.histogram.map((h) => ({ label: h.label, start: h.start, count: h.count }));
  const isDate = profile.kind === 'date';
  // Top values (text, booleans) have no bounds; numeric bins do.
  const categorical = !isDate && profile.histogram.every((h) => h.start === null);
  return (
    <div className="card profile" data-testid={`profile-${profile.name}`}>
      <h4>
        {profile.name} <span className="tag">{profile.type}</span>
      </h4>
      <p className="muted">
        {profile.count} values · {profile.missing} missing · {profile.distinct} distinct
        {isDate && profile.dates !== undefined && profile.dates !== null && (
          <span data-testid={`date-range-${profile.name}`}>
            {' '}
            · from {profile.dates.min} to {profile.dates.max}
          </span>
        )}
        {!isDate &&
          profile.mean !== null &&
          ` · mean ${fmt(profile.mean)} · std ${fmt(profile.std)} · min ${fmt(profile.min)} · max ${fmt(profile.max)}`}
      </p>
      {data.length > 0 && (
        <ResponsiveContainer width="100%" height={140}>
          <BarChart data={data}>
            <CartesianGrid strokeDasharray="3 3" />
            {isDate ? (
              <XAxis dataKey="label" tickFormatter={binStart} minTickGap={24} fontSize={10} />
            ) : categorical ? (
              // Category names, cut to a bar's share of the card (the tooltip has them whole).
              <XAxis dataKey="label" tickFormatter={(v: string) => fitLabel(String(v), 64)} minTickGap={4} fontSize={10} />
            ) : (
              // Numeric bins: each tick is where its bin starts, thousands separated.
              <XAxis dataKey="start" tickFormatter={formatNumber} minTickGap={24} fontSize={10} />
            )}
            <YAxis width={52} tickFormatter={formatNumber} allowDecimals={false} fontSize={10} />
            <Tooltip
              formatter={(v) => formatNumber(v)}
              labelFormatter={(_, items) => String((items[0]?.payload as { label?: string } | undefined)?.label ?? '')}
            />
            <Bar dataKey="count" fill={palette[0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      )}
    </div>
  );
}
