/**
 * Security and operability rules over the synthesized Terraform JSON, with the checkov
 * check each one mirrors where checkov has a true equivalent (checkov cannot be installed
 * on our CI machines; the users' CI runs the real one). Each rule carries bad cases:
 * mutations of one field of the real synthesized stack, one per clause, so no clause of a
 * rule goes untested.
 */
import type { TerraformJson } from "../support/synth";
import { pathPatternRegex } from "../support/alb-rules";
import type { EgressMode, Profile } from "../../modules/config";
import { HEALTH_READY_PATH, PORTS } from "../../modules/constants";
import { REMOVED, type Mutation } from "./mutation";

/** The configuration shape a stack was synthesized from. */
export interface Shape {
  readonly name: string;
  readonly profile: Profile;
  readonly egressMode: EgressMode;
  readonly throwAway: boolean;
  readonly highAvailability: boolean;
  readonly bastionAllowSshFromAnywhere: boolean;
}

export interface Violation {
  /** `type.name` of the offending resource. */
  readonly resource: string;
  readonly message: string;
}

/** A checkov check, verified against checkov's own source: the file that defines it. */
export interface CheckovCheck {
  readonly id: string;
  /** Path under checkov/terraform/checks/ in bridgecrewio/checkov. */
  readonly source: string;
}

export interface Rule {
  readonly id: string;
  /** The checkov check that tests the same thing, where one exists. */
  readonly checkov?: CheckovCheck;
  readonly rationale: string;
  readonly check: (json: TerraformJson, shape: Shape) => Violation[];
  /** Mutations of the real stack the rule must fire on: one per clause. */
  readonly bad: readonly Mutation[];
  /** Mutations the rule must not fire on (a clause that makes it stricter than it should be). */
  readonly accepts?: readonly Mutation[];
}

type Res = Record<string, unknown>;

/** Requests of the admin plane: the admin API and admin-cli's token endpoint in the master realm. */
const ADMIN_PLANE_SAMPLES = ["/admin/realms", "/admin/master/console/", "/realms/master/protocol/openid-connect/token"];

export const DEFAULT_SHAPE: Shape = {
  name: "prod defaults",
  profile: "prod",
  egressMode: "nat",
  throwAway: false,
  highAvailability: true,
  bastionAllowSshFromAnywhere: false,
};

function each(json: TerraformJson, type: string): [string, Res][] {
  return Object.entries(json.resource?.[type] ?? {}).map(([name, r]) => [`${type}.${name}`, r]);
}

/** Violations for every resource of `type` where `bad(r)` returns a message. */
function forEach(type: string, bad: (r: Res, shape: Shape, resource: string) => string | false | undefined) {
  return (json: TerraformJson, shape: Shape): Violation[] =>
    each(json, type).flatMap(([resource, r]) => {
      const message = bad(r, shape, resource);
      return message ? [{ resource, message }] : [];
    });
}

/**
 * The container definitions of a task definition. A value that does not parse is an error,
 * not "no containers": otherwise every container rule would pass any stack.
 */
export function containers(r: Res, resource: string): Res[] {
  try {
    return JSON.parse(String(r.container_definitions)) as Res[];
  } catch (error) {
    throw new Error(`${resource}: container_definitions does not parse as JSON (${(error as Error).message}); the container rules cannot check it`);
  }
}

/** `${aws_security_group.X.id}` of the ALB's groups (named `<prefix>-alb`). */
function albGroups(json: TerraformJson): string[] {
  return each(json, "aws_security_group")
    .filter(([, r]) => String(r.name).endsWith("-alb"))
    .map(([resource]) => `\${${resource}.id}`);
}

/** `${type.name.id}` references to each resource of `type`. */
const idRefs = (json: TerraformJson, type: string) => each(json, type).map(([resource]) => [resource, `\${${resource}.id}`] as const);

/** Port range a rule opens: protocol "-1" (all traffic) opens every port, whatever from/to say. */
function portRange(r: Res): [number, number] {
  return r.ip_protocol === "-1" ? [0, 65535] : [Number(r.from_port), Number(r.to_port)];
}

