/**
 * The settings table: every setting with its default, its environment variable, what it
 * accepts and why it exists, and the profile presets. The README's configuration table is
 * generated from SETTINGS; config.ts loads and validates a configuration from it.
 */
import {
  AMI_ID,
  asString,
  AZ_NAME,
  bool,
  BUCKET_NAME,
  cidrSubnet,
  CPU_ARCHITECTURES,
  DB_INSTANCE_CLASS,
  DNS_NAME,
  EC2_INSTANCE_TYPE,
  EGRESS_MODES,
  EMAIL,
  FARGATE_SIZES,
  HA_MIN_TASKS,
  HOSTED_ZONE_ID,
  HTTPS_ORIGIN,
  IMAGE_URI,
  integer,
  isCidr,
  list,
  LOG_RETENTION_DAYS,
  matching,
  MAX_ACCESS_LOG_RETENTION_DAYS,
  MAX_ADMIN_CIDRS,
  MAX_PUBLIC_REALMS,
  MAX_TASKS,
  MYSQL_INSTANCE_FAMILIES,
  MYSQL_VERSIONS,
  NAME_PREFIX,
  NAT_GATEWAY_MODES,
  oneOf,
  parseCidr,
  PROFILES,
  rdsWindow,
  REALM_NAME,
  REGION,
  TLS_POLICIES,
  type CpuArchitecture,
  type EgressMode,
  type MysqlVersion,
  type NatGatewayMode,
  type Profile,
  type Raw,
} from "./values";
import { instanceMemoryGib, RESERVED_CONNECTIONS } from "../database/database-capacity";
import { MAX_STORAGE_GIB, MYSQL_INSTANCE_SIZES } from "../database/engine";
import { SG_RULES_PER_DIRECTION } from "../network/subnet-budget";
import { MASTER_REALM, REALM_NAMES_LIKE_ENCODED_DOTS } from "../edge/listener-routes";
import { dailyMinutes, MIN_WINDOW_MINUTES, parseDailyWindow, parseWeeklyWindow, weeklyMinutes } from "../database/rds-windows";
import { TASK_LIFECYCLE } from "../service/task-lifecycle";
import { CPU_TARGET_PERCENT } from "../service/capacity-figures";
import { IMAGE_DIGEST } from "../image/image";
import { defaultRateLimit, KEYCLOAK_PER_VCPU_PER_SECOND, RATE_WINDOW_SECONDS } from "../edge/waf";
import { WAF_MAX_RATE_LIMIT, WAF_MIN_RATE_LIMIT } from "../edge/waf-limits";
import { S3_BUCKET_NAME } from "../edge/s3-limits";
import { constant } from "../shared/constant";

/** S3's reserved bucket-name prefixes a namePrefix could produce (xn-- already breaks the no-two-hyphens rule). */
const BUCKET_RESERVED = S3_BUCKET_NAME.reservedPrefixes.filter((p) => !p.includes("--"));


