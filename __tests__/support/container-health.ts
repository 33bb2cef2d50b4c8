import { spawn } from "node:child_process";
import { hungTaskSeconds } from "../../modules/service/task-lifecycle";
import type { ContainerHealthCheck } from "./ecs-timings";
import { killGroup } from "./teardown";

/**
 * The container health check as ECS runs it, for the ECS stand-in (ecs-lifecycle.ts): Docker's
 * HEALTHCHECK semantics, which the task definition's `healthCheck` takes over (interval, timeout,
 * retries, startPeriod):
 *
 * - the command runs `interval` after the container started, then `interval` after each run ended
 *   (moby daemon/health.go: the timer is reset once a probe's result is in);
 * - a run that exits 0 passes; one that exits otherwise, or runs longer than `timeout` (it is
 *   killed), fails;
 * - while the container is within `startPeriod` of its start and no run has passed yet, a failure
 *   does not count; once one run passed, or the period is over, every failure counts;
 * - `retries` failures in a row make the container UNHEALTHY; a pass resets the count (HEALTHY).
 *
 * ECS then holds the task unhealthy (the container is essential) and the service replaces it.
 */

export type ContainerHealthStatus = "UNKNOWN" | "HEALTHY" | "UNHEALTHY";

/** The counting of one container's health check results since its start. */
export class ContainerHealth {
  status: ContainerHealthStatus = "UNKNOWN";
  /** Failures in a row that counted. */
  failingStreak = 0;
  private passedOnce = false;

  constructor(
    private readonly check: Pick<ContainerHealthCheck, "retries" | "startPeriodMs">,
    private readonly startedAt: number,
  ) {}

  /** One run's result, `at` when it ended; the container's status after it. */
  record(passed: boolean, at: number): ContainerHealthStatus {
    if (passed) {
      this.passedOnce = true;
      this.failingStreak = 0;
      this.status = "HEALTHY";
      return this.status;
    }
    // Failures during the start period do not count, until a run has passed.
    if (!this.passedOnce && at - this.startedAt < this.check.startPeriodMs) return this.status;
    this.failingStreak++;
    if (this.failingStreak >= this.check.retries) this.status = "UNHEALTHY";
    return this.status;
  }
}

/**
 * The longest a container that stops answering (a hang) stays HEALTHY: the last run passed just
 * before, the next starts `interval` after it ended and fails after `timeout`, `retries` times.
 */
export function unhealthyAfterHangMs(check: Pick<ContainerHealthCheck, "intervalMs" | "timeoutMs" | "retries">): number {
  // The stack's own rule (task-lifecycle.ts), applied to the synthesized (and scaled) timings.
  const seconds = hungTaskSeconds({ containerHealthCheck: { intervalSeconds: check.intervalMs / 1000, timeoutSeconds: check.timeoutMs / 1000, retries: check.retries, startPeriodSeconds: 0 } });
  return Math.round(seconds * 1000);
}

/** The argv a health check command runs: `["CMD", argv...]` as is, `["CMD-SHELL", script]` with /bin/sh. */
export function healthCheckArgv(command: string[]): string[] {
  const [kind, ...rest] = command;
  if (kind === "CMD" && rest.length > 0) return rest;
  if (kind === "CMD-SHELL" && rest.length === 1) return ["/bin/sh", "-c", rest[0]];
  throw new Error(`health check command ${JSON.stringify(command)} is neither ["CMD", argv...] nor ["CMD-SHELL", script]`);
}

/** Runs `argv` (in its own process group); true if it exits 0 within `timeoutMs`, false otherwise (then it is killed). */
export function runHealthCheck(argv: string[], timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: "ignore" });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
      resolve(false);
    }, timeoutMs);
    child.once("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}
