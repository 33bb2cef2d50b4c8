/** VPC, subnets, security groups and endpoints: sizes, quotas and what tasks without internet need. */
import { change, DOCS, each, forEach, REMOVED, type AwsRule, type Res, type Violation } from "./kit";
import { parseCidr } from "../../modules/config/values";
import { ALB_SUBNET_MAX_PREFIX, SG_RULES_PER_DIRECTION, subnetNeed, usableAddresses } from "../../modules/network/subnet-budget";
import { INTERFACE_ENDPOINT_SERVICES } from "../../modules/network/egress";
import type { TerraformJson } from "../../modules/synth";

const ref = (resource: string) => `\${${resource}.id}`;

/** Inbound and outbound rules of each security group: separate rule resources plus inline blocks. */
function ruleCounts(json: TerraformJson): Map<string, { ingress: number; egress: number }> {
  const counts = new Map<string, { ingress: number; egress: number }>();
  for (const [resource, sg] of each(json, "aws_security_group")) {
    counts.set(ref(resource), { ingress: ((sg.ingress as unknown[]) ?? []).length, egress: ((sg.egress as unknown[]) ?? []).length });
  }
  for (const [type, direction] of [["aws_vpc_security_group_ingress_rule", "ingress"], ["aws_vpc_security_group_egress_rule", "egress"]] as const) {
    for (const [, r] of each(json, type)) {
      const count = counts.get(String(r.security_group_id));
      if (count) count[direction] += 1;
    }
  }
  return counts;
}

/** The tasks' peak count: autoscaling's maximum plus a rolling deploy's surge at that count. */
function peakTasks(json: TerraformJson): { maxCount: number; surge: number } {
  const service = each(json, "aws_ecs_service")[0]?.[1] ?? {};
  const maxCount = Math.max(Number(service.desired_count ?? 0), ...each(json, "aws_appautoscaling_target").map(([, t]) => Number(t.max_capacity)));
  const surge = Math.floor((maxCount * Number(service.deployment_maximum_percent ?? 200)) / 100) - maxCount;
  return { maxCount, surge };
}

