/**
 * RDS's two recurring windows, both in UTC: the daily backup window (`hh24:mi-hh24:mi`) and the
 * weekly maintenance window (`ddd:hh24:mi-ddd:hh24:mi`). RDS refuses windows shorter than 30
 * minutes and a backup window that overlaps the maintenance window; checking both here turns an
 * apply-time API error into a synth-time error that names the setting.
 */
import { constant } from "../shared/constant";

export const WEEKDAYS = constant(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
export const MIN_WINDOW_MINUTES = 30;
const DAY = 24 * 60;
const WEEK = 7 * DAY;

/** A window as minutes from Monday 00:00 UTC; `end` < `start` when it wraps past the period. */
export interface Window {
  readonly start: number;
  readonly end: number;
}

const TIME = "([01]\\d|2[0-3]):([0-5]\\d)";
const DAILY = new RegExp(`^${TIME}-${TIME}$`);
const WEEKLY = new RegExp(`^(${WEEKDAYS.join("|")}):${TIME}-(${WEEKDAYS.join("|")}):${TIME}$`);

/** The daily backup window within one day, or undefined when `text` is not `hh24:mi-hh24:mi`. */
export function parseDailyWindow(text: string): Window | undefined {
  const m = DAILY.exec(text);
  if (!m) return undefined;
  return { start: Number(m[1]) * 60 + Number(m[2]), end: Number(m[3]) * 60 + Number(m[4]) };
}

/** The weekly maintenance window within one week, or undefined when `text` is not `ddd:hh24:mi-ddd:hh24:mi`. */
export function parseWeeklyWindow(text: string): Window | undefined {
  const m = WEEKLY.exec(text);
  if (!m) return undefined;
  const at = (day: string, hours: string, minutes: string) =>
    WEEKDAYS.indexOf(day as (typeof WEEKDAYS)[number]) * DAY + Number(hours) * 60 + Number(minutes);
  return { start: at(m[1], m[2], m[3]), end: at(m[4], m[5], m[6]) };
}

/** Length in minutes of a window that repeats every `period` minutes (a day or a week). */
export function windowMinutes(w: Window, period: number): number {
  return (((w.end - w.start) % period) + period) % period;
}

export const dailyMinutes = (w: Window) => windowMinutes(w, DAY);
export const weeklyMinutes = (w: Window) => windowMinutes(w, WEEK);

/** Half-open intervals of the week a window covers, split where it wraps. */
function weekIntervals(start: number, minutes: number): [number, number][] {
  const s = ((start % WEEK) + WEEK) % WEEK;
  return s + minutes <= WEEK ? [[s, s + minutes]] : [[s, WEEK], [0, s + minutes - WEEK]];
}

/** Whether the daily backup window touches the weekly maintenance window on any day. */
export function windowsOverlap(backup: Window, maintenance: Window): boolean {
  const maintenanceIntervals = weekIntervals(maintenance.start, weeklyMinutes(maintenance));
  for (let day = 0; day < 7; day++) {
    for (const [b0, b1] of weekIntervals(day * DAY + backup.start, dailyMinutes(backup))) {
      if (maintenanceIntervals.some(([m0, m1]) => b0 < m1 && m0 < b1)) return true;
    }
  }
  return false;
}
