import type { WindowStats } from "./user-load";

/** The load kept running through the event (not a quiet window), and nobody noticed the event. */
export function expectLossless(stats: WindowStats): void {
  expect({ event: stats.event, failed: stats.failed, failures: stats.failures, relogins: stats.relogins }).toEqual({ event: stats.event, failed: 0, failures: [], relogins: [] });
  expect({ event: stats.event, loadRan: stats.logins > 0 && stats.requests > stats.seconds }).toEqual({ event: stats.event, loadRan: true });
}
