import { judgeStop, type LifecycleRun } from "./lifecycle-run";
import type { WindowStats } from "./user-load";

/**
 * A window's load "ran" when it kept at least this share of the request rate of the quiet window
 * before the events (LifecycleRun.baseline): a mostly stalled load is not a lossless one. Starting a
 * JVM shares the stand's two cores with the load, hence not 100 %.
 */
export const MIN_SHARE_OF_BASELINE_RATE = 0.7;

/** The load kept running through the event (not a quiet window), every user made progress, and nobody noticed the event. */
export function expectLossless(stats: WindowStats, baseline: WindowStats): void {
  expect({ event: stats.event, failed: stats.failed, failures: stats.failures, relogins: stats.relogins }).toEqual({ event: stats.event, failed: 0, failures: [], relogins: [] });
  const rate = `${stats.requestsPerSecond.toFixed(1)} requests/s, ${((100 * stats.requestsPerSecond) / baseline.requestsPerSecond).toFixed(0)} % of the ${baseline.requestsPerSecond.toFixed(1)}/s before the events`;
  expect({ event: stats.event, rate, loadRan: stats.requestsPerSecond >= MIN_SHARE_OF_BASELINE_RATE * baseline.requestsPerSecond, usersWithoutProgress: stats.usersWithoutProgress }).toEqual({
    event: stats.event,
    rate,
    loadRan: true,
    usersWithoutProgress: [],
  });
}

/**
 * A rolling deploy of a 2-task service at 100-150 %: one task started (2 -> 3) and one stopped
 * gracefully (3 -> 2), twice; every step and the whole deploy lossless. Each stop's effect, not the
 * stand-in's record: the JVM logged its shutdown (it got SIGTERM, not SIGKILL), the proxy had the
 * target out of service while the process still ran (deregistered and drained before the signal),
 * and the proxy never held more targets than the synthesized maximum percent allows.
 */
export function expectLosslessDeploy(run: LifecycleRun, whole: WindowStats, from: number): void {
  // The effects first: what the proxy held and what the processes received, whatever the stand-in's labels say.
  const { desiredCount, maximumPercent } = run.ecs.timings;
  expect({ maxTargetsAtOnce: run.maxTargetsAtOnce(from, Date.now()) }).toEqual({ maxTargetsAtOnce: Math.floor((desiredCount * maximumPercent) / 100) });
  expectGracefulStops(run, 2);
  const steps = run.results.filter((r) => r.event.startsWith("deploy: "));
  expect(steps.map((r) => r.event.replace(/node-\w/g, "x"))).toEqual([
    "deploy: x started (2 -> 3 tasks)",
    "deploy: x stopped gracefully (3 -> 2 tasks)",
    "deploy: x started (2 -> 3 tasks)",
    "deploy: x stopped gracefully (3 -> 2 tasks)",
  ]);
  for (const step of steps) expectLossless(step, run.baseline!);
  expectLossless(whole, run.baseline!);
}

/**
 * The last `count` stops each got SIGTERM (the JVM logged its shutdown) and held it for
 * KC_SHUTDOWN_DELAY, after the proxy took the target out of service, and only once the request in
 * flight on the target when the stop began was answered (the drain), by judgeStop.
 */
export function expectGracefulStops(run: LifecycleRun, count: number): void {
  const effects = run.ecs.effects.slice(-count);
  const expected = { shutdownDelayMs: run.shutdownDelayMs, deregistrationDelayMs: run.ecs.timings.deregistrationDelayMs };
  const judged = effects.map((e) => judgeStop(e, expected));
  expect(judged).toEqual(effects.map((e) => ({ task: e.task, shutdownLogged: true, heldShutdownDelay: true, deregisteredBeforeExit: true, inFlightAnsweredBeforeSignal: true })));
  expect(effects).toHaveLength(count);
}
