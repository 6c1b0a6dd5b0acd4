import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ColumnProfile } from '../../../../main/contracts/api.js';

function fmt(v: number | null): string {
  return v === null
    ? '–'
    : Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0)
      ? v.toExponential(3)
      : Number(v.toPrecision(5)).toString();
}

/** One column's profile: counts, moments and its histogram. */
export function ProfileCard({ profile }: { profile: ColumnProfile }) {
  const data = profile.histogram.map((h) => ({ label: h.label, count: h.count }));
  return (
    <div className="card profile" data-testid={`profile-${profile.name}`}>
      <h4>
        {profile.name} <span className="tag">{profile.type}</span>
      </h4>
      <p className="muted">
        {profile.count} values · {profile.missing} missing · {profile.distinct} distinct
        {profile.mean !== null &&
          ` · mean ${fmt(profile.mean)} · std ${fmt(profile.std)} · min ${fmt(profile.min)} · max ${fmt(profile.max)}`}
      </p>
      {data.length > 0 && (
        <ResponsiveContainer width="100%" height={140}>
          <BarChart data={data}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="label" hide />
            <YAxis width={40} />
            <Tooltip />
            <Bar dataKey="count" fill="#b4532a" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      )}
    </div>
  );
}
