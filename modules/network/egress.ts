/** How tasks reach AWS APIs and ECR: a NAT gateway, public IPs, or VPC endpoints only. */
export const EGRESS_MODES = ["nat", "public-ip", "endpoints"] as const;
export type EgressMode = (typeof EGRESS_MODES)[number];
/** One NAT gateway for all zones, or one per zone (a zone's outage then costs only its tasks' egress). */
export const NAT_GATEWAY_MODES = ["single", "per-az"] as const;
export type NatGatewayMode = (typeof NAT_GATEWAY_MODES)[number];
/** Interface endpoints a task needs when it has no route to the internet. */
export const INTERFACE_ENDPOINT_SERVICES = ["ecr.api", "ecr.dkr", "logs", "secretsmanager"] as const;