export interface KeycloakConfig {
  /** Name of the environment (stack id suffix), e.g. `dev` or `prod`. */
  readonly environment: string;
  readonly profile: Profile;
  readonly region: string;
  readonly namePrefix: string;
  readonly vpcCidr: string;
  readonly availabilityZones: readonly string[];
  readonly azCount: number;
  readonly publicSubnetCidrs: readonly string[];
  readonly privateSubnetCidrs: readonly string[];
  readonly egressMode: EgressMode;
  readonly natGateways: NatGatewayMode;
  readonly flowLogs: boolean;
  readonly hostname: string;
  readonly hostedZoneId: string;
  readonly albIngressCidrs: readonly string[];
  readonly adminAllowedCidrs: readonly string[];
  readonly adminPublic: boolean;
  readonly publicRealms: readonly string[];
  readonly wafEnabled: boolean;
  readonly wafTokenRateLimit: number;
  readonly wafLoginActionsRateLimit: number;
  readonly albAccessLogs: boolean;
  readonly albAccessLogRetentionDays: number;
  readonly hostnameAdmin: string;
  readonly tlsPolicy: string;
  readonly mysqlVersion: MysqlVersion;
  readonly dbInstanceClass: string;
  readonly dbAllocatedStorageGb: number;
  readonly dbMaxAllocatedStorageGb: number;
  readonly dbMultiAz: boolean;
  readonly dbBackupRetentionDays: number;
  readonly dbPoolMaxSize: number;
  readonly dbBackupWindow: string;
  readonly dbMaintenanceWindow: string;
  readonly throwAway: boolean;
  readonly privateZoneName: string;
  readonly bastionAllowedCidrs: readonly string[];
  readonly bastionAllowSshFromAnywhere: boolean;
  readonly bastionInstanceType: string;
  readonly bastionAmiId: string;
  readonly taskCpu: number;
  readonly taskMemory: number;
  readonly cpuArchitecture: CpuArchitecture;
  readonly highAvailability: boolean;
  readonly desiredCount: number;
  readonly maxCount: number;
  readonly cpuTargetPercent: number;
  readonly requestsPerTarget: number;
  readonly healthCheckGracePeriodSeconds: number;
  readonly logRetentionDays: number;
  readonly bootstrapAdmin: boolean;
  readonly imageUri: string;
  readonly baseImageDigest: string;
  readonly ecrKeepImages: number;
  readonly alarmEmails: readonly string[];
  readonly alarm5xxPerMinute: number;
  readonly alarmResponseTimeP99Seconds: number;
  readonly alarmUtilizationPercent: number;
  readonly alarmDbFreeStorageGb: number;
  readonly alarmDbFreeMemoryMb: number;
  readonly alarmDbConnectionsPercent: number;
  readonly alarmClusterSplitMinutes: number;
  readonly stateBucket: string;
  readonly stateRegion: string;
}

export type SettingKey = Exclude<keyof KeycloakConfig, "environment">;

export interface Setting<K extends SettingKey> {
  readonly key: K;
  /** One line for the README table. */
  readonly doc: string;
  /** What the setting accepts, in words, for errors and the README. */
  readonly allowed: string;
  /** Default; a function when it derives from other settings. */
  readonly default: KeycloakConfig[K] | ((c: KeycloakConfig) => KeycloakConfig[K]);
  /** How the default reads in the README when it is derived. */
  readonly defaultDoc?: string;
  readonly parse: (raw: Raw, fail: (extra?: string) => never) => KeycloakConfig[K];
}

/** A setting as users see it in messages: its key and the environment variable that sets it. */
export function settingLabel(key: SettingKey): string {
  return `${key} (env ${envVarName(key)})`;
}

