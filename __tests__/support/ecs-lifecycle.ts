import { ContainerHealth, type ContainerHealthStatus } from "./container-health";
import type { EcsTimings } from "./ecs-timings";
import type { Haproxy } from "./haproxy";
import type { StopOutcome } from "./ecs-stop";
import type { KeycloakNode } from "./keycloak-node";
import { sleep, waitFor } from "./waiting";

/**
 * The ECS service and its target group, as the lifecycle e2e drives them: the proxy (haproxy)
 * runs the synthesized target group's health check and stickiness, and this driver registers,
 * drains and stops tasks the way ECS does, with the synthesized timings (ecs-timings.ts):
 *
 * - start: the task's process starts; ECS registers it in the target group once it runs; the
 *   target gets traffic only after `healthyThreshold` good checks (haproxy: forced DOWN, then `rise`).
 * - graceful stop (stop-task, deploy, scale-in): deregister (haproxy: MAINT in both backends, so
 *   no new request, sticky or not, while requests in flight finish) -> the target drains until it
 *   has no request in flight or the deregistration delay ends -> SIGTERM -> SIGKILL after the
 *   container's stopTimeout.
 * - crash (the container exits: SIGKILL): the task stops, and ECS deregisters its target as the
 *   task stops, so draining (no new request) starts then, not after the health check. The stand-in
 *   deregisters once the task's last process is gone; how long ECS takes from the exit to the
 *   deregistration on AWS is left to `npm run drill` to measure.
 * - hang (every process frozen, SIGSTOP): nothing exits. The container health check (the task
 *   definition's command, run in the task's namespace: container-health.ts) fails `retries` times
 *   in a row and the task is UNHEALTHY; the service replaces it as ECS replaces an unhealthy task
 *   (replaceUnhealthy). Without that (the break `no-container-check`) only the target group's
 *   health check takes the target out, after `unhealthyThreshold` failed checks of `intervalMs`;
 *   until then its users' requests hang.
 *
 * `breaks` turns one link off on purpose, to show that the e2e notices.
 */

/** A link of the stop chain turned off on purpose (E2E_LIFECYCLE_BREAK). */
export type LifecycleBreak = "no-drain" | "no-deregistration-delay" | "kill-at-once" | "max-percent-200" | "no-container-check";

export function lifecycleBreak(env: NodeJS.ProcessEnv = process.env): LifecycleBreak | undefined {
  const raw = env.E2E_LIFECYCLE_BREAK;
  if (raw === undefined || raw === "") return undefined;
  const known: LifecycleBreak[] = ["no-drain", "no-deregistration-delay", "kill-at-once", "max-percent-200", "no-container-check"];
  if (!known.includes(raw as LifecycleBreak)) throw new Error(`E2E_LIFECYCLE_BREAK '${raw}' is not one of ${known.join(", ")}`);
  return raw as LifecycleBreak;
}

const BACKENDS = ["keycloak", "keycloak_fail_open"] as const;

/**
 * ECS registers a task's target: unhealthy until `healthyThreshold` checks pass. haproxy would
 * take a server leaving maintenance as UP at once, and ignores a forced health while in
 * maintenance: so out of maintenance into drain (no traffic, checks running), forced DOWN, then ready.
 */
export async function registerTarget(proxy: Pick<Haproxy, "runtime">, name: string): Promise<void> {
  await proxy.runtime(`set server keycloak/${name} state drain`);
  await proxy.runtime(`set server keycloak/${name} health down`);
  for (const backend of BACKENDS) await proxy.runtime(`set server ${backend}/${name} state ready`);
}

/** ECS deregisters a task's target (a stop, or a task that stopped): no new request, the fail-open route included. */
export async function deregisterTarget(proxy: Pick<Haproxy, "runtime">, name: string): Promise<void> {
  for (const backend of BACKENDS) await proxy.runtime(`set server ${backend}/${name} state maint`);
}

/** What the stand-in needs of a task (keycloak-node.ts's KeycloakNode is one). */
export interface EcsTask {
  readonly name: string;
  readonly running: boolean;
  /** ECS's stop: SIGTERM to the container's PID 1, SIGKILL after `stopTimeoutMs` (ecs-stop.ts). */
  stop(stopTimeoutMs: number): Promise<StopOutcome>;
  /** The container exits at once (SIGKILL to every process); resolves once all are gone. */
  kill(): Promise<void>;
  /** Every process frozen (true) or thawed (false). */
  freeze(frozen?: boolean): void;
  /** Runs the container's health check `command` (the task definition's) as ECS runs it in the container: whether it passed within `timeoutMs`. */
  healthCheck(command: string[], timeoutMs: number): Promise<boolean>;
  logTail(lines: number): string;
}

/** How the service replaces an unhealthy task: which node a replacement runs on, and how long it may take to start. */
export interface ReplacementPolicy<T> {
  /** A node that runs no task, for the replacement of `unhealthy`; undefined when there is none. */
  spareFor(unhealthy: T): T | undefined;
  startTimeoutMs: number;
}

