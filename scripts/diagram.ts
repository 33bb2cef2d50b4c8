/**
 * The README's architecture diagram, derived from a synthesized stack: nodes for the
 * resources that exist, edges from the security group rules that let traffic through.
 * It cannot drift: change a rule and the diagram changes with it.
 */
import type { TerraformJson } from "../modules/synth";

type Resource = Record<string, unknown>;

const GROUP_LABELS: [suffix: string, id: string, label: string][] = [
  ["-alb", "alb", "Application Load Balancer<br/>HTTPS 443, HTTP 80 → 301"],
  ["-keycloak", "tasks", "Keycloak tasks<br/>ECS Fargate, 2+ per service"],
  ["-db", "rds", "RDS MySQL<br/>db.&lt;zone&gt;"],
  ["-bastion", "bastion", "Bastion<br/>runs the database setup"],
  ["-endpoints", "endpoints", "VPC interface endpoints"],
];

function resources(json: TerraformJson, type: string): [string, Resource][] {
  return Object.entries(json.resource?.[type] ?? {});
}

export function architectureMermaid(json: TerraformJson): string {
  const groupNode = new Map<string, { id: string; label: string }>();
  for (const [name, sg] of resources(json, "aws_security_group")) {
    const match = GROUP_LABELS.find(([suffix]) => String(sg.name).endsWith(suffix));
    if (match) groupNode.set(`\${aws_security_group.${name}.id}`, { id: match[1], label: match[2] });
  }

  // Edges: source -> destination with the ports a rule opens.
  const edges = new Map<string, Set<number>>();
  const addEdge = (from: string, to: string, port: number) => {
    const key = `${from}|${to}`;
    edges.set(key, (edges.get(key) ?? new Set()).add(port));
  };
  const clients = new Map<string, string>();
  for (const [, rule] of resources(json, "aws_vpc_security_group_ingress_rule")) {
    const to = groupNode.get(String(rule.security_group_id));
    if (!to) continue;
    const port = Number(rule.from_port);
    if (rule.referenced_security_group_id) {
      const from = groupNode.get(String(rule.referenced_security_group_id));
      if (from) addEdge(from.id, to.id, port);
    } else if (rule.cidr_ipv4 && to.id !== "endpoints") {
      const id = to.id === "bastion" ? "operators" : "users";
      clients.set(id, id === "operators" ? "Operators<br/>bastionAllowedCidrs" : "Users<br/>albIngressCidrs");
      addEdge(id, to.id, port);
    }
  }

  const lines = ["flowchart LR"];
  for (const [id, label] of clients) lines.push(`  ${id}(["${label}"])`);
  const nodes = new Map([...groupNode.values()].map((n) => [n.id, n.label]));
  lines.push("  subgraph vpc [VPC]");
  for (const [id, label] of nodes) lines.push(`    ${id}["${label}"]`);
  lines.push("  end");

  const egress: string[] = [];
  if (resources(json, "aws_nat_gateway").length > 0) egress.push(`NAT gateway x${resources(json, "aws_nat_gateway").length}`);
  const interfaceEndpoints = resources(json, "aws_vpc_endpoint").filter(([, e]) => e.vpc_endpoint_type === "Interface");
  if (interfaceEndpoints.length === 0 && egress.length === 0) egress.push("public IPs on the tasks");
  lines.push(`  aws[("AWS APIs: ECR, CloudWatch Logs, Secrets Manager")]`);
  lines.push(`  tasks -->|"${interfaceEndpoints.length > 0 ? "443 via interface endpoints" : `443 via ${egress.join(", ")}`}"| aws`);

  for (const [key, ports] of [...edges].sort()) {
    const [from, to] = key.split("|");
    lines.push(`  ${from} -->|"${[...ports].sort((a, b) => a - b).join(", ")}"| ${to}`);
  }
  if (resources(json, "null_resource").some(([name]) => name.startsWith("database-setup"))) {
    lines.push(`  deployer(["cdktf deploy"]) -. "SSH: create database and user" .-> bastion`);
  }
  return lines.join("\n");
}
