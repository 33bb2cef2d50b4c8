import { CONTAINER_NAME } from "../../modules/service/keycloak-service";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { crashErrorWindowSeconds } from "../../modules/service/task-lifecycle";

/**
 * What the ECS stand-in must do as AWS would, read from the synthesized stack (never restated in
 * the tests): the target group's health check, deregistration delay and stickiness, the service's
 * deployment percentages and desired count, and the container's stop timeout and health check. All durations can
 * be scaled by one factor (E2E_TIME_SCALE) when the real ones make a run too slow; the summary
 * prints it.
 */

type Resources = Record<string, Record<string, Record<string, unknown>>>;

export interface TargetHealthCheck {
  path: string;
  port: number;
  matcher: string;
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

/**
 * The Keycloak container's health check as ECS runs it (Docker's HEALTHCHECK semantics): `command`
 * every `intervalMs` (the next run `intervalMs` after the previous one ended), a run longer than
 * `timeoutMs` fails, failures within `startPeriodMs` of the container's start do not count until
 * one run passed, and `retries` failures in a row make the container UNHEALTHY.
 */
export interface ContainerHealthCheck {
  /** The task definition's `healthCheck.command`: `["CMD", argv...]` or `["CMD-SHELL", script]`. */
  command: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

export interface EcsTimings {
  /** The factor every duration below was multiplied by (1 = AWS's own timings). */
  scale: number;
  healthCheck: TargetHealthCheck;
  deregistrationDelayMs: number;
  /** Duration-based cookie stickiness of the target group; undefined when off. */
  stickiness?: { cookieDurationSeconds: number };
  /** The container's stopTimeout: SIGTERM to SIGKILL. */
  stopTimeoutMs: number;
  containerHealthCheck: ContainerHealthCheck;
  desiredCount: number;
  minimumHealthyPercent: number;
  maximumPercent: number;
}

/** E2E_TIME_SCALE, a factor in (0, 1]; 1 when unset. */
export function timeScale(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.E2E_TIME_SCALE;
  if (raw === undefined || raw === "") return 1;
  const scale = Number(raw);
  if (!(scale > 0 && scale <= 1)) throw new Error(`E2E_TIME_SCALE '${raw}' is not a number in (0, 1]`);
  return scale;
}

function only(resources: Resources, type: string, stack: string): Record<string, unknown> {
  const all = Object.values(resources[type] ?? {});
  if (all.length !== 1) throw new Error(`${stack}: expected one ${type}, found ${all.length}`);
  return all[0];
}

/** The timings of `stack` as synthesized into `outDir` (cdktf's stacks/<stack>/cdk.tf.json). */
export function ecsTimingsOfSynth(outDir: string, stack: string, scale = timeScale()): EcsTimings {
  return ecsTimingsOf(JSON.parse(readFileSync(join(outDir, "stacks", stack, "cdk.tf.json"), "utf8")) as { resource?: Resources }, stack, scale);
}

/** The timings of one stack's synthesized Terraform JSON. */
export function ecsTimingsOf(json: { resource?: Resources }, stack: string, scale = 1): EcsTimings {
  const resources = json.resource ?? {};
  const tg = only(resources, "aws_lb_target_group", stack);
  const hc = tg.health_check as Record<string, unknown>;
  if (hc.enabled !== true || hc.protocol !== "HTTP") throw new Error(`${stack}: the stand-in runs enabled HTTP health checks only, got ${JSON.stringify(hc)}`);
  const stickiness = tg.stickiness as { enabled?: boolean; type?: string; cookie_duration?: number } | undefined;
  if (stickiness?.enabled && stickiness.type !== "lb_cookie") throw new Error(`${stack}: stickiness ${stickiness.type} is not one the stand-in knows (lb_cookie)`);
  const service = only(resources, "aws_ecs_service", stack);
  const task = only(resources, "aws_ecs_task_definition", stack);
  // The Keycloak container's stopTimeout: the one ECS waits for after SIGTERM (the metrics sidecar is not essential).
  type Container = { name?: string; stopTimeout?: number; healthCheck?: { command?: string[]; interval?: number; timeout?: number; retries?: number; startPeriod?: number } };
  const containers = (JSON.parse(task.container_definitions as string) as Container[]).filter((c) => c.name === CONTAINER_NAME);
  if (containers.length !== 1 || containers[0].stopTimeout === undefined) throw new Error(`${stack}: expected one container named ${CONTAINER_NAME} with a stopTimeout`);
  const check = containers[0].healthCheck;
  if (check?.command === undefined || [check.interval, check.timeout, check.retries, check.startPeriod].some((v) => typeof v !== "number")) {
    throw new Error(`${stack}: the stand-in runs the ${CONTAINER_NAME} container's health check, but it has none with command, interval, timeout, retries and startPeriod: ${JSON.stringify(check)}`);
  }
  const ms = (seconds: unknown) => Math.round(Number(seconds) * 1000 * scale);
  return {
    scale,
    healthCheck: {
      path: String(hc.path),
      port: Number(hc.port),
      matcher: String(hc.matcher),
      intervalMs: ms(hc.interval),
      timeoutMs: ms(hc.timeout),
      healthyThreshold: Number(hc.healthy_threshold),
      unhealthyThreshold: Number(hc.unhealthy_threshold),
    },
    deregistrationDelayMs: ms(tg.deregistration_delay),
    stickiness: stickiness?.enabled ? { cookieDurationSeconds: Number(stickiness.cookie_duration) } : undefined,
    stopTimeoutMs: ms(containers[0].stopTimeout),
    containerHealthCheck: { command: check.command, intervalMs: ms(check.interval), timeoutMs: ms(check.timeout), retries: Number(check.retries), startPeriodMs: ms(check.startPeriod) },
    // The service is created with FIRST_BOOT_TASK_COUNT tasks; the autoscaling target then holds
    // it at its minimum, the count every later deploy and scale-in starts from.
    desiredCount: Number(only(resources, "aws_appautoscaling_target", stack).min_capacity),
    minimumHealthyPercent: Number(service.deployment_minimum_healthy_percent),
    maximumPercent: Number(service.deployment_maximum_percent),
  };
}

/** How long requests may still reach a crashed target: until `unhealthyThreshold` checks failed, + one timeout. */
export function crashErrorWindowMs(t: EcsTimings): number {
  const h = t.healthCheck;
  const seconds = crashErrorWindowSeconds({
    targetHealthCheck: { intervalSeconds: h.intervalMs / 1000, timeoutSeconds: h.timeoutMs / 1000, healthyThreshold: h.healthyThreshold, unhealthyThreshold: h.unhealthyThreshold },
  });
  return Math.round(seconds * 1000);
}
