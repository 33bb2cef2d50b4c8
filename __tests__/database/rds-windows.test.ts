import { dailyMinutes, parseDailyWindow, parseWeeklyWindow, weeklyMinutes, windowsOverlap } from "../../modules/database/rds-windows";

const daily = (text: string) => parseDailyWindow(text)!;
const weekly = (text: string) => parseWeeklyWindow(text)!;

describe("RDS backup and maintenance windows", () => {
  test("only hh24:mi-hh24:mi is a daily window", () => {
    expect(parseDailyWindow("02:00-03:00")).toEqual({ start: 120, end: 180 });
    for (const bad of ["2:00-3:00", "24:00-01:00", "02:60-03:00", "02:00", "02:00-03:00 ", "mon:02:00-mon:03:00"]) {
      expect(parseDailyWindow(bad)).toBeUndefined();
    }
  });

  test("only ddd:hh24:mi-ddd:hh24:mi with mon..sun is a weekly window, counted from Monday 00:00", () => {
    expect(parseWeeklyWindow("mon:00:00-mon:00:30")).toEqual({ start: 0, end: 30 });
    expect(parseWeeklyWindow("sun:23:30-mon:00:30")).toEqual({ start: 6 * 1440 + 23 * 60 + 30, end: 30 });
    for (const bad of ["Sun:03:30-Sun:04:30", "sun:3:30-sun:04:30", "sun:03:30-04:30", "son:03:30-son:04:30"]) {
      expect(parseWeeklyWindow(bad)).toBeUndefined();
    }
  });

  test("a window that wraps past midnight or the end of the week has its real length", () => {
    expect(dailyMinutes(daily("23:30-00:15"))).toBe(45);
    expect(dailyMinutes(daily("01:00-02:30"))).toBe(90);
    expect(weeklyMinutes(weekly("sun:23:30-mon:00:15"))).toBe(45);
    expect(weeklyMinutes(weekly("mon:00:00-sun:00:00"))).toBe(6 * 1440);
  });

  test("the daily backup window overlaps a maintenance window on whichever day that falls", () => {
    expect(windowsOverlap(daily("02:00-03:00"), weekly("sun:03:30-sun:04:30"))).toBe(false);
    expect(windowsOverlap(daily("02:00-03:00"), weekly("wed:02:30-wed:03:30"))).toBe(true);
    expect(windowsOverlap(daily("03:00-04:00"), weekly("fri:02:00-fri:03:00"))).toBe(false);
    expect(windowsOverlap(daily("03:00-04:00"), weekly("fri:02:00-fri:03:01"))).toBe(true);
  });

  test("windows that only meet, the backup ending as the maintenance starts, do not overlap", () => {
    expect(windowsOverlap(daily("02:00-03:00"), weekly("wed:03:00-wed:03:30"))).toBe(false);
    expect(windowsOverlap(daily("02:00-03:00"), weekly("wed:02:59-wed:03:30"))).toBe(true);
  });

  test("overlaps are found across midnight and across the end of the week", () => {
    expect(windowsOverlap(daily("23:45-00:30"), weekly("tue:00:15-tue:01:00"))).toBe(true);
    expect(windowsOverlap(daily("00:10-00:40"), weekly("sun:23:30-mon:00:20"))).toBe(true);
    expect(windowsOverlap(daily("00:30-01:00"), weekly("sun:23:30-mon:00:20"))).toBe(false);
  });
});
