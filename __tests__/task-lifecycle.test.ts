import {
  crashErrorWindowSeconds,
  deploySurge,
  oneAtATimeMaximumPercent,
  stopChainViolations,
  TASK_LIFECYCLE,
  type TaskLifecycle,
} from "../modules/task-lifecycle";
import { onlyResource, synthStack, keycloakContainer } from "./support/synth";

const GRACE = 300;
const broken = (change: Partial<TaskLifecycle>) => stopChainViolations({ ...TASK_LIFECYCLE, ...change }, GRACE);

describe("the stop chain: deregister and drain -> SIGTERM -> shutdown delay -> shutdown timeout -> exit, before SIGKILL", () => {
  test("the project's timings make a graceful stop lossless", () => {
    expect(stopChainViolations(TASK_LIFECYCLE, GRACE)).toEqual([]);
    const t = TASK_LIFECYCLE;
    expect(t.shutdownDelaySeconds + t.shutdownTimeoutSeconds + t.exitMarginSeconds).toBeLessThanOrEqual(t.stopTimeoutSeconds);
  });

  test("Keycloak's shutdown phases longer than the stop timeout are caught: SIGKILL would cut the cache handover", () => {
    expect(broken({ shutdownTimeoutSeconds: 50 })).toEqual([expect.stringContaining("exceed the stop timeout 60 s")]);
    expect(broken({ stopTimeoutSeconds: 30 })).toEqual([expect.stringContaining("SIGKILL would cut the cache handover short")]);
  });

  test("a stop timeout above Fargate's 120 s, no shutdown delay, too short a drain and a health check timeout as long as its interval are caught", () => {
    expect(broken({ stopTimeoutSeconds: 130 })).toEqual([expect.stringContaining("above Fargate's maximum of 120 s")]);
    expect(broken({ shutdownDelaySeconds: 0 })).toEqual([expect.stringContaining("keep-alive connections")]);
    expect(broken({ deregistrationDelaySeconds: 5 })).toEqual([expect.stringContaining("deregistration delay 5 s is shorter than one health check interval")]);
    expect(broken({ targetHealthCheck: { ...TASK_LIFECYCLE.targetHealthCheck, timeoutSeconds: 15 } })).toEqual([expect.stringContaining("must be shorter than its interval")]);
  });

  test("a container health check start period longer than the service's grace period is caught", () => {
    expect(stopChainViolations(TASK_LIFECYCLE, 100)).toEqual([expect.stringContaining("start period 120 s is longer than the service's grace period 100 s")]);
  });

  test("the synthesized target group, task definition and Keycloak environment carry exactly these timings", () => {
    const json = synthStack();
    const tg = onlyResource(json, "aws_lb_target_group");
    const h = TASK_LIFECYCLE.targetHealthCheck;
    expect(tg.deregistration_delay).toBe(String(TASK_LIFECYCLE.deregistrationDelaySeconds));
    expect(tg.health_check).toMatchObject({
      interval: h.intervalSeconds,
      timeout: h.timeoutSeconds,
      healthy_threshold: h.healthyThreshold,
      unhealthy_threshold: h.unhealthyThreshold,
    });
    const container = keycloakContainer(json);
    const c = TASK_LIFECYCLE.containerHealthCheck;
    expect(container.stopTimeout).toBe(TASK_LIFECYCLE.stopTimeoutSeconds);
    expect(container.healthCheck).toMatchObject({ interval: c.intervalSeconds, timeout: c.timeoutSeconds, retries: c.retries, startPeriod: c.startPeriodSeconds });
    const env = Object.fromEntries(container.environment.map((e) => [e.name, e.value]));
    expect(env.KC_SHUTDOWN_DELAY).toBe(`${TASK_LIFECYCLE.shutdownDelaySeconds}s`);
    expect(env.KC_SHUTDOWN_TIMEOUT).toBe(`${TASK_LIFECYCLE.shutdownTimeoutSeconds}s`);
  });

  test("a crashed task gets requests for at most unhealthy threshold x interval + one timeout", () => {
    expect(crashErrorWindowSeconds()).toBe(3 * 15 + 5);
  });
});

describe("one task at a time", () => {
  test("for every desired count from 1 to 100 a deploy starts exactly one task above it", () => {
    for (let desired = 1; desired <= 100; desired++) {
      expect([desired, deploySurge(desired, oneAtATimeMaximumPercent(desired))]).toEqual([desired, 1]);
    }
  });

  test("above the desired count the surge grows, and the database budget counts it", () => {
    expect(deploySurge(4, oneAtATimeMaximumPercent(2))).toBe(2);
  });
});
