import type { UpgradeStep } from "../../modules/service/upgrade";
import type { ClusterStand, StandNodes } from "./cluster-stand";
import type { KeycloakDist } from "../../tools/keycloak-dist";
import type { KeycloakNode } from "./keycloak-node";

/**
 * Carries out an upgrade plan of modules/service/upgrade.ts on the e2e stand, as tools/upgrade.ts and
 * ECS carry it out on the service: the same steps, with the stand's two service nodes as the
 * service's tasks. Records which version each node ran when, so a test can show whether two
 * versions ever ran at the same time.
 */

export interface VersionSpan {
  node: string;
  version: string;
  /** When the node was started with this version, and when it was gone (undefined: still running). */
  from: number;
  to?: number;
}

const SERVICE: (keyof StandNodes)[] = ["a", "b"];

export class StandUpgrade {
  readonly spans: VersionSpan[] = [];
  /** Steps the stand has nothing for (autoscaling), kept for the report. */
  readonly notApplicable: string[] = [];
  private readonly versions = new Map<keyof StandNodes, string>();

  constructor(
    private readonly stand: ClusterStand,
    private readonly target: KeycloakDist,
    private readonly timeouts: { startMs: number; clusterMs: number },
  ) {
    for (const key of SERVICE) {
      const node = stand.node(key);
      this.versions.set(key, stand.dist!.version);
      if (node.running) this.spans.push({ node: node.name, version: stand.dist!.version, from: node.starts.at(-1)!.startedAt });
    }
  }

  private running(): KeycloakNode[] {
    return SERVICE.map((key) => this.stand.node(key)).filter((node) => node.running);
  }

  private async stop(key: keyof StandNodes): Promise<void> {
    const node = this.stand.node(key);
    await node.stop();
    const span = this.spans.find((s) => s.node === node.name && s.to === undefined);
    if (span !== undefined) span.to = Date.now();
  }

  private async start(key: keyof StandNodes): Promise<void> {
    const node = this.stand.node(key);
    this.spans.push({ node: node.name, version: this.versions.get(key)!, from: Date.now() });
    await this.stand.startAndWait(node, this.timeouts.startMs);
  }

  private async switchTo(key: keyof StandNodes): Promise<void> {
    await this.stand.switchDistribution(key, this.target);
    this.versions.set(key, this.target.version);
  }

  private async stable(): Promise<void> {
    const running = this.running();
    await this.stand.formCluster(`${running.map((n) => n.name).join(" + ")} on ${[...new Set(this.spans.filter((s) => s.to === undefined).map((s) => s.version))].join(" + ")}`, running, this.timeouts.clusterMs);
    await this.stand.waitProxySeesUp(...running);
  }

  async run(steps: UpgradeStep[]): Promise<void> {
    for (const step of steps) {
      switch (step.kind) {
        case "deploy-rolling":
          // One task at a time; the stand has no third slot, so each node is stopped before its
          // replacement starts (ECS starts the replacement first: one more node, never fewer).
          for (const key of SERVICE) {
            await this.stop(key);
            await this.switchTo(key);
            await this.start(key);
            await this.stable();
          }
          break;
        case "scale": {
          const wanted = SERVICE.slice(0, step.desiredCount);
          await Promise.all(SERVICE.filter((key) => !wanted.includes(key) && this.stand.node(key).running).map((key) => this.stop(key)));
          for (const key of wanted) if (!this.stand.node(key).running) await this.start(key);
          break;
        }
        case "wait-all-stopped":
          if (this.running().length > 0) throw new Error(`still running: ${this.running().map((n) => n.name).join(", ")}`);
          break;
        case "switch-task-definition":
          for (const key of SERVICE) await this.switchTo(key);
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

/** Milliseconds during which nodes of two different versions ran at the same time (0: never). */
export function mixedVersionMs(spans: VersionSpan[], now = Date.now()): number {
  let mixed = 0;
  for (const x of spans) {
    for (const y of spans) {
      if (x.version >= y.version) continue;
      const overlap = Math.min(x.to ?? now, y.to ?? now) - Math.max(x.from, y.from);
      if (overlap > 0) mixed = Math.max(mixed, overlap);
    }
  }
  return mixed;
}
