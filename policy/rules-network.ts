/** Policy rules on the network: security groups, the default security group, flow logs, subnets (rules.ts lists them all). */
import type { TerraformJson } from "../modules/synth";
import { PORTS } from "../modules/shared/constants";
import { REMOVED } from "./mutation";
import { albGroups, change, each, forEach, idRefs, isOpen, named, onlyPort, portRange, type Res, type Rule } from "./rule-kit";

export const NETWORK_RULES: readonly Rule[] = [
  {
    id: "SG_NO_OPEN_INGRESS",
    rationale: "Nothing is open to 0.0.0.0/0 or ::/0 except the ALB's 80 and 443 (and bastion SSH with the explicit opt-in).",
    check: (json, shape) =>
      each(json, "aws_vpc_security_group_ingress_rule").flatMap(([resource, r]) => {
        if (!isOpen(r)) return [];
        const albPort = (onlyPort(r, 443) || onlyPort(r, 80)) && albGroups(json).includes(String(r.security_group_id));
        const optedInSsh = onlyPort(r, PORTS.ssh) && shape.bastionAllowSshFromAnywhere;
        return albPort || optedInSsh ? [] : [{ resource, message: `open to the internet on ${portRange(r).join("-")}` }];
      }),
    bad: [
      change("aws_vpc_security_group_ingress_rule", ["cidr_ipv4"], "0.0.0.0/0", "database open to the internet", { pick: named("in-keycloak") }),
      change("aws_vpc_security_group_ingress_rule", ["cidr_ipv6"], "::/0", "database open to the IPv6 internet", { pick: named("in-keycloak") }),
      change("aws_vpc_security_group_ingress_rule", ["security_group_id"], (_r: Res, json: TerraformJson) => idRefs(json, "aws_security_group").find(([n]) => n.includes("keycloak"))![1],
        "the ALB's open 443 rule moved to the Keycloak group", { pick: named("in-443") }),
      change("aws_vpc_security_group_ingress_rule", ["to_port"], 8080, "the ALB's open 80 widened up to a range", { pick: named("in-80") }),
      change("aws_vpc_security_group_ingress_rule", ["from_port"], 0, "the ALB's open 443 widened down to a range", { pick: named("in-443") }),
      change("aws_vpc_security_group_ingress_rule", ["ip_protocol"], "-1", "the ALB's open 443 rule made all-traffic (every port)", { pick: named("in-443") }),
      change("aws_vpc_security_group_ingress_rule", ["to_port"], 23, "opted-in SSH widened beyond 22", { pick: named("ssh-in"), shape: "SSH from anywhere with the explicit opt-in" }),
    ],
  },
  {
    id: "SG_NO_SSH_FROM_ANYWHERE",
    checkov: { id: "CKV_AWS_24", source: "resource/aws/SecurityGroupUnrestrictedIngress22.py" },
    rationale: "SSH from anywhere only with the loudly named opt-in bastionAllowSshFromAnywhere.",
    check: (json, shape) =>
      each(json, "aws_vpc_security_group_ingress_rule").flatMap(([resource, r]) => {
        const [from, to] = portRange(r);
        return !shape.bastionAllowSshFromAnywhere && from <= PORTS.ssh && to >= PORTS.ssh && isOpen(r)
          ? [{ resource, message: "SSH open to the internet" }]
          : [];
      }),
    bad: [
      change("aws_vpc_security_group_ingress_rule", ["cidr_ipv4"], "0.0.0.0/0", "bastion SSH from anywhere without the opt-in", { pick: named("ssh-in") }),
      change("aws_vpc_security_group_ingress_rule", ["cidr_ipv6"], "::/0", "bastion SSH from the IPv6 internet", { pick: named("ssh-in") }),
      change("aws_vpc_security_group_ingress_rule", ["from_port"], 0, "the ALB's open 443 widened down over 22", { pick: named("in-443") }),
      change("aws_vpc_security_group_ingress_rule", ["ip_protocol"], "-1", "the ALB's open 443 rule made all-traffic", { pick: named("in-443") }),
    ],
  },
  {
    id: "SG_NO_INLINE_RULES",
    rationale: "Rules are separate resources with their own descriptions; inline rules would fight them on every apply.",
    check: forEach("aws_security_group", (r) => (r.ingress !== undefined || r.egress !== undefined) && "inline ingress/egress blocks"),
    bad: [
      change("aws_security_group", ["ingress"], [{ from_port: 443, to_port: 443, protocol: "tcp", cidr_blocks: ["10.0.0.0/8"] }], "an inline ingress block"),
      change("aws_security_group", ["egress"], [{ from_port: 443, to_port: 443, protocol: "tcp", cidr_blocks: ["10.0.0.0/8"] }], "an inline egress block"),
    ],
  },
  {
    id: "SG_DESCRIPTIONS",
    checkov: { id: "CKV_AWS_23", source: "resource/aws/SecurityGroupRuleDescription.py" },
    rationale: "Every security group and every rule says why it exists.",
    check: (json, shape) =>
      ["aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"].flatMap((type) =>
        forEach(type, (r) => !(typeof r.description === "string" && r.description.trim().length > 5) && "no description")(json, shape),
      ),
    bad: [
      change("aws_security_group", ["description"], REMOVED, "a group without description"),
      change("aws_vpc_security_group_ingress_rule", ["description"], "   ssh    ", "an ingress rule with a blank-padded word"),
      change("aws_vpc_security_group_egress_rule", ["description"], "https", "an egress rule with a five-letter description"),
    ],
  },
  {
    id: "VPC_DEFAULT_SG_CLOSED",
    checkov: { id: "CKV2_AWS_12", source: "graph_checks/aws/VPCHasRestrictedSG.yaml" },
    rationale: "The VPC's default security group allows nothing, so a resource launched without a group is isolated.",
    check: (json) => {
      const closed = each(json, "aws_default_security_group").filter(([, r]) => r.ingress === undefined && r.egress === undefined);
      return idRefs(json, "aws_vpc")
        .filter(([, id]) => !closed.some(([, r]) => r.vpc_id === id))
        .map(([resource]) => ({ resource, message: "default security group not managed closed" }));
    },
    bad: [
      change("aws_default_security_group", ["ingress"], [{ protocol: "-1", self: true, from_port: 0, to_port: 0 }], "the default group admits its members"),
      change("aws_default_security_group", ["egress"], [{ protocol: "-1", cidr_blocks: ["0.0.0.0/0"], from_port: 0, to_port: 0 }], "the default group lets everything out"),
      change("aws_default_security_group", ["vpc_id"], "vpc-0123456789abcdef0", "the closed default group belongs to another VPC"),
    ],
  },
  {
    id: "VPC_FLOW_LOGS",
    checkov: { id: "CKV2_AWS_11", source: "graph_checks/aws/VPCHasFlowLog.yaml" },
    rationale: "Rejected traffic is logged by default: a few cents a month for the evidence a security review asks for (dev turns it off).",
    check: (json) => {
      const logged = each(json, "aws_flow_log").map(([, r]) => r.vpc_id);
      return idRefs(json, "aws_vpc")
        .filter(([, id]) => !logged.includes(id))
        .map(([resource]) => ({ resource, message: "VPC without flow logs" }));
    },
    bad: [change("aws_flow_log", ["vpc_id"], "vpc-0123456789abcdef0", "the flow log watches another VPC")],
  },
  {
    id: "SUBNET_NO_AUTO_PUBLIC_IP",
    checkov: { id: "CKV_AWS_130", source: "resource/aws/SubnetPublicIP.py" },
    rationale: "Public addresses are given explicitly (ALB, NAT, bastion), never by subnet default.",
    check: forEach("aws_subnet", (r) => r.map_public_ip_on_launch === true && "map_public_ip_on_launch"),
    bad: [change("aws_subnet", ["map_public_ip_on_launch"], true, "a subnet hands out public addresses", { pick: named("public") })],
  },
];
