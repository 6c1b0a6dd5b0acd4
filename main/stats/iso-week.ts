/* ISO 8601 weeks (Monday to Sunday, week 1 holds the year's first Thursday), in UTC. Pure arithmetic. */

const dayMs = 86_400_000;

/** The Monday (UTC midnight, in ms) of the ISO week holding `ms`. */
export function isoWeekStartMs(ms: number): number {
  const day = Math.floor(ms / dayMs);
  // 1970-01-01 was a Thursday: day 0 is weekday 3 counted from Monday = 0.
  const weekday = (((day + 3) % 7) + 7) % 7;
  return (day - weekday) * dayMs;
}

/** "2026-W49": the ISO week-numbering year and week of `ms`. */
export function isoWeekOf(ms: number): string {
  const monday = isoWeekStartMs(ms);
  // The week's Thursday decides its year; its week number counts Thursdays from that year's first.
  const thursday = new Date(monday + 3 * dayMs);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / dayMs / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The `count` ISO weeks up to and including the one holding `nowMs`, oldest first, each with its Monday. */
export function lastIsoWeeks(nowMs: number, count: number): { week: string; startMs: number }[] {
  const current = isoWeekStartMs(nowMs);
  return Array.from({ length: count }, (_, i) => {
    const startMs = current - (count - 1 - i) * 7 * dayMs;
    return { week: isoWeekOf(startMs), startMs };
  });
}
