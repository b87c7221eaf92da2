/** The journal's calendar of daily P&L: New York dates laid out in weeks, Monday first. */
import type { DayPnl } from "../api/client";

export interface CalendarCell {
  date: string;
  day: number;
  pnl: string | null;
  trades: number;
}

export interface CalendarMonth {
  month: string; // "2026-11"
  weeks: (CalendarCell | null)[][]; // five columns, Monday..Friday
}

function iso(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Lay the days with exits out as weekday grids, one per month, oldest month first. */
export function calendarMonths(days: DayPnl[]): CalendarMonth[] {
  const byDate = new Map(days.map((d) => [d.date, d]));
  const months = [...new Set(days.map((d) => d.date.slice(0, 7)))].sort();
  return months.map((month) => {
    const y = Number(month.slice(0, 4));
    const m = Number(month.slice(5, 7));
    const weeks: (CalendarCell | null)[][] = [];
    let week: (CalendarCell | null)[] = [null, null, null, null, null];
    for (let d = new Date(Date.UTC(y, m - 1, 1)); d.getUTCMonth() === m - 1; d.setUTCDate(d.getUTCDate() + 1)) {
      const dow = d.getUTCDay(); // 0 Sunday .. 6 Saturday
      if (dow === 0 || dow === 6) continue;
      const found = byDate.get(iso(d));
      week[dow - 1] = { date: iso(d), day: d.getUTCDate(), pnl: found?.pnl ?? null, trades: found?.trades ?? 0 };
      if (dow === 5) {
        weeks.push(week);
        week = [null, null, null, null, null];
      }
    }
    if (week.some((c) => c !== null)) weeks.push(week);
    return { month, weeks };
  });
}