/** Environment variable of a setting: KEYCLOAK_ + upper snake case. */
export function envVarName(key: string): string {
  return "KEYCLOAK_" + key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

/** Subnets: /16 VPC gives /20 subnets; public i at index i, private i at index 8 + i. */
function defaultSubnets(c: KeycloakConfig, offset: number): string[] {
  const { prefix } = parseCidr(c.vpcCidr)!;
  const newPrefix = Math.min(prefix + 4, 28);
  return Array.from({ length: azTotal(c) }, (_, i) => cidrSubnet(c.vpcCidr, newPrefix, offset + i));
}

export function azTotal(c: KeycloakConfig): number {
  return c.availabilityZones.length > 0 ? c.availabilityZones.length : c.azCount;
}

// ---- the settings --------------------------------------------------------

function setting<K extends SettingKey>(s: Setting<K>): Setting<K> {
  return s;
}

export const SETTINGS = constant([
  // ---- General: which preset, where, and what every name starts with.
  setting({
    key: "profile",
    doc: "Preset for the environment: `prod` (safe, HA) or `dev` (cheap, throw-away). Settings you give override it.",
    allowed: PROFILES.join(", "),
    default: "prod",
    parse: oneOf(PROFILES),
  }),
  setting({
    key: "region",
    doc: "AWS region to deploy to.",
    allowed: "an AWS region name such as eu-west-1",
    default: "eu-west-1",
    parse: matching(REGION),
  }),
  setting({
    key: "namePrefix",
    doc: "Prefix of every resource name.",
    allowed:
      "1-20 lowercase letters, digits or hyphens, starting with a letter, not ending with a hyphen, no two hyphens in a row (RDS names), " +
      "not starting with sg- (security group names) or internal- (load balancer names), " +
      `nor with ${BUCKET_RESERVED.join(" or ")} (S3 reserves them for bucket names: the access-log bucket's); 20 keeps every derived name within its AWS limit`,
    default: (c) => `keycloak-${c.environment}`.slice(0, 20).replace(/-+$/, "").replace(/-{2,}/g, "-"),
    defaultDoc: "keycloak-<environment>",
    parse: (raw, fail) => {
      const text = matching(NAME_PREFIX)(raw, fail);
      if (text.includes("--")) fail("two hyphens in a row");
      // Every group is <prefix>-<part>: "sg" alone gives sg-alb, as "internal" gives internal-alb.
      for (const reserved of ["sg-", "internal-", ...BUCKET_RESERVED]) if (`${text}-`.startsWith(reserved)) fail(`its names would start with ${reserved}`);
      return text;
    },
  }),
  // ---- Network (modules/network): VPC, zones, subnets, egress.
  setting({
    key: "vpcCidr",
    doc: "IPv4 range of the VPC.",
    allowed: "an IPv4 CIDR from /16 to /24; /23 or larger with the default subnets (each /4 smaller: the ALB needs /27)",
    default: "10.0.0.0/16",
    parse: (raw, fail) => {
      const text = asString(raw, fail);
      const parsed = parseCidr(text);
      if (!parsed || parsed.prefix < 16 || parsed.prefix > 24) fail();
      return text;
    },
  }),
  setting({
    key: "availabilityZones",
    doc: "Availability zones to use. Empty: the first `azCount` zones from the aws_availability_zones data source.",
    allowed: "2 or 3 distinct zone names of the region (comma-separated in the env var)",
    default: [],
    parse: list((s) => AZ_NAME.test(s)),
  }),
  setting({
    key: "azCount",
    doc: "How many zones to spread over when `availabilityZones` is empty.",
    allowed: "2 or 3",
    default: 2,
    parse: integer(2, 3),
  }),
  setting({
    key: "publicSubnetCidrs",
    doc: "CIDRs of the public subnets, one per zone (ALB, bastion, NAT; tasks in `public-ip` mode).",
    allowed: "one IPv4 CIDR per zone, inside vpcCidr, not overlapping",
    default: (c) => defaultSubnets(c, 0),
    defaultDoc: "carved from vpcCidr (10.0.0.0/20, 10.0.16.0/20, ...)",
    parse: list(isCidr),
  }),
  setting({
    key: "privateSubnetCidrs",
    doc: "CIDRs of the private subnets, one per zone (database; tasks in `nat` and `endpoints` mode).",
    allowed: "one IPv4 CIDR per zone, inside vpcCidr, not overlapping",
    default: (c) => defaultSubnets(c, 8),
    defaultDoc: "carved from vpcCidr (10.0.128.0/20, 10.0.144.0/20, ...)",
    parse: list(isCidr),
  }),
  setting({
    key: "egressMode",
    doc: "How tasks reach ECR, CloudWatch Logs and Secrets Manager: NAT gateways, public IPs in public subnets (the original's no-NAT cost choice), or VPC endpoints with no internet at all.",
    allowed: EGRESS_MODES.join(", "),
    default: "nat",
    parse: oneOf(EGRESS_MODES),
  }),
  setting({
    key: "natGateways",
    doc: "With `nat` egress: one NAT gateway (cheaper) or one per zone (survives a zone outage).",
    allowed: NAT_GATEWAY_MODES.join(", "),
    default: "single",
    parse: oneOf(NAT_GATEWAY_MODES),
  }),
  setting({
    key: "flowLogs",
    doc: "VPC flow logs (rejected traffic only) to CloudWatch Logs.",
    allowed: "true, false",
    default: true,
    parse: bool,
  }),
  // ---- Edge (modules/edge): names, who may reach the ALB and the admin plane, WAF, access logs, TLS.
  setting({
    key: "hostname",
    doc: "Public host name of Keycloak. Empty: the ALB's own DNS name with a self-signed certificate, as the original did.",
    allowed: "empty or a DNS name (lowercase); at most 64 characters with hostedZoneId (the ACM certificate's name)",
    default: "",
    parse: matching(DNS_NAME, true),
  }),
  setting({
    key: "hostnameAdmin",
    doc: "Separate address of the admin console (Keycloak's `hostname-admin`), e.g. an internal name. Empty: the console is on hostname.",
    allowed: "empty or https://<DNS name>[:port]",
    default: "",
    parse: (raw, fail) => {
      const text = asString(raw, fail);
      const m = HTTPS_ORIGIN.exec(text);
      if (text !== "" && (!m || !DNS_NAME.test(m[1]) || Number(m[2] ?? 443) < 1 || Number(m[2] ?? 443) > 65535)) fail();
      return text;
    },
  }),
  setting({
    key: "hostedZoneId",
    doc: "Route53 public zone of `hostname`: gets a DNS-validated ACM certificate and an alias record instead of the self-signed certificate.",
    allowed: "empty or a Route53 zone id (Z and 4 to 31 capitals or digits: 32 characters at most); needs hostname",
    default: "",
    parse: matching(HOSTED_ZONE_ID, true),
  }),
  setting({
    key: "albIngressCidrs",
    doc: "Who may reach the ALB on 80 and 443.",
    allowed: `1 to ${SG_RULES_PER_DIRECTION / 2} IPv4 CIDRs (each opens 443 and 80: 2 of the ${SG_RULES_PER_DIRECTION} inbound rules of a security group)`,
    default: ["0.0.0.0/0"],
    parse: list(isCidr),
  }),
  setting({
    key: "adminAllowedCidrs",
    doc: "Sources that reach the admin plane (`/admin/*`, the master realm) and every other path through the ALB. Empty: nobody does; the ALB answers 404.",
    allowed: `IPv4 CIDRs, at most ${MAX_ADMIN_CIDRS} (an ALB condition holds 3 values: one listener rule per 3 sources); 0.0.0.0/0 only with adminPublic`,
    default: [],
    parse: list(isCidr),
  }),
  setting({
    key: "adminPublic",
    doc: "Forward every path from everyone, the admin plane included (the stack's behaviour before it was closed). The dev profile sets it; synth warns.",
    allowed: "true, false",
    default: false,
    parse: bool,
  }),
  setting({
    key: "publicRealms",
    doc: "Realms the ALB forwards from everyone (`/realms/<name>/*`, plus `/resources/*` for their pages). Realms not listed answer 404 outside adminAllowedCidrs.",
    allowed: `up to ${MAX_PUBLIC_REALMS} realm names of letters, digits, _ and -, not ${MASTER_REALM} in any case, not starting with one character and 2e (the ALB cannot tell that from an encoded dot)`,
    default: [],
    parse: list((s) => REALM_NAME.test(s) && s.toLowerCase() !== MASTER_REALM && !REALM_NAMES_LIKE_ENCODED_DOTS.test(s)),
  }),
  setting({
    key: "wafEnabled",
    doc: "AWS WAF web ACL on the ALB: managed rule groups (common, known bad inputs, IP reputation), requests carrying their own X-Forwarded-For/-Host/-Prefix or Forwarded refused (so Keycloak records the real client address), per-address rate limits on login and token, blocked requests logged. $5 a month for the web ACL and $1 per rule (7 rules), plus $0.60 per million requests (README: Security).",
    allowed: "true, false",
    default: true,
    parse: bool,
  }),
  setting({
    key: "wafTokenRateLimit",
    doc: `Requests one client address may send to any realm's token endpoint per ${RATE_WINDOW_SECONDS / 60} minutes before WAF blocks it. Default: a twentieth of what one vCPU serves by Keycloak's sizing guide (${KEYCLOAK_PER_VCPU_PER_SECOND.tokenRequests} token requests a second) over the window.`,
    allowed: `an integer from ${WAF_MIN_RATE_LIMIT} (WAF's minimum) to ${WAF_MAX_RATE_LIMIT} (WAF's maximum)`,
    default: defaultRateLimit(KEYCLOAK_PER_VCPU_PER_SECOND.tokenRequests),
    parse: integer(WAF_MIN_RATE_LIMIT, WAF_MAX_RATE_LIMIT),
  }),
  setting({
    key: "wafLoginActionsRateLimit",
    doc: `Requests one client address may send to any realm's login-actions (the login forms' POSTs) per ${RATE_WINDOW_SECONDS / 60} minutes before WAF blocks it. Default: a twentieth of what one vCPU serves by Keycloak's sizing guide (${KEYCLOAK_PER_VCPU_PER_SECOND.logins} password logins a second) over the window.`,
    allowed: `an integer from ${WAF_MIN_RATE_LIMIT} (WAF's minimum) to ${WAF_MAX_RATE_LIMIT} (WAF's maximum)`,
    default: defaultRateLimit(KEYCLOAK_PER_VCPU_PER_SECOND.logins),
    parse: integer(WAF_MIN_RATE_LIMIT, WAF_MAX_RATE_LIMIT),
  }),
  setting({
    key: "albAccessLogs",
    doc: "ALB access logs to an S3 bucket of the stack (SSE-S3 encrypted, public access blocked, TLS only, expiring after albAccessLogRetentionDays): every request with the address the ALB saw, to cross-check the client address Keycloak records and for forensics. Off by default in both profiles: the WAF log and Keycloak's events cover day-to-day needs, and the logs cost S3 storage in proportion to traffic (one gzip-compressed line per request; the ALB charges nothing for delivering them; README: Security).",
    allowed: "true, false",
    default: false,
    parse: bool,
  }),
  setting({
    key: "albAccessLogRetentionDays",
    doc: "Days the ALB access logs are kept before S3's lifecycle rule deletes them (with albAccessLogs).",
    allowed: `an integer from 1 to ${MAX_ACCESS_LOG_RETENTION_DAYS}`,
    default: (c) => c.logRetentionDays,
    defaultDoc: "logRetentionDays",
    parse: integer(1, MAX_ACCESS_LOG_RETENTION_DAYS),
  }),
  setting({
    key: "tlsPolicy",
    doc: "ALB TLS policy of the HTTPS listener.",
    allowed: TLS_POLICIES.join(", "),
    default: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    parse: oneOf(TLS_POLICIES),
  }),
  // ---- Database (modules/database): engine, size, backups, pool, windows.
  setting({
    key: "mysqlVersion",
    doc: "RDS MySQL major version (minor upgrades are automatic).",
    allowed: MYSQL_VERSIONS.join(", "),
    default: "8.4",
    parse: oneOf(MYSQL_VERSIONS),
  }),
  setting({
    key: "dbInstanceClass",
    doc: "RDS instance class.",
    allowed: `db.<family>.<size> with a family that runs MySQL (${MYSQL_INSTANCE_FAMILIES.join(", ")}) and a size that family has`,
    default: "db.t4g.small",
    parse: (raw, fail) => {
      const text = asString(raw, fail);
      const m = DB_INSTANCE_CLASS.exec(text);
      if (!m || !(MYSQL_INSTANCE_FAMILIES as readonly string[]).includes(m[1])) return fail();
      const sizes = MYSQL_INSTANCE_SIZES[m[1] as keyof typeof MYSQL_INSTANCE_SIZES];
      if (!sizes.includes(m[2])) fail(`sizes of db.${m[1]}: ${sizes.join(", ")}`);
      // The connection budget below needs the class's memory.
      if (instanceMemoryGib(text) === undefined) fail("a size of that family we know the memory of: micro/small/medium (t families), large, xlarge, 2xlarge ... 48xlarge");
      return text;
    },
  }),
  setting({
    key: "dbAllocatedStorageGb",
    doc: "Initial gp3 storage of the database.",
    allowed: "integer 20 to 16384",
    default: 20,
    parse: integer(20, 16384),
  }),
  setting({
    key: "dbMaxAllocatedStorageGb",
    doc: "Storage autoscaling ceiling.",
    allowed: `integer from dbAllocatedStorageGb + 10 % (RDS's minimum step) to ${MAX_STORAGE_GIB}, within the class's maximum (6144 for db.t3/t4g.micro, 16384 for their small and medium)`,
    default: 100,
    // The smallest allocated storage (20) plus RDS's 10 % step.
    parse: integer(22, MAX_STORAGE_GIB),
  }),
  setting({
    key: "dbMultiAz",
    doc: "Standby database in a second zone.",
    allowed: "true, false",
    default: true,
    parse: bool,
  }),
  setting({
    key: "dbBackupRetentionDays",
    doc: "Days of automated database backups.",
    allowed: "integer 7 to 35",
    default: 7,
    parse: integer(7, 35),
  }),
  setting({
    key: "dbPoolMaxSize",
    doc: `Keycloak's database connection pool per task (fixed size: initial = min = max). (maxCount + a deploy's surge) x this + ${RESERVED_CONNECTIONS} reserved must fit the class's max_connections (RDS: memory / 12582880).`,
    allowed: "integer 5 to 500, fitting dbInstanceClass's max_connections",
    default: 20,
    parse: integer(5, 500),
  }),
  setting({
    key: "dbBackupWindow",
    doc: "Daily UTC window for automated backups (I/O may pause briefly on single-AZ).",
    allowed: `hh24:mi-hh24:mi (UTC), at least ${MIN_WINDOW_MINUTES} minutes, not overlapping dbMaintenanceWindow`,
    default: "02:00-03:00",
    parse: rdsWindow(parseDailyWindow, dailyMinutes),
  }),
  setting({
    key: "dbMaintenanceWindow",
    doc: "Weekly UTC window for RDS maintenance (minor version upgrades, patches; Multi-AZ fails over to the standby).",
    allowed: `ddd:hh24:mi-ddd:hh24:mi (UTC, ddd one of mon..sun), at least ${MIN_WINDOW_MINUTES} minutes, not overlapping dbBackupWindow`,
    default: "sun:03:30-sun:04:30",
    parse: rdsWindow(parseWeeklyWindow, weeklyMinutes),
  }),
  setting({
    key: "throwAway",
    doc: "Throw-away environment: no deletion protection, no final snapshot, so `cdktf destroy` just works. Never for data you keep.",
    allowed: "true, false",
    default: false,
    parse: bool,
  }),
  // ---- Access (modules/access): the private zone and the bastion.
  setting({
    key: "privateZoneName",
    doc: "Private Route53 zone; the database is `db.<zone>`.",
    allowed: "a DNS name",
    default: "keycloak.internal",
    parse: matching(DNS_NAME),
  }),
  setting({
    key: "bastionAllowedCidrs",
    doc: "Who may SSH to the bastion (the deploying machine must, for the database setup). Empty: synth warns and plan stops.",
    allowed: `at most ${SG_RULES_PER_DIRECTION} IPv4 CIDRs (one inbound rule each); 0.0.0.0/0 only with bastionAllowSshFromAnywhere`,
    default: [],
    parse: list(isCidr),
  }),
  setting({
    key: "bastionAllowSshFromAnywhere",
    doc: "Opt-in to SSH from 0.0.0.0/0. Leave it off.",
    allowed: "true, false",
    default: false,
    parse: bool,
  }),
  setting({
    key: "bastionInstanceType",
    doc: "Bastion EC2 instance type; a Graviton type (with `g`) gets the arm64 AMI.",
    allowed: "an EC2 instance type such as t4g.nano or t3.micro",
    default: "t4g.nano",
    parse: matching(EC2_INSTANCE_TYPE),
  }),
  setting({
    key: "bastionAmiId",
    doc: "Bastion AMI. Empty: the latest Amazon Linux 2023 from the public SSM parameter.",
    allowed: "empty or ami- followed by 8 or 17 hex digits",
    default: "",
    parse: matching(AMI_ID, true),
  }),
  // ---- Service (modules/service, modules/image): task size, scaling, the image.
  setting({
    key: "taskCpu",
    doc: "Fargate task CPU units (1024 = 1 vCPU).",
    allowed: Object.keys(FARGATE_SIZES).join(", "),
    default: 1024,
    parse: (raw, fail) => {
      const n = integer(256, 16384)(raw, fail);
      return FARGATE_SIZES[n] ? n : fail();
    },
  }),
  setting({
    key: "taskMemory",
    doc: "Fargate task memory (MiB). Keycloak wants about 1250 MiB; heap is 70 % of this.",
    allowed: "a memory size Fargate accepts for taskCpu",
    default: 2048,
    parse: integer(512, 122880),
  }),
  setting({
    key: "cpuArchitecture",
    doc: "CPU architecture of the tasks (and of the image build).",
    allowed: CPU_ARCHITECTURES.join(", "),
    default: "X86_64",
    parse: oneOf(CPU_ARCHITECTURES),
  }),
  setting({
    key: "highAvailability",
    doc: "Require at least 2 tasks. Turning it off allows a single task (no failover).",
    allowed: "true, false",
    default: true,
    parse: bool,
  }),
  setting({
    key: "desiredCount",
    doc: "Keycloak tasks to run (also the autoscaling minimum).",
    allowed: `integer >= ${HA_MIN_TASKS} (>= 1 with highAvailability false)`,
    default: 2,
    parse: integer(1, MAX_TASKS),
  }),
  setting({
    key: "maxCount",
    doc: "Autoscaling maximum.",
    allowed: `integer from desiredCount to ${MAX_TASKS}`,
    default: 4,
    parse: integer(1, MAX_TASKS),
  }),
  setting({
    key: "cpuTargetPercent",
    doc: `Autoscaling target for average CPU; the task-cpu alarm is midway between it and 100 %. Default: Keycloak's sizing guide's 150 % headroom, 100 / 2.5 (README: Sizing).`,
    allowed: "integer 10 to 90",
    default: CPU_TARGET_PERCENT,
    parse: integer(10, 90),
  }),
  setting({
    key: "requestsPerTarget",
    doc: "Autoscaling target for ALB requests per task per minute.",
    allowed: "integer 10 to 100000",
    default: 1000,
    parse: integer(10, 100000),
  }),
  setting({
    key: "healthCheckGracePeriodSeconds",
    doc: "Time a new task gets to start (and migrate the schema) before health checks count.",
    allowed: `integer ${TASK_LIFECYCLE.containerHealthCheck.startPeriodSeconds} (the container health check's start period) to 3600`,
    default: 300,
    parse: integer(TASK_LIFECYCLE.containerHealthCheck.startPeriodSeconds, 3600),
  }),
  setting({
    key: "logRetentionDays",
    doc: "CloudWatch log retention of Keycloak and flow logs.",
    allowed: LOG_RETENTION_DAYS.join(", "),
    default: 30,
    parse: (raw, fail) => {
      const n = integer(1, 3653)(raw, fail);
      return (LOG_RETENTION_DAYS as readonly number[]).includes(n) ? n : fail();
    },
  }),
  setting({
    key: "bootstrapAdmin",
    doc: "Keycloak's temporary bootstrap admin: the database setup fills its secret and every task gets it as KC_BOOTSTRAP_ADMIN_*. Needed for the first deploy; set false after `tools/permanent-admin.sh` has made a permanent admin, which deletes the secret and every role's access to it (README: Permanent admin).",
    allowed: "true, false",
    default: true,
    parse: bool,
  }),
  setting({
    key: "imageUri",
    doc: "Prebuilt Keycloak image. Empty: docker/ is built and pushed to the stack's ECR repository during deploy.",
    allowed: "empty or registry/repository:tag or registry/repository@sha256:<digest>",
    default: "",
    parse: matching(IMAGE_URI, true),
  }),
  setting({
    key: "baseImageDigest",
    doc: "Digest of the official Keycloak image (quay.io/keycloak/keycloak at the stack's Keycloak version) the build starts from, so a re-pushed tag cannot change what is built; find it with `docker buildx imagetools inspect quay.io/keycloak/keycloak:<version>`. Empty: the tag. Ignored with imageUri.",
    allowed: "empty or sha256: and 64 lowercase hex digits",
    default: "",
    parse: matching(IMAGE_DIGEST, true),
  }),
  setting({
    key: "ecrKeepImages",
    doc: "Images the ECR lifecycle policy keeps.",
    allowed: "integer 1 to 1000",
    default: 10,
    parse: integer(1, 1000),
  }),
  // ---- Monitoring (modules/monitoring): alarm recipients and thresholds.
  setting({
    key: "alarmEmails",
    doc: "E-mail addresses subscribed to the alarm topic (each gets a confirmation mail). Empty: subscribe your own endpoint to the `alarm_topic_arn` output.",
    allowed: "e-mail addresses (comma-separated in the env var)",
    default: [],
    parse: list((s) => EMAIL.test(s)),
  }),
  setting({
    key: "alarm5xxPerMinute",
    doc: "5xx answers per minute (from the ALB itself, or from Keycloak) that raise an alarm when they last 5 minutes.",
    allowed: "integer 1 to 100000",
    default: 10,
    parse: integer(1, 100000),
  }),
  setting({
    key: "alarmResponseTimeP99Seconds",
    doc: "Alarm when the slowest 1 % of requests take this long for 10 minutes.",
    allowed: "integer 1 to 60",
    default: 2,
    parse: integer(1, 60),
  }),
  setting({
    key: "alarmUtilizationPercent",
    doc: "Alarm when task memory or database CPU stay at or above this for 10 minutes (task CPU: see cpuTargetPercent).",
    allowed: "integer 50 to 100",
    default: 85,
    parse: integer(50, 100),
  }),
  setting({
    key: "alarmDbFreeStorageGb",
    doc: "Alarm when the database has less free storage than this.",
    allowed: "integer 1 to 1000, below dbMaxAllocatedStorageGb",
    default: 2,
    parse: integer(1, 1000),
  }),
  setting({
    key: "alarmDbFreeMemoryMb",
    doc: "Alarm when the database has less freeable memory than this.",
    allowed: "integer 16 to 65536",
    default: 128,
    parse: integer(16, 65536),
  }),
  setting({
    key: "alarmDbConnectionsPercent",
    doc: "Alarm when database connections reach this share of the class's max_connections.",
    allowed: "integer 50 to 100",
    default: 80,
    parse: integer(50, 100),
  }),
  setting({
    key: "alarmClusterSplitMinutes",
    doc: "Alarm when some task sees fewer cluster members than ECS runs tasks for this many minutes in a row. A starting task counts as running a minute or two before it joins, so deploys and scale-outs need a few minutes of patience.",
    allowed: "integer 3 to 60",
    default: 5,
    parse: integer(3, 60),
  }),
  // ---- Terraform state.
  setting({
    key: "stateBucket",
    doc: "S3 bucket for remote state (key `keycloak/<environment>.tfstate`, encrypted, S3 lock file). Empty: local state.",
    allowed: "empty or an S3 bucket name",
    default: "",
    parse: matching(BUCKET_NAME, true),
  }),
  setting({
    key: "stateRegion",
    doc: "Region of the state bucket.",
    allowed: "an AWS region name",
    default: (c) => c.region,
    defaultDoc: "region",
    parse: matching(REGION),
  }),
]);

/** What the `dev` profile changes: cheap and disposable. `prod` keeps the defaults. */
export const PROFILE_PRESETS: Readonly<Record<Profile, Partial<Record<SettingKey, unknown>>>> = {
  prod: {},
  dev: {
    egressMode: "public-ip",
    dbMultiAz: false,
    dbInstanceClass: "db.t4g.micro",
    throwAway: true,
    flowLogs: false,
    taskCpu: 512,
    taskMemory: 2048,
    logRetentionDays: 7,
    maxCount: 2,
    adminPublic: true,
    wafEnabled: false,
  },
};
