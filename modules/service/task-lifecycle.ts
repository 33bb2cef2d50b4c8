/**
 * The timings of a Keycloak task's life behind the ALB, in one place: the target group's health
 * check and deregistration delay, the container's stop timeout and health check, and Keycloak's
 * own shutdown phases all come from here, so the chain that makes a stop lossless cannot drift.
 *
 * How ECS stops a service task (deploy, scale-in, `stop-task`): the target is deregistered and
 * drains (no new requests, in-flight ones finish) for the deregistration delay -> SIGTERM ->
 * Keycloak's shutdown delay (readiness down, keep-alive connections drained) -> its shutdown
 * timeout (running requests finish, distributed caches hand their entries over) -> the JVM
 * exits; only if that takes longer than the stop timeout does SIGKILL cut it short.
 */
import { failoverNotReadySeconds, RDS_MULTI_AZ_FAILOVER_SECONDS } from "./db-failover";
import { constant } from "../shared/constant";

export interface HealthCheckTimings {
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

export interface TaskLifecycle {
  /** The ALB's target health check on Keycloak's readiness. */
  readonly targetHealthCheck: HealthCheckTimings;
  /** How long a deregistered target drains before ECS sends SIGTERM. */
  readonly deregistrationDelaySeconds: number;
  /** Keycloak `shutdown-delay`: pre-shutdown phase for the load balancer and keep-alives. */
  readonly shutdownDelaySeconds: number;
  /** Keycloak `shutdown-timeout`: running requests finish, caches settle. */
  readonly shutdownTimeoutSeconds: number;
  /** Time the JVM needs after Keycloak's shutdown to exit (flush logs, close the pool). */
  readonly exitMarginSeconds: number;
  /** The container's stopTimeout: SIGTERM to SIGKILL. */
  readonly stopTimeoutSeconds: number;
  /** The container health check (liveness) and the grace period its first failures get. */
  readonly containerHealthCheck: { intervalSeconds: number; timeoutSeconds: number; retries: number; startPeriodSeconds: number };
}

/** Fargate refuses a container stopTimeout above this. */
export const FARGATE_MAX_STOP_TIMEOUT_SECONDS = 120;

export const TASK_LIFECYCLE: TaskLifecycle = {
  // 10 failed checks 20 s apart (180 s at the least): longer than readiness fails through no fault
  // of the task's, so neither the ALB nor ECS gives up on a healthy one: an RDS failover and the
  // task's recovery from it (db-failover.ts, 150 s) and a crash's survivor held out by Keycloak's
  // cluster check (KEYCLOAK_CLUSTER_CHECK, 70 s). The price: a new task needs 2 checks, 40 s, to
  // take traffic, and a task that hangs may stay in service as long: the container health check
  // (liveness, below) fails it sooner, but ECS then starts the replacement first and stops the
  // hung task only once that is healthy, and in the hang e2e the replacement could not join the
  // cluster while the hung member lived (README, "Faults survived"): the target group's window
  // was what took it out.
  targetHealthCheck: { intervalSeconds: 20, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 10 },
  deregistrationDelaySeconds: 30,
  shutdownDelaySeconds: 5,
  shutdownTimeoutSeconds: 30,
  exitMarginSeconds: 10,
  stopTimeoutSeconds: 60,
  containerHealthCheck: { intervalSeconds: 15, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 120 },
};

/**
 * Keycloak's split-brain check (KEYCLOAK_JDBC_PING2, part of `/health/ready` since 26.4, no option
 * turns it off): every `checkPeriodSeconds` a node reads JGROUPS_PING and is "not ready" unless the
 * coordinator row of the largest partition is its own view's coordinator. A coordinator that
 * crashed (SIGKILL: it cannot delete its row) keeps its row, which ties with or outweighs the
 * survivor's, until the row is `stalenessTimeoutSeconds` old. So after a coordinator crash the
 * survivor can be out of readiness for up to staleness + one check period (the cluster e2e
 * measured 9.8 s to 56.8 s). Values of Keycloak 26.7.3 (`staleness_timeout`,
 * `HEALTH_CHECK_INTERVAL_SECONDS`).
 */
export const KEYCLOAK_CLUSTER_CHECK = constant({ stalenessTimeoutSeconds: 60, checkPeriodSeconds: 10 });

/** The longest a crash's survivor reports "not ready" through no fault of its own. */
export function survivorNotReadySeconds(): number {
  return KEYCLOAK_CLUSTER_CHECK.stalenessTimeoutSeconds + KEYCLOAK_CLUSTER_CHECK.checkPeriodSeconds;
}

/**
 * How long the target group's readiness checks must fail before the ALB marks a target unhealthy,
 * at the least: the first failed check can come right after readiness drops, the last
 * `unhealthyThreshold - 1` intervals later.
 */
export function minimumSecondsToUnhealthy(h: HealthCheckTimings): number {
  return (h.unhealthyThreshold - 1) * h.intervalSeconds;
}

/**
 * How long the container health check takes to fail a hung task (a JVM that stopped answering),
 * at the most: its liveness probe fails `retries` times in a row, each after its timeout, and
 * Docker starts the next check an interval after the previous one ended. ECS then
 * starts a replacement and stops the hung task (deregistering its target) once the replacement
 * is healthy; the target group's own window is the backstop.
 */
export function hungTaskSeconds(t: Pick<TaskLifecycle, "containerHealthCheck"> = TASK_LIFECYCLE): number {
  const c = t.containerHealthCheck;
  return c.retries * (c.intervalSeconds + c.timeoutSeconds);
}

/** How long the ALB may keep sending requests to a task that crashed (SIGKILL, no draining). */
export function crashErrorWindowSeconds(t: Pick<TaskLifecycle, "targetHealthCheck"> = TASK_LIFECYCLE): number {
  const h = t.targetHealthCheck;
  return h.unhealthyThreshold * h.intervalSeconds + h.timeoutSeconds;
}

/**
 * Every link of the stop chain that is broken, in words; empty when a graceful stop loses
 * nothing. `gracePeriodSeconds` is the service's health check grace period.
 */
export function stopChainViolations(t: TaskLifecycle, gracePeriodSeconds: number): string[] {
  const problems: string[] = [];
  const shutdown = t.shutdownDelaySeconds + t.shutdownTimeoutSeconds + t.exitMarginSeconds;
  if (shutdown > t.stopTimeoutSeconds) {
    problems.push(
      `shutdown delay ${t.shutdownDelaySeconds} s + shutdown timeout ${t.shutdownTimeoutSeconds} s + exit margin ${t.exitMarginSeconds} s exceed the stop timeout ${t.stopTimeoutSeconds} s: SIGKILL would cut the cache handover short`,
    );
  }
  if (t.stopTimeoutSeconds > FARGATE_MAX_STOP_TIMEOUT_SECONDS) {
    problems.push(`stop timeout ${t.stopTimeoutSeconds} s is above Fargate's maximum of ${FARGATE_MAX_STOP_TIMEOUT_SECONDS} s`);
  }
  if (t.shutdownDelaySeconds < 1) {
    problems.push("shutdown delay below 1 s: keep-alive connections opened just before SIGTERM would be reset");
  }
  if (t.deregistrationDelaySeconds < t.targetHealthCheck.intervalSeconds) {
    problems.push(
      `deregistration delay ${t.deregistrationDelaySeconds} s is shorter than one health check interval (${t.targetHealthCheck.intervalSeconds} s): requests in flight when draining starts may be cut`,
    );
  }
  const h = t.targetHealthCheck;
  if (h.timeoutSeconds >= h.intervalSeconds) {
    problems.push(`health check timeout ${h.timeoutSeconds} s must be shorter than its interval ${h.intervalSeconds} s (the ALB refuses it)`);
  }
  if (minimumSecondsToUnhealthy(h) <= survivorNotReadySeconds()) {
    problems.push(
      `the target group marks a target unhealthy after ${minimumSecondsToUnhealthy(h)} s of failed readiness, but a crashed coordinator's survivor is not ready for up to ${survivorNotReadySeconds()} s (Keycloak's cluster check): the ALB would fail open to starting tasks and ECS would replace the survivor too`,
    );
  }
  if (minimumSecondsToUnhealthy(h) <= failoverNotReadySeconds()) {
    problems.push(
      `the target group marks a target unhealthy after ${minimumSecondsToUnhealthy(h)} s of failed readiness, but an RDS Multi-AZ failover (${RDS_MULTI_AZ_FAILOVER_SECONDS} s) and the task's recovery from it keep readiness down for up to ${failoverNotReadySeconds()} s: ECS would replace healthy tasks at every failover`,
    );
  }
  const c = t.containerHealthCheck;
  if (hungTaskSeconds(t) >= minimumSecondsToUnhealthy(h)) {
    problems.push(
      `the container health check fails a hung task only after ${hungTaskSeconds(t)} s, no sooner than the target group (${minimumSecondsToUnhealthy(h)} s): ECS would not start replacing a hung task before the target group's window`,
    );
  }
  if (c.startPeriodSeconds > gracePeriodSeconds) {
    problems.push(
      `the container health check's start period ${c.startPeriodSeconds} s is longer than the service's grace period ${gracePeriodSeconds} s: the ALB would count a starting task unhealthy first`,
    );
  }
  return problems;
}

/**
 * The service's deployment maximum: exactly one task above the desired count (ECS rounds
 * `desired x maximum %` down), so a deploy replaces one task at a time and each departing node
 * hands its cache entries to the others.
 */
export function oneAtATimeMaximumPercent(desiredCount: number): number {
  return 100 + Math.ceil(100 / desiredCount);
}

/** Tasks ECS runs above `runningCount` during a deploy with the given maximum percent. */
export function deploySurge(runningCount: number, maximumPercent: number): number {
  return Math.floor((runningCount * maximumPercent) / 100) - runningCount;
}
