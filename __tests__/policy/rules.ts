/**
 * Security and operability rules over the synthesized Terraform JSON, named after the
 * checkov checks they mirror (checkov cannot be installed on our CI machines; the users'
 * CI runs the real one). Each rule carries a fragment it must fire on, so no rule is a
 * rule that cannot fail.
 */
import type { TerraformJson } from "../support/synth";
import { pathPatternRegex } from "../support/alb-rules";
import type { EgressMode, Profile } from "../../modules/config";

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

export interface Rule {
  readonly id: string;
  /** The checkov check this rule mirrors, where one exists. */
  readonly checkov?: string;
  readonly rationale: string;
  readonly check: (json: TerraformJson, shape: Shape) => Violation[];
  /** A fragment the rule must fire on. */
  readonly bad: TerraformJson;
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
function forEach(type: string, bad: (r: Res, shape: Shape) => string | false | undefined) {
  return (json: TerraformJson, shape: Shape): Violation[] =>
    each(json, type).flatMap(([resource, r]) => {
      const message = bad(r, shape);
      return message ? [{ resource, message }] : [];
    });
}

const one = (type: string, body: Res): TerraformJson => ({ resource: { [type]: { bad: body } } });

function containers(r: Res): Res[] {
  try {
    return JSON.parse(String(r.container_definitions)) as Res[];
  } catch {
    return [];
  }
}

/** `${aws_security_group.X.id}` of the ALB's groups (named `<prefix>-alb`). */
function albGroups(json: TerraformJson): string[] {
  return each(json, "aws_security_group")
    .filter(([, r]) => String(r.name).endsWith("-alb"))
    .map(([resource]) => `\${${resource}.id}`);
}

const SECRET_NAME = /(^|_)(PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIALS?)(_|$)/i;
const OPEN_CIDRS = new Set(["0.0.0.0/0", "::/0"]);
const TLS_1_2_PLUS = /^ELBSecurityPolicy-TLS13-1-[23]-/;

export const RULES: readonly Rule[] = [
  {
    id: "ALB_DROP_INVALID_HEADERS",
    checkov: "CKV_AWS_131",
    rationale: "Header fields with invalid characters are a request-smuggling vector; the ALB drops them.",
    check: forEach("aws_lb", (r) => r.drop_invalid_header_fields !== true && "drop_invalid_header_fields is not true"),
    bad: one("aws_lb", { drop_invalid_header_fields: false }),
  },
  {
    id: "ALB_HTTPS_MODERN_TLS",
    checkov: "CKV_AWS_103",
    rationale: "HTTPS listeners allow only TLS 1.2 and 1.3 (ELBSecurityPolicy-TLS13-*).",
    check: forEach("aws_lb_listener", (r) => r.protocol === "HTTPS" && !TLS_1_2_PLUS.test(String(r.ssl_policy)) && `ssl_policy ${r.ssl_policy}`),
    bad: one("aws_lb_listener", { protocol: "HTTPS", ssl_policy: "ELBSecurityPolicy-2016-08" }),
  },
  {
    id: "ALB_HTTP_ONLY_REDIRECTS",
    checkov: "CKV_AWS_2",
    rationale: "Plain HTTP never reaches Keycloak: the HTTP listener only answers 301 to HTTPS.",
    check: forEach("aws_lb_listener", (r) => {
      if (r.protocol === "HTTPS") return false;
      const actions = (r.default_action ?? []) as Res[];
      const ok = actions.length === 1 && actions[0].type === "redirect" &&
        (actions[0].redirect as Res)?.protocol === "HTTPS" && (actions[0].redirect as Res)?.status_code === "HTTP_301";
      return !ok && `${r.protocol} listener does not only redirect to HTTPS with 301`;
    }),
    bad: one("aws_lb_listener", { protocol: "HTTP", port: 80, default_action: [{ type: "forward", target_group_arn: "x" }] }),
  },
  {
    id: "ALB_NO_HEALTH_OR_METRICS_EXPOSED",
    rationale: "The target group sends traffic to Keycloak's HTTP port only; health and metrics stay on the management port, which the ALB only probes.",
    check: forEach("aws_lb_target_group", (r) => r.port === 9000 && "target group forwards traffic to the management port"),
    bad: one("aws_lb_target_group", { port: 9000 }),
  },
  {
    id: "TG_HEALTH_ON_MANAGEMENT_READY",
    rationale: "Health checks on 8080 / or /health restart-loop Keycloak 25+; readiness lives on 9000 /health/ready.",
    check: forEach("aws_lb_target_group", (r) => {
      const hc = (r.health_check ?? {}) as Res;
      return (hc.port !== "9000" || hc.path !== "/health/ready") && `health check ${hc.port}${hc.path}`;
    }),
    bad: one("aws_lb_target_group", { health_check: { port: "traffic-port", path: "/" } }),
  },
  {
    id: "SG_NO_OPEN_INGRESS",
    checkov: "CKV_AWS_260",
    rationale: "Nothing is open to 0.0.0.0/0 or ::/0 except the ALB's 80 and 443 (and bastion SSH with the explicit opt-in).",
    check: (json, shape) =>
      each(json, "aws_vpc_security_group_ingress_rule").flatMap(([resource, r]) => {
        const open = OPEN_CIDRS.has(String(r.cidr_ipv4)) || OPEN_CIDRS.has(String(r.cidr_ipv6));
        if (!open) return [];
        const albPort = (r.from_port === 443 || r.from_port === 80) && r.from_port === r.to_port && albGroups(json).includes(String(r.security_group_id));
        const optedInSsh = r.from_port === 22 && r.to_port === 22 && shape.bastionAllowSshFromAnywhere;
        return albPort || optedInSsh ? [] : [{ resource, message: `open to the internet on ${r.from_port}-${r.to_port}` }];
      }),
    bad: one("aws_vpc_security_group_ingress_rule", { from_port: 3306, to_port: 3306, cidr_ipv4: "0.0.0.0/0" }),
  },
  {
    id: "SG_NO_SSH_FROM_ANYWHERE",
    checkov: "CKV_AWS_24",
    rationale: "SSH from anywhere only with the loudly named opt-in bastionAllowSshFromAnywhere.",
    check: (json, shape) =>
      each(json, "aws_vpc_security_group_ingress_rule").flatMap(([resource, r]) =>
        !shape.bastionAllowSshFromAnywhere && Number(r.from_port) <= 22 && Number(r.to_port) >= 22 &&
        (OPEN_CIDRS.has(String(r.cidr_ipv4)) || OPEN_CIDRS.has(String(r.cidr_ipv6)))
          ? [{ resource, message: "SSH open to the internet" }]
          : [],
      ),
    bad: one("aws_vpc_security_group_ingress_rule", { from_port: 22, to_port: 22, cidr_ipv4: "0.0.0.0/0" }),
  },
  {
    id: "SG_NO_INLINE_RULES",
    rationale: "Rules are separate resources with their own descriptions; inline rules would fight them on every apply.",
    check: forEach("aws_security_group", (r) => (r.ingress !== undefined || r.egress !== undefined) && "inline ingress/egress blocks"),
    bad: one("aws_security_group", { description: "x", ingress: [{ from_port: 1 }] }),
  },
  {
    id: "SG_DESCRIPTIONS",
    checkov: "CKV_AWS_23",
    rationale: "Every security group and every rule says why it exists.",
    check: (json) =>
      ["aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"].flatMap((type) =>
        forEach(type, (r) => !(typeof r.description === "string" && r.description.trim().length > 5) && "no description")(json, DEFAULT_SHAPE),
      ),
    bad: one("aws_vpc_security_group_egress_rule", { from_port: 443 }),
  },
  {
    id: "VPC_DEFAULT_SG_CLOSED",
    checkov: "CKV2_AWS_12",
    rationale: "The VPC's default security group allows nothing, so a resource launched without a group is isolated.",
    check: (json) => {
      const vpcs = each(json, "aws_vpc");
      const closed = each(json, "aws_default_security_group").filter(([, r]) => r.ingress === undefined && r.egress === undefined);
      return vpcs.length > closed.length ? [{ resource: vpcs[0][0], message: "default security group not managed closed" }] : [];
    },
    bad: one("aws_vpc", { cidr_block: "10.0.0.0/16" }),
  },
  {
    id: "VPC_FLOW_LOGS",
    checkov: "CKV2_AWS_11",
    rationale: "Rejected traffic is logged by default: a few cents a month for the evidence a security review asks for (dev turns it off).",
    check: (json) =>
      each(json, "aws_vpc").length > each(json, "aws_flow_log").length
        ? [{ resource: each(json, "aws_vpc")[0][0], message: "VPC without flow logs" }]
        : [],
    bad: one("aws_vpc", { cidr_block: "10.0.0.0/16" }),
  },
  {
    id: "SUBNET_NO_AUTO_PUBLIC_IP",
    checkov: "CKV_AWS_130",
    rationale: "Public addresses are given explicitly (ALB, NAT, bastion), never by subnet default.",
    check: forEach("aws_subnet", (r) => r.map_public_ip_on_launch === true && "map_public_ip_on_launch"),
    bad: one("aws_subnet", { map_public_ip_on_launch: true }),
  },
  {
    id: "RDS_ENCRYPTED",
    checkov: "CKV_AWS_16",
    rationale: "Database storage, snapshots and backups are encrypted at rest.",
    check: forEach("aws_db_instance", (r) => r.storage_encrypted !== true && "storage_encrypted is not true"),
    bad: one("aws_db_instance", { storage_encrypted: false }),
  },
  {
    id: "RDS_NOT_PUBLIC",
    checkov: "CKV_AWS_17",
    rationale: "The database has no public endpoint; only the tasks and the bastion reach it.",
    check: forEach("aws_db_instance", (r) => r.publicly_accessible !== false && "publicly_accessible is not false"),
    bad: one("aws_db_instance", { publicly_accessible: true }),
  },
  {
    id: "RDS_BACKUPS_7_DAYS",
    checkov: "CKV_AWS_133",
    rationale: "At least a week of point-in-time recovery.",
    check: forEach("aws_db_instance", (r) => !(Number(r.backup_retention_period) >= 7) && `backup_retention_period ${r.backup_retention_period}`),
    bad: one("aws_db_instance", { backup_retention_period: 1 }),
  },
  {
    id: "RDS_MULTI_AZ",
    checkov: "CKV_AWS_157",
    rationale: "A highly available Keycloak needs a database that survives a zone.",
    check: forEach("aws_db_instance", (r, shape) => shape.highAvailability && r.multi_az !== true && "multi_az is not true"),
    bad: one("aws_db_instance", { multi_az: false }),
  },
  {
    id: "RDS_DELETION_PROTECTION",
    checkov: "CKV_AWS_293",
    rationale: "A stray destroy or replacement cannot drop the database (the throw-away switch turns it off deliberately).",
    check: forEach("aws_db_instance", (r, shape) => !shape.throwAway && r.deletion_protection !== true && "deletion_protection is not true"),
    bad: one("aws_db_instance", { deletion_protection: false }),
  },
  {
    id: "RDS_FINAL_SNAPSHOT",
    rationale: "Destroying a kept database leaves a final snapshot.",
    check: forEach("aws_db_instance", (r, shape) => !shape.throwAway && (r.skip_final_snapshot !== false || !r.final_snapshot_identifier) && "no final snapshot"),
    bad: one("aws_db_instance", { skip_final_snapshot: true }),
  },
  {
    id: "RDS_AUTO_MINOR_UPGRADES",
    checkov: "CKV_AWS_226",
    rationale: "Security patches of the MySQL minor version apply in the maintenance window.",
    check: forEach("aws_db_instance", (r) => r.auto_minor_version_upgrade !== true && "auto_minor_version_upgrade is not true"),
    bad: one("aws_db_instance", { auto_minor_version_upgrade: false }),
  },
  {
    id: "RDS_MANAGED_MASTER_PASSWORD",
    checkov: "CKV_AWS_161",
    rationale: "No master password in code or state: RDS keeps it in Secrets Manager (checkov's IAM-auth check accepts either).",
    check: forEach("aws_db_instance", (r) =>
      (r.password !== undefined || (r.manage_master_user_password !== true && r.iam_database_authentication_enabled !== true)) &&
      "master password not managed by RDS"),
    bad: one("aws_db_instance", { password: "hunter2hunter2" }),
  },
  {
    id: "RDS_LOGS_EXPORTED",
    checkov: "CKV_AWS_129",
    rationale: "Error and slow-query logs go to CloudWatch, where they outlive the instance.",
    check: forEach("aws_db_instance", (r) => !((r.enabled_cloudwatch_logs_exports as string[] | undefined)?.includes("error")) && "error log not exported"),
    bad: one("aws_db_instance", { enabled_cloudwatch_logs_exports: [] }),
  },
  {
    id: "RDS_COPY_TAGS_TO_SNAPSHOTS",
    checkov: "CKV2_AWS_60",
    rationale: "Snapshots keep the tags that say what they belong to.",
    check: forEach("aws_db_instance", (r) => r.copy_tags_to_snapshot !== true && "copy_tags_to_snapshot is not true"),
    bad: one("aws_db_instance", { copy_tags_to_snapshot: false }),
  },
  {
    id: "ECR_IMMUTABLE_TAGS",
    checkov: "CKV_AWS_51",
    rationale: "A tag always means the same image: the task definition's tag is the build's content hash.",
    check: forEach("aws_ecr_repository", (r) => r.image_tag_mutability !== "IMMUTABLE" && "tags are mutable"),
    bad: one("aws_ecr_repository", { image_tag_mutability: "MUTABLE" }),
  },
  {
    id: "ECR_SCAN_ON_PUSH",
    checkov: "CKV_AWS_163",
    rationale: "Every pushed image is scanned for known vulnerabilities.",
    check: forEach("aws_ecr_repository", (r) => (r.image_scanning_configuration as Res | undefined)?.scan_on_push !== true && "scan_on_push is not true"),
    bad: one("aws_ecr_repository", { image_scanning_configuration: { scan_on_push: false } }),
  },
  {
    id: "ECR_LIFECYCLE_POLICY",
    rationale: "Old images expire instead of accumulating cost.",
    check: (json) => {
      const policies = each(json, "aws_ecr_lifecycle_policy").map(([, r]) => String(r.repository));
      return each(json, "aws_ecr_repository")
        .filter(([resource]) => !policies.some((p) => p.includes(resource)))
        .map(([resource]) => ({ resource, message: "no lifecycle policy" }));
    },
    bad: one("aws_ecr_repository", { image_tag_mutability: "IMMUTABLE" }),
  },
  {
    id: "LOG_RETENTION_SET",
    checkov: "CKV_AWS_66",
    rationale: "Every log group has a retention period, so logs neither vanish nor grow forever.",
    check: forEach("aws_cloudwatch_log_group", (r) => !(Number(r.retention_in_days) > 0) && "no retention_in_days"),
    bad: one("aws_cloudwatch_log_group", { name: "x" }),
  },
  {
    id: "EC2_IMDSV2",
    checkov: "CKV_AWS_79",
    rationale: "The bastion's instance metadata needs session tokens (IMDSv2), which blocks SSRF-style credential theft.",
    check: forEach("aws_instance", (r) => (r.metadata_options as Res | undefined)?.http_tokens !== "required" && "http_tokens is not required"),
    bad: one("aws_instance", { metadata_options: { http_tokens: "optional" } }),
  },
  {
    id: "EC2_ROOT_VOLUME_ENCRYPTED",
    checkov: "CKV_AWS_8",
    rationale: "The bastion's disk is encrypted at rest.",
    check: forEach("aws_instance", (r) => (r.root_block_device as Res | undefined)?.encrypted !== true && "root volume not encrypted"),
    bad: one("aws_instance", { root_block_device: { encrypted: false } }),
  },
  {
    id: "EC2_NO_USER_DATA_SECRETS",
    checkov: "CKV_AWS_46",
    rationale: "User data is readable by anyone with ec2:DescribeInstanceAttribute; no secret goes there.",
    check: forEach("aws_instance", (r) => {
      const data = `${r.user_data ?? ""}${r.user_data_base64 ?? ""}`;
      return /password|secret|BEGIN [A-Z ]*PRIVATE KEY|aws_secret_access_key/i.test(data) && "user data contains a secret";
    }),
    bad: one("aws_instance", { user_data: "export DB_PASSWORD=hunter2" }),
  },
  {
    id: "EC2_NO_PUBLIC_IP",
    checkov: "CKV_AWS_88",
    rationale: "Instances get no public address unless they must be reached from outside (the bastion, by design).",
    check: forEach("aws_instance", (r) => r.associate_public_ip_address === true && "public IP"),
    bad: one("aws_instance", { associate_public_ip_address: true }),
  },
  {
    id: "ECS_NO_SECRETS_IN_ENVIRONMENT",
    rationale: "Anything named like a password, secret, token or key comes through `secrets` (Secrets Manager), never `environment`.",
    check: forEach("aws_ecs_task_definition", (r) => {
      const names = containers(r).flatMap((c) => ((c.environment ?? []) as Res[]).map((e) => String(e.name)));
      const leaked = names.filter((n) => SECRET_NAME.test(n) || /USERNAME$/.test(n));
      return leaked.length > 0 && `secret-like variables in environment: ${leaked.join(", ")}`;
    }),
    bad: one("aws_ecs_task_definition", { container_definitions: JSON.stringify([{ environment: [{ name: "KC_DB_PASSWORD", value: "x" }] }]) }),
  },
  {
    id: "ECS_READ_ONLY_ROOT_FILESYSTEM",
    checkov: "CKV_AWS_336",
    rationale: "Keycloak's root filesystem is read-only; it writes only to task storage at /opt/keycloak/data and /tmp.",
    check: forEach("aws_ecs_task_definition", (r) => containers(r).some((c) => c.readonlyRootFilesystem !== true) && "writable root filesystem"),
    bad: one("aws_ecs_task_definition", { container_definitions: JSON.stringify([{ readonlyRootFilesystem: false }]) }),
  },
  {
    id: "ECS_NOT_PRIVILEGED",
    checkov: "CKV_AWS_334",
    rationale: "No container runs privileged.",
    check: forEach("aws_ecs_task_definition", (r) => containers(r).some((c) => c.privileged === true) && "privileged container"),
    bad: one("aws_ecs_task_definition", { container_definitions: JSON.stringify([{ privileged: true }]) }),
  },
  {
    id: "ECS_LOGGING",
    rationale: "Every container logs to CloudWatch.",
    check: forEach("aws_ecs_task_definition", (r) => containers(r).some((c) => (c.logConfiguration as Res | undefined)?.logDriver !== "awslogs") && "container without awslogs"),
    bad: one("aws_ecs_task_definition", { container_definitions: JSON.stringify([{ name: "x" }]) }),
  },
  {
    id: "ECS_SEPARATE_ROLES",
    checkov: "CKV_AWS_249",
    rationale: "The execution role (pull, logs, secrets) and the task role (ECS Exec) are different.",
    check: forEach("aws_ecs_task_definition", (r) => (!r.task_role_arn || r.task_role_arn === r.execution_role_arn) && "execution and task role are the same"),
    bad: one("aws_ecs_task_definition", { task_role_arn: "a", execution_role_arn: "a" }),
  },
  {
    id: "ECS_NO_PUBLIC_IP",
    checkov: "CKV_AWS_333",
    rationale: "Tasks get no public address; the public-ip egress mode does so by design (see exceptions).",
    check: forEach("aws_ecs_service", (r) => (r.network_configuration as Res | undefined)?.assign_public_ip === true && "assign_public_ip"),
    bad: one("aws_ecs_service", { network_configuration: { assign_public_ip: true } }),
  },
  {
    id: "ECS_CONTAINER_INSIGHTS",
    checkov: "CKV_AWS_65",
    rationale: "Cluster metrics per task, for capacity and failover analysis.",
    check: forEach("aws_ecs_cluster", (r) => !((r.setting ?? []) as Res[]).some((s) => s.name === "containerInsights" && s.value !== "disabled") && "container insights off"),
    bad: one("aws_ecs_cluster", { setting: [] }),
  },
  {
    id: "ECS_ROLLBACK_ON_FAILED_DEPLOY",
    rationale: "A release whose tasks never get healthy rolls back by itself.",
    check: forEach("aws_ecs_service", (r) => (r.deployment_circuit_breaker as Res | undefined)?.rollback !== true && "no circuit breaker rollback"),
    bad: one("aws_ecs_service", { deployment_circuit_breaker: { enable: true, rollback: false } }),
  },
  {
    id: "IAM_NO_ADMIN_WILDCARD",
    checkov: "CKV_AWS_62",
    rationale: "No policy allows `*` actions on `*` resources.",
    check: (json) =>
      ["aws_iam_role_policy", "aws_iam_policy"].flatMap((type) =>
        each(json, type).flatMap(([resource, r]) => {
          const statements = (JSON.parse(String(r.policy)).Statement ?? []) as Res[];
          const wide = statements.some((s) => {
            const actions = ([] as unknown[]).concat(s.Action);
            const resources = ([] as unknown[]).concat(s.Resource);
            return s.Effect === "Allow" && actions.some((a) => a === "*" || String(a).endsWith(":*")) && resources.includes("*");
          });
          return wide ? [{ resource, message: "allows * on *" }] : [];
        }),
      ),
    bad: one("aws_iam_role_policy", { policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) }),
  },
  {
    id: "SECRETS_RECOVERY_WINDOW",
    rationale: "A deleted secret can be restored for a week.",
    check: forEach("aws_secretsmanager_secret", (r) => !(Number(r.recovery_window_in_days) >= 7) && `recovery_window_in_days ${r.recovery_window_in_days}`),
    bad: one("aws_secretsmanager_secret", { recovery_window_in_days: 0 }),
  },
  {
    id: "NO_LITERAL_SECRET_VERSIONS",
    rationale: "Terraform never holds Keycloak's passwords: no secret version with a literal value.",
    check: forEach("aws_secretsmanager_secret_version", (r) => r.secret_string !== undefined && "secret value in Terraform"),
    bad: one("aws_secretsmanager_secret_version", { secret_string: "{\"password\":\"x\"}" }),
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
    bad: one("aws_lb_listener_rule", { condition: [{ path_pattern: { values: ["/realms/*"] } }], action: [{ type: "forward" }] }),
  },
];