const isOpen = (r: Res) => OPEN_CIDRS.has(String(r.cidr_ipv4)) || OPEN_CIDRS.has(String(r.cidr_ipv6));

/** A single TCP port: exactly `port`, nothing around it. */
const onlyPort = (r: Res, port: number) => r.ip_protocol === "tcp" && r.from_port === port && r.to_port === port;

/** Mutation of one field of the first (or picked) resource of `type`. */
const change = (type: string, path: Mutation["path"], to: unknown, clause: string, more: Partial<Mutation> = {}): Mutation =>
  ({ type, path, to, clause, ...more });
/** Picks the resource whose logical name contains `part`. */
const named = (part: string) => (_r: Res, name: string) => name.includes(part);
const httpListener = (r: Res) => r.protocol === "HTTP";
const httpsListener = (r: Res) => r.protocol === "HTTPS";
const CONTAINER = ["container_definitions", 0] as const;
const envName = (name: string, clause: string) => change("aws_ecs_task_definition", [...CONTAINER, "environment", 0, "name"], name, clause);
/** A second, otherwise well-behaved container with `field` set to `value`: every container is checked, not just the first. */
const sidecar = (field: string, value: unknown, clause: string) =>
  change("aws_ecs_task_definition", ["container_definitions", 1], {
    name: "sidecar", image: "public.ecr.aws/docker/library/busybox:1", essential: false, readonlyRootFilesystem: true, privileged: false,
    logConfiguration: { logDriver: "awslogs" }, [field]: value,
  }, clause);

export const SECRET_NAME = /(^|_)(PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIALS?)(_|$)/i;
const OPEN_CIDRS = new Set(["0.0.0.0/0", "::/0"]);
const TLS_1_2_PLUS = /^ELBSecurityPolicy-TLS13-1-[23]-/;
const USER_DATA_SECRET = /password|secret|BEGIN [A-Z ]*PRIVATE KEY|aws_secret_access_key/i;