/** What the service did about a task its container health check found UNHEALTHY. */
export interface ReplacementRecord {
  task: string;
  unhealthyAt: number;
  /** The replacement's node. */
  replacement?: string;
  /** "start-first" while the maximum percent leaves room for one more task, else "stop-first". */
  order: "start-first" | "stop-first";
  replacementHealthyAt?: number;
  /** The unhealthy task's stop (deregister, drain, SIGTERM, SIGKILL after stopTimeout). */
  stop?: StopRecord;
  stoppedAt?: number;
  error?: string;
  /** Settles once the replacement is healthy and the unhealthy task stopped (or it failed: `error`). */
  done: Promise<void>;
}

export interface StopRecord {
  task: string;
  /** Deregistration to the end of draining (no request in flight, or the delay over). */
  drainMs: number;
  /** SIGTERM to the last process gone. */
  exitMs: number;
  /** Whether SIGKILL had to cut the shutdown short. */
  killed: boolean;
}

export class EcsServiceStandIn<T extends EcsTask = KeycloakNode> {
  /** Tasks registered in the target group, in start order (the oldest first). */
  readonly tasks: T[] = [];
  readonly stops: StopRecord[] = [];
  readonly replacements: ReplacementRecord[] = [];
  /** The container health check of each task's latest start, while ECS watches it (not once the task is stopping). */
  private readonly health = new Map<T, ContainerHealth>();

  constructor(
    private readonly proxy: Haproxy,
    readonly timings: EcsTimings,
    /** Starts a task's process with its task definition's command. */
    private readonly startProcess: (node: T) => Promise<void>,
    readonly breaks?: LifecycleBreak,
    /** Without one, the container health check does not run (the service has nothing to replace a task with). */
    private readonly replacementPolicy?: ReplacementPolicy<T>,
  ) {}

  /** The service's deployment maximum, or the broken one. */
  get maximumPercent(): number {
    return this.breaks === "max-percent-200" ? 200 : this.timings.maximumPercent;
  }

  /** ECS starts a task and registers it; resolves once the target group holds it healthy. */
  async runTask(node: T, timeoutMs: number): Promise<void> {
    await this.startProcess(node);
    this.watchHealth(node, Date.now());
    await this.register(node);
    await this.waitHealthy(node, timeoutMs);
  }

  /** The container health status of `node`'s latest start, while it is watched. */
  containerHealth(node: T): ContainerHealthStatus | undefined {
    return this.health.get(node)?.status;
  }

  /**
   * ECS runs the container's health check from the container's start until the task stops: each
   * run `interval` after the previous one ended; at UNHEALTHY the service replaces the task.
   */
  private watchHealth(node: T, startedAt: number): void {
    if (this.replacementPolicy === undefined || this.breaks === "no-container-check") return;
    const check = this.timings.containerHealthCheck;
    const health = new ContainerHealth(check, startedAt);
    this.health.set(node, health);
    const watched = () => this.health.get(node) === health && node.running;
    void (async () => {
      while (watched()) {
        await sleep(check.intervalMs);
        if (!watched()) return;
        const passed = await node.healthCheck(check.command, check.timeoutMs);
        if (!watched()) return;
        if (health.record(passed, Date.now()) === "UNHEALTHY") {
          this.replaceUnhealthy(node);
          return;
        }
      }
    })();
  }

  /**
   * ECS replaces an unhealthy service task (Developer Guide, "Amazon ECS services"; since
   * 2023-10-23): it starts the replacement first while the maximum percent leaves room for one
   * more task, and stops the unhealthy task (deregister and drain, SIGTERM, SIGKILL after
   * stopTimeout) once the replacement is healthy; without room it stops the unhealthy task first.
   */
  private replaceUnhealthy(node: T): ReplacementRecord {
    // Watched no more: the task is on its way out.
    this.health.delete(node);
    const maximum = Math.floor((this.tasks.length * this.maximumPercent) / 100);
    const record: ReplacementRecord = { task: node.name, unhealthyAt: Date.now(), order: this.tasks.length < maximum ? "start-first" : "stop-first", done: Promise.resolve() };
    const policy = this.replacementPolicy!;
    const stopUnhealthy = async () => {
      record.stop = await this.stopTask(node);
      record.stoppedAt = Date.now();
    };
    const startReplacement = async () => {
      const spare = policy.spareFor(node);
      if (spare === undefined) throw new Error(`no spare node to replace ${node.name}`);
      record.replacement = spare.name;
      await this.runTask(spare, policy.startTimeoutMs);
      record.replacementHealthyAt = Date.now();
    };
    record.done = (async () => {
      try {
        if (record.order === "start-first") {
          await startReplacement();
          await stopUnhealthy();
        } else {
          await stopUnhealthy();
          await startReplacement();
        }
      } catch (error) {
        record.error = (error as Error).message;
      }
    })();
    this.replacements.push(record);
    return record;
  }

  private async register(node: T): Promise<void> {
    await registerTarget(this.proxy, node.name);
    this.tasks.push(node);
  }

  async waitHealthy(node: T, timeoutMs: number): Promise<void> {
    await waitFor(`the target group to hold ${node.name} healthy`, timeoutMs, async () => {
      if (!node.running) throw new Error(`${node.name} exited before it was healthy; log tail:\n${node.logTail(30)}`);
      return (await this.proxy.serverStates())[node.name] === "UP" ? true : undefined;
    }, 250);
  }

