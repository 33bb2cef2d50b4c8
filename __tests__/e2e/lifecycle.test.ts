import { LifecycleRun, type CrashResult } from "../support/lifecycle-run";
import { expectGracefulStops, expectLossless, expectLosslessDeploy } from "../support/lossless";

/**
 * The operator's events under load, on the ECS stand-in (support/ecs-lifecycle.ts, driven by
 * support/lifecycle-run.ts): a rolling deploy of the same version, whose steps are the other
 * events (a task started next to the others, as a scale-out or the replacement after a stop-task
 * does; a task stopped gracefully out of three, as a stop-task or the scale-in step does), each
 * step with 0 failed requests and 0 re-logins; and a crash, whose failures must stay inside the
 * window the synthesized target group's timings allow, with no re-login for users the dead task
 * did not serve. Scale-out 2 -> 3 and the scale-in step 3 -> 2 are also measured on their own.
 * The stand-in's timings are the synthesized ones (or all scaled by E2E_TIME_SCALE, printed in
 * the summary). `npm run bench:cluster` runs each event on its own.
 */

const run = new LifecycleRun();
/** Users who stay logged in and refresh, and visitors logging in one after another. */
const LOAD = { sessionUsers: 4, loginUsers: 1, thinkMs: 300 };

beforeAll(() => run.setUp(LOAD), 15 * 60_000);

afterAll(() => run.finish(), 3 * 60_000);

afterEach(() => run.stand.assertWithinMemoryLimits());

describe("lifecycle events under a load of logins and token refreshes, on the ECS stand-in", () => {
  test("a rolling deploy of the same version, one task at a time per the synthesized percentages: each new task's start (2 -> 3 tasks) and each graceful stop of an old one (deregister, drain, SIGTERM: 3 -> 2 tasks, what stop-task and the scale-in step do) has 0 failed requests and 0 re-logins", async () => {
    const from = Date.now();
    const whole = await run.rollingDeploy();
    // The effects first (what the proxy held, what the processes got), then the stand-in's own figure.
    expectLosslessDeploy(run, whole, from);
    expect(run.ecs.maximumPercent - 100).toBeLessThanOrEqual(Math.ceil(100 / run.ecs.timings.desiredCount));
  }, 12 * 60_000);

  test("scale-out 2 -> 3 and the scale-in step back to 2 (ECS stops one task gracefully) each have 0 failed requests and 0 re-logins", async () => {
    const stopsBefore = run.ecs.effects.length;
    const out = await run.scaleOut();
    const scaledIn = await run.scaleIn();
    expect([out.event, scaledIn.event]).toEqual(["scale-out 2 -> 3", "scale-in 3 -> 2"]);
    expectLossless(out, run.baseline!);
    expectLossless(scaledIn, run.baseline!);
    expect(run.ecs.effects.length - stopsBefore).toBe(1);
    expectGracefulStops(run, 1);
  }, 8 * 60_000);

  test("a crash (SIGKILL) of the coordinator: failures only inside the target group's crash window, the survivor's readiness goes down and the target group keeps it in service, no re-login for users it served", async () => {
    const crash: CrashResult = await run.crash();
    process.stdout.write(`crash: ${JSON.stringify({ ...crash, stats: undefined })}\n`);
    const seconds = (ms?: number) => (ms === undefined ? "-" : (ms / 1000).toFixed(1));
    run.stand.summary.notes.push(
      `Crash of ${crash.killed} (the coordinator; survivors ${crash.survivors.join(", ")}): ${crash.stats.failed} failed requests, ${crash.failedAfterWindow} of them after the ${crash.windowMs / 1000} s window (unhealthy threshold x interval + timeout); the dead target left the target group (deregistered as its task stopped) after ${seconds(crash.deadTargetOutAfterMs)} s; a survivor's /health/ready said "not ready" ${crash.survivorNotReadySeen ? `from ${seconds(crash.survivorNotReadyFromMs)} s to ${seconds(crash.survivorNotReadyUntilMs)} s after the kill` : "never"}; survivor target states other than UP: ${crash.survivorTargetStates.join(", ") || "none"}; fail-open samples: ${crash.failOpenSamples}; sessions pinned to the dead task: ${crash.pinnedToKilled.length}; re-logins: ${crash.stats.relogins.length}.`,
    );
    // The scenario is the coordinator's crash, by the survivors' own cluster views.
    expect({ killed: crash.killed, killedWasCoordinator: crash.killedWasCoordinator }).toEqual({ killed: crash.killed, killedWasCoordinator: true });
    // What the synthesized unhealthy threshold x interval is for: the survivor's readiness went down, and the target group kept it.
    expect({ survivorNotReadySeen: crash.survivorNotReadySeen }).toEqual({ survivorNotReadySeen: true });
    expect(crash.failedAfterWindow).toBe(0);
    expect(crash.deadTargetOutAfterMs).toBeLessThanOrEqual(crash.windowMs);
    // Keycloak's cluster check may take a survivor out of readiness; the target group must not follow.
    expect({ survivorTargetStates: crash.survivorTargetStates, failOpenSamples: crash.failOpenSamples }).toEqual({ survivorTargetStates: [], failOpenSamples: 0 });
    // Sessions are in the database: users pinned to the killed task keep theirs too (the survivor
    // loads them), so no user at all logs in again.
    expect(crash.stats.relogins.map((r) => `${r.user} pinned to ${r.pinnedTo}`)).toEqual([]);
  }, 10 * 60_000);
});