export const RULES: readonly Rule[] = [
  {
    id: "ALB_DROP_INVALID_HEADERS",
    checkov: { id: "CKV_AWS_131", source: "resource/aws/ALBDropHttpHeaders.py" },
    rationale: "Header fields with invalid characters are a request-smuggling vector; the ALB drops them.",
    check: forEach("aws_lb", (r) => r.drop_invalid_header_fields !== true && "drop_invalid_header_fields is not true"),
    bad: [
      change("aws_lb", ["drop_invalid_header_fields"], false, "headers kept"),
      change("aws_lb", ["drop_invalid_header_fields"], REMOVED, "setting left to the default"),
    ],
  },
  {
    id: "ALB_HTTPS_MODERN_TLS",
    checkov: { id: "CKV_AWS_103", source: "graph_checks/aws/AppLoadBalancerTLS12.yaml" },
    rationale: "HTTPS listeners allow only TLS 1.2 and 1.3 (ELBSecurityPolicy-TLS13-*).",
    check: forEach("aws_lb_listener", (r) => r.protocol === "HTTPS" && !TLS_1_2_PLUS.test(String(r.ssl_policy)) && `ssl_policy ${r.ssl_policy}`),
    bad: [
      change("aws_lb_listener", ["ssl_policy"], "ELBSecurityPolicy-2016-08", "an old policy", { pick: httpsListener }),
      change("aws_lb_listener", ["ssl_policy"], "ELBSecurityPolicy-TLS13-1-0-2021-06", "a TLS 1.3 policy that still allows TLS 1.0", { pick: httpsListener }),
      change("aws_lb_listener", ["ssl_policy"], REMOVED, "no policy (the provider default is 2016-08)", { pick: httpsListener }),
    ],
  },
  {
    id: "ALB_HTTP_ONLY_REDIRECTS",
    checkov: { id: "CKV_AWS_2", source: "resource/aws/ALBListenerHTTPS.py" },
    rationale: "Plain HTTP never reaches Keycloak: the HTTP listener only answers 301 to HTTPS.",
    check: forEach("aws_lb_listener", (r) => {
      if (r.protocol === "HTTPS") return false;
      const actions = (r.default_action ?? []) as Res[];
      const ok = actions.length === 1 && actions[0].type === "redirect" &&
        (actions[0].redirect as Res)?.protocol === "HTTPS" && (actions[0].redirect as Res)?.status_code === "HTTP_301";
      return !ok && `${r.protocol} listener does not only redirect to HTTPS with 301`;
    }),
    bad: [
      change("aws_lb_listener", ["default_action", 0, "type"], "forward", "HTTP forwarded", { pick: httpListener }),
      change("aws_lb_listener", ["default_action", 0, "redirect", "protocol"], "HTTP", "redirect to plain HTTP", { pick: httpListener }),
      change("aws_lb_listener", ["default_action", 0, "redirect", "status_code"], "HTTP_302", "temporary 302 redirect", { pick: httpListener }),
      change("aws_lb_listener", ["default_action", 0, "redirect"], REMOVED, "a redirect action without its target", { pick: httpListener }),
      change("aws_lb_listener", ["default_action", 1], { type: "fixed-response" }, "a second action", { pick: httpListener }),
      change("aws_lb_listener", ["protocol"], "HTTP", "the forwarding listener on plain HTTP", { pick: httpsListener }),
    ],
  },
  {
    id: "ALB_NO_HEALTH_OR_METRICS_EXPOSED",
    rationale: "The target group sends traffic to Keycloak's HTTP port only; health and metrics stay on the management port, which the ALB only probes.",
    check: forEach("aws_lb_target_group", (r) => r.port === PORTS.management && "target group forwards traffic to the management port"),
    bad: [change("aws_lb_target_group", ["port"], PORTS.management, "traffic to the management port")],
  },
  {
    id: "TG_HEALTH_ON_MANAGEMENT_READY",
    rationale: "Health checks on 8080 / or /health restart-loop Keycloak 25+; readiness lives on 9000 /health/ready.",
    check: forEach("aws_lb_target_group", (r) => {
      const hc = (r.health_check ?? {}) as Res;
      return (hc.port !== String(PORTS.management) || hc.path !== HEALTH_READY_PATH) && `health check ${hc.port}${hc.path}`;
    }),
    bad: [
      change("aws_lb_target_group", ["health_check", "port"], "traffic-port", "checked on the traffic port"),
      change("aws_lb_target_group", ["health_check", "path"], "/health", "checked on /health"),
      change("aws_lb_target_group", ["health_check", "path"], "/health/live", "checked for liveness, not readiness"),
    ],
  },
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
  {
    id: "RDS_ENCRYPTED",
    checkov: { id: "CKV_AWS_16", source: "resource/aws/RDSEncryption.py" },
    rationale: "Database storage, snapshots and backups are encrypted at rest.",
    check: forEach("aws_db_instance", (r) => r.storage_encrypted !== true && "storage_encrypted is not true"),
    bad: [
      change("aws_db_instance", ["storage_encrypted"], false, "unencrypted"),
      change("aws_db_instance", ["storage_encrypted"], REMOVED, "left to the default (unencrypted)"),
    ],
  },
  {
    id: "RDS_NOT_PUBLIC",
    checkov: { id: "CKV_AWS_17", source: "resource/aws/RDSPubliclyAccessible.py" },
    rationale: "The database has no public endpoint; only the tasks and the bastion reach it.",
    check: forEach("aws_db_instance", (r) => r.publicly_accessible !== false && "publicly_accessible is not false"),
    bad: [
      change("aws_db_instance", ["publicly_accessible"], true, "public endpoint"),
      change("aws_db_instance", ["publicly_accessible"], REMOVED, "not said explicitly"),
    ],
  },
  {
    id: "RDS_BACKUPS_7_DAYS",
    checkov: { id: "CKV_AWS_133", source: "resource/aws/DBInstanceBackupRetentionPeriod.py" },
    rationale: "At least a week of point-in-time recovery.",
    check: forEach("aws_db_instance", (r) => !(Number(r.backup_retention_period) >= 7) && `backup_retention_period ${r.backup_retention_period}`),
    bad: [
      change("aws_db_instance", ["backup_retention_period"], 6, "six days"),
      change("aws_db_instance", ["backup_retention_period"], REMOVED, "left to the default (1 day)"),
    ],
  },
  {
    id: "RDS_MULTI_AZ",
    checkov: { id: "CKV_AWS_157", source: "resource/aws/RDSMultiAZEnabled.py" },
    rationale: "A highly available Keycloak needs a database that survives a zone.",
    check: forEach("aws_db_instance", (r, shape) => shape.highAvailability && r.multi_az !== true && "multi_az is not true"),
    bad: [change("aws_db_instance", ["multi_az"], false, "single-AZ database under an HA service")],
  },
  {
    id: "RDS_DELETION_PROTECTION",
    checkov: { id: "CKV_AWS_293", source: "resource/aws/RDSInstanceDeletionProtection.py" },
    rationale: "A stray destroy or replacement cannot drop the database (the throw-away switch turns it off deliberately).",
    check: forEach("aws_db_instance", (r, shape) => !shape.throwAway && r.deletion_protection !== true && "deletion_protection is not true"),
    bad: [change("aws_db_instance", ["deletion_protection"], false, "unprotected kept database")],
  },
  {
    id: "RDS_FINAL_SNAPSHOT",
    rationale: "Destroying a kept database leaves a final snapshot.",
    check: forEach("aws_db_instance", (r, shape) => !shape.throwAway && (r.skip_final_snapshot !== false || !r.final_snapshot_identifier) && "no final snapshot"),
    bad: [
      change("aws_db_instance", ["skip_final_snapshot"], true, "final snapshot skipped"),
      change("aws_db_instance", ["final_snapshot_identifier"], REMOVED, "no name for the final snapshot"),
    ],
  },
  {
    id: "RDS_AUTO_MINOR_UPGRADES",
    checkov: { id: "CKV_AWS_226", source: "resource/aws/DBInstanceMinorUpgrade.py" },
    rationale: "Security patches of the MySQL minor version apply in the maintenance window.",
    check: forEach("aws_db_instance", (r) => r.auto_minor_version_upgrade !== true && "auto_minor_version_upgrade is not true"),
    bad: [change("aws_db_instance", ["auto_minor_version_upgrade"], false, "minor upgrades off")],
  },
  {
    // No checkov id: CKV_AWS_161 (RDSIAMAuthentication.py) checks IAM database
    // authentication only, which says nothing about where the master password lives.
    id: "RDS_MANAGED_MASTER_PASSWORD",
    rationale: "No master password in code or state: RDS keeps it in Secrets Manager.",
    check: forEach("aws_db_instance", (r) => (r.password !== undefined || r.manage_master_user_password !== true) && "master password not managed by RDS"),
    bad: [
      change("aws_db_instance", ["password"], "hunter2hunter2", "a literal master password"),
      change("aws_db_instance", ["manage_master_user_password"], false, "password not managed by RDS"),
    ],
  },
  {
    id: "RDS_LOGS_EXPORTED",
    checkov: { id: "CKV_AWS_129", source: "resource/aws/DBInstanceLogging.py" },
    rationale: "Error and slow-query logs go to CloudWatch, where they outlive the instance.",
    check: forEach("aws_db_instance", (r) => !((r.enabled_cloudwatch_logs_exports as string[] | undefined)?.includes("error")) && "error log not exported"),
    bad: [
      change("aws_db_instance", ["enabled_cloudwatch_logs_exports"], ["slowquery"], "error log not exported"),
      change("aws_db_instance", ["enabled_cloudwatch_logs_exports"], REMOVED, "no log exported"),
    ],
  },
  {
    id: "RDS_COPY_TAGS_TO_SNAPSHOTS",
    checkov: { id: "CKV2_AWS_60", source: "graph_checks/aws/RDSEnableCopyTagsToSnapshot.yaml" },
    rationale: "Snapshots keep the tags that say what they belong to.",
    check: forEach("aws_db_instance", (r) => r.copy_tags_to_snapshot !== true && "copy_tags_to_snapshot is not true"),
    bad: [change("aws_db_instance", ["copy_tags_to_snapshot"], false, "snapshots untagged")],
  },
  {
    id: "ECR_IMMUTABLE_TAGS",
    checkov: { id: "CKV_AWS_51", source: "resource/aws/ECRImmutableTags.py" },
    rationale: "A tag always means the same image: the task definition's tag is the build's content hash.",
    check: forEach("aws_ecr_repository", (r) => r.image_tag_mutability !== "IMMUTABLE" && "tags are mutable"),
    bad: [change("aws_ecr_repository", ["image_tag_mutability"], "MUTABLE", "mutable tags")],
  },
  {
    id: "ECR_SCAN_ON_PUSH",
    checkov: { id: "CKV_AWS_163", source: "resource/aws/ECRImageScanning.py" },
    rationale: "Every pushed image is scanned for known vulnerabilities.",
    check: forEach("aws_ecr_repository", (r) => (r.image_scanning_configuration as Res | undefined)?.scan_on_push !== true && "scan_on_push is not true"),
    bad: [
      change("aws_ecr_repository", ["image_scanning_configuration", "scan_on_push"], false, "no scan on push"),
      change("aws_ecr_repository", ["image_scanning_configuration"], REMOVED, "no scanning configuration"),
    ],
  },
  {
    id: "ECR_LIFECYCLE_POLICY",
    rationale: "Old images expire instead of accumulating cost.",
    check: (json) => {
      const policies = each(json, "aws_ecr_lifecycle_policy").map(([, r]) => String(r.repository));
      return each(json, "aws_ecr_repository")
        .filter(([resource]) => !policies.some((p) => p.includes(`{${resource}.`)))
        .map(([resource]) => ({ resource, message: "no lifecycle policy" }));
    },
    bad: [change("aws_ecr_lifecycle_policy", ["repository"], "some-other-repository", "the lifecycle policy is another repository's")],
  },
  {
    id: "LOG_RETENTION_SET",
    checkov: { id: "CKV_AWS_66", source: "resource/aws/CloudWatchLogGroupRetention.py" },
    rationale: "Every log group has a retention period, so logs neither vanish nor grow forever.",
    check: forEach("aws_cloudwatch_log_group", (r) => !(Number(r.retention_in_days) > 0) && "no retention_in_days"),
    bad: [
      change("aws_cloudwatch_log_group", ["retention_in_days"], REMOVED, "kept forever"),
      change("aws_cloudwatch_log_group", ["retention_in_days"], 0, "retention 0 (never expire)"),
    ],
  },
  {
    id: "EC2_IMDSV2",
    checkov: { id: "CKV_AWS_79", source: "resource/aws/IMDSv1Disabled.py" },
    rationale: "The bastion's instance metadata needs session tokens (IMDSv2), which blocks SSRF-style credential theft.",
    check: forEach("aws_instance", (r) => (r.metadata_options as Res | undefined)?.http_tokens !== "required" && "http_tokens is not required"),
    bad: [
      change("aws_instance", ["metadata_options", "http_tokens"], "optional", "IMDSv1 allowed"),
      change("aws_instance", ["metadata_options"], REMOVED, "metadata options left to the default"),
    ],
  },
  {
    id: "EC2_ROOT_VOLUME_ENCRYPTED",
    checkov: { id: "CKV_AWS_8", source: "resource/aws/LaunchConfigurationEBSEncryption.py" },
    rationale: "The bastion's disk is encrypted at rest.",
    check: forEach("aws_instance", (r) => (r.root_block_device as Res | undefined)?.encrypted !== true && "root volume not encrypted"),
    bad: [
      change("aws_instance", ["root_block_device", "encrypted"], false, "unencrypted root volume"),
      change("aws_instance", ["root_block_device"], REMOVED, "root volume left to the default"),
    ],
  },
  {
    id: "EC2_NO_USER_DATA_SECRETS",
    checkov: { id: "CKV_AWS_46", source: "resource/aws/EC2Credentials.py" },
    rationale: "User data is readable by anyone with ec2:DescribeInstanceAttribute; no secret goes there.",
    check: forEach("aws_instance", (r) => {
      // user_data_base64 is checked decoded: the secret would be in the decoded text.
      const data = `${r.user_data ?? ""}\n${Buffer.from(String(r.user_data_base64 ?? ""), "base64").toString("utf8")}`;
      return USER_DATA_SECRET.test(data) && "user data contains a secret";
    }),
    bad: [
      change("aws_instance", ["user_data"], "export DB_PASSWORD=hunter2", "a password in user data"),
      change("aws_instance", ["user_data_base64"], Buffer.from("aws_secret_access_key=abc").toString("base64"), "an access key in base64 user data"),
      change("aws_instance", ["user_data"], "-----BEGIN OPENSSH PRIVATE KEY-----", "a private key in user data"),
    ],
  },
  {
    id: "EC2_NO_PUBLIC_IP",
    checkov: { id: "CKV_AWS_88", source: "resource/aws/EC2PublicIP.py" },
    rationale: "Instances get no public address unless they must be reached from outside (the bastion, by design).",
    check: forEach("aws_instance", (r) => r.associate_public_ip_address === true && "public IP"),
    // The bastion has its public address by design (excepted), so the case starts without it.
    bad: [change("aws_instance", ["associate_public_ip_address"], true, "an instance with a public address", { from: false })],
  },
  {
    id: "ECS_NO_SECRETS_IN_ENVIRONMENT",
    rationale: "Anything named like a password, secret, token or key comes through `secrets` (Secrets Manager), never `environment`.",
    check: forEach("aws_ecs_task_definition", (r, _shape, resource) => {
      const names = containers(r, resource).flatMap((c) => ((c.environment ?? []) as Res[]).map((e) => String(e.name)));
      const leaked = names.filter((n) => SECRET_NAME.test(n) || /USERNAME$/.test(n));
      return leaked.length > 0 && `secret-like variables in environment: ${leaked.join(", ")}`;
    }),
    bad: [
      envName("KC_DB_PASSWORD", "a password"),
      envName("ADMIN_PASSWD", "a passwd"),
      envName("CLIENT_SECRET", "a client secret"),
      envName("API_TOKEN_VALUE", "a token"),
      envName("signing_key", "a key, lowercase"),
      envName("AWS_CREDENTIALS", "credentials"),
      envName("KC_DB_USERNAME", "a user name"),
    ],
    accepts: [
      envName("KC_KEYSTORE_TYPE", "KEY only as part of a word"),
      envName("KC_USERNAME_FORMAT", "USERNAME not at the end"),
    ],
  },
  {
    id: "ECS_READ_ONLY_ROOT_FILESYSTEM",
    checkov: { id: "CKV_AWS_336", source: "resource/aws/ECSContainerReadOnlyRoot.py" },
    rationale: "Keycloak's root filesystem is read-only; it writes only to task storage at /opt/keycloak/data and /tmp.",
    check: forEach("aws_ecs_task_definition", (r, _shape, resource) => containers(r, resource).some((c) => c.readonlyRootFilesystem !== true) && "writable root filesystem"),
    bad: [
      change("aws_ecs_task_definition", [...CONTAINER, "readonlyRootFilesystem"], false, "writable root"),
      change("aws_ecs_task_definition", [...CONTAINER, "readonlyRootFilesystem"], REMOVED, "root left to the default (writable)"),
      sidecar("readonlyRootFilesystem", false, "a second container with a writable root"),
    ],
  },
  {
    id: "ECS_NOT_PRIVILEGED",
    checkov: { id: "CKV_AWS_334", source: "resource/aws/ECSContainerPrivilege.py" },
    rationale: "No container runs privileged.",
    check: forEach("aws_ecs_task_definition", (r, _shape, resource) => containers(r, resource).some((c) => c.privileged === true) && "privileged container"),
    bad: [
      change("aws_ecs_task_definition", [...CONTAINER, "privileged"], true, "privileged container"),
      sidecar("privileged", true, "a privileged second container"),
    ],
  },
  {
    id: "ECS_LOGGING",
    rationale: "Every container logs to CloudWatch.",
    check: forEach("aws_ecs_task_definition", (r, _shape, resource) =>
      containers(r, resource).some((c) => (c.logConfiguration as Res | undefined)?.logDriver !== "awslogs") && "container without awslogs"),
    bad: [
      change("aws_ecs_task_definition", [...CONTAINER, "logConfiguration", "logDriver"], "json-file", "logs stay on the task"),
      change("aws_ecs_task_definition", [...CONTAINER, "logConfiguration"], REMOVED, "no log configuration"),
      sidecar("logConfiguration", { logDriver: "json-file" }, "a second container that logs locally"),
    ],
  },
  {
    id: "ECS_SEPARATE_ROLES",
    checkov: { id: "CKV_AWS_249", source: "resource/aws/ECSTaskDefinitionRoleCheck.py" },
    rationale: "The execution role (pull, logs, secrets) is never the task role: the application's own permissions stay apart (a task without a task role has none).",
    check: forEach("aws_ecs_task_definition", (r) => r.task_role_arn !== undefined && r.task_role_arn === r.execution_role_arn && "execution and task role are the same"),
    bad: [change("aws_ecs_task_definition", ["task_role_arn"], (r: Res) => r.execution_role_arn, "the task runs with the execution role")],
  },
  {
    id: "ECS_NO_PUBLIC_IP",
    checkov: { id: "CKV_AWS_333", source: "resource/aws/ECSServicePublicIP.py" },
    rationale: "Tasks get no public address; the public-ip egress mode does so by design (see exceptions).",
    check: forEach("aws_ecs_service", (r) => (r.network_configuration as Res | undefined)?.assign_public_ip === true && "assign_public_ip"),
    bad: [change("aws_ecs_service", ["network_configuration", "assign_public_ip"], true, "tasks with public addresses")],
  },
  {
    id: "ECS_CONTAINER_INSIGHTS",
    checkov: { id: "CKV_AWS_65", source: "resource/aws/ECSClusterContainerInsights.py" },
    rationale: "Cluster metrics per task, for capacity and failover analysis.",
    check: forEach("aws_ecs_cluster", (r) => !((r.setting ?? []) as Res[]).some((s) => s.name === "containerInsights" && s.value !== "disabled") && "container insights off"),
    bad: [
      change("aws_ecs_cluster", ["setting", 0, "value"], "disabled", "insights disabled"),
      change("aws_ecs_cluster", ["setting", 0, "name"], "otherSetting", "no insights setting"),
    ],
    accepts: [change("aws_ecs_cluster", ["setting", 1], { name: "otherSetting", value: "x" }, "another cluster setting next to insights")],
  },
  {
    id: "ECS_ROLLBACK_ON_FAILED_DEPLOY",
    rationale: "A release whose tasks never get healthy rolls back by itself.",
    check: forEach("aws_ecs_service", (r) => (r.deployment_circuit_breaker as Res | undefined)?.rollback !== true && "no circuit breaker rollback"),
    bad: [
      change("aws_ecs_service", ["deployment_circuit_breaker", "rollback"], false, "breaker without rollback"),
      change("aws_ecs_service", ["deployment_circuit_breaker"], REMOVED, "no circuit breaker"),
    ],
  },
  {
    id: "IAM_NO_ADMIN_WILDCARD",
    checkov: { id: "CKV_AWS_62", source: "resource/aws/IAMAdminPolicyDocument.py" },
    rationale: "No policy allows `*` actions (or every action of a service, `svc:*`) on `*` resources.",
    check: (json) =>
      ["aws_iam_role_policy", "aws_iam_policy"].flatMap((type) =>
        each(json, type).flatMap(([resource, r]) => {
          const statements = ([] as Res[]).concat(JSON.parse(String(r.policy)).Statement ?? []);
          const wide = statements.some((s) => {
            const actions = ([] as unknown[]).concat(s.Action);
            const resources = ([] as unknown[]).concat(s.Resource);
            return s.Effect === "Allow" && actions.some((a) => a === "*" || String(a).endsWith(":*")) && resources.includes("*");
          });
          return wide ? [{ resource, message: "allows * on *" }] : [];
        }),
      ),
    bad: [
      change("aws_iam_role_policy", ["policy", "Statement", 0, "Action"], "*", "every action on every resource", { pick: named("execution-policy") }),
      change("aws_iam_role_policy", ["policy", "Statement", 0, "Action", 0], "ecr:*", "every ECR action on every resource", { pick: named("execution-policy") }),
      change("aws_iam_role_policy", ["policy", "Statement", 0, "Action", 1], "*", "a * added next to a specific action", { pick: named("execution-policy") }),
      change("aws_iam_policy", [], { policy: JSON.stringify({ Statement: { Effect: "Allow", Action: "*", Resource: "*" } }) }, "a managed policy with a single * statement"),
    ],
    accepts: [
      change("aws_iam_role_policy", ["policy", "Statement", 0], { Effect: "Deny", Action: "*", Resource: "*" }, "a deny of everything", { pick: named("execution-policy") }),
      change("aws_iam_role_policy", ["policy", "Statement", 1, "Action"], "*", "every action on one repository", { pick: named("execution-policy") }),
    ],
  },
  {
    id: "SECRETS_RECOVERY_WINDOW",
    rationale: "A deleted secret can be restored for a week.",
    check: forEach("aws_secretsmanager_secret", (r) => !(Number(r.recovery_window_in_days) >= 7) && `recovery_window_in_days ${r.recovery_window_in_days}`),
    bad: [
      change("aws_secretsmanager_secret", ["recovery_window_in_days"], 0, "deleted at once"),
      change("aws_secretsmanager_secret", ["recovery_window_in_days"], 6, "six days"),
    ],
  },
  {
    id: "NO_LITERAL_SECRET_VERSIONS",
    rationale: "Terraform never holds Keycloak's passwords: no secret version with a literal value (not even a write-only one: it is in the code).",
    check: forEach("aws_secretsmanager_secret_version", (r) =>
      ["secret_string", "secret_binary", "secret_string_wo"].some((field) => r[field] !== undefined) && "secret value in Terraform"),
    bad: [
      change("aws_secretsmanager_secret_version", [], { secret_id: "x", secret_string: "{\"password\":\"x\"}" }, "a secret version with its value"),
      change("aws_secretsmanager_secret_version", [], { secret_id: "x", secret_binary: "aHVudGVyMg==" }, "a binary secret version"),
      change("aws_secretsmanager_secret_version", [], { secret_id: "x", secret_string_wo: "hunter2", secret_string_wo_version: 1 }, "a write-only secret version"),
    ],
  },
  {
    id: "ALB_ADMIN_PLANE_CLOSED",
    rationale: "The admin console, the admin API and the master realm are not forwarded from the internet: the HTTPS listener answers 404 by default, and only rules limited to adminAllowedCidrs forward them.",
    check: (json, shape) => [
      ...forEach("aws_lb_listener", (r) => r.protocol === "HTTPS" && ((r.default_action ?? []) as Res[]).some((a) => a.type === "forward") && "the HTTPS listener forwards everything by default")(json, shape),
      ...forEach("aws_lb_listener_rule", (r) => {
        const conditions = (r.condition ?? []) as Res[];
        const valuesOf = (key: string) => conditions.flatMap((c) => ((c[key] as { values?: string[] } | undefined)?.values ?? []));
        const paths = valuesOf("path_pattern");
        const reachesAdmin = paths.length === 0 || paths.some((p) => ADMIN_PLANE_SAMPLES.some((sample) => new RegExp(pathPatternRegex(p)).test(sample)));
        const fromAnywhere = valuesOf("source_ip").length === 0 || valuesOf("source_ip").some((cidr) => cidr.endsWith("/0"));
        const forwards = ((r.action ?? []) as Res[]).some((a) => a.type === "forward");
        return forwards && reachesAdmin && fromAnywhere && `forwards the admin plane from anywhere (${paths.join(" ")})`;
      })(json, shape),
    ],
    bad: [
      change("aws_lb_listener", ["default_action"], (r: Res) => [{ type: "forward", target_group_arn: (r.default_action as Res[])[0]?.target_group_arn ?? "tg" }], "the HTTPS listener forwards by default", { pick: httpsListener }),
      change("aws_lb_listener_rule", ["condition"], (r: Res) => (r.condition as Res[]).filter((c) => c.source_ip === undefined), "an admin rule loses its source restriction", {
        shape: "ARM64, prebuilt image, admin allow-list",
        pick: (r: Res) => (r.condition as Res[]).some((c) => c.source_ip !== undefined),
      }),
    ],
  },
];
