import type { DrillNode, DrillTarget } from "../../tools/drill-scenario";
import type { ClusterStand } from "./cluster-stand";
import type { KeycloakNode } from "./keycloak-node";

/**
 * The drill's target on the local cluster stand: the service's two nodes, stopped with SIGKILL
 * (a task that dies), replaced the way ECS does it (the same node started again from the task
 * definition), healthy once ready, in one cluster and marked UP by the proxy.
 */
export class LocalDrillTarget implements DrillTarget {
  private replacements: Promise<void>[] = [];

  constructor(
    private readonly stand: ClusterStand,
    private readonly service: KeycloakNode[],
    private readonly startTimeoutMs: number,
  ) {}

  async listNodes(): Promise<DrillNode[]> {
    return this.service.filter((node) => node.running).map((node) => ({ id: node.name, address: node.address, startedAt: node.starts.at(-1)!.startedAt }));
  }

  async stopNode(target: DrillNode): Promise<void> {
    const node = this.service.find((n) => n.name === target.id);
    if (node === undefined) throw new Error(`${target.id} is not a node of the service`);
    await node.kill();
    // ECS starts the replacement on its own; the drill only waits for the service to be whole.
    this.replacements.push(this.stand.startAndWait(node, this.startTimeoutMs));
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
