import type { DrillNode, DrillTarget } from "../../tools/drill-scenario";
import type { ClusterStand } from "./cluster-stand";
import { EcsServiceStandIn } from "./ecs-lifecycle";
import type { KeycloakNode } from "./keycloak-node";

/** `<node name>/<start number>`: one id per start, like one task ARN per ECS task. */
export function localNodeId(node: KeycloakNode): string {
  return `${node.name}/${node.starts.length}`;
}

/** The node name of a local id (what the proxy's stickiness cookie holds). */
export function nodeNameOf(id: string): string {
  return id.split("/")[0];
}

/**
 * The drill's target on the local cluster stand: the service's two nodes, stopped the way the AWS
 * side's StopTask stops a task (ecs-lifecycle.ts: deregistered and drained with the synthesized
 * deregistration delay, SIGTERM, SIGKILL after the container's stopTimeout), replaced the way ECS
 * does it (the same node started again from the task definition, registered, healthy once the
 * target group's checks pass), in one cluster and marked UP by the proxy.
 */
export class LocalDrillTarget implements DrillTarget {
  private replacements: Promise<void>[] = [];
  private readonly ecs: EcsServiceStandIn;

  constructor(
    private readonly stand: ClusterStand,
    private readonly service: KeycloakNode[],
    private readonly startTimeoutMs: number,
  ) {
    this.ecs = new EcsServiceStandIn(stand.proxy, stand.serviceTimings, (node) => stand.startAndWait(node, startTimeoutMs));
  }

  async listNodes(): Promise<DrillNode[]> {
    // A replacement is a new task: the same node started again gets a new id, as ECS gives a new ARN.
    return this.service.filter((node) => node.running).map((node) => ({ id: localNodeId(node), address: node.address, startedAt: node.starts.at(-1)!.startedAt }));
  }

  async stopNode(target: DrillNode): Promise<void> {
    const node = this.service.find((n) => n.running && localNodeId(n) === target.id);
    if (node === undefined) throw new Error(`${target.id} is not a node of the service`);
    await this.ecs.stopTask(node);
    // ECS starts the replacement on its own; the drill only waits for the service to be whole.
    this.replacements.push(this.ecs.runTask(node, this.startTimeoutMs));
  }

  async waitHealthy(count: number, since: number, timeoutMs: number): Promise<DrillNode[]> {
    await Promise.all(this.replacements.splice(0));
    const nodes = this.service.filter((node) => node.running);
    if (nodes.length < count) throw new Error(`${nodes.length} of ${count} nodes run`);
    await this.stand.formCluster(since === 0 ? "drill: before the first stop" : "drill: replacement joined", nodes, timeoutMs);
    await this.stand.waitProxySeesUp(...nodes);
    return this.listNodes();
  }
}
