import { ContainerHealth, healthCheckArgv, runHealthCheck, unhealthyAfterHangMs } from "../support/container-health";
import { ecsTimingsOf } from "../support/ecs-timings";
import { hungTaskSeconds, TASK_LIFECYCLE } from "../../modules/service/task-lifecycle";
import { synthStack } from "../../modules/synth";

/** The ECS stand-in's container health check: Docker's counting, the synthesized check, the command's run. */

const check = { retries: 3, startPeriodMs: 10_000 };

/** The statuses after each result, `[passed, at]`, of a container started at 0. */
function statuses(results: [boolean, number][]): string[] {
  const health = new ContainerHealth(check, 0);
  return results.map(([passed, at]) => health.record(passed, at));
}

describe("the container health check's counting", () => {
  test("failures within the start period do not count; after it, `retries` in a row make the container UNHEALTHY", () => {
    expect(statuses([[false, 1_000], [false, 5_000], [false, 9_999], [false, 10_000], [false, 11_000]])).toEqual(["UNKNOWN", "UNKNOWN", "UNKNOWN", "UNKNOWN", "UNKNOWN"]);
    expect(statuses([[false, 9_000], [false, 10_000], [false, 11_000], [false, 12_000]])).toEqual(["UNKNOWN", "UNKNOWN", "UNKNOWN", "UNHEALTHY"]);
  });

  test("a pass ends the start period: from then on every failure counts", () => {
    expect(statuses([[true, 1_000], [false, 2_000], [false, 3_000], [false, 4_000]])).toEqual(["HEALTHY", "HEALTHY", "HEALTHY", "UNHEALTHY"]);
  });

  test("a pass resets the streak: failures must come in a row", () => {
    expect(statuses([[true, 1_000], [false, 2_000], [false, 3_000], [true, 4_000], [false, 5_000], [false, 6_000]])).toEqual(["HEALTHY", "HEALTHY", "HEALTHY", "HEALTHY", "HEALTHY", "HEALTHY"]);
    const health = new ContainerHealth(check, 0);
    for (const at of [11_000, 12_000, 13_000]) health.record(false, at);
    expect([health.status, health.failingStreak]).toEqual(["UNHEALTHY", 3]);
    expect(health.record(true, 14_000)).toBe("HEALTHY");
  });

  test("a hang is UNHEALTHY at the latest retries x (interval + timeout) after it: each run starts an interval after the previous one ended", () => {
    const synthesized = ecsTimingsOf(synthStack({ desiredCount: 2, maxCount: 4, dbPoolMaxSize: 15 }), "keycloak-test").containerHealthCheck;
    const c = TASK_LIFECYCLE.containerHealthCheck;
    expect(synthesized).toMatchObject({ intervalMs: c.intervalSeconds * 1000, timeoutMs: c.timeoutSeconds * 1000, retries: c.retries, startPeriodMs: c.startPeriodSeconds * 1000 });
    expect(unhealthyAfterHangMs(synthesized)).toBe(c.retries * (c.intervalSeconds + c.timeoutSeconds) * 1000);
    // task-lifecycle.ts's hungTaskSeconds counts runs an interval apart from start to start: one interval less than the worst case here, at most.
    expect(unhealthyAfterHangMs(synthesized) - hungTaskSeconds() * 1000).toBeLessThanOrEqual(c.intervalSeconds * 1000);
  });
});

describe("the command", () => {
  test("CMD runs its argv, CMD-SHELL its script with /bin/sh; anything else is refused", () => {
    expect(healthCheckArgv(["CMD", "/bin/bash", "-c", "true"])).toEqual(["/bin/bash", "-c", "true"]);
    expect(healthCheckArgv(["CMD-SHELL", "exit 0"])).toEqual(["/bin/sh", "-c", "exit 0"]);
    expect(() => healthCheckArgv(["NONE"])).toThrow("neither");
  });

  test("passes on exit 0, fails on another exit and on running past its timeout (killed then)", async () => {
    expect(await runHealthCheck(["/bin/bash", "-c", "exit 0"], 2_000)).toBe(true);
    expect(await runHealthCheck(["/bin/bash", "-c", "exit 1"], 2_000)).toBe(false);
    const started = Date.now();
    expect(await runHealthCheck(["/bin/bash", "-c", "sleep 5"], 300)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