export const NETWORK_RULES: readonly AwsRule[] = [
  {
    id: "vpc-security-group-rules",
    resource: "aws_security_group, aws_vpc_security_group_ingress_rule, aws_vpc_security_group_egress_rule",
    rule: `at most ${SG_RULES_PER_DIRECTION} inbound and ${SG_RULES_PER_DIRECTION} outbound rules per security group (IPv4 and IPv6 counted apart)`,
    source: DOCS.vpcQuotas,
    adjustable: true,
    check: (json) =>
      [...ruleCounts(json)].flatMap(([id, c]) =>
        c.ingress > SG_RULES_PER_DIRECTION || c.egress > SG_RULES_PER_DIRECTION
          ? [{ resource: id.slice(2, -4), message: `${c.ingress} inbound and ${c.egress} outbound rules` }]
          : [],
      ),
    bad: [
      change("aws_security_group", ["ingress"], Array.from({ length: 61 }, (_, i) => ({ from_port: 443, to_port: 443, protocol: "tcp", cidr_blocks: [`198.51.100.${i}/32`] })), "61 inline inbound rules"),
      change("aws_security_group", ["egress"], Array.from({ length: 59 }, (_, i) => ({ from_port: 443, to_port: 443, protocol: "tcp", cidr_blocks: [`198.51.100.${i}/32`] })), "59 inline outbound rules next to the 4 of the Keycloak group", { pick: (r) => String(r.name).endsWith("-keycloak") }),
    ],
  },
  {
    id: "vpc-security-groups-per-interface",
    resource: "security group lists of aws_ecs_service, aws_db_instance, aws_lb, aws_instance, aws_vpc_endpoint",
    rule: "at most 5 security groups per network interface",
    source: DOCS.vpcQuotas,
    adjustable: true,
    check: (json) =>
      (
        [
          ["aws_ecs_service", (r: Res) => (r.network_configuration as Res).security_groups],
          ["aws_db_instance", (r: Res) => r.vpc_security_group_ids],
          ["aws_lb", (r: Res) => r.security_groups],
          ["aws_instance", (r: Res) => r.vpc_security_group_ids],
          ["aws_vpc_endpoint", (r: Res) => r.security_group_ids],
        ] as const
      ).flatMap(([type, groups]) =>
        each(json, type).flatMap(([resource, r]) => (((groups(r) as unknown[]) ?? []).length > 5 ? [{ resource, message: `${(groups(r) as unknown[]).length} security groups` }] : [])),
      ),
    bad: [change("aws_db_instance", ["vpc_security_group_ids"], ["a", "b", "c", "d", "e", "f"], "6 groups on the database")],
  },
  {
    id: "vpc-cidr-sizes",
    resource: "aws_vpc.cidr_block, aws_subnet.cidr_block",
    rule: "VPC and subnet blocks between /16 and /28",
    source: `${DOCS.vpcCidr}; ${DOCS.subnetSizing}`,
    adjustable: false,
    check: (json, shape) =>
      [...forEach("aws_vpc", (r) => cidrOutside(r.cidr_block))(json, shape), ...forEach("aws_subnet", (r) => cidrOutside(r.cidr_block))(json, shape)],
    bad: [change("aws_vpc", ["cidr_block"], "10.0.0.0/15", "a /15 VPC"), change("aws_subnet", ["cidr_block"], "10.0.0.0/29", "a /29 subnet")],
  },
  {
    id: "vpc-subnet-addresses",
    resource: "aws_subnet (ALB, task, endpoint and database subnets)",
    rule: "ALB subnets /27 or larger with 8 free addresses; every subnet holds what lands in it (tasks at maxCount plus a deploy's surge, one address each, all in one zone when the others fail; interface endpoints; the database) beside the 5 addresses AWS reserves",
    source: `${DOCS.albSubnets}; ${DOCS.subnetSizing}`,
    adjustable: false,
    check: (json) => {
      const service = each(json, "aws_ecs_service")[0]?.[1];
      if (!service) return [];
      const publicIp = (service.network_configuration as Res).assign_public_ip === true;
      const endpoints = each(json, "aws_vpc_endpoint").some(([, e]) => e.vpc_endpoint_type === "Interface");
      const mode = publicIp ? "public-ip" : endpoints ? "endpoints" : "nat";
      const albSubnets = new Set(each(json, "aws_lb").flatMap(([, lb]) => (lb.subnets as string[]) ?? []));
      return each(json, "aws_subnet").flatMap(([resource, s]): Violation[] => {
        const prefix = parseCidr(String(s.cidr_block))?.prefix;
        if (prefix === undefined) return [];
        const isPublic = albSubnets.has(ref(resource));
        if (isPublic && prefix > ALB_SUBNET_MAX_PREFIX) return [{ resource, message: `/${prefix} is smaller than the ALB's /27` }];
        const need = subnetNeed(isPublic ? "public" : "private", mode, peakTasks(json));
        return usableAddresses(prefix) < need.total ? [{ resource, message: `/${prefix} holds ${usableAddresses(prefix)}, needs ${need.total}: ${need.parts.join(" + ")}` }] : [];
      });
    },
    bad: [
      change("aws_subnet", ["cidr_block"], "10.0.0.0/28", "a /28 ALB subnet", { pick: (_r, n) => n.includes("public") }),
      change("aws_appautoscaling_target", ["max_capacity"], 30, "30 tasks and their surge in /27 private subnets", { shape: "smallest network" }),
    ],
  },
  {
    id: "ec2-availability-zones-only",
    resource: "data.aws_availability_zones",
    rule: "filter opt-in-status = opt-in-not-required: Local and Wavelength Zones (opted-in) sort before the real zones and would take subnet 0, the NAT and the bastion",
    source: DOCS.ec2Azs,
    adjustable: false,
    check: (json) =>
      Object.entries(json.data?.aws_availability_zones ?? {}).flatMap(([name, d]) => {
        const filters = (d.filter as Res[] | undefined) ?? [];
        const ok = filters.some((f) => f.name === "opt-in-status" && JSON.stringify(f.values) === JSON.stringify(["opt-in-not-required"]));
        return ok ? [] : [{ resource: `data.aws_availability_zones.${name}`, message: "Local Zones are not filtered out" }];
      }),
    bad: [
      change("data.aws_availability_zones", ["filter"], REMOVED, "the filter removed"),
      change("data.aws_availability_zones", ["filter", 0, "values"], ["opted-in"], "only the opted-in zones"),
    ],
  },
  {
    id: "vpc-endpoints-for-fargate",
    resource: "aws_vpc_endpoint, aws_ecs_service.depends_on",
    rule: "tasks with neither a NAT route nor a public IP need interface endpoints for ecr.api, ecr.dkr, logs and secretsmanager and an S3 gateway endpoint (image layers), created before the service starts tasks",
    source: `${DOCS.fargateEndpoints}; ${DOCS.ecsExecutionRole}`,
    adjustable: false,
    check: (json) => {
      const service = each(json, "aws_ecs_service")[0];
      if (!service || (service[1].network_configuration as Res).assign_public_ip === true || each(json, "aws_nat_gateway").length > 0) return [];
      const endpoints = each(json, "aws_vpc_endpoint");
      const services = endpoints.map(([, e]) => String(e.service_name).split(".").slice(3).join("."));
      const missing = [...INTERFACE_ENDPOINT_SERVICES, "s3"].filter((s) => !services.includes(s));
      if (missing.length > 0) return [{ resource: service[0], message: `no route to ${missing.join(", ")}` }];
      const late = endpoints.filter(([resource]) => !((service[1].depends_on as string[] | undefined) ?? []).includes(resource));
      return late.map(([resource]) => ({ resource: service[0], message: `starts tasks before ${resource}` }));
    },
    bad: [
      change("aws_vpc_endpoint", ["service_name"], "com.amazonaws.eu-west-1.sqs", "no ecr.dkr endpoint", { shape: "endpoints egress", pick: (_r, n) => n.includes("ecr-dkr") }),
      change("aws_ecs_service", ["depends_on"], (r: Res) => (r.depends_on as string[]).filter((d) => !d.startsWith("aws_vpc_endpoint")), "the service not waiting for the endpoints", { shape: "endpoints egress" }),
    ],
  },
  {
    id: "ec2-flow-log-interval",
    resource: "aws_flow_log.max_aggregation_interval",
    rule: "60 or 600 seconds",
    source: DOCS.ec2FlowLogs,
    adjustable: false,
    check: forEach("aws_flow_log", (r) => r.max_aggregation_interval !== undefined && ![60, 600].includes(Number(r.max_aggregation_interval)) && `interval ${String(r.max_aggregation_interval)}`),
    bad: [change("aws_flow_log", ["max_aggregation_interval"], 300, "300 s")],
  },
];

function cidrOutside(cidr: unknown): string | false {
  const prefix = parseCidr(String(cidr))?.prefix;
  return (prefix === undefined || prefix < 16 || prefix > 28) && `${String(cidr)} outside /16-/28`;
}
