import { PORTS } from "../../modules/shared/constants";
import type { KeycloakNode } from "./keycloak-node";
import type { PingRow } from "./test-network";
import { waitFor } from "./waiting";

/** The harness's verdicts on the cluster: the same checks for the service's steps and for the negative control. */

/**
 * Seconds until every node's latest cluster view lists exactly these nodes (by their current
 * JGroups names): a restarted node has joined and the others have seen it join.
 */
export async function waitForCluster(nodes: KeycloakNode[], timeoutMs: number): Promise<void> {
  const describe = () =>
    nodes.map((node) => `${node.name}=${node.localName() ?? "?"} view ${JSON.stringify(node.views().at(-1)?.members ?? [])}`).join("; ");
  try {
    await waitFor(`a cluster view of ${nodes.length}`, timeoutMs, () => {
      const names = nodes.map((node) => node.localName());
      if (names.some((name) => name === undefined)) return undefined;
      const expected = [...names].sort().join(",");
      return nodes.every((node) => [...(node.views().at(-1)?.members ?? [])].sort().join(",") === expected) ? true : undefined;
    });
  } catch (error) {
    throw new Error(`${(error as Error).message} (${describe()})`);
  }
}

export interface ClusterCheck {
  ok: boolean;
  detail: string;
}

/**
 * The harness's verdict on whether `members` form one working cluster: every member's latest view
 * lists exactly the members, and every member's JGROUPS_PING row holds the task address its peers
 * dial (a node bound to another address cannot be reached, whatever its views say).
 */
export function clusterCheck(members: KeycloakNode[], rows: PingRow[]): ClusterCheck {
  const names = members.map((node) => node.localName() ?? `${node.name}?`);
  const expected = [...names].sort().join(",");
  const problems: string[] = [];
  for (const node of members) {
    const view = [...(node.views().at(-1)?.members ?? [])].sort().join(",");
    if (view !== expected) problems.push(`${node.name} sees [${view}]`);
    const row = rows.find((r) => r.name === node.localName());
    const routable = `${node.address}:${PORTS.jgroups}`;
    if (row?.ip !== routable) problems.push(`${node.name} registered ${row?.ip ?? "no row"}, not ${routable}`);
  }
  return problems.length === 0
    ? { ok: true, detail: `one cluster of ${members.length}: [${expected}]` }
    : { ok: false, detail: problems.join("; ") };
}
