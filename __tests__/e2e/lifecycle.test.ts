import { LifecycleRun, type CrashResult } from "../support/lifecycle-run";
import type { WindowStats } from "../support/user-load";

/**
 * The operator's events under load, on the ECS stand-in (support/ecs-lifecycle.ts, driven by
 * support/lifecycle-run.ts): a graceful stop, a rolling deploy of the same version, a scale-out
 * and a scale-in, each with 0 failed requests and 0 re-logins; and a crash, whose failures must
 * stay inside the window the synthesized target group's timings allow, with no re-login for
 * users the dead task did not serve. The stand-in's timings are the synthesized ones (or all
 * scaled by E2E_TIME_SCALE, printed in the summary).
 */

const run = new LifecycleRun();
/** Users who stay logged in and refresh, and visitors logging in one after another. */
const LOAD = { sessionUsers: 4, loginUsers: 2, thinkMs: 300 };

beforeAll(async () => {
  await run.build();
  await run.scaleToDesired();
  await run.startLoad(LOAD);
}, 15 * 60_000);

afterAll(async () => {
  const errors = await run.tearDown();
  if (errors.length > 0) throw new Error(errors.join("\n"));
}, 3 * 60_000);

afterEach(() => run.stand.assertWithinMemoryLimits());

/** The load kept running through the event (not a quiet window), and nobody noticed the event. */
function expectLossless(stats: WindowStats): void {
  expect({ event: stats.event, failed: stats.failed, failures: stats.failures, relogins: stats.relogins }).toEqual({ event: stats.event, failed: 0, failures: [], relogins: [] });
  expect(stats.logins).toBeGreaterThan(0);
  expect(stats.requests).toBeGreaterThan(stats.seconds);
}

describe("lifecycle events under a load of logins and token refreshes, on the ECS stand-in", () => {
  test("a graceful stop (deregister, drain, SIGTERM) of one task and its replacement: 0 failed requests, 0 re-logins", async () => {
    expectLossless(await run.gracefulStop());
  }, 8 * 60_000);

  test("a rolling deploy of the same version, one task at a time per the synthesized percentages: 0 failed requests, 0 re-logins", async () => {
    expect(run.ecs.maximumPercent - 100).toBeLessThanOrEqual(Math.ceil(100 / run.ecs.timings.desiredCount));
    expectLossless(await run.rollingDeploy());
  }, 12 * 60_000);

  test("scale-out to 3 and scale-in 3 -> 2 (one task, gracefully): 0 failed requests, 0 re-logins", async () => {
    expectLossless(await run.scaleOut());
    expectLossless(await run.scaleIn());
    expect(run.ecs.stops.every((stop) => !stop.killed)).toBe(true);
  }, 10 * 60_000);

  test("a crash (SIGKILL) of the coordinator: failures only inside the target group's crash window, the survivor stays in service, no re-login for users it served", async () => {
    const crash: CrashResult = await run.crash();
    process.stdout.write(`crash: ${JSON.stringify({ ...crash, stats: undefined })}\n`);
    run.stand.summary.notes.push(
      `Crash of ${crash.killed}: ${crash.stats.failed} failed requests (window ${crash.windowMs / 1000} s: unhealthy threshold x interval + timeout), the target group failed the dead target after ${(crash.deadTargetOutAfterMs / 1000).toFixed(1)} s; survivor readiness dropped: ${crash.survivorNotReadySeen ? "yes" : "no"}; survivor target states other than UP: ${crash.survivorTargetStates.join(", ") || "none"}; sessions pinned to the dead task: ${crash.pinnedToKilled.length}.`,
    );
    expect(crash.failedAfterWindow).toBe(0);
    expect(crash.deadTargetOutAfterMs).toBeLessThanOrEqual(crash.windowMs);
    // Keycloak's cluster check may take a survivor out of readiness; the target group must not follow.
    expect({ survivorTargetStates: crash.survivorTargetStates, failOpenSamples: crash.failOpenSamples }).toEqual({ survivorTargetStates: [], failOpenSamples: 0 });
    const unpinned = crash.stats.relogins.filter((r) => !crash.pinnedToKilled.includes(r.user));
    expect(unpinned).toEqual([]);
  }, 10 * 60_000);
});
