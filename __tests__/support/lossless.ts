import type { LifecycleRun } from "./lifecycle-run";
import type { WindowStats } from "./user-load";

/** The load kept running through the event (not a quiet window), and nobody noticed the event. */
export function expectLossless(stats: WindowStats): void {
  expect({ event: stats.event, failed: stats.failed, failures: stats.failures, relogins: stats.relogins }).toEqual({ event: stats.event, failed: 0, failures: [], relogins: [] });
  expect({ event: stats.event, loadRan: stats.logins > 0 && stats.requests > stats.seconds }).toEqual({ event: stats.event, loadRan: true });
}

/**
 * A rolling deploy of a 2-task service at 100-150 %: one task started (2 -> 3) and one stopped
 * gracefully (3 -> 2), twice; every step and the whole deploy lossless, no stop cut by SIGKILL.
 */
export function expectLosslessDeploy(run: LifecycleRun, whole: WindowStats): void {
  const steps = run.results.filter((r) => r.event.startsWith("deploy: "));
  expect(steps.map((r) => r.event.replace(/node-\w/g, "x"))).toEqual([
    "deploy: x started (2 -> 3 tasks)",
    "deploy: x stopped gracefully (3 -> 2 tasks)",
    "deploy: x started (2 -> 3 tasks)",
    "deploy: x stopped gracefully (3 -> 2 tasks)",
  ]);
  for (const step of steps) expectLossless(step);
  expectLossless(whole);
  expect(run.ecs.stops.map((stop) => stop.killed)).toEqual([false, false]);
}
