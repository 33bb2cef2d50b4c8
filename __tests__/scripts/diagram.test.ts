import { synthStack } from "../../modules/synth";
import { architectureMermaid } from "../../scripts/diagram";

/**
 * README's diagram draws the tasks' way out to the AWS APIs from the synthesized stack. README's
 * own test sees only the default stack's (a NAT gateway); the other egress modes are drawn here.
 */
describe("architecture diagram", () => {
  const awsEdge = (settings: Record<string, unknown>) => architectureMermaid(synthStack(settings)).split("\n").find((l) => l.includes("| aws"))!.trim();

  test("the tasks reach the AWS APIs through what the egress mode synthesizes: NAT gateways, interface endpoints, or their own public IPs", () => {
    expect(awsEdge({})).toBe('tasks -->|"443 via NAT gateway x1"| aws');
    expect(awsEdge({ egressMode: "endpoints" })).toBe('tasks -->|"443 via interface endpoints"| aws');
    expect(awsEdge({ egressMode: "public-ip" })).toBe('tasks -->|"443 via public IPs on the tasks"| aws');
  });
});
