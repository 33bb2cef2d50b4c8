import {
  crashErrorWindowSeconds,
  deploySurge,
  hungTaskSeconds,
  minimumSecondsToUnhealthy,
  oneAtATimeMaximumPercent,
  stopChainViolations,
  survivorNotReadySeconds,
  TASK_LIFECYCLE,
  type TaskLifecycle,
} from "../../modules/service/task-lifecycle";
import { onlyResource, resourcesOf, synthStack, keycloakContainer } from "../../modules/synth";

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
    expect(broken({ targetHealthCheck: { ...TASK_LIFECYCLE.targetHealthCheck, timeoutSeconds: 20 } })).toEqual([expect.stringContaining("must be shorter than its interval")]);
  });

  test("each limit is inclusive where the stop chain still holds: shutdown phases equal to the stop timeout, a stop timeout of exactly 120 s, a 1 s shutdown delay, a drain of one interval, a start period equal to the grace period", () => {
    expect(broken({ stopTimeoutSeconds: 45 })).toEqual([]);
    expect(broken({ stopTimeoutSeconds: 120 })).toEqual([]);
    expect(broken({ shutdownDelaySeconds: 1 })).toEqual([]);
    expect(broken({ deregistrationDelaySeconds: 20 })).toEqual([]);
    expect(stopChainViolations(TASK_LIFECYCLE, 120)).toEqual([]);
  });

  test("a target group that gives up exactly when a crashed coordinator's survivor may be ready again (70 s) is caught", () => {
    const at70 = broken({ targetHealthCheck: { intervalSeconds: 10, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 8 } });
    expect(at70).toContainEqual(expect.stringContaining("after 70 s of failed readiness, but a crashed coordinator's survivor is not ready for up to 70 s"));
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
    expect(crashErrorWindowSeconds()).toBe(10 * 20 + 5);
  });

  test("the target group keeps a crashed coordinator's survivor (not ready for up to 60 s staleness + 10 s check period) in service", () => {
    expect(survivorNotReadySeconds()).toBe(70);
    expect(minimumSecondsToUnhealthy(TASK_LIFECYCLE.targetHealthCheck)).toBe(180);
    // The timings before the first fix: 3 checks 15 s apart gave up on the survivor after 30 s
    // (and on a failover, and before the container check catches a hang).
    expect(broken({ targetHealthCheck: { intervalSeconds: 15, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 3 } })).toEqual([
      expect.stringContaining("after 30 s of failed readiness, but a crashed coordinator's survivor is not ready for up to 70 s"),
      expect.stringContaining("after 30 s of failed readiness, but an RDS Multi-AZ failover"),
      expect.stringContaining("fails a hung task only after 60 s, no sooner than the target group (30 s)"),
    ]);
  });

  test("the target group outlasts an RDS Multi-AZ failover (120 s) and the task's recovery from it (30 s): 150 s of failed readiness never make ECS replace a task", () => {
    expect(minimumSecondsToUnhealthy(TASK_LIFECYCLE.targetHealthCheck)).toBeGreaterThan(150);
    // The timings before this fix: 9 checks 10 s apart; the 120 s failover e2e saw node-a held unhealthy.
    expect(broken({ targetHealthCheck: { intervalSeconds: 10, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 9 } })).toEqual([
      expect.stringContaining("after 80 s of failed readiness, but an RDS Multi-AZ failover (120 s) and the task's recovery from it keep readiness down for up to 150 s"),
    ]);
    // The boundary: exactly 150 s is not enough, 152 s is.
    expect(broken({ targetHealthCheck: { intervalSeconds: 25, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 7 } })).toEqual([
      expect.stringContaining("after 150 s of failed readiness, but an RDS Multi-AZ failover"),
    ]);
    expect(broken({ targetHealthCheck: { intervalSeconds: 19, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 9 } })).toEqual([]);
  });

  test("the container health check fails a hung task (3 x (15 s + 5 s)) long before the target group's window, so ECS starts replacing it first", () => {
    expect(hungTaskSeconds()).toBe(3 * (15 + 5));
    expect(broken({ containerHealthCheck: { ...TASK_LIFECYCLE.containerHealthCheck, retries: 9 } })).toEqual([
      expect.stringContaining("fails a hung task only after 180 s, no sooner than the target group (180 s)"),
    ]);
    expect(broken({ containerHealthCheck: { ...TASK_LIFECYCLE.containerHealthCheck, retries: 8 } })).toEqual([]);
  });
});

describe("one task at a time", () => {
  test("for every desired count from 1 to 100 a deploy starts exactly one task above it", () => {
    for (let desired = 1; desired <= 100; desired++) {
      expect([desired, deploySurge(desired, oneAtATimeMaximumPercent(desired))]).toEqual([desired, 1]);
    }
  });

  test("the synthesized service deploys one task at a time and the scale-in policy removes one task per step, for 2 and 3 tasks", () => {
    for (const desiredCount of [2, 3]) {
      const json = synthStack({ desiredCount, maxCount: 4, dbPoolMaxSize: 15 });
      const service = onlyResource(json, "aws_ecs_service");
      expect(service.deployment_minimum_healthy_percent).toBe(100);
      expect(deploySurge(desiredCount, service.deployment_maximum_percent as number)).toBe(1);
      const steps = Object.values(resourcesOf(json, "aws_appautoscaling_policy")).filter((p) => p.policy_type === "StepScaling") as {
        step_scaling_policy_configuration: { adjustment_type: string; step_adjustment: { scaling_adjustment: number }[] };
      }[];
      expect(steps.map((p) => p.step_scaling_policy_configuration.adjustment_type)).toEqual(["ChangeInCapacity"]);
      expect(steps[0].step_scaling_policy_configuration.step_adjustment.map((s) => s.scaling_adjustment)).toEqual([-1]);
    }
  });

  test("above the desired count the surge grows, and the database budget counts it", () => {
    expect(deploySurge(4, oneAtATimeMaximumPercent(2))).toBe(2);
  });
});
