import type { UpgradeStep } from "../../modules/service/upgrade";
import type { ClusterStand, StandNodes } from "./cluster-stand";
import type { EcsServiceStandIn } from "./ecs-lifecycle";
import type { KeycloakDist } from "../../tools/keycloak-dist";
import type { KeycloakNode } from "./keycloak-node";
import { sleep } from "./waiting";

/**
 * Carries out an upgrade plan of modules/service/upgrade.ts on the ECS stand (ecs-lifecycle.ts),
 * as tools/upgrade.ts and ECS carry it out on the service: the same steps; the stand's four
 * service-sized slots are the tasks, two running and two spare for the tasks a deploy starts.
 * A rolling deploy starts a task of the new release first, waits until the target group holds it
 * healthy, then stops an old one gracefully (deregister, drain, SIGTERM), as the service's
 * maximum percent (task-lifecycle.ts, oneAtATimeMaximumPercent) lets ECS do. A scale to 0 stops
 * every task gracefully, all at once, as ECS does.
 *
 * `breaks` (E2E_UPGRADE_BREAK, comma-separated) does it wrong on purpose, to show the e2e notices:
 * - stop-first: the rolling deploy stops an old task before it starts its replacement;
 * - mix: the recreate starts one task of the new release before it stops the old ones;
 * - idle-gap: the recreate waits IDLE_GAP_MS between the last old task gone and the first new start.
 */

export type UpgradeBreak = "stop-first" | "mix" | "idle-gap";
const BREAKS: UpgradeBreak[] = ["stop-first", "mix", "idle-gap"];
/** The idle-gap break's pause: longer than the recreate's downtime bound's slack. */
export const IDLE_GAP_MS = 20_000;

export function upgradeBreaks(env: NodeJS.ProcessEnv = process.env): UpgradeBreak[] {
  const raw = env.E2E_UPGRADE_BREAK ?? "";
  const breaks = raw.split(",").map((b) => b.trim()).filter((b) => b !== "");
  for (const b of breaks) if (!BREAKS.includes(b as UpgradeBreak)) throw new Error(`E2E_UPGRADE_BREAK '${b}' is not one of ${BREAKS.join(", ")}`);
  return breaks as UpgradeBreak[];
}

const SLOTS: (keyof StandNodes)[] = ["a", "b", "c", "d"];

/** The recreate's downtime model, measured: one stop and one start. */
export interface RecreateTimes {
  /** The scale to 0: from its start (the old targets deregistered) until every old task exited. */
  stopAllMs: number;
  /** The first task of the new release: process start (it migrates the schema) until the target group held it healthy. */
  firstStartMs: number;
  /** When that task's process was started (epoch ms). */
  firstStartedAt: number;
}

export class StandUpgrade {
  /** Steps the stand has nothing for (autoscaling), kept for the report. */
  readonly notApplicable: string[] = [];
  /** Slots whose node is one of the new release already (a second switch would make a second task of it). */
  private readonly onTarget = new Set<keyof StandNodes>();
  private stopAllMs?: number;
  private firstStartMs?: number;
  private firstStartedAt?: number;

  constructor(
    private readonly stand: ClusterStand,
    private readonly ecs: EcsServiceStandIn,
    private readonly target: KeycloakDist,
    private readonly timeouts: { startMs: number; clusterMs: number },
    readonly breaks: UpgradeBreak[] = [],
  ) {}

  /** The recreate's stop and first start, once the plan ran them. */
  get recreateTimes(): RecreateTimes | undefined {
    return this.stopAllMs === undefined || this.firstStartMs === undefined || this.firstStartedAt === undefined
      ? undefined
      : { stopAllMs: this.stopAllMs, firstStartMs: this.firstStartMs, firstStartedAt: this.firstStartedAt };
  }

  private spareSlots(): (keyof StandNodes)[] {
    return SLOTS.filter((key) => !this.stand.node(key).running);
  }

  private slotOf(node: KeycloakNode): keyof StandNodes {
    const key = SLOTS.find((k) => this.stand.nodes[k] === node);
    if (key === undefined) throw new Error(`${node.name} is in no slot of the stand`);
    return key;
  }

  /** The slot's next task is one of the new task definition. */
  private async switchToTarget(key: keyof StandNodes): Promise<KeycloakNode> {
    if (this.onTarget.has(key)) return this.stand.node(key);
    this.onTarget.add(key);
    return this.stand.switchDistribution(key, this.target);
  }

  /** A spare slot with a node of the new release in it (a task of the new task definition). */
  private async newTask(): Promise<KeycloakNode> {
    const [key] = this.spareSlots();
    if (key === undefined) throw new Error("the stand has no spare slot for a task of the new release");
    return this.switchToTarget(key);
  }

  private async rollingDeploy(): Promise<void> {
    if (!this.breaks.includes("stop-first")) {
      const spares = await Promise.all(this.spareSlots().map((key) => this.switchToTarget(key)));
      await this.ecs.rollingDeploy(spares, this.timeouts.startMs);
      return;
    }
    for (const old of [...this.ecs.tasks]) {
      await this.ecs.stopTask(old);
      const replacement = await this.switchToTarget(this.slotOf(old));
      await this.ecs.runTask(replacement, this.timeouts.startMs);
    }
  }

  private async scale(desiredCount: number): Promise<void> {
    if (desiredCount === 0 && this.breaks.includes("mix")) await this.ecs.runTask(await this.newTask(), this.timeouts.startMs);
    if (desiredCount < this.ecs.tasks.length) {
      const started = Date.now();
      await Promise.all(this.ecs.tasks.slice(desiredCount).map((node) => this.ecs.stopTask(node)));
      if (desiredCount === 0) this.stopAllMs = Date.now() - started;
      return;
    }
    const starting = this.spareSlots().slice(0, desiredCount - this.ecs.tasks.length).map((key) => this.stand.node(key));
    const started = Date.now();
    this.firstStartedAt ??= started;
    await Promise.all(starting.map((node) => this.ecs.runTask(node, this.timeouts.startMs)));
    this.firstStartMs ??= Date.now() - started;
  }

  private async stable(): Promise<void> {
    const running = [...this.ecs.tasks];
    await this.stand.formCluster(`${running.map((n) => n.name).join(" + ")} after an upgrade step`, running, this.timeouts.clusterMs);
    await this.stand.waitProxySeesUp(...running);
  }

  async run(steps: UpgradeStep[]): Promise<void> {
    for (const step of steps) {
      switch (step.kind) {
        case "deploy-rolling":
          await this.rollingDeploy();
          break;
        case "scale":
          await this.scale(step.desiredCount);
          break;
        case "wait-all-stopped": {
          const running = SLOTS.map((key) => this.stand.node(key)).filter((node) => node.running);
          if (running.length > 0) throw new Error(`still running: ${running.map((n) => n.name).join(", ")}`);
          break;
        }
        case "switch-task-definition":
          // Every slot's next task is one of the new task definition.
          for (const key of this.spareSlots()) await this.switchToTarget(key);
          if (this.breaks.includes("idle-gap")) await sleep(IDLE_GAP_MS);
          break;
        case "wait-stable":
          await this.stable();
          break;
        case "suspend-autoscaling":
        case "resume-autoscaling":
          this.notApplicable.push(step.kind);
          break;
      }
    }
  }
}