  /** ECS's graceful stop of one task: deregister and drain, SIGTERM, SIGKILL after stopTimeout. */
  async stopTask(node: T): Promise<StopRecord> {
    const started = Date.now();
    // A stopping task's health is no longer the service's concern.
    this.health.delete(node);
    if (this.breaks !== "no-drain") {
      await deregisterTarget(this.proxy, node.name);
      if (this.breaks !== "no-deregistration-delay") await this.drain(node);
    }
    const drained = Date.now();
    let killed = true;
    if (this.breaks === "kill-at-once") await node.kill();
    else ({ killed } = await node.stop(this.timings.stopTimeoutMs));
    const record = { task: node.name, drainMs: drained - started, exitMs: Date.now() - drained, killed };
    this.forget(node);
    this.stops.push(record);
    return record;
  }

  /**
   * A task's container exits (SIGKILL to all its processes): the task stops, and ECS deregisters
   * its target as it stops. Resolves with the time from the kill to the deregistration.
   */
  async crash(node: T): Promise<{ deregisteredAfterMs: number }> {
    const killedAt = Date.now();
    this.health.delete(node);
    await node.kill();
    await this.deregister(node);
    this.forget(node);
    return { deregisteredAfterMs: Date.now() - killedAt };
  }

  /**
   * A task hangs (every process frozen): it does not exit, so ECS deregisters nothing at once; the
   * target stays registered until the container health check has the task replaced
   * (replaceUnhealthy: `replacements`), or the target group's health check fails it (waitUnhealthy).
   */
  hang(node: T): void {
    node.freeze(true);
  }

  /** Resolves once the target group's health check holds `node` unhealthy (haproxy: DOWN), with the time it took. */
  async waitUnhealthy(node: T, timeoutMs: number): Promise<number> {
    const started = Date.now();
    await waitFor(`the target group's health check to fail ${node.name}`, timeoutMs, async () => ((await this.proxy.serverStates())[node.name]?.startsWith("DOWN") ? true : undefined), 50);
    return Date.now() - started;
  }

  /** Removes a crashed target (kept for callers from before crash() deregistered: a second call changes nothing). */
  async deregisterDead(node: T): Promise<void> {
    await this.deregister(node);
  }

  private deregister(node: T): Promise<void> {
    return deregisterTarget(this.proxy, node.name);
  }

  /**
   * A deploy of a new task definition revision (here: the same image) as ECS runs it: start as many
   * new tasks as the maximum percent allows above the desired count, wait until the target group
   * holds them healthy, stop as many old tasks as the minimum healthy percent allows, repeat.
   */
  async rollingDeploy(spares: T[], timeoutMs: number, step: (label: string, body: () => Promise<void>) => Promise<void> = (_, body) => body()): Promise<void> {
    const desired = this.tasks.length;
    const old = [...this.tasks];
    const pool = [...spares];
    const maximum = Math.floor((desired * this.maximumPercent) / 100);
    const minimumHealthy = Math.ceil((desired * this.timings.minimumHealthyPercent) / 100);
    while (old.length > 0) {
      const room = maximum - this.tasks.length;
      if (room < 1 && this.tasks.length - minimumHealthy < 1) throw new Error(`deploy stuck: ${this.tasks.length} tasks, maximum ${maximum}, minimum healthy ${minimumHealthy}`);
      const starting = pool.splice(0, Math.min(room, old.length));
      if (starting.length < Math.min(room, old.length)) throw new Error(`the stand has no spare node for a surge of ${room}`);
      const before = this.tasks.length;
      await step(`deploy: ${starting.map((n) => n.name).join(", ")} started (${before} -> ${before + starting.length} tasks)`, async () => {
        await Promise.all(starting.map((node) => this.runTask(node, timeoutMs)));
      });
      const stopping = old.splice(0, Math.max(0, this.tasks.length - minimumHealthy));
      await step(`deploy: ${stopping.map((n) => n.name).join(", ")} stopped gracefully (${this.tasks.length} -> ${this.tasks.length - stopping.length} tasks)`, async () => {
        await Promise.all(stopping.map((node) => this.stopTask(node)));
      });
      // A stopped task's node is a spare for the next start, as a fresh task would be.
      pool.push(...stopping);
    }
  }

  /** Scale-in by one task: ECS picks one and stops it gracefully (the step policy's -1). */
  scaleIn(node: T): Promise<StopRecord> {
    return this.stopTask(node);
  }

  private async drain(node: T): Promise<void> {
    // ELB ends draining early once the target has no request in flight; else after the delay.
    const until = Date.now() + this.timings.deregistrationDelayMs;
    while (Date.now() < until) {
      const inFlight = (await this.proxy.serverStats()).filter((s) => s.server === node.name).reduce((sum, s) => sum + s.current, 0);
      if (inFlight === 0) return;
      await sleep(100);
    }
  }

  private forget(node: T): void {
    const i = this.tasks.indexOf(node);
    if (i >= 0) this.tasks.splice(i, 1);
  }
}
